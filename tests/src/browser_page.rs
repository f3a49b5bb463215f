//! What the dashboard tests do with a page in [`Browser`]: go to it, wait for a selector, a
//! text or an attribute with a deadline (polling, never sleep-then-assert), click, fill forms,
//! prove the page did not reload, and take screenshots. The checks of what the page did and
//! how it looks (console, foreign resources, themes, contrast) are in `browser_checks.rs`.
//!
//! Reads go through small scripts (`querySelectorAll` in the page) rather than element handles:
//! the dashboards re-render rows as events arrive, and a handle to a replaced row is stale.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use fantoccini::{key::Key, Locator};
use serde_json::{json, Value};

use crate::{
    browser::{target_dir, Browser},
    wait::DEADLINE,
};

/// The texts (rendered, trimmed) of every element matching `arguments[0]`.
const TEXTS_JS: &str = "return Array.from(document.querySelectorAll(arguments[0]))\
    .map(e => (e.innerText || e.textContent || '').trim());";

/// Attribute `arguments[1]` of every element matching `arguments[0]` (null when absent).
const ATTRS_JS: &str = "return Array.from(document.querySelectorAll(arguments[0]))\
    .map(e => e.getAttribute(arguments[1]));";

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

    /// Presses `key` (e.g. [`Key::Enter`]) on the focused element.
    pub async fn press(&self, key: Key) {
        let focused = self
            .client
            .active_element()
            .await
            .unwrap_or_else(|err| panic!("the focused element: {err}"));
        focused
            .send_keys(&key)
            .await
            .unwrap_or_else(|err| panic!("press {key:?}: {err}"));
    }

    /// Presses Tab (at most 60 times, as a keyboard user would) until the focused element
    /// matches `css`; then the focus ring the page draws on it (`outline-style`,
    /// `outline-width`).
    pub async fn tab_to(&self, css: &str) -> (String, String) {
        const FOCUS_JS: &str = "const a = document.activeElement;\
            if (!a || !a.matches(arguments[0])) return null;\
            const st = getComputedStyle(a); return [st.outlineStyle, st.outlineWidth];";
        for _ in 0..60 {
            self.press(Key::Tab).await;
            let focus = self.js(FOCUS_JS, vec![json!(css)]).await;
            if let [style, width] = &strings(&focus)[..] {
                return (style.clone(), width.clone());
            }
        }
        panic!("Tab never reached {css}");
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

/// The workspace root (this crate is `tests/` in it).
fn workspace_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The strings of a JSON list (nulls and non-strings left out).
pub(crate) fn strings(value: &Value) -> Vec<String> {
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
