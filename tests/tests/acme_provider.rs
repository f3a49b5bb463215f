//! vault issues through an ACME CA (issue 16): an issuer whose provider is `ACME` in one
//! in-process vault (the client) orders from a second in-process vault's ACME gateway (the CA,
//! RFC 8555, validating for real), all through the Key Vault API of the client:
//! - create → inProgress → completed; the certificate (PEM secret) chains up to the CA
//!   vault's ACME root, its key is the pending operation's, and the CA holds exactly one
//!   valid order for the name;
//! - a name whose http-01 validation fails at the CA (it resolves to an address nothing
//!   listens on) → failed, with the CA's reason in the operation's error;
//! - cancel while the CA's validation is held back (its chaos `validation_delay`) → cancelled,
//!   and the CA's order is invalid (its authorization deactivated).
//!
//! The client answers http-01 through `--acme-client-http01-listen`; the CA vault's
//! `--acme-http01-port` points at it and `--acme-host` maps the test names to loopback.
//! A second pair proves tls-alpn-01 for real: the client runs only
//! `--acme-client-tlsalpn01-listen`, the CA's `--acme-tlsalpn01-port` points at it and its
//! http-01 port at one nothing listens on, so only the tls-alpn-01 answer can validate.

use std::net::{IpAddr, SocketAddr};

use e2e::*;
use reqwest::StatusCode;
use serde_json::Value;

const ISSUER: &str = "acme-ca";

struct Pair {
    ca: TestVault,
    client: TestVault,
}

async fn start_pair() -> Pair {
    let http01 = free_port();
    let ca = TestVault::start_with(move |config| {
        config.acme.http01_port = http01;
        config.acme.hosts = vec![
            ("ok.e2e.test".into(), IpAddr::from([127, 0, 0, 1])),
            ("cancel.e2e.test".into(), IpAddr::from([127, 0, 0, 1])),
            // Nothing listens on 127.0.0.2: validation fails with a connection problem.
            ("unreachable.e2e.test".into(), IpAddr::from([127, 0, 0, 2])),
        ];
    })
    .await;
    let client = client_of(&ca, move |config| {
        config.acme_client_http01_listen = Some(SocketAddr::from(([127, 0, 0, 1], http01)));
    })
    .await;
    Pair { ca, client }
}

/// A vault ordering from `ca`'s ACME directory through the issuer [`ISSUER`]; `responder` sets
/// its challenge responder.
async fn client_of(
    ca: &TestVault,
    responder: impl Fn(&mut vault::Config) + Send + Sync + 'static,
) -> TestVault {
    let directory = url::Url::parse(&format!("{}/acme/directory", ca.base_url())).unwrap();
    let client = acme_client_vault(
        "ACME",
        directory,
        vec![ca.ca_path().to_path_buf()],
        responder,
    )
    .await;
    put_issuer(&client.raw(), ISSUER, &json!({"provider": "ACME"})).await;
    client
}

fn create_body(cn: &str) -> Value {
    pem_create_body(ISSUER, cn)
}

