//! ca-sim's ACME dialect with a real ACME client (`instant-acme`, written from RFC 8555 by
//! others): the happy path with the chain checked to `/admin/acme/root.pem`, real http-01,
//! manual approval and rejection through the order book, fault rules before and after the act,
//! revocation and persistence across a restart.

use crate::common;

use ca_sim::config::Config;
use common::acme::*;
use common::{ders, tempdir, verify_chain, Sim, DEADLINE};
use instant_acme::{
    Account, ChallengeType, Identifier, NewAccount, NewOrder, Order, OrderStatus, RevocationRequest,
};
use serde_json::json;
use shared::crypto::{self, PrivateKey};
use std::time::Duration;

/// Refreshes `order` until it leaves `processing` (deadline [`DEADLINE`]).
/// Returns the status and the problem's detail.
async fn settled(order: &mut Order) -> (OrderStatus, Option<String>) {
    let start = std::time::Instant::now();
    loop {
        let s = order.refresh().await.expect("order");
        if s.status != OrderStatus::Processing {
            return (s.status, s.error.as_ref().and_then(|e| e.detail.clone()));
        }
        assert!(start.elapsed() < DEADLINE, "the order stays processing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn order_id(order: &Order) -> String {
    order.url().rsplit('/').next().unwrap().to_string()
}

#[tokio::test]
async fn issues_revokes_and_reports_status() {
    let sim = Sim::start(always_valid).await;
    let (account, _) = account(&sim).await;
    let names = ["happy.example.com", "www.happy.example.com"];
    let (_, key, pem) = issue(&account, &names).await;
    let chain = ders(&pem);
    assert!(chain.len() >= 2, "leaf and intermediate: {pem}");
    verify_chain(
        &chain[0],
        &chain[1..],
        &root_pem(&sim).await,
        &key,
        names[1],
    );

    // Pebble's management endpoints: the root by index, the cert status by serial.
    let root0 = sim.get_text("/admin/acme/roots/0").await;
    assert_eq!(root0, root_pem(&sim).await);
    assert_eq!(cert_status(&sim, &chain[0]).await["Status"], "Valid");

    account
        .revoke(&RevocationRequest {
            certificate: &rustls::pki_types::CertificateDer::from(chain[0].clone()),
            reason: Some(instant_acme::RevocationReason::KeyCompromise),
        })
        .await
        .expect("revoke");
    let status = cert_status(&sim, &chain[0]).await;
    assert_eq!(status["Status"], "Revoked");
    assert_eq!(status["Reason"], "keyCompromise");
    // The admin views list the account and its valid order.
    let orders = sim.admin_get("acme/orders").await;
    assert_eq!(orders["orders"][0]["status"], "valid");
    sim.stop().await;
}

/// What Pebble's `cert-status-by-serial` says of the certificate `der`.
async fn cert_status(sim: &Sim, der: &[u8]) -> serde_json::Value {
    use x509_parser::prelude::*;
    let (_, cert) = X509Certificate::from_der(der).unwrap();
    let serial = hex::encode(cert.raw_serial());
    sim.admin_get(&format!("acme/cert-status-by-serial/{serial}"))
        .await
}

/// A new order for `name` whose `kind` challenge is answered and refused: the order and the
/// refusal.
async fn refused_order(account: &Account, name: &str, kind: ChallengeType) -> (Order, String) {
    let mut order = new_order(account, &[name]).await;
    let mut authzs = order.authorizations();
    let mut a = authzs.next().await.unwrap().unwrap();
    let refused = a
        .challenge(kind)
        .unwrap()
        .set_ready()
        .await
        .expect_err("the answer is refused");
    (order, refused.to_string())
}

/// Real http-01: ca-sim fetches `/.well-known/acme-challenge/{token}` from a responder on
/// loopback (a `.localhost` name) and checks the key authorization.
#[tokio::test]
async fn real_http01_validation() {
    let (port, answer) = http01_responder().await;
    let sim = Sim::start(|c| c.acme.http01_port = port).await;
    let (account, _) = account(&sim).await;
    let name = "web.localhost";
    let mut order = new_order(&account, &[name]).await;
    {
        let mut authzs = order.authorizations();
        let mut a = authzs.next().await.unwrap().unwrap();
        let mut ch = a.challenge(ChallengeType::Http01).unwrap();
        *answer.lock().unwrap() = ch.key_authorization().as_str().to_string();
        ch.set_ready().await.unwrap();
    }
    assert_eq!(
        order.poll_ready(&retry()).await.unwrap(),
        OrderStatus::Ready
    );

    // A wrong answer fails the authorization and the order, with the CA's reason.
    *answer.lock().unwrap() = "not-the-key-authorization".into();
    // The challenge comes back `invalid` with its error, which the client reports.
    let (mut bad, refused) = refused_order(&account, "bad.localhost", ChallengeType::Http01).await;
    assert!(refused.contains("incorrectResponse"), "{refused}");
    let state = bad.refresh().await.unwrap();
    assert_eq!(state.status, OrderStatus::Invalid);
    let error = state.error.clone().expect("the order says why");
    assert!(
        error
            .r#type
            .as_deref()
            .unwrap_or("")
            .ends_with("incorrectResponse"),
        "{error:?}"
    );
    sim.stop().await;
}

/// `stuck` timing: the finalized order sits in `processing` until an admin approves it; a
/// rejected one turns `invalid` with the admin's reason.
#[tokio::test]
async fn manual_approval_and_rejection() {
    let sim = Sim::start(|c| {
        always_valid(c);
        c.acme.timing = "stuck".into();
    })
    .await;
    let (account, _) = account(&sim).await;
    for (name, action) in [
        ("approve.example.com", "approve"),
        ("reject.example.com", "reject"),
    ] {
        let mut order = ready_order(&account, &[name], ChallengeType::Dns01).await;
        order.finalize_csr(&csr(&[name]).1).await.expect("finalize");
        assert_eq!(
            order.refresh().await.unwrap().status,
            OrderStatus::Processing
        );
        let id = order_id(&order);
        let r = sim
            .admin_send(
                reqwest::Method::POST,
                &format!("orders/{id}/{action}"),
                json!({"reason": "Domain failed manual review"}),
            )
            .await;
        assert!(r.status().is_success(), "{action}: {}", r.status());
        let (status, detail) = settled(&mut order).await;
        if action == "approve" {
            assert_eq!(status, OrderStatus::Valid);
            assert!(order.certificate().await.unwrap().is_some());
        } else {
            assert_eq!(status, OrderStatus::Invalid);
            let detail = detail.unwrap_or_default();
            assert!(detail.contains("manual review"), "{detail}");
        }
    }
    sim.stop().await;
}

/// Fault rules on ACME endpoints: a `before` 503 on newOrder creates nothing; an `after` 500
/// on finalize loses only the answer (the order is processed and valid on the next read); a
/// reject rule on finalize ends the order `invalid`.
#[tokio::test]
async fn fault_rules_before_and_after() {
    let sim = Sim::start(always_valid).await;
    let (account, _) = account(&sim).await;
    sim.set_faults(json!([
        {"name": "no-orders", "dialect": "acme", "operation": "newOrder", "nth": 1,
         "action": {"kind": "server_error", "status": 503}},
        {"name": "lost-finalize", "dialect": "acme", "operation": "finalize", "nth": 1,
         "phase": "after", "action": {"kind": "server_error"}},
        {"name": "refused", "dialect": "acme", "operation": "finalize",
         "common_name": "refused.*", "action": {"kind": "reject", "reason": "policy says no"}},
    ]))
    .await;
    let ids = [Identifier::Dns("faulty.example.com".into())];
    let err = account.new_order(&NewOrder::new(&ids)).await;
    assert!(err.is_err(), "the first newOrder fails");
    let listed = sim.admin_get("acme/orders").await;
    assert_eq!(
        listed["orders"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );

    let mut order = ready_order(&account, &["faulty.example.com"], ChallengeType::Http01).await;
    assert!(
        order
            .finalize_csr(&csr(&["faulty.example.com"]).1)
            .await
            .is_err(),
        "the finalize answer is lost"
    );
    let state = order.refresh().await.unwrap();
    assert_eq!(
        state.status,
        OrderStatus::Valid,
        "it was finalized all the same"
    );

    let mut refused = ready_order(&account, &["refused.example.com"], ChallengeType::Http01).await;
    refused
        .finalize_csr(&csr(&["refused.example.com"]).1)
        .await
        .expect("finalize answered");
    let state = refused.refresh().await.unwrap();
    assert_eq!(state.status, OrderStatus::Invalid);
    let history = sim.history("acme", "finalize").await;
    assert!(
        history.iter().any(|e| e["fault_phase"] == "after"),
        "{history:?}"
    );
    sim.stop().await;
}

/// Accounts, orders and certificates survive a restart in the same data dir (on the same
/// port: ACME objects are named by their URLs).
#[tokio::test]
async fn persists_across_restart() {
    let (_dir, path) = tempdir();
    let config = || {
        let mut config = Config::new(&path);
        always_valid(&mut config);
        config
    };
    let sim = Sim::start_config(config()).await;
    let port = sim.handle.addr.port();
    let (account, credentials) = account(&sim).await;
    let (order, _, pem) = issue(&account, &["kept.example.com"]).await;
    let url = order.url().to_string();
    sim.stop().await;

    let sim = Sim::start_config_at(config(), port).await;
    let account = Account::builder_with_root(&sim.handle.ca_path)
        .unwrap()
        .from_credentials(credentials)
        .await
        .expect("the account is known after the restart");
    let mut order = account.order(url).await.expect("the order is known");
    assert_eq!(order.state().status, OrderStatus::Valid);
    assert_eq!(
        order.certificate().await.unwrap().as_deref(),
        Some(pem.as_str())
    );
    sim.stop().await;
}

/// EAB required: an account without a binding is refused with `externalAccountRequired`, one
/// bound with a configured key is created. A profile names its timing; an unknown one is
/// `invalidProfile`. ARI answers for an issued certificate. A `badNonce` fault is retried by
/// the client.
#[tokio::test]
async fn eab_profiles_ari_and_bad_nonce() {
    use base64::Engine;
    let hmac = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([7u8; 32]);
    let sim = Sim::start(|c| {
        always_valid(c);
        c.acme.eab_required = true;
        c.acme.eab_keys.insert("kid-1".into(), hmac);
        c.acme
            .profiles
            .insert("shortlived".into(), "instant".into());
    })
    .await;
    let directory = format!("{}/acme/directory", sim.url);
    let new = NewAccount {
        contact: &[],
        terms_of_service_agreed: true,
        only_return_existing: false,
    };
    let refused = Account::builder_with_root(&sim.handle.ca_path)
        .unwrap()
        .create(&new, directory.clone(), None)
        .await
        .err()
        .expect("no binding, no account");
    assert!(
        refused.to_string().contains("externalAccountRequired"),
        "{refused}"
    );
    let eab = instant_acme::ExternalAccountKey::new("kid-1".into(), &[7u8; 32]);
    let (account, _) = Account::builder_with_root(&sim.handle.ca_path)
        .unwrap()
        .create(&new, directory, Some(&eab))
        .await
        .expect("bound account");
    let listed = sim.admin_get("acme/accounts").await;
    assert_eq!(listed["accounts"][0]["eab_kid"], "kid-1");

    let ids = [Identifier::Dns("profiled.example.com".into())];
    let bad = account
        .new_order(&NewOrder::new(&ids).profile("nope"))
        .await
        .err()
        .expect("unknown profile");
    assert!(bad.to_string().contains("invalidProfile"), "{bad}");

    // The client retries a badNonce by itself; the history shows the injected one.
    sim.set_faults(
        json!([{"name": "stale", "dialect": "acme", "operation": "newOrder",
        "nth": 1, "action": {"kind": "vendor_error", "code": "badNonce"}}]),
    )
    .await;
    let mut order = account
        .new_order(&NewOrder::new(&ids).profile("shortlived"))
        .await
        .expect("new order after a badNonce retry");
    assert_eq!(order.state().profile.as_deref(), Some("shortlived"));
    let history = sim.history("acme", "newOrder").await;
    assert!(
        history.iter().any(|e| e["code"] == "badNonce"),
        "{history:?}"
    );
    {
        let mut authzs = order.authorizations();
        let mut a = authzs.next().await.unwrap().unwrap();
        a.challenge(ChallengeType::Http01)
            .unwrap()
            .set_ready()
            .await
            .unwrap();
    }
    order.poll_ready(&retry()).await.unwrap();
    order
        .finalize_csr(&csr(&["profiled.example.com"]).1)
        .await
        .unwrap();
    let pem = order.poll_certificate(&retry()).await.unwrap();
    // ARI (RFC 9773 §4.1): the certID is base64url(AKI keyIdentifier) "." base64url(serial).
    let leaf = ders(&pem).remove(0);
    let cert_id = {
        use x509_parser::prelude::*;
        let (_, cert) = X509Certificate::from_der(&leaf).unwrap();
        let aki = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.clone(),
                _ => None,
            })
            .expect("AKI");
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}", b64.encode(aki.0), b64.encode(cert.raw_serial()))
    };
    let r = sim.get(&format!("/acme/renewal-info/{cert_id}")).await;
    assert_eq!(r.status(), 200);
    let info: serde_json::Value = r.json().await.unwrap();
    let parse = |k: &str| {
        time::OffsetDateTime::parse(
            info["suggestedWindow"][k].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert!(parse("start") < parse("end"));

    // Unknown ACME paths answer with a problem document.
    let r = sim.get("/acme/nothing-here").await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    sim.stop().await;
}

/// Real tls-alpn-01 (RFC 8737): ca-sim handshakes with `acme-tls/1` on the configured port
/// and checks the certificate's name and acmeIdentifier; a certificate for another key
/// authorization is refused.
#[tokio::test]
async fn real_tlsalpn01_validation() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sim = Sim::start(|c| c.acme.tlsalpn01_port = port).await;
    let (account, _) = account(&sim).await;
    let name = "alpn.localhost";
    let mut order = new_order(&account, &[name]).await;
    let mut authzs = order.authorizations();
    let mut a = authzs.next().await.unwrap().unwrap();
    let mut ch = a.challenge(ChallengeType::TlsAlpn01).unwrap();
    let digest = ch.key_authorization().digest().as_ref().to_vec();

    tlsalpn01_responder(listener, name, &digest);

    ch.set_ready()
        .await
        .expect("the tls-alpn-01 certificate is accepted");
    assert_eq!(
        order.poll_ready(&retry()).await.unwrap(),
        OrderStatus::Ready
    );

    // Another order's challenge (another token) meets the same certificate: refused.
    let (_, refused) = refused_order(&account, name, ChallengeType::TlsAlpn01).await;
    assert!(refused.contains("incorrectResponse"), "{refused}");
    sim.stop().await;
}

/// `authz_reuse = 1`: a second order for a validated name reuses the valid authorization and
/// is `ready` at once; with the default 0 it gets a new, pending one.
#[tokio::test]
async fn authz_reuse() {
    for (share, reused) in [(1.0, true), (0.0, false)] {
        let sim = Sim::start(|c| {
            always_valid(c);
            c.acme.authz_reuse = share;
        })
        .await;
        let (account, _) = account(&sim).await;
        let first = ready_order(&account, &["reuse.example.com"], ChallengeType::Http01).await;
        let mut second = new_order(&account, &["reuse.example.com"]).await;
        let status = second.state().status;
        let same = second.state().authorizations[0].url == first_authz(first).await;
        assert_eq!(
            status == OrderStatus::Ready,
            reused,
            "share {share}: {status:?}"
        );
        assert_eq!(same, reused, "share {share}");
        sim.stop().await;
    }
}

/// `validation_delay` (Pebble's random validation sleep, off by default): the challenge
/// answer says `processing` (read back from the request history), and the order becomes
/// `ready` once the seeded wait is over.
#[tokio::test]
async fn validation_delay_answers_processing_then_validates() {
    let sim = Sim::start(|c| {
        always_valid(c);
        c.acme.validation_delay = shared::duration::Dur(Duration::from_millis(1500));
    })
    .await;
    let (account, _) = account(&sim).await;
    let mut order = new_order(&account, &["slow.example.com"]).await;
    let mut authzs = order.authorizations();
    while let Some(a) = authzs.next().await {
        let mut a = a.unwrap();
        let mut ch = a.challenge(ChallengeType::Http01).unwrap();
        ch.set_ready().await.unwrap();
    }
    let answers = sim.history("acme", "challenge").await;
    let seq = answers.last().expect("a challenge request")["seq"].clone();
    let entry = sim.admin_get(&format!("requests/{seq}")).await;
    let body: serde_json::Value =
        serde_json::from_str(entry["exchange"]["response_body"].as_str().unwrap()).unwrap();
    assert_eq!(body["status"], "processing", "{body}");
    assert_eq!(
        order.poll_ready(&retry()).await.expect("ready"),
        OrderStatus::Ready
    );
    sim.stop().await;
}

async fn first_authz(mut order: Order) -> String {
    order.refresh().await.unwrap().authorizations[0].url.clone()
}

/// Key rollover (RFC 8555 §7.3.5): after `update_key` the account orders with its new key,
/// and the new credentials find the same account.
#[tokio::test]
async fn key_change() {
    let sim = Sim::start(always_valid).await;
    let (mut account, _) = account(&sim).await;
    let id = account.id().to_string();
    let credentials = account.update_key().await.expect("key change");
    ready_order(&account, &["rolled.example.com"], ChallengeType::Http01).await;
    let again = Account::builder_with_root(&sim.handle.ca_path)
        .unwrap()
        .from_credentials(credentials)
        .await
        .unwrap();
    assert_eq!(again.id(), id);
    let listed = sim.admin_get("acme/accounts").await;
    assert_eq!(listed["accounts"].as_array().unwrap().len(), 1);
    sim.stop().await;
}

/// Real dns-01: ca-sim asks the configured DNS server for `_acme-challenge.{name}` TXT; a
/// small UDP server here answers with the digest instant-acme computes.
#[tokio::test]
async fn real_dns01_validation() {
    let (server, record) = dns01_responder().await;
    let sim = Sim::start(|c| c.acme.dns_resolver = Some(server)).await;
    let (account, _) = account(&sim).await;
    let mut order = new_order(&account, &["*.dns.example.com"]).await;
    {
        let mut authzs = order.authorizations();
        let mut a = authzs.next().await.unwrap().unwrap();
        let mut ch = a.challenge(ChallengeType::Dns01).unwrap();
        *record.lock().unwrap() = ch.key_authorization().dns_value();
        ch.set_ready().await.expect("the TXT record is accepted");
    }
    assert_eq!(
        order.poll_ready(&retry()).await.unwrap(),
        OrderStatus::Ready
    );

    // A stale TXT record is refused.
    *record.lock().unwrap() = "stale".into();
    let (_, refused) = refused_order(&account, "other.dns.example.com", ChallengeType::Dns01).await;
    assert!(refused.contains("unauthorized"), "{refused}");
    sim.stop().await;
}

/// Revocation signed with the certificate's own key (`jwk`, RFC 8555 §7.6), by a raw JWS:
/// accepted; another key is `unauthorized`.
#[tokio::test]
async fn revoke_with_the_certificate_key() {
    use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let sim = Sim::start(always_valid).await;
    let (account, _) = account(&sim).await;
    let names = ["bykey.example.com"];
    let (_, key, pem) = issue(&account, &names).await;
    let leaf = ders(&pem).remove(0);
    let url = format!("{}/acme/revoke-cert", sim.url);

    let revoke_with = |signer: PrivateKey| {
        let sim = &sim;
        let url = url.clone();
        let leaf = leaf.clone();
        async move {
            let nonce = sim
                .client
                .head(format!("{}/acme/new-nonce", sim.url))
                .send()
                .await
                .unwrap()
                .headers()["replay-nonce"]
                .to_str()
                .unwrap()
                .to_string();
            let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
            let protected = json!({"alg": "ES256", "nonce": nonce, "url": url,
                "jwk": serde_json::to_value(signer.public_jwk()).unwrap()});
            let payload = json!({"certificate": b64(&leaf), "reason": 1});
            let input = format!(
                "{}.{}",
                b64(protected.to_string().as_bytes()),
                b64(payload.to_string().as_bytes())
            );
            let pkcs8 = crypto::pem_blocks(&signer.pkcs8_pem()).remove(0).1;
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8).unwrap();
            let sig = pair
                .sign(&aws_lc_rs::rand::SystemRandom::new(), input.as_bytes())
                .unwrap();
            let (p, b) = input.split_once('.').unwrap();
            sim.client
                .post(&url)
                .header("content-type", "application/jose+json")
                .body(
                    json!({"protected": p, "payload": b, "signature": b64(sig.as_ref())})
                        .to_string(),
                )
                .send()
                .await
                .unwrap()
        }
    };
    let stranger = common::csr("x", &["x"]).0;
    let r = revoke_with(stranger).await;
    assert_eq!(r.status(), 403, "another key");
    let r = revoke_with(key).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(cert_status(&sim, &leaf).await["Status"], "Revoked");
    sim.stop().await;
}

