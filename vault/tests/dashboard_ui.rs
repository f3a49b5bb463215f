//! The dashboard's assets as served (`/_admin/ui/`): content types, the security headers,
//! nothing that points at another host, every file the page loads actually served, every test
//! hook of the contract (tools' CONTRACT.md, which the browser tests rely on) present, and the
//! page behind the admin gate in `--auth entra` mode. The browser tests (e2e `dashboard`)
//! drive the page itself.

use crate::common::{dashboard_vault, Served};
use std::collections::BTreeSet;
use tokio_util::sync::CancellationToken;
use vault::http::ui::{ASSETS, CSP};

const ADMIN: &str = "dashboard-admin-token";

struct Running {
    handle: vault::Handle,
    shutdown: CancellationToken,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Running {
    async fn start(entra: bool) -> Running {
        let dir = tempfile::tempdir().unwrap();
        let Served {
            handle,
            shutdown,
            client,
        } = dashboard_vault(dir.path(), entra.then_some(ADMIN)).await;
        Running {
            handle,
            shutdown,
            client,
            _dir: dir,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.handle.url()))
            .send()
            .await
            .unwrap()
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.handle.stopped().await;
    }
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

fn expected_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap() {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        other => panic!("an asset of unexpected kind .{other}"),
    }
}

/// What `text` references after each `marker` up to the closing `quote`.
fn references(text: &str, marker: &str, quote: char) -> Vec<String> {
    text.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = &text[i + marker.len()..];
            rest.find(quote).map(|end| rest[..end].to_string())
        })
        .collect()
}

#[tokio::test]
async fn every_asset_is_served_with_its_type_csp_and_no_cache() {
    let vault = Running::start(false).await;

    let bare = vault.get("/_admin/ui").await;
    assert_eq!(bare.status(), 308);
    assert_eq!(header(&bare, "location"), "/_admin/ui/");

    let index = vault.get("/_admin/ui/").await;
    assert_eq!(index.status(), 200);
    assert_eq!(header(&index, "content-type"), "text/html; charset=utf-8");
    assert_eq!(
        header(&index, "content-security-policy"),
        "default-src 'self'"
    );
    let page = index.text().await.unwrap();
    assert!(page.contains("<nav"), "{page}");

    let mut bodies = String::new();
    for asset in ASSETS {
        let resp = vault.get(&format!("/_admin/ui/{}", asset.name)).await;
        assert_eq!(resp.status(), 200, "{}", asset.name);
        assert_eq!(
            header(&resp, "content-type"),
            expected_type(asset.name),
            "{}",
            asset.name
        );
        assert_eq!(header(&resp, "content-security-policy"), CSP);
        assert_eq!(CSP, "default-src 'self'");
        assert_eq!(header(&resp, "cache-control"), "no-cache");
        assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
        let body = resp.text().await.unwrap();
        assert_eq!(body, asset.body, "{} is served as compiled in", asset.name);
        bodies.push_str(&body);
        bodies.push('\n');
    }

    // Unknown files: the admin API's JSON 404, not a page.
    let missing = vault.get("/_admin/ui/nothing.js").await;
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");

    // The query goes along with the redirect (the entra login's `?token=`).
    let with_query = vault.get("/_admin/ui?x=1").await;
    assert_eq!(with_query.status(), 308);
    assert_eq!(header(&with_query, "location"), "/_admin/ui/?x=1");

    assert_no_external_urls(&bodies);
    assert_every_reference_is_served(&page, &bodies);
    assert_csp_safe(&page, &bodies);
    vault.stop().await;
}

/// No asset points at another host: no CDN, no font service, nothing fetched from outside.
/// The SVG namespace is an identifier, never fetched.
fn assert_no_external_urls(bodies: &str) {
    let cleaned = bodies.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for scheme in ["http://", "https://", "//cdn", "ws://", "wss://"] {
        assert!(
            !cleaned.contains(scheme),
            "an asset names an external URL ({scheme}): {}",
            &cleaned[cleaned.find(scheme).unwrap().saturating_sub(80)..]
                .chars()
                .take(200)
                .collect::<String>()
        );
    }
}

/// Every file the page links and every module a script imports is one the server serves, and
/// every served file is used.
fn assert_every_reference_is_served(page: &str, bodies: &str) {
    let served: BTreeSet<&str> = ASSETS.iter().map(|a| a.name).collect();
    let mut referenced = BTreeSet::new();
    for r in references(page, "src=\"", '"')
        .into_iter()
        .chain(references(page, "href=\"", '"'))
        .filter(|r| !r.starts_with('#'))
        .chain(references(bodies, "from './", '\''))
    {
        let name = r.trim_start_matches("./").to_string();
        assert!(
            served.contains(name.as_str()),
            "{name} is referenced but not served"
        );
        referenced.insert(name);
    }
    referenced.insert("index.html".to_string());
    let unused: Vec<_> = served
        .iter()
        .filter(|n| !referenced.contains(**n))
        .collect();
    assert!(unused.is_empty(), "served but never loaded: {unused:?}");
}