/// The CA vault's ACME orders for `name`.
async fn ca_orders(ca: &TestVault, name: &str) -> Vec<Value> {
    // The admin API takes no api-version, so not through `Raw`.
    let url = format!("{}/_admin/acme/orders?limit=1000", ca.base_url());
    let rsp = ca.http().get(url).send().await.expect("GET orders");
    assert_eq!(rsp.status(), StatusCode::OK);
    let page: Value = rsp.json().await.expect("orders JSON");
    page["orders"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o["identifiers"].to_string().contains(name))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn vault_issues_through_an_acme_ca() {
    let pair = start_pair().await;
    let raw = pair.client.raw();
    assert_eq!(
        raw.get(&format!("/certificates/issuers/{ISSUER}"))
            .await
            .json()["provider"],
        "ACME"
    );

    // Issued: the chain up to the CA vault's ACME root, for the operation's key.
    let cn = "ok.e2e.test";
    let op = raw.start_create("acme-ok", &create_body(cn)).await;
    assert_eq!(op["status"], "inProgress", "{op:#}");
    let csr = decode_b64_std_strict(op["csr"].as_str().expect("the operation's CSR"));
    let (pem, chain) = issued_chain(&raw, "acme-ok").await;
    assert!(chain.len() >= 2, "leaf and CA certificates: {pem}");
    assert_sans_name(&chain[0], cn);
    assert_chain_for_csr(&chain, &csr);
    let root = pair.ca.raw().get("/_admin/acme/root.pem").await;
    let root_der = pem_blocks(&root.text).remove(0).1;
    let top = chain.last().unwrap();
    assert!(
        top == &root_der || verify_cert_signed_by(top, &root_der).is_ok(),
        "the chain ends at the CA vault's ACME root"
    );
    let orders = ca_orders(&pair.ca, cn).await;
    assert_eq!(orders.len(), 1, "exactly one order at the CA: {orders:#?}");
    assert_eq!(orders[0]["status"], "valid");

    // Rejected: the CA cannot validate the name; its reason reaches the operation.
    let op = raw
        .start_create("acme-unreachable", &create_body("unreachable.e2e.test"))
        .await;
    assert_eq!(op["status"], "inProgress", "{op:#}");
    let op = raw.wait_finished("acme-unreachable").await;
    assert_eq!(op["status"], "failed", "{op:#}");
    let message = op["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("invalid"), "{op:#}");
    assert!(
        message.contains("connection"),
        "the CA's problem type: {op:#}"
    );

    // Cancelled while the CA holds the validation back.
    let chaos = pair
        .ca
        .raw()
        .put("/_admin/acme/chaos", &json!({"validation_delay": "10m"}))
        .await;
    assert_eq!(chaos.status, StatusCode::OK, "{}", chaos.text);
    let cn = "cancel.e2e.test";
    raw.start_create("acme-cancel", &create_body(cn)).await;
    // Cancel once the order exists at the CA and vault has reported its state.
    eventually(DEADLINE, "an order at the CA", || async {
        ca_orders(&pair.ca, cn).await.into_iter().next()
    })
    .await;
    cancel_pending_at_ca(&raw, "acme-cancel").await;
    let orders = eventually(DEADLINE, "the CA's order to turn invalid", || async {
        let orders = ca_orders(&pair.ca, cn).await;
        (orders.len() == 1 && orders[0]["status"] == "invalid").then_some(orders)
    })
    .await;
    assert_eq!(orders.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn vault_issues_through_an_acme_ca_by_tls_alpn_01() {
    let tlsalpn01 = free_port();
    // Nothing listens here: an http-01 answer could not validate.
    let http01 = free_port();
    let ca = TestVault::start_with(move |config| {
        config.acme.http01_port = http01;
        config.acme.tlsalpn01_port = tlsalpn01;
        config.acme.hosts = vec![("alpn.e2e.test".into(), IpAddr::from([127, 0, 0, 1]))];
    })
    .await;
    let client = client_of(&ca, move |config| {
        config.acme_client_tlsalpn01_listen = Some(SocketAddr::from(([127, 0, 0, 1], tlsalpn01)));
    })
    .await;
    let raw = client.raw();

    let cn = "alpn.e2e.test";
    let op = raw.start_create("acme-alpn", &create_body(cn)).await;
    assert_eq!(op["status"], "inProgress", "{op:#}");
    let (pem, chain) = issued_chain(&raw, "acme-alpn").await;
    assert!(chain.len() >= 2, "leaf and CA certificates: {pem}");
    assert_sans_name(&chain[0], cn);
    verify_cert_signed_by(&chain[0], &chain[1]).expect("the CA's intermediate signs the leaf");
    let orders = ca_orders(&ca, cn).await;
    assert_eq!(orders.len(), 1, "exactly one order at the CA: {orders:#?}");
    assert_eq!(orders[0]["status"], "valid");
}
