//! What the dashboard tests check of a page in [`Browser`]: console errors (chromedriver's
//! browser log), resources fetched from outside the page's origin, the system colour scheme
//! (emulated through the DevTools protocol) and legibility (base font size, WCAG contrast of
//! every text).

use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{json, Value};

use crate::{browser::Browser, browser_page::strings};

/// A chromedriver extension command: `POST /session/{id}/{path}` with a JSON `body`. Used for
/// its browser log (`se/log`, `{"type":"browser"}`: the console entries since the last read)
/// and for Chrome DevTools Protocol commands (`goog/cdp/execute`, `{"cmd", "params"}`, e.g. to
/// emulate the system's colour scheme).
#[derive(Debug)]
struct ChromedriverPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for ChromedriverPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(self.body.to_string()))
    }
}

/// Text contrast (WCAG 2 relative luminance): every visible element with text of its own,
/// its colour against the background it sits on (ancestors' backgrounds composited, the canvas
/// white below), below 4.5:1 (3:1 for large text). Disabled controls are exempt, as in WCAG.
/// Returns the luminance of the body's background, the body's font size in px and at most 20
/// failures as strings.
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

/// The resources this page fetched from anywhere but its own origin.
const FOREIGN_RESOURCES_JS: &str = "const own = location.origin + '/';\
    return performance.getEntriesByType('resource').map(e => e.name)\
    .filter(n => !n.startsWith(own));";

impl Browser {
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
        let features = json!([{ "name": "prefers-color-scheme", "value": scheme }]);
        let cmd = ChromedriverPost {
            path: "goog/cdp/execute",
            body: json!({
                "cmd": "Emulation.setEmulatedMedia",
                "params": { "features": features },
            }),
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
        let browser_log = ChromedriverPost {
            path: "se/log",
            body: json!({ "type": "browser" }),
        };
        let entries = match self.client.issue_cmd(browser_log).await {
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
}

/// What [`Browser::legibility`] measured.
#[derive(Debug, Clone)]
pub struct Legibility {
    pub background_luminance: f64,
    pub font_px: f64,
    pub low_contrast: Vec<String>,
}
