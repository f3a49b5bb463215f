//! What the dashboard tests do with a page in [`Browser`]: go to it, wait for a selector, a
//! text or an attribute with a deadline (polling, never sleep-then-assert), click, fill forms,
//! prove the page did not reload, read the console (chromedriver's browser log) and the
//! resources the page fetched, and take screenshots.
//!
//! Reads go through small scripts (`querySelectorAll` in the page) rather than element handles:
//! the dashboards re-render rows as events arrive, and a handle to a replaced row is stale.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use fantoccini::{wd::WebDriverCompatibleCommand, Locator};
use serde_json::{json, Value};

use crate::{
    browser::{target_dir, Browser},
    wait::DEADLINE,
};

/// chromedriver's log endpoint (`POST /session/{id}/se/log {"type":"browser"}`): the console
/// entries since the last read.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// A Chrome DevTools Protocol command through chromedriver
/// (`POST /session/{id}/goog/cdp/execute`), e.g. to emulate the system's colour scheme.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (reqwest::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (reqwest::Method::POST, Some(body.to_string()))
    }
}

/// Text contrast (WCAG 2 relative luminance): every visible element with text of its own,
/// its colour against the background it sits on (ancestors' backgrounds composited, the canvas
/// white below), below 4.5:1 (3:1 for large text). Disabled controls are exempt, as in WCAG.
/// Returns at most 20 failures as strings; `document.documentElement`'s background luminance
/// and the body's font size in px come first.
const CONTRAST_JS: &str = r#"
const parse = (c) => {
  const m = /rgba?\(([^)]+)\)/.exec(c || '');
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const over = (top, below) => ({
  r: top.r * top.a + below.r * (1 - top.a),
  g: top.g * top.a + below.g * (1 - top.a),
  b: top.b * top.a + below.b * (1 - top.a), a: 1 });
