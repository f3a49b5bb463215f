//! How the pages behave beyond the flows: the admin token in `--auth entra`, themes and
//! legibility, keyboard use, the certificate list's paging and search, the request log.

use e2e::{self_signed_ec_policy_json, Browser, Provider::DigiCert, VaultProcess};
use fantoccini::key::Key;
use serde_json::json;

use super::stage::{admin_get, self_signed, Stage, LIVE_OPEN};

/// `--auth entra`: the dashboard answers 401 without the admin token (or with a wrong one);
/// `?token=` sets the cookie, redirects to the bare address, and the page's data requests and
/// event stream work with the cookie alone (which scripts cannot read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_mode_dashboard_needs_the_admin_token() {
    let data_dir = tempfile::Builder::new()
        .prefix("e2e-dashboard-entra-")
        .tempdir()
        .expect("temp data dir");
    let token = format!("browser-admin-{}", std::process::id());
    let vault = VaultProcess::spawn_with_args(
        data_dir.path(),
        &["--auth", "entra", "--admin-token", token.as_str()],
    )
    .await;
    let browser = Browser::start().await;
    let ui = format!("{}/_admin/ui/", vault.base_url());

    for address in [ui.clone(), format!("{ui}?token=wrong-{token}")] {
        browser.goto(&address).await;
        browser.wait_text("body", "?token=").await;
        assert!(
            browser.texts(LIVE_OPEN).await.is_empty(),
            "no dashboard without the token"
        );
        // The page's own 401 only (its icon is one the gate lets through).
        let errors = browser.take_console_errors().await;
        let expected = |e: &String| {
            e.contains("status of 401") && e.contains("/_admin/ui/") && !e.contains("favicon")
        };
        assert!(
            !errors.is_empty() && errors.iter().all(expected),
            "only the 401 is an error: {errors:#?}"
        );
    }

    browser.goto(&format!("{ui}?token={token}")).await;
    browser.wait_for(LIVE_OPEN).await;
    let url = browser
        .client()
        .current_url()
        .await
        .expect("current address");
    assert_eq!(url.path(), "/_admin/ui/", "redirected to the page: {url}");
    assert!(
        url.query().is_none(),
        "the token left the address bar: {url}"
    );
    browser
        .wait_text_is("[data-testid=\"cert-total\"]", "0")
        .await;
    browser.wait_text("#header-clock", "T").await;
    let cookies = browser.js("return document.cookie;", vec![]).await;
    assert!(
        !cookies.as_str().unwrap_or_default().contains(&token),
        "the admin cookie is HttpOnly: {cookies}"
    );
    browser.assert_clean().await;
    browser.close().await;
}

/// Light and dark themes follow the system setting; text stays legible in both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn themes_follow_the_system_setting() {
    let stage = Stage::start().await;
    let browser = &stage.browser;
    self_signed(&stage.raw(), &[("themed", "web")]).await;
    let name = "themed-dc";
    stage.start_partnered(name, &DigiCert.issuer()).await;
    let op = stage.raw().wait_finished(name).await;
    assert_eq!(op["status"], "completed", "{op}");

    let pages = [
        (
            stage.vault_ui("#/certificates"),
            "tr[data-testid=\"cert-row\"]",
        ),
        (
            stage.certificate_page(name),
            "li[data-testid=\"timeline-event\"]",
        ),
        (stage.vault_ui("#/clock"), "#clock-now"),
        (stage.ca_ui("#/orders"), "tr[data-testid=\"order-row\"]"),
        (stage.ca_ui("#/faults"), "form#fault-add"),
    ];
    for scheme in ["light", "dark"] {
        browser.emulate_color_scheme(scheme).await;
        for (url, content) in &pages {
            stage.open(url).await;
            browser.wait_for(content).await;
            let look = browser.legibility().await;
            let background_fits = match scheme {
                "dark" => look.background_luminance < 0.1,
                _ => look.background_luminance > 0.7,
            };
            assert!(background_fits, "{scheme} theme of {url}: {look:?}");
            assert!(look.font_px >= 16.0, "base font of {url}: {look:?}");
            assert!(
                look.low_contrast.is_empty(),
                "{scheme} theme of {url}: text below the contrast minimum: {:#?}",
                look.low_contrast
            );
        }
    }
    // The measure itself finds pale text (grey #999 on white is 2.8:1), then it goes again.
    // (Styled through the CSSOM: the pages' CSP refuses inline style attributes.)
    let probe = "const p = document.createElement('p'); p.id = 'probe'; \
        p.textContent = 'pale probe'; p.style.color = '#999'; p.style.background = '#fff'; \
        document.body.append(p); return true;";
    browser.js(probe, vec![]).await;
    let look = browser.legibility().await;
    assert!(
        look.low_contrast.iter().any(|f| f.contains("pale probe")),
        "the contrast check sees pale text: {look:?}"
    );
    browser
        .js(
            "document.getElementById('probe').remove(); return true;",
            vec![],
        )
        .await;
    stage.finish().await;
}

