//! ACME orders fulfilled by a partner CA (issue 15): an in-process ca-sim behind vault's
//! DigiCert issuer, ordered through vault's ACME gateway by a real ACME client (`instant-acme`)
//! with `"profile": "<issuer>"`.
//!
//! - the issuer is a profile in `meta.profiles`; an order under it is finalized `processing`,
//!   becomes `valid`, and its chain is ca-sim's leaf for the order's name up to ca-sim's
//!   DigiCert root; ca-sim holds exactly one order for it;
//! - a CA rejection (ca-sim's admin rejects an order waiting for organization validation)
//!   makes the ACME order `invalid` with an `unauthorized` problem carrying the CA's reason;
//! - a vault restart while the CA holds the order: after the CA approves it, the order
//!   completes once (ca-sim's order list shows exactly one order for the name).
//!
//! Challenges are not what these tests are about: vault runs with `--acme-validation
//! always-valid`.

use std::time::Duration;

use e2e::*;
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, Order, OrderStatus,
};
use serde_json::Value;

/// ca-sim's DigiCert organization that is not validated: its orders wait for an admin.
const UNVALIDATED_ORG: &str = "100002";
const REJECT_REASON: &str = "Domain validation failed for e2e acme (dc)";

/// vault wired to `ca` (partner endpoints, fast polls) with ACME validation skipped.
async fn start_vault(ca: &TestCaSim) -> TestVault {
    let partners = partner_config(ca, Duration::from_secs(10));
    let vault = TestVault::start_with(move |config| {
        partners(config);
        config.acme.validation = vault::config::AcmeValidation::AlwaysValid;
    })
    .await;
    put_partner_issuers(&vault.raw()).await;
    let mut unvalidated = Provider::DigiCert.issuer_body(Provider::DigiCert.secret());
    unvalidated["org_details"]["id"] = json!(UNVALIDATED_ORG);
    put_issuer(&vault.raw(), "dc-unvalidated", &unvalidated).await;
    vault
}

fn directory(vault: &TestVault) -> String {
    format!("{}/acme/directory", vault.base_url())
}

/// A new ACME account at `vault`, and its credentials (to reconnect after a restart).
async fn account(vault: &TestVault) -> (Account, AccountCredentials) {
    Account::builder_with_root(vault.ca_path())
        .expect("client trusting vault's TLS CA")
        .create(
            &NewAccount {
                contact: &[],
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            directory(vault),
            None,
        )
        .await
        .expect("new account")
}

/// Orders `name` under `profile`, validates its authorization (always-valid), waits until
/// it is ready and finalizes it with a fresh P-256 CSR.
async fn order_and_finalize(account: &Account, name: &str, profile: &str) -> Order {
    let identifiers = [Identifier::Dns(name.to_string())];
    let mut order = account
        .new_order(&NewOrder::new(&identifiers).profile(profile))
        .await
        .expect("new order");
    assert_eq!(order.state().profile.as_deref(), Some(profile));
    let mut authorizations = order.authorizations();
    while let Some(authz) = authorizations.next().await {
        let mut authz = authz.expect("authorization");
        if authz.status == AuthorizationStatus::Valid {
            continue;
        }
        authz
            .challenge(ChallengeType::Http01)
            .expect("an http-01 challenge")
            .set_ready()
            .await
            .expect("challenge ready");
    }
    let ready = poll(&mut order, "the order to be ready", |s| {
        s.status != OrderStatus::Pending
    })
    .await;
    assert_eq!(ready.status, OrderStatus::Ready, "{ready:?}");
    let key = rcgen::KeyPair::generate().expect("P-256 key");
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).expect("CSR params");
    // No subject: the name is in the SAN (rcgen's default CN is not the order's name).
    params.distinguished_name = rcgen::DistinguishedName::new();
    let csr = params.serialize_request(&key).expect("CSR");
    order.finalize_csr(csr.der()).await.expect("finalize");
    order
}

/// What the tests read of an order's state.
#[derive(Debug)]
struct Snapshot {
    status: OrderStatus,
    error: Option<instant_acme::Problem>,
    certificate: Option<String>,
}

