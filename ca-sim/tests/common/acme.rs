//! ACME through a real client (`instant-acme`, written from RFC 8555 by others): accounts,
//! orders answered to `ready`, and issuance, shared by the test files that order through
//! ca-sim's ACME dialect.

use super::{Sim, DEADLINE};
use ca_sim::config::{AcmeValidation, Config};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, Order, OrderStatus, RetryPolicy,
};
use shared::crypto::{self, PrivateKey};
use std::path::Path;
use std::time::Duration;

/// Config tweak: every challenge validates without a responder.
pub fn always_valid(c: &mut Config) {
    c.acme.validation = AcmeValidation::AlwaysValid;
}

/// A new account at `sim`.
pub async fn account(sim: &Sim) -> (Account, AccountCredentials) {
    account_at(&sim.handle.ca_path, &sim.url).await
}

/// A new account at the ca-sim serving `url`, whose TLS CA is at `ca_path`.
pub async fn account_at(ca_path: &Path, url: &str) -> (Account, AccountCredentials) {
    Account::builder_with_root(ca_path)
        .expect("client trusting ca-sim's TLS CA")
        .create(
            &NewAccount {
                contact: &["mailto:acme@example.com"],
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            format!("{url}/acme/directory"),
            None,
        )
        .await
        .expect("new account")
}

/// The client's polling: every 20 ms up to [`DEADLINE`].
pub fn retry() -> RetryPolicy {
    RetryPolicy::new()
        .initial_delay(Duration::from_millis(20))
        .timeout(DEADLINE)
}

/// A new order for the DNS `names`.
pub async fn new_order(account: &Account, names: &[&str]) -> Order {
    let ids: Vec<Identifier> = names
        .iter()
        .map(|n| Identifier::Dns(n.to_string()))
        .collect();
    account
        .new_order(&NewOrder::new(&ids))
        .await
        .expect("new order")
}

/// A new order for `names`, every authorization answered with `kind`.
pub async fn ready_order(account: &Account, names: &[&str], kind: ChallengeType) -> Order {
    let mut order = new_order(account, names).await;
    let mut authzs = order.authorizations();
    while let Some(a) = authzs.next().await {
        let mut a = a.expect("authorization");
        assert_eq!(a.status, AuthorizationStatus::Pending);
        let mut ch = a.challenge(kind.clone()).expect("challenge offered");
        ch.set_ready().await.expect("challenge answered");
    }
    assert_eq!(
        order.poll_ready(&retry()).await.expect("ready"),
        OrderStatus::Ready
    );
    order
}

/// A CSR (DER) for `names` (first is the CN) and its key.
pub fn csr(names: &[&str]) -> (PrivateKey, Vec<u8>) {
    let (key, pem) = super::csr(names[0], names);
    (key, crypto::pem_blocks(&pem).remove(0).1)
}

/// Orders `names` (http-01), finalizes and waits for the certificate: the order, the CSR's
/// key and the PEM chain.
pub async fn issue(account: &Account, names: &[&str]) -> (Order, PrivateKey, String) {
    let mut order = ready_order(account, names, ChallengeType::Http01).await;
    let (key, der) = csr(names);
    order.finalize_csr(&der).await.expect("finalize");
    let pem = order.poll_certificate(&retry()).await.expect("certificate");
    (order, key, pem)
}

/// The ACME root (`/admin/acme/root.pem`, Pebble's management path).
pub async fn root_pem(sim: &Sim) -> String {
    let r = sim.get("/admin/acme/root.pem").await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}