/// Keyboard use: Tab reaches the navigation's links, the focused link shows a focus ring, and
/// Enter follows it (both dashboards).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_reaches_the_navigation() {
    let stage = Stage::start().await;
    let browser = &stage.browser;
    let pages = [
        (stage.vault_ui("#/certificates"), "#/clock", "#clock-now"),
        (stage.ca_ui("#/orders"), "#/faults", "form#fault-add"),
    ];
    for (url, target, shows) in &pages {
        stage.open(url).await;
        let link = format!("nav a[href=\"{target}\"]");
        let (style, width) = browser.tab_to(&link).await;
        assert!(
            style != "none" && width != "0px",
            "{url}: the focused {link} shows a focus ring (outline {style} {width})"
        );
        browser.press(Key::Enter).await;
        browser.wait_for(shows).await;
        let hash = browser.js("return location.hash;", vec![]).await;
        assert_eq!(hash, json!(target), "{url}: Enter followed {link}");
    }
    stage.finish().await;
}

/// The certificate list shows 50 a page with the total, pages forward and back, and finds one
/// certificate by search; the request log shows the creates, filtered by path and method.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_list_pages_and_searches() {
    const COUNT: usize = 55;
    let stage = Stage::start().await;
    let browser = &stage.browser;
    let raw = stage.raw();
    for i in 0..COUNT {
        let name = format!("svc-{i:03}");
        let policy = self_signed_ec_policy_json(&format!("CN={name}.example.com"));
        raw.start_create(&name, &json!({ "policy": policy })).await;
    }
    e2e::eventually(e2e::DEADLINE, "every certificate to be issued", || async {
        let done = admin_get(
            &stage.vault,
            "/_admin/certificates?status=completed&limit=1",
        )
        .await;
        (done["total"].as_u64() == Some(COUNT as u64)).then_some(())
    })
    .await;

    let row = "tr[data-testid=\"cert-row\"]";
    let named = |name: &str| format!("{row}[data-name=\"{name}\"]");
    stage.open(&stage.vault_ui("#/certificates")).await;
    browser.mark_page("list").await;
    browser
        .wait_text_is("[data-testid=\"cert-total\"]", &COUNT.to_string())
        .await;
    browser.wait_for(&named("svc-049")).await;
    assert_eq!(browser.texts(row).await.len(), 50, "50 a page");
    browser.click("button#page-next").await;
    browser.wait_for(&named("svc-054")).await;
    assert_eq!(browser.texts(row).await.len(), COUNT - 50, "the rest");
    browser.click("button#page-prev").await;
    browser.wait_for(&named("svc-000")).await;

    browser.fill("input#cert-search", "svc-042").await;
    e2e::eventually(e2e::DEADLINE, "the search to leave one row", || async {
        let names = browser.attrs(row, "data-name").await;
        (names == ["svc-042"]).then_some(())
    })
    .await;
    browser.assert_not_reloaded("list").await;

    stage.open(&stage.vault_ui("#/requests")).await;
    browser.wait_for("tr[data-testid=\"request-row\"]").await;
    browser
        .fill("input#req-filter-path", "/certificates/svc-042")
        .await;
    browser.choose("select#req-filter-method", "POST").await;
    e2e::eventually(
        e2e::DEADLINE,
        "only svc-042's create in the log",
        || async {
            let rows = browser.texts("tr[data-testid=\"request-row\"]").await;
            let methods = browser
                .attrs("tr[data-testid=\"request-row\"]", "data-method")
                .await;
            let only = !rows.is_empty()
                && rows.iter().all(|r| r.contains("/certificates/svc-042"))
                && methods.iter().all(|m| m == "POST");
            only.then_some(())
        },
    )
    .await;
    stage.finish().await;
}
