//! The gateway's objects over time: a real http-01 validation (the test's own responder, the
//! gateway pointed at it by `--acme-http01-port` and `--acme-host`), a failed one making the
//! challenge, authorization and order `invalid`; expiry by the vault clock (`/_admin/clock`);
//! and an order left `processing` by a crash finished by the next start.

use crate::acme_support;

use acme_support::raw::Raw;
use acme_support::{account, acme_config, csr, loopback, retries, Http01Responder, Server};
use instant_acme::{ChallengeType, Identifier, NewOrder, OrderStatus};
use serde_json::json;
use vault::model::acme::OrderStatus as Stored;
use vault::store::Change;

/// http-01 validated for real: the responder serves the key authorization for one name and
/// the order is issued; for a name it does not serve, the challenge and authorization end
/// `invalid` with the validator's problem and the order `invalid` with it.
#[tokio::test]
async fn real_http01_validation() {
    let http = Http01Responder::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = acme_config(
        Some(&http),
        None,
        None,
        &[
            ("web.example.test", loopback()),
            ("gone.example.test", loopback()),
        ],
    );
    let server = Server::start_with(dir.path(), |c| c.acme = config).await;
    let account = account(&server).await;

    let ids = [Identifier::Dns("web.example.test".into())];
    let mut order = account.new_order(&NewOrder::new(&ids)).await.unwrap();
    {
        let mut authzs = order.authorizations();
        let mut authz = authzs.next().await.unwrap().unwrap();
        let mut challenge = authz.challenge(ChallengeType::Http01).unwrap();
        http.set(&challenge.token, challenge.key_authorization().as_str());
        challenge.set_ready().await.unwrap();
    }
    assert_eq!(
        order.poll_ready(&retries()).await.unwrap(),
        OrderStatus::Ready
    );
    order.finalize().await.unwrap();
    order.poll_certificate(&retries()).await.unwrap();
    assert!(http
        .hosts_seen()
        .iter()
        .any(|h| h.starts_with("web.example.test")));

    // Nothing served for this token: incorrect response (404).
    let ids = [Identifier::Dns("gone.example.test".into())];
    let mut order = account.new_order(&NewOrder::new(&ids)).await.unwrap();
    {
        let mut authzs = order.authorizations();
        let mut authz = authzs.next().await.unwrap().unwrap();
        let mut challenge = authz.challenge(ChallengeType::Http01).unwrap();
        challenge.set_ready().await.unwrap();
    }
    let err = order
        .poll_ready(&retries())
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("urn:ietf:params:acme:error:"), "{err}");
    assert_eq!(order.state().status, OrderStatus::Invalid);
    let error = order.state().error.clone().unwrap();
    assert_ne!(
        error.r#type.as_deref(),
        Some("urn:ietf:params:acme:error:serverInternal")
    );
    server.stop().await;
}

/// Pending orders and authorizations expire by the vault clock: moved 8 days on, the order
/// reads `invalid` and its authorization `expired`.
#[tokio::test]
async fn pending_objects_expire_by_the_vault_clock() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let mut raw = Raw::new(server.http.clone(), &server.base());
    raw.create().await;
    let created = raw.order(&["late.example.test"]).await;
    let order_url = created.location();
    let authz_url = created.text_at("/authorizations/0");

    server.advance_clock(8 * 24 * 3600).await;
    let order = raw.post(&order_url, None).await;
    assert_eq!(order.body["status"], "invalid", "{}", order.text);
    assert!(order.body["error"]["detail"]
        .as_str()
        .unwrap()
        .contains("expired"));
    let authz = raw.post(&authz_url, None).await;
    assert_eq!(authz.body["status"], "expired", "{}", authz.text);
    // An expired authorization's challenge can no longer be answered.
    let challenge = authz.text_at("/challenges/0/url");
    let answer = raw.post(&challenge, Some(&json!({}))).await;
    assert_eq!(answer.problem(), "malformed", "{}", answer.text);
    server.stop().await;
}