/// Refreshes `order` until `done` holds (at most [`DEADLINE`], short pauses in between).
async fn poll(order: &mut Order, what: &str, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        let state = order.refresh().await.expect("order");
        let snapshot = Snapshot {
            status: state.status,
            error: state.error.clone(),
            certificate: state.certificate.clone(),
        };
        if done(&snapshot) {
            return snapshot;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}: {snapshot:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `order` until it leaves `processing`.
async fn settled(order: &mut Order) -> Snapshot {
    poll(order, "the order to leave processing", |s| {
        s.status != OrderStatus::Processing
    })
    .await
}

/// The certificate chain of a valid order, as DER, leaf first.
async fn chain(order: &mut Order) -> Vec<Vec<u8>> {
    let pem = order
        .certificate()
        .await
        .expect("download")
        .expect("a certificate");
    pem_blocks(&pem).into_iter().map(|(_, der)| der).collect()
}

/// ca-sim's DigiCert root (DER).
async fn digicert_root(ca: &TestCaSim) -> Vec<u8> {
    let roots = ca.admin().get("roots").await;
    let pem = roots["digicert"]["root"]["pem"]
        .as_str()
        .expect("digicert root PEM");
    pem_blocks(pem)
        .into_iter()
        .map(|(_, der)| der)
        .next()
        .expect("one certificate")
}

/// The one order ca-sim holds for `cn` (panics unless exactly one).
/// Waits until ca-sim holds the order for `cn` for its admin (awaiting validation); that order.
async fn held_order(ca: &TestCaSim, cn: &str) -> Value {
    eventually(DEADLINE, "ca-sim to hold the order", || async {
        let orders = ca.admin().orders_for(cn).await;
        orders
            .into_iter()
            .find(|o| o["awaiting_validation"] == true)
    })
    .await
}

async fn single_ca_order(ca: &TestCaSim, cn: &str) -> Value {
    let orders = ca.admin().orders_for(cn).await;
    assert_eq!(orders.len(), 1, "ca-sim orders for {cn}: {orders:#?}");
    orders.into_iter().next().expect("one order")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_profile_issues_through_the_ca() {
    let ca = TestCaSim::start_with(|c| set_profile(c, "instant")).await;
    let vault = start_vault(&ca).await;
    let issuer = Provider::DigiCert.issuer();

    // The issuer is offered as a profile (with the built-ins), and only partner issuers are.
    let dir = vault
        .http()
        .get(directory(&vault))
        .send()
        .await
        .expect("directory")
        .json::<Value>()
        .await
        .expect("directory JSON");
    let profiles = dir["meta"]["profiles"].as_object().expect("meta.profiles");
    for name in [
        "local",
        "shortlived",
        issuer.as_str(),
        "gs-issuer",
        "ws-issuer",
    ] {
        assert!(profiles.contains_key(name), "{name} in {profiles:#?}");
    }
    assert!(
        profiles[&issuer]
            .as_str()
            .unwrap_or("")
            .contains("DigiCert"),
        "the description names the provider: {profiles:#?}"
    );

    let (account, _) = account(&vault).await;
    let name = "acme-partner-dc.example.com";
    let mut order = order_and_finalize(&account, name, &issuer).await;
    assert_eq!(
        order.state().status,
        OrderStatus::Processing,
        "a partner finalize answers processing"
    );
    let state = settled(&mut order).await;
    assert_eq!(state.status, OrderStatus::Valid, "{state:#?}");
    let chain = chain(&mut order).await;

    let leaf = parse_cert(&chain[0]);
    let sans: Vec<String> = leaf
        .subject_alternative_name()
        .expect("SAN extension")
        .expect("SANs")
        .value
        .general_names
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert!(
        sans.iter().any(|s| s.contains(name)),
        "the leaf is for {name}: {sans:?}"
    );
    assert_eq!(
        chain.last(),
        Some(&digicert_root(&ca).await),
        "the chain ends in ca-sim's DigiCert root"
    );
    for pair in chain.windows(2) {
        verify_cert_signed_by(&pair[0], &pair[1]).expect("the chain links by signature");
    }
    let ca_order = single_ca_order(&ca, name).await;
    assert_eq!(ca_order["dialect"], "digicert", "{ca_order:#}");

    // The admin list shows it settled, under its profile.
    let listed = vault
        .http()
        .get(format!("{}/_admin/acme/orders", vault.base_url()))
        .send()
        .await
        .expect("admin orders")
        .json::<Value>()
        .await
        .expect("admin orders JSON");
    let entry = listed["orders"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["url"] == order.url()))
        .cloned()
        .unwrap_or_else(|| panic!("the order in {listed:#}"));
    assert_eq!(entry["status"], "valid", "{entry:#}");
    assert_eq!(entry["profile"], issuer.as_str(), "{entry:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_rejection_makes_the_order_invalid_with_the_cas_reason() {
    let ca = TestCaSim::start_with(|c| set_profile(c, "instant")).await;
    let vault = start_vault(&ca).await;
    let (account, _) = account(&vault).await;
    let name = "acme-reject-dc.example.com";
    let mut order = order_and_finalize(&account, name, "dc-unvalidated").await;

    // The organization is not validated, so the CA holds the order for its admin, who
    // rejects it.
    let ca_order = held_order(&ca, name).await;
    let id = ca_order["id"].as_str().expect("ca-sim order id");
    ca.admin()
        .post(
            &format!("orders/{id}/reject"),
            &json!({ "reason": REJECT_REASON }),
        )
        .await;

    let state = settled(&mut order).await;
    assert_eq!(state.status, OrderStatus::Invalid, "{state:#?}");
    let error = state.error.expect("the order's error");
    assert_eq!(
        error.r#type.as_deref(),
        Some("urn:ietf:params:acme:error:unauthorized"),
        "{error:?}"
    );
    let detail = error.detail.unwrap_or_default();
    assert!(
        detail.contains("dc-unvalidated") && detail.contains(REJECT_REASON),
        "the CA's reason in the error: {detail}"
    );
    assert!(
        state.certificate.is_none(),
        "no certificate for a rejected order"
    );
    single_ca_order(&ca, name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_while_the_ca_holds_the_order_completes_it_once() {
    let ca = TestCaSim::start_with(|c| set_profile(c, "instant")).await;
    let vault = start_vault(&ca).await;
    let (account, credentials) = account(&vault).await;
    let name = "acme-restart-dc.example.com";
    let order = order_and_finalize(&account, name, "dc-unvalidated").await;
    let order_url = order.url().to_string();
    drop((order, account));

    let ca_order = held_order(&ca, name).await;

    // vault goes away and comes back while the CA holds the order.
    let vault = vault.restart().await;
    let id = ca_order["id"].as_str().expect("ca-sim order id");
    ca.admin()
        .post(&format!("orders/{id}/approve"), &json!({}))
        .await;

    let account = Account::builder_with_root(vault.ca_path())
        .expect("client")
        .from_credentials(credentials)
        .await
        .expect("the account after the restart");
    let mut order = account.order(order_url).await.expect("the order");
    let state = settled(&mut order).await;
    assert_eq!(state.status, OrderStatus::Valid, "{state:#?}");
    let chain = chain(&mut order).await;
    assert_eq!(chain.last(), Some(&digicert_root(&ca).await));
    let ca_order = single_ca_order(&ca, name).await;
    assert_eq!(ca_order["id"], id, "the same CA order, not a second one");
}