/// What `default-src 'self'` would block (and log as console errors) is absent: inline scripts
/// and styles, `eval`. Markup is built with DOM calls, never parsed from API text.
fn assert_csp_safe(page: &str, bodies: &str) {
    for script in page.split("<script").skip(1) {
        let open = &script[..script.find('>').unwrap()];
        assert!(open.contains("src="), "an inline script: <script{open}>");
    }
    assert!(!page.contains("<style"), "an inline style block");
    for bad in [
        " style=\"",
        "eval(",
        "new Function",
        "innerHTML",
        "setAttribute('style'",
    ] {
        assert!(!bodies.contains(bad), "{bad} in an asset");
    }
}

/// Every test hook the browser tests rely on (CONTRACT.md, "vault UI") is in the assets.
#[tokio::test]
async fn every_test_hook_of_the_contract_is_in_the_page() {
    let all: String = ASSETS.iter().map(|a| a.body).collect::<Vec<_>>().join("\n");
    let ids = [
        "vault-picker",
        "cert-search",
        "page-next",
        "page-prev",
        "clock-now",
        "clock-advance",
        "clock-advance-btn",
        "clock-set",
        "clock-set-btn",
        "header-clock",
        "req-filter-path",
        "req-filter-method",
        "req-filter-status",
        "req-show-admin",
    ];
    for id in ids {
        assert!(
            all.contains(&format!("id: '{id}'")) || all.contains(&format!("id=\"{id}\"")),
            "no element with id {id}"
        );
    }
    let test_ids = [
        "live",
        "cert-row",
        "cert-status",
        "cert-total",
        "op-status",
        "timeline",
        "timeline-event",
        "request-row",
        "outbox-row",
    ];
    for t in test_ids {
        assert!(
            all.contains(&format!("'data-testid': '{t}'"))
                || all.contains(&format!("data-testid=\"{t}\"")),
            "no element with data-testid {t}"
        );
    }
    // The labels the contract names.
    for label in [
        ">Vault</label>",
        "'Search certificates'",
        "'Advance by'",
        "'Set to'",
    ] {
        assert!(all.contains(label), "no label {label}");
    }
    // The hash routes.
    for route in [
        "certificates",
        "certificate",
        "deleted",
        "issuers",
        "contacts",
        "acme",
        "outbox",
        "clock",
        "requests",
    ] {
        assert!(all.contains(&format!("  {route}: ")), "no route #/{route}");
    }
}

/// In `--auth entra` mode the page is the admin API's: without the admin token (bearer or the
/// `vault_admin` cookie) it is refused; `?token=` logs the browser in; then it is served.
#[tokio::test]
async fn in_entra_mode_the_page_needs_the_admin_token() {
    let vault = Running::start(true).await;
    let refused = vault.get("/_admin/ui/").await;
    assert_eq!(refused.status(), 401);
    assert!(header(&refused, "content-type").starts_with("text/html"));
    let wrong = vault.get("/_admin/ui/?token=not-it").await;
    assert_eq!(wrong.status(), 401);

    // The bare path keeps the token on its way to the page.
    let bare = vault.get(&format!("/_admin/ui?token={ADMIN}")).await;
    assert_eq!(bare.status(), 308);
    assert_eq!(
        header(&bare, "location"),
        format!("/_admin/ui/?token={ADMIN}")
    );
    let login = vault.get(&format!("/_admin/ui/?token={ADMIN}")).await;
    assert_eq!(login.status(), 303);
    assert_eq!(header(&login, "location"), "/_admin/ui/");
    let cookie = header(&login, "set-cookie");
    assert!(
        cookie.starts_with(&format!("vault_admin={ADMIN};")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/_admin"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let with_cookie = vault
        .client
        .get(format!("{}/_admin/ui/", vault.handle.url()))
        .header("cookie", format!("vault_admin={ADMIN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), 200);
    assert_eq!(header(&with_cookie, "content-security-policy"), CSP);
    // The page's live stream, with the cookie the browser sends along.
    let events = vault
        .client
        .get(format!("{}/_admin/events", vault.handle.url()))
        .header("cookie", format!("vault_admin={ADMIN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert!(header(&events, "content-type").starts_with("text/event-stream"));
    drop(events);

    let allowed = vault
        .client
        .get(format!("{}/_admin/ui/", vault.handle.url()))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(header(&allowed, "content-security-policy"), CSP);
    vault.stop().await;
}
