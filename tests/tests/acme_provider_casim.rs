//! vault issues through ca-sim's ACME dialect (issue 16), the other half of the loop: an
//! issuer whose provider is `ACME-casim` in an in-process vault, ca-sim validating http-01 for
//! real (`*.localhost` → loopback, its `http01_port` = vault's responder), all through the Key
//! Vault API:
//! - create → completed; the chain (PEM secret) ends at ca-sim's ACME root, for the
//!   operation's key, and ca-sim holds exactly one valid ACME order for the name;
//! - a profile whose orders wait for an admin (`stuck`, chosen by the issuer's
//!   `org_details.id`), rejected there → failed with ca-sim's reason;
//! - cancel while ca-sim fails every challenge answer (a fault rule) → cancelled, and ca-sim's
//!   order is invalid (its authorization deactivated).

use std::net::SocketAddr;

use e2e::*;
use reqwest::StatusCode;
use serde_json::Value;

const REASON: &str = "Organization validation failed (e2e acme casim)";

/// ca-sim's ACME orders naming `cn`.
async fn acme_orders(ca: &TestCaSim, cn: &str) -> Vec<Value> {
    ca.admin().get("acme/orders").await["orders"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o["identifiers"].to_string().contains(cn))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn vault_issues_through_ca_sim_acme() {
    let http01 = free_port();
    let ca = TestCaSim::start_with(move |config| {
        config.acme.validation = ca_sim::config::AcmeValidation::Real;
        config.acme.http01_port = http01;
        config.acme.profiles.insert("manual".into(), "stuck".into());
    })
    .await;
    let root = ca
        .admin()
        .send(reqwest::Method::GET, "acme/root.pem", None)
        .await;
    assert_eq!(root.status, StatusCode::OK, "{}", root.text);
    let dir = tempfile::tempdir().expect("temp dir");
    let root_path = dir.path().join("casim-acme-root.pem");
    std::fs::write(&root_path, &root.text).expect("write the ACME root");
    let directory = url::Url::parse(&format!("{}/acme/directory", ca.url())).unwrap();
    let provider_ca = vec![ca.ca_path().to_path_buf(), root_path];
    let vault = acme_client_vault("ACME-casim", directory, provider_ca, move |config| {
        config.acme_client_http01_listen = Some(SocketAddr::from(([127, 0, 0, 1], http01)));
    })
    .await;
    let raw = vault.raw();
    put_issuer(&raw, "casim", &json!({"provider": "ACME-casim"})).await;
    put_issuer(
        &raw,
        "casim-manual",
        &json!({"provider": "ACME-casim", "org_details": {"id": "manual"}}),
    )
    .await;

    // Issued.
    let cn = "ok.localhost";
    let op = raw
        .start_create("casim-ok", &pem_create_body("casim", cn))
        .await;
    let csr = decode_b64_std_strict(op["csr"].as_str().expect("the operation's CSR"));
    let (pem, chain) = issued_chain(&raw, "casim-ok").await;
    assert!(chain.len() >= 3, "leaf, intermediate and root: {pem}");
    assert_chain_for_csr(&chain, &csr);
    let root_der = pem_blocks(&root.text).remove(0).1;
    assert_eq!(
        chain.last(),
        Some(&root_der),
        "the chain ends at ca-sim's ACME root"
    );
    let orders = acme_orders(&ca, cn).await;
    assert_eq!(orders.len(), 1, "exactly one ACME order: {orders:#?}");
    assert_eq!(orders[0]["status"], "valid");

    // Rejected by ca-sim's admin while the order waits for approval.
    let cn = "reject.localhost";
    raw.start_create("casim-reject", &pem_create_body("casim-manual", cn))
        .await;
    let order = eventually(DEADLINE, "ca-sim's order to wait for approval", || async {
        acme_orders(&ca, cn)
            .await
            .into_iter()
            .find(|o| o["status"] == "processing")
    })
    .await;
    let id = order["id"].as_str().expect("order id").to_string();
    ca.admin()
        .post(&format!("orders/{id}/reject"), &json!({"reason": REASON}))
        .await;
    let op = raw.wait_finished("casim-reject").await;
    assert_eq!(op["status"], "failed", "{op:#}");
    let message = op["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(REASON), "ca-sim's reason: {op:#}");

    // Cancelled while every challenge answer fails at ca-sim.
    ca.admin()
        .set_faults(&json!([{
            "name": "challenges-fail",
            "dialect": "acme",
            "operation": "challenge",
            "action": {"kind": "vendor_error", "code": "serverInternal"}
        }]))
        .await;
    let cn = "cancel.localhost";
    raw.start_create("casim-cancel", &pem_create_body("casim", cn))
        .await;
    eventually(DEADLINE, "an ACME order at ca-sim", || async {
        acme_orders(&ca, cn).await.into_iter().next()
    })
    .await;
    cancel_pending_at_ca(&raw, "casim-cancel").await;
    let orders = acme_orders(&ca, cn).await;
    assert_eq!(orders.len(), 1, "{orders:#?}");
    assert_eq!(orders[0]["status"], "invalid", "{orders:#?}");
    ca.admin().set_faults(&json!([])).await;
}
