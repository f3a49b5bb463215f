//! The issue's flows seen in the dashboards: a partnered create's live timeline, a fault from
//! ca-sim's switchboard failing the next order, a clock advance firing an AutoRenew, ca-sim's
//! approve and reject buttons.

use e2e::{
    self_signed_ec_policy_json,
    Provider::{DigiCert, GlobalSign, WoSign},
};
use serde_json::json;

use super::stage::{admin_get, event, self_signed, Stage, OP_STATUS, VETTING_ISSUER};

/// A partnered create appears with its timeline, which grows live through `completed`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partnered_timeline_arrives_live() {
    let stage = Stage::start().await;
    let browser = &stage.browser;
    self_signed(
        &stage.raw(),
        &[
            ("web-frontend", "web"),
            ("api-gateway", "platform"),
            ("billing", "payments"),
        ],
    )
    .await;

    let name = "shop-dc";
    let order_id = stage.start_partnered(name, VETTING_ISSUER).await;
    stage.open(&stage.certificate_page(name)).await;
    browser.mark_page("partnered").await;
    browser.wait_text("h1", name).await;
    // ca-sim holds the order until the test approves it: the page shows it in progress...
    browser.wait_text_is(OP_STATUS, "inProgress").await;
    browser.wait_for(&event("created")).await;
    browser.wait_text(&event("submitted"), &order_id).await;
    browser.wait_text(&event("ca_polled"), "pending").await;
    assert!(
        browser.texts(&event("completed")).await.is_empty(),
        "not completed before the CA issued"
    );
    stage
        .admin()
        .post(&format!("orders/{order_id}/approve"), &json!({}))
        .await;
    // ...then the rest arrives through the event stream.
    browser.wait_for(&event("completed")).await;
    browser.wait_text_is(OP_STATUS, "completed").await;
    browser.assert_not_reloaded("partnered").await;
    let op = stage.raw().pending(name).await;
    assert_eq!(op["status"], "completed", "vault's API agrees: {op}");
    // The picture shows the whole page (the timeline is below the operation's cards), once the
    // highlight of fresh events has faded.
    e2e::eventually(e2e::DEADLINE, "fresh events to fade", || async {
        browser.texts("li.fresh").await.is_empty().then_some(())
    })
    .await;
    browser.screenshot_page("vault-timeline").await;
    browser.assert_clean().await;

    // The list shows the four certificates with their status.
    stage.open(&stage.vault_ui("#/certificates")).await;
    browser.wait_count("tr[data-testid=\"cert-row\"]", 4).await;
    browser
        .wait_text(
            &format!(
                "tr[data-testid=\"cert-row\"][data-name=\"{name}\"] [data-testid=\"cert-status\"]"
            ),
            "completed",
        )
        .await;
    browser
        .wait_text_is("[data-testid=\"cert-total\"]", "4")
        .await;
    browser.screenshot("vault-certificates").await;
    stage.finish().await;
}

/// A reject rule added through ca-sim's switchboard form fails the next order; vault's
/// timeline shows the failure with the CA's reason; the rule fired once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switchboard_fault_fails_the_next_order() {
    let stage = Stage::start().await;
    let browser = &stage.browser;
    const RULE: &str = "dc-reject-browser";
    const REASON: &str = "Domain validation failed (browser test)";
    // Rules of other dialects (they never meet this test's DigiCert orders), so the
    // switchboard shows more than one kind of rule.
    for rule in [
        json!({ "name": "gs-throttle", "dialect": "globalsign", "operation": "poll",
                "probability": 0.25, "action": { "kind": "rate_limit", "retry_after": 5 } }),
        json!({ "name": "ws-outage", "dialect": "wosign", "operation": "order", "nth": 3,
                "action": { "kind": "server_error", "status": 503 } }),
    ] {
        stage.admin().post("faults", &rule).await;
    }

    stage.open(&stage.ca_ui("#/faults")).await;
    let form = "form#fault-add";
    for (field, value) in [
        ("name", RULE),
        ("dialect", "digicert"),
        ("operation", "order"),
        ("times", "1"),
        ("action", "reject"),
        ("reason", REASON),
    ] {
        browser.set_field(form, field, value).await;
    }
    browser.click("button#fault-add-btn").await;
    let row = format!("tr[data-testid=\"fault-row\"][data-name=\"{RULE}\"]");
    browser
        .wait_text_is(&format!("{row} [data-testid=\"fault-fired\"]"), "0")
        .await;
    let rules = stage.admin().get("faults").await;
    let rule = rules["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == RULE)
        .unwrap_or_else(|| panic!("the form's rule is in ca-sim's switchboard: {rules}"))
        .clone();
    assert_eq!(rule["dialect"], "digicert", "{rule}");
    assert_eq!(rule["action"]["kind"], "reject", "{rule}");
    assert_eq!(rule["action"]["reason"], REASON, "{rule}");
    browser.assert_clean().await;

    let name = "rejected-dc";
    stage.start_partnered(name, &DigiCert.issuer()).await;
    stage.open(&stage.certificate_page(name)).await;
    browser.mark_page("fault").await;
    browser.wait_text(&event("failed"), REASON).await;
    browser.wait_text_is(OP_STATUS, "failed").await;
    browser.assert_not_reloaded("fault").await;
    let op = stage.raw().pending(name).await;
    assert_eq!(op["status"], "failed", "vault's API agrees: {op}");
    browser.assert_clean().await;

    stage.open(&stage.ca_ui("#/faults")).await;
    browser
        .wait_text_is(&format!("{row} [data-testid=\"fault-fired\"]"), "1")
        .await;
    browser.screenshot("ca-sim-faults").await;
    stage.finish().await;
}

