//! vault as the client of an ACME CA (issue 16), as the ACME-provider tests set it up and check
//! it: a free loopback port for a challenge responder, a vault whose ACME provider orders from a
//! directory, the create body asking for a PEM secret, the issued chain read back from that
//! secret, and cancelling an order while the CA holds it pending.

use std::{path::PathBuf, time::Duration};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    crypto::{certificates_in_pem, parse_cert},
    partners::partner_policy,
    raw_http::Raw,
    test_vault::TestVault,
    wait::DEADLINE,
};

/// A free loopback port (bound, then released for a responder or a server to take).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// Starts a vault whose ACME provider `provider` (e.g. `ACME`, `ACME-casim`) orders from
/// `directory`, trusting the PEM files `provider_ca`, polling every 100 ms; `configure` then
/// adds the challenge responder (`acme_client_*_listen`).
pub async fn acme_client_vault(
    provider: &str,
    directory: url::Url,
    provider_ca: Vec<PathBuf>,
    configure: impl Fn(&mut vault::Config) + Send + Sync + 'static,
) -> TestVault {
    let kind: shared::models::ProviderKind = provider.parse().expect("an ACME provider kind");
    TestVault::start_with(move |config| {
        config.provider_endpoints = vec![(kind.clone(), directory.clone())];
        config.provider_ca = provider_ca.clone();
        config.provider_poll_interval = Duration::from_millis(100);
        config.provider_deadline = Duration::from_secs(60);
        config.retry_after = Duration::from_millis(100);
        configure(config);
    })
    .await
}

/// The create body for `cn` through `issuer`: a partnered policy whose secret is PEM, so the
/// issued chain can be read back from the secret.
pub fn pem_create_body(issuer: &str, cn: &str) -> Value {
    let mut policy = partner_policy(issuer, &format!("CN={cn}"), cn);
    policy["secret_props"]["contentType"] = json!("application/x-pem-file");
    json!({ "policy": policy })
}

/// Waits for the create of `name` to finish, asserts it `completed`, and returns its PEM secret
/// and the certificates in it (leaf first).
pub async fn issued_chain(raw: &Raw, name: &str) -> (String, Vec<Vec<u8>>) {
    let op = raw.wait_finished(name).await;
    assert_eq!(op["status"], "completed", "{op:#}");
    let secret = raw.get(&format!("/secrets/{name}")).await;
    assert_eq!(secret.status, StatusCode::OK, "{}", secret.text);
    let pem = secret.json()["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let chain = certificates_in_pem(&pem);
    (pem, chain)
}

/// Asserts that the subject alternative names of the certificate `der` name `cn`.
pub fn assert_sans_name(der: &[u8], cn: &str) {
    let sans = parse_cert(der)
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|s| format!("{:?}", s.value.general_names))
        .unwrap_or_default();
    assert!(sans.contains(cn), "{sans}");
}

/// Once vault reports the CA's order for `name` as pending, requests cancellation and waits
/// for the operation to end `cancelled`.
pub async fn cancel_pending_at_ca(raw: &Raw, name: &str) {
    raw.wait_operation(name, DEADLINE, "vault to report the CA's state", |op| {
        let details = op["status_details"].as_str().unwrap_or_default();
        details.contains("The CA reports the order as 'pending")
    })
    .await;
    let rsp = raw
        .patch(
            &format!("/certificates/{name}/pending"),
            &json!({"cancellation_requested": true}),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let op = raw.wait_finished(name).await;
    assert_eq!(op["status"], "cancelled", "{op:#}");
}