const background = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  let base = { r: 255, g: 255, b: 255, a: 1 };
  for (const layer of layers.reverse()) base = over(layer, base);
  return base;
};
const lum = (c) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
};
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const failures = [];
for (const el of document.querySelectorAll('body *')) {
  const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!own || el.closest('[aria-hidden="true"],[hidden]') || el.disabled) continue;
  if (el.getClientRects().length === 0) continue;
  const st = getComputedStyle(el);
  if (st.visibility !== 'visible' || Number(st.opacity) === 0) continue;
  const bg = background(el);
  const fgRaw = parse(st.color);
  if (!fgRaw) continue;
  const fg = over(fgRaw, bg);
  const size = parseFloat(st.fontSize);
  const bold = Number(st.fontWeight) >= 700;
  const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
  const r = ratio(fg, bg);
  if (r < need && failures.length < 20) {
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
    failures.push(`${name} "${el.textContent.trim().slice(0, 40)}": ${r.toFixed(2)}:1 (${st.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
  }
}
const page = background(document.body);
return [lum(page), parseFloat(getComputedStyle(document.body).fontSize), failures];
"#;

/// The texts (rendered, trimmed) of every element matching `arguments[0]`.
const TEXTS_JS: &str = "return Array.from(document.querySelectorAll(arguments[0]))\
    .map(e => (e.innerText || e.textContent || '').trim());";

/// Attribute `arguments[1]` of every element matching `arguments[0]` (null when absent).
const ATTRS_JS: &str = "return Array.from(document.querySelectorAll(arguments[0]))\
    .map(e => e.getAttribute(arguments[1]));";

/// The resources this page fetched from anywhere but its own origin.
const FOREIGN_RESOURCES_JS: &str = "const own = location.origin + '/';\
    return performance.getEntriesByType('resource').map(e => e.name)\
    .filter(n => !n.startsWith(own));";

impl Browser {
    /// Navigates to `url` (waits for the load event).
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|err| panic!("open {url}: {err}"));
    }

    /// Runs `script` in the page with `args`; its return value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|err| panic!("run script in the page: {err}\n{script}"))
    }

    /// The rendered texts of the elements matching `css`, in document order (none while the
    /// page is between documents).
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let value = self.client.execute(TEXTS_JS, vec![json!(css)]).await;
        value.map(|v| strings(&v)).unwrap_or_default()
    }

    /// Attribute `attr` of the elements matching `css` (missing ones left out).
    pub async fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        let value = self
            .client
            .execute(ATTRS_JS, vec![json!(css), json!(attr)])
            .await;
        value.map(|v| strings(&v)).unwrap_or_default()
    }

    /// Waits until at least one element matches `css`; how many do.
    pub async fn wait_for(&self, css: &str) -> usize {
        self.wait_count(css, 1).await
    }

    /// Waits until at least `min` elements match `css`; how many do.
    pub async fn wait_count(&self, css: &str, min: usize) -> usize {
        let what = format!("{min} element(s) matching {css}");
        self.poll(&what, || async {
            let n = self.texts(css).await.len();
            (n >= min).then_some(n)
        })
        .await
    }

    /// Waits until an element matching `css` shows a text containing `needle`; that text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let what = format!("an element matching {css} with text containing {needle:?}");
        self.poll(&what, || async {
            self.texts(css)
                .await
                .into_iter()
                .find(|t| t.contains(needle))
        })
        .await
    }

    /// Waits until the first element matching `css` has exactly the text `expected`.
    pub async fn wait_text_is(&self, css: &str, expected: &str) {
        let what = format!("the text of {css} to be {expected:?}");
        self.poll(&what, || async {
            let texts = self.texts(css).await;
            (texts.first().map(String::as_str) == Some(expected)).then_some(())
        })
        .await
    }

    /// Waits until an element matching `css` has attribute `attr` equal to `value`.
    pub async fn wait_attr(&self, css: &str, attr: &str, value: &str) {
        let what = format!("{css} with {attr}={value:?}");
        self.poll(&what, || async {
            self.attrs(css, attr)
                .await
                .iter()
                .any(|v| v == value)
                .then_some(())
        })
        .await
    }

    /// Clicks the first element matching `css`, waiting until it exists and takes the click
    /// (re-rendered rows are looked up again).
    pub async fn click(&self, css: &str) {
        let what = format!("a click on {css}");
        self.poll(&what, || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            element.click().await.ok()
        })
        .await
    }

    /// Replaces the value of the input matching `css` with `text` (typed, as a person would).
    pub async fn fill(&self, css: &str, text: &str) {
        let what = format!("typing {text:?} into {css}");
        self.poll(&what, || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            element.clear().await.ok()?;
            element.send_keys(text).await.ok()
        })
        .await
    }

    /// Chooses the option with value `value` in the `<select>` matching `css`.
    pub async fn choose(&self, css: &str, value: &str) {
        let what = format!("option {value:?} of {css}");
        self.poll(&what, || async {
            let element = self.client.find(Locator::Css(css)).await.ok()?;
            // An `<option>` without a value attribute has its text as value.
            match element.select_by_value(value).await {
                Ok(()) => Some(()),
                Err(_) => element.select_by_label(value).await.ok(),
            }
        })
        .await
    }

    /// Sets field `name` of the form matching `form`: a `<select>` by option value, anything
    /// else by typing.
    pub async fn set_field(&self, form: &str, name: &str, value: &str) {
        let css = format!("{form} [name=\"{name}\"]");
        let tags = self
            .js(
                "const e = document.querySelector(arguments[0]); return e ? e.tagName : null;",
                vec![json!(css)],
            )
            .await;
        if tags
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("select"))
        {
            self.choose(&css, value).await;
        } else {
            self.fill(&css, value).await;
        }
    }

    /// Leaves `token` in the page's `window`; [`Browser::assert_not_reloaded`] finds it there
    /// as long as the page was never reloaded.
    pub async fn mark_page(&self, token: &str) {
        self.js(
            "window.__marker = arguments[0]; return true;",
            vec![json!(token)],
        )
        .await;
    }

    /// Asserts the page still holds the token of [`Browser::mark_page`] (it updated in place).
    pub async fn assert_not_reloaded(&self, token: &str) {
        let marker = self.js("return window.__marker || null;", vec![]).await;
        assert_eq!(
            marker,
            json!(token),
            "the page reloaded (its window lost the marker) instead of updating live"
        );
    }

    /// The console entries at level SEVERE so far (errors, failed loads, CSP violations).
    pub async fn console_errors(&self) -> Vec<String> {
        self.read_console().await;
        self.console
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The console entries at level SEVERE so far, which then no longer count: for a test
    /// that provokes an error on purpose (a 401 page) and checks it was that one.
    pub async fn take_console_errors(&self) -> Vec<String> {
        let errors = self.console_errors().await;
        self.console
            .lock()
            .unwrap()
            .retain(|e| e["level"] != "SEVERE");
        errors
    }

    /// Makes the page see the system's colour scheme as `scheme` (`light` or `dark`), as
    /// `prefers-color-scheme` media queries read it.
    pub async fn emulate_color_scheme(&self, scheme: &str) {
        let cmd = Cdp {
            cmd: "Emulation.setEmulatedMedia",
            params: json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        };
        if let Err(err) = self.client.issue_cmd(cmd).await {
            panic!("emulate prefers-color-scheme: {scheme}: {err}");
        }
    }

    /// The page's look as a reader gets it: the luminance of the page's background (0 black,
    /// 1 white), the body's font size in px, and every text below WCAG's contrast minimum.
    pub async fn legibility(&self) -> Legibility {
        let value = self.js(CONTRAST_JS, vec![]).await;
        Legibility {
            background_luminance: value[0].as_f64().unwrap_or(-1.0),
            font_px: value[1].as_f64().unwrap_or(0.0),
            low_contrast: strings(&value[2]),
        }
    }

    /// Moves chromedriver's browser log into [`Browser::console`].
    async fn read_console(&self) {
        let entries = match self.client.issue_cmd(BrowserLog).await {
            Ok(Value::Array(entries)) => entries,
            Ok(other) => panic!("chromedriver's browser log is not a list: {other}"),
            Err(err) => panic!("read chromedriver's browser log: {err}"),
        };
        self.console.lock().unwrap().extend(entries);
    }

    /// The resources the current page fetched from outside its own origin.
    pub async fn foreign_resources(&self) -> Vec<String> {
        strings(&self.js(FOREIGN_RESOURCES_JS, vec![]).await)
    }

    /// The checks every dashboard page must pass: no console error so far, and nothing the
    /// current page fetched came from anywhere but its own origin.
    pub async fn assert_clean(&self) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        let foreign = self.foreign_resources().await;
        assert!(
            foreign.is_empty(),
            "fetched from outside the service: {foreign:#?}"
        );
    }

    /// [`Browser::screenshot`] of the whole page (up to 2,000 pixels high): the window grows
    /// for the picture and gets its size back afterwards.
    pub async fn screenshot_page(&self, name: &str) {
        let (width, height) = self
            .client
            .get_window_size()
            .await
            .unwrap_or_else(|err| panic!("window size: {err}"));
        let sizes = self
            .js(
                "window.scrollTo(0, 0);\
                 return [document.documentElement.scrollHeight, window.innerHeight];",
                vec![],
            )
            .await;
        let page = sizes[0].as_u64().unwrap_or(height);
        let inner = sizes[1].as_u64().unwrap_or(height);
        let chrome = height.saturating_sub(inner);
        let tall = (page + chrome).clamp(height, 2_000);
        self.resize(width, tall).await;
        self.screenshot(name).await;
        self.resize(width, height).await;
    }

    async fn resize(&self, width: u64, height: u64) {
        let (w, h) = (width as u32, height as u32);
        self.client
            .set_window_size(w, h)
            .await
            .unwrap_or_else(|err| panic!("resize the window to {w}x{h}: {err}"));
    }

    /// Saves a PNG of the viewport as `target/screenshots/{name}.png`, and with
    /// `UPDATE_SCREENSHOTS=1` also as `docs/screenshots/{name}.png` (the README's pictures).
    pub async fn screenshot(&self, name: &str) {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|err| panic!("screenshot {name}: {err}"));
        let mut dirs = vec![target_dir().join("screenshots")];
        if std::env::var_os("UPDATE_SCREENSHOTS").is_some_and(|v| v == "1") {
            dirs.push(workspace_dir().join("docs").join("screenshots"));
        }
        for dir in dirs {
            std::fs::create_dir_all(&dir)
                .unwrap_or_else(|err| panic!("create {}: {err}", dir.display()));
            let path = dir.join(format!("{name}.png"));
            std::fs::write(&path, &png)
                .unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
        }
    }

    /// A screenshot of a failed wait, `target/screenshots/failed-{millis}.png`; its path.
    async fn failure_screenshot(&self) -> String {
        let Ok(png) = self.client.screenshot().await else {
            return "none".into();
        };
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let dir = target_dir().join("screenshots");
        let path = dir.join(format!("failed-{millis}.png"));
        match std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, png)) {
            Ok(()) => path.display().to_string(),
            Err(err) => format!("not written: {err}"),
        }
    }

    /// Polls `check` until it answers, at most [`DEADLINE`] (short pauses in between); on
    /// time-out the panic names `what` and the page's address.
    async fn poll<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let start = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if start.elapsed() > DEADLINE {
                let url = self.client.current_url().await.map(|u| u.to_string());
                let shot = self.failure_screenshot().await;
                let body = self.texts("body").await.join("\n");
                let body: String = body.chars().take(3000).collect();
                panic!(
                    "timed out after {DEADLINE:?} waiting for {what} on {url:?} \
                     (screenshot: {shot}); the page said:\n{body}"
                );
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }
}

/// What [`Browser::legibility`] measured.
#[derive(Debug, Clone)]
pub struct Legibility {
    pub background_luminance: f64,
    pub font_px: f64,
    pub low_contrast: Vec<String>,
}

/// The workspace root (this crate is `tests/` in it).
fn workspace_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The strings of a JSON list (nulls and non-strings left out).
fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