/// Advancing the clock on vault's clock page (one tab) fires an AutoRenew that appears live
/// on the certificate page (another tab).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_advance_fires_autorenew_live() {
    let stage = Stage::start().await;
    let browser = &stage.browser;
    let name = "renew-me";
    let mut policy = self_signed_ec_policy_json("CN=renew-me.example.com");
    policy["lifetime_actions"] = json!([
        { "trigger": { "days_before_expiry": 30 }, "action": { "action_type": "AutoRenew" } }
    ]);
    let op = stage.raw().create_and_wait(name, policy).await;
    assert_eq!(op["status"], "completed", "{op}");

    stage.open(&stage.certificate_page(name)).await;
    browser.mark_page("renewal").await;
    browser.wait_for(&event("completed")).await;
    assert!(
        browser.texts(&event("renewal_started")).await.is_empty(),
        "no renewal before the clock moves"
    );
    let certificate_tab = browser.client().window().await.expect("current tab");

    let clock_tab = browser
        .client()
        .new_window(true)
        .await
        .expect("open a second tab");
    browser
        .client()
        .switch_to_window(clock_tab.handle)
        .await
        .expect("switch to the clock tab");
    stage.open(&stage.vault_ui("#/clock")).await;
    browser.wait_text("#clock-now", "T").await;
    browser.fill("input#clock-advance", "340d").await;
    browser.click("button#clock-advance-btn").await;
    let clock = e2e::eventually(
        e2e::DEADLINE,
        "the clock page to move vault's clock",
        || async {
            let clock = admin_get(&stage.vault, "/_admin/clock").await;
            let offset = clock["offset_seconds"].as_i64().unwrap_or_default();
            (offset >= 340 * 86_400).then_some(clock)
        },
    )
    .await;
    // The page shows the new date (the clock event or the page's own refresh).
    let today = clock["now_iso"].as_str().unwrap_or_default();
    let date = today.split('T').next().unwrap_or_default();
    assert!(!date.is_empty(), "now_iso: {clock}");
    browser.wait_text("#clock-now", date).await;
    browser.wait_for("#header-clock").await;
    browser.assert_clean().await;

    browser
        .client()
        .switch_to_window(certificate_tab)
        .await
        .expect("back to the certificate tab");
    browser.wait_for(&event("renewal_started")).await;
    browser.assert_not_reloaded("renewal").await;
    stage.finish().await;
}

/// ca-sim's approve and reject buttons decide orders that wait for an admin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_sim_buttons_approve_and_reject() {
    let stage = Stage::start().await;
    let browser = &stage.browser;
    // The vetting issuer's orders wait for an admin's decision.
    let mut ids = Vec::new();
    for name in ["approve-me", "reject-me"] {
        ids.push(stage.start_partnered(name, VETTING_ISSUER).await);
    }
    for id in &ids {
        let order = stage.admin().get(&format!("orders/{id}")).await;
        assert_eq!(order["awaiting_validation"], true, "{order:#}");
    }

    // Orders of the other dialects, issued on their own, so the list shows more than one kind.
    for p in [GlobalSign, WoSign] {
        let name = format!("shop-{}", p.short());
        stage
            .raw()
            .start_create(&name, &p.create_body(&p.issuer(), &name))
            .await;
    }

    stage.open(&stage.ca_ui("#/orders")).await;
    browser.mark_page("orders").await;
    let row = |id: &str| format!("tr[data-testid=\"order-row\"][data-id=\"{id}\"]");
    for id in &ids {
        browser.wait_for(&row(id)).await;
    }
    for (id, action, state) in [
        (&ids[0], "approve", "issued"),
        (&ids[1], "reject", "rejected"),
    ] {
        browser
            .click(&format!("{} button[data-action=\"{action}\"]", row(id)))
            .await;
        // A confirmation (e.g. a reason prompt) is answered as a person would.
        if browser.client().get_alert_text().await.is_ok() {
            let _ = browser.client().accept_alert().await;
        }
        let what = format!("ca-sim's order {id} to be {state} after the {action} button");
        e2e::eventually(e2e::DEADLINE, &what, || async {
            let order = stage.admin().get(&format!("orders/{id}")).await;
            (order["status"] == state).then_some(())
        })
        .await;
        browser
            .wait_text(&format!("{} [data-testid=\"order-state\"]", row(id)), state)
            .await;
    }
    browser.assert_not_reloaded("orders").await;
    for name in ["shop-gs", "shop-ws"] {
        let op = stage.raw().wait_finished(name).await;
        assert_eq!(op["status"], "completed", "{name}: {op}");
    }
    e2e::eventually(e2e::DEADLINE, "three issued orders on the page", || async {
        let states = browser
            .texts("tr[data-testid=\"order-row\"] [data-testid=\"order-state\"]")
            .await;
        (states.iter().filter(|s| *s == "issued").count() >= 3).then_some(())
    })
    .await;
    browser.screenshot("ca-sim-orders").await;
    // vault sees both decisions.
    let approved = stage.raw().wait_finished("approve-me").await;
    assert_eq!(approved["status"], "completed", "{approved}");
    let rejected = stage.raw().wait_finished("reject-me").await;
    assert_eq!(rejected["status"], "failed", "{rejected}");
    stage.finish().await;
}