/// `alternate_roots = 2`: the leaf verifies through the default chain to root 0 and through
/// each cross-signed intermediate to its alternate root (Pebble's management paths).
#[tokio::test]
async fn alternate_chains() {
    let sim = Sim::start(|c| {
        always_valid(c);
        c.acme.alternate_roots = 2;
    })
    .await;
    let (account, _) = account(&sim).await;
    let names = ["alt.example.com"];
    let (_, key, pem) = issue(&account, &names).await;
    let chain = ders(&pem);
    let get = |path: String| {
        let sim = &sim;
        async move {
            let r = sim.get(&format!("/admin/acme/{path}")).await;
            assert_eq!(r.status(), 200);
            r.text().await.unwrap()
        }
    };
    verify_chain(
        &chain[0],
        &chain[1..],
        &get("roots/0".into()).await,
        &key,
        names[0],
    );
    let mut roots = Vec::new();
    for n in 1..=2 {
        let root = get(format!("roots/{n}")).await;
        let int = ders(&get(format!("intermediates/{n}")).await);
        verify_chain(&chain[0], &int, &root, &key, names[0]);
        roots.push(root);
    }
    assert_ne!(roots[0], roots[1]);
    assert_eq!(sim.get("/admin/acme/roots/3").await.status(), 404);
    sim.stop().await;
}