/// A crash between finalize's write (`processing`, with the CSR) and the signature: the next
/// start signs the order without any client request, and it reads `valid`.
#[tokio::test]
async fn processing_order_is_finished_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let mut raw = Raw::new(server.http.clone(), &server.base());
    raw.create().await;
    let created = raw.order(&["crash.example.test"]).await;
    let order_url = created.location();
    let authz = raw
        .post(created.body["authorizations"][0].as_str().unwrap(), None)
        .await;
    let challenge = authz.text_at("/challenges/0/url");
    raw.post(&challenge, Some(&json!({}))).await;
    raw.poll_status(&order_url, "ready").await;
    let order_id = order_url.rsplit('/').next().unwrap().to_string();
    let kid = raw.kid.clone().unwrap();
    server.stop().await;

    // What finalize writes before it signs, as a crash would leave it.
    let csr = csr(&["crash.example.test"]);
    {
        let db = vault::vaults::open::open_store(dir.path(), None, dir.path())
            .await
            .unwrap();
        let id = order_id.clone();
        db.run(move |s| {
            let mut order = s.acme_order(&id)?.unwrap();
            assert_eq!(order.status, Stored::Ready);
            order.csr = Some(csr);
            order.set_status(Stored::Processing, order.updated);
            s.apply(vec![Change::PutAcmeOrder(order)])
        })
        .await
        .unwrap();
    }

    let server = Server::start(dir.path()).await;
    let base = server.base();
    let mut raw2 = Raw::new(server.http.clone(), &base);
    raw2.key = raw.key;
    raw2.kid = Some(format!(
        "{base}/acme/acct/{}",
        kid.rsplit('/').next().unwrap()
    ));
    let order_url = format!("{base}/acme/order/{order_id}");
    let done = raw2.poll_status(&order_url, "valid").await;
    assert!(done.body["certificate"].is_string());
    server.stop().await;
}

/// Pre-authorization (`new-authz`): a wildcard is refused; a valid pre-authorization is
/// reused by the account's next order for that name, which is `ready` at once. Deactivating
/// a pending authorization makes its order `invalid`.
#[tokio::test]
async fn pre_authorization_reuse_and_deactivation() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let mut raw = Raw::new(server.http.clone(), &server.base());
    raw.create().await;
    let new_authz = raw.url("new-authz");

    let wildcard = json!({ "identifier": { "type": "dns", "value": "*.pre.example.test" } });
    let refused = raw.post(&new_authz, Some(&wildcard)).await;
    assert_eq!(refused.problem(), "rejectedIdentifier", "{}", refused.text);

    let plain = json!({ "identifier": { "type": "dns", "value": "pre.example.test" } });
    let created = raw.post(&new_authz, Some(&plain)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let authz_url = created.location();
    assert_eq!(created.body["status"], "pending");
    let challenge = created.text_at("/challenges/0/url");
    raw.post(&challenge, Some(&json!({}))).await;
    raw.poll_status(&authz_url, "valid").await;

    let order = raw.order(&["pre.example.test"]).await;
    assert_eq!(order.status, 201, "{}", order.text);
    assert_eq!(order.body["status"], "ready");
    assert_eq!(order.body["authorizations"], json!([authz_url]));

    // A pending authorization deactivated by its account: the order cannot complete.
    let order = raw.order(&["drop.example.test"]).await;
    let order_url = order.location();
    let pending = order.text_at("/authorizations/0");
    let deactivated = raw
        .post(&pending, Some(&json!({ "status": "deactivated" })))
        .await;
    assert_eq!(
        deactivated.body["status"], "deactivated",
        "{}",
        deactivated.text
    );
    let again = raw
        .post(&pending, Some(&json!({ "status": "deactivated" })))
        .await;
    assert_eq!(again.problem(), "malformed", "{}", again.text);
    let order = raw.post(&order_url, None).await;
    assert_eq!(order.body["status"], "invalid", "{}", order.text);
    server.stop().await;
}