/// Every fault kind on an ACME endpoint (newNonce here, read raw): 429 `rateLimited` with
/// `Retry-After`, 5xx `serverInternal`, a dropped connection, a truncated body, a delay.
#[tokio::test]
async fn fault_kinds_on_new_nonce() {
    let sim = Sim::start(always_valid).await;
    let nonce_url = format!("{}/acme/new-nonce", sim.url);
    let rule = |action: serde_json::Value| json!([{"dialect": "acme", "operation": "newNonce", "nth": 1, "action": action}]);

    sim.set_faults(rule(json!({"kind": "rate_limit", "retry_after": 7})))
        .await;
    let r = sim.client.get(&nonce_url).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.headers().contains_key("replay-nonce"));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["type"], "urn:ietf:params:acme:error:rateLimited");

    sim.set_faults(rule(json!({"kind": "server_error", "status": 503})))
        .await;
    let r = sim.client.get(&nonce_url).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["type"], "urn:ietf:params:acme:error:serverInternal");

    sim.set_faults(rule(json!({"kind": "drop"}))).await;
    assert!(
        sim.client.get(&nonce_url).send().await.is_err(),
        "no answer"
    );

    sim.set_faults(rule(json!({"kind": "malformed"}))).await;
    let r = sim.client.get(&nonce_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(serde_json::from_str::<serde_json::Value>(&r.text().await.unwrap()).is_err());

    sim.set_faults(rule(json!({"kind": "delay", "ms": 300})))
        .await;
    let start = std::time::Instant::now();
    let r = sim.client.get(&nonce_url).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(start.elapsed() >= Duration::from_millis(300));

    // Every faulted request is in the history with its rule.
    let history = sim.history("acme", "newNonce").await;
    assert!(
        history.iter().filter(|e| !e["fault"].is_null()).count() >= 5,
        "{history:?}"
    );
    sim.stop().await;
}
