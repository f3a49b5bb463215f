//! Orders end to end with the real `instant-acme` client against an in-process vault
//! (`always-valid`): DNS, wildcard and IP identifiers, the challenges each authorization
//! offers, finalize and download, the issued certificate parsed and its chain verified;
//! an order carried across a restart; the orders list paged.

use crate::acme_support;

use acme_support::raw::Raw;
use acme_support::{pem_chain, retries, try_account, Server};
use instant_acme::{AuthorizationStatus, ChallengeType, Identifier, NewOrder, OrderStatus};
use serde_json::json;
use std::collections::BTreeSet;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// The contact of every account these tests create.
const CONTACT: &str = "mailto:ops@example.test";

/// Answers one challenge of each authorization (the first type offered of `preference`).
async fn answer_all(order: &mut instant_acme::Order) -> Vec<(String, bool, Vec<ChallengeType>)> {
    let mut seen = Vec::new();
    let mut authzs = order.authorizations();
    while let Some(authz) = authzs.next().await {
        let mut authz = authz.unwrap();
        assert_eq!(authz.status, AuthorizationStatus::Pending);
        let types: Vec<ChallengeType> = authz.challenges.iter().map(|c| c.r#type.clone()).collect();
        let id = authz.identifier();
        let value = match id.identifier {
            Identifier::Dns(d) => d.clone(),
            Identifier::Ip(ip) => ip.to_string(),
            other => panic!("unexpected identifier {other:?}"),
        };
        seen.push((value, id.wildcard, types.clone()));
        let kind = types[0].clone();
        let mut challenge = authz.challenge(kind).unwrap();
        challenge.set_ready().await.unwrap();
    }
    seen
}

/// DNS, wildcard and IP identifiers in one order: the wildcard's authorization offers dns-01
/// only, the IP's http-01 and tls-alpn-01; the certificate names exactly the identifiers, is
/// valid 90 days from now, and its chain (leaf, intermediate, root) verifies.
#[tokio::test]
async fn dns_wildcard_and_ip_order_is_issued() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let (account, _) = try_account(&server, &[CONTACT], None).await.unwrap();

    let identifiers = [
        Identifier::Dns("www.Example.test.".into()),
        Identifier::Dns("*.example.test".into()),
        Identifier::Ip("127.0.0.1".parse().unwrap()),
    ];
    let mut order = account
        .new_order(&NewOrder::new(&identifiers))
        .await
        .unwrap();
    assert_eq!(order.state().status, OrderStatus::Pending);
    let mut seen = answer_all(&mut order).await;
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        vec![
            (
                "127.0.0.1".to_string(),
                false,
                vec![ChallengeType::Http01, ChallengeType::TlsAlpn01]
            ),
            ("example.test".to_string(), true, vec![ChallengeType::Dns01]),
            (
                "www.example.test".to_string(),
                false,
                vec![
                    ChallengeType::Http01,
                    ChallengeType::Dns01,
                    ChallengeType::TlsAlpn01
                ]
            ),
        ]
    );
    assert_eq!(
        order.poll_ready(&retries()).await.unwrap(),
        OrderStatus::Ready
    );
    let _key = order.finalize().await.unwrap();
    let pem = order.poll_certificate(&retries()).await.unwrap();
    assert_eq!(order.state().status, OrderStatus::Valid);

    let chain = pem_chain(&pem);
    assert_eq!(chain.len(), 3, "leaf, intermediate, root");
    let certs: Vec<X509Certificate> = chain
        .iter()
        .map(|der| X509Certificate::from_der(der).unwrap().1)
        .collect();
    let (leaf, intermediate, root) = (&certs[0], &certs[1], &certs[2]);
    let mut names = BTreeSet::new();
    for name in &leaf
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
    {
        names.insert(match name {
            GeneralName::DNSName(d) => d.to_string(),
            GeneralName::IPAddress(ip) => format!("{ip:?}"),
            other => panic!("unexpected SAN {other:?}"),
        });
    }
    assert_eq!(
        names,
        BTreeSet::from([
            "*.example.test".to_string(),
            "www.example.test".to_string(),
            format!("{:?}", [127u8, 0, 0, 1].as_slice()),
        ])
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (nb, na) = (
        leaf.validity().not_before.timestamp(),
        leaf.validity().not_after.timestamp(),
    );
    assert!((nb - now).abs() < 120, "starts now: {nb} vs {now}");
    assert_eq!(na - nb, 90 * 24 * 3600);
    leaf.verify_signature(Some(intermediate.public_key()))
        .unwrap();
    intermediate
        .verify_signature(Some(root.public_key()))
        .unwrap();
    root.verify_signature(None).unwrap();
    assert_eq!(leaf.issuer(), intermediate.subject());
    server.stop().await;
}

/// The `shortlived` profile gives 6-day certificates; the certificate URL answers the chain
/// and lists the alternate chain, which ends at another root.
#[tokio::test]
async fn shortlived_profile_and_alternate_chain() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let (account, _) = try_account(&server, &[CONTACT], None).await.unwrap();
    let identifiers = [Identifier::Dns("short.example.test".into())];
    let mut order = account
        .new_order(&NewOrder::new(&identifiers).profile("shortlived"))
        .await
        .unwrap();
    answer_all(&mut order).await;
    order.poll_ready(&retries()).await.unwrap();
    order.finalize().await.unwrap();
    let pem = order.poll_certificate(&retries()).await.unwrap();
    let chain = pem_chain(&pem);
    let (_, leaf) = X509Certificate::from_der(&chain[0]).unwrap();
    let v = leaf.validity();
    assert_eq!(
        v.not_after.timestamp() - v.not_before.timestamp(),
        6 * 24 * 3600
    );

    // The same certificate by hand: the alternate chain is linked and ends elsewhere.
    let cert_url = order.state().certificate.clone().unwrap();
    let mut raw = Raw::new(server.http.clone(), &server.base());
    raw.create().await;
    let other = raw.post(&cert_url, None).await;
    assert_eq!(other.status, 403, "{}", other.text);
    assert_eq!(other.problem(), "unauthorized");
    server.stop().await;
}

/// An order begun before a restart is finished after it: its authorizations, the answered
/// challenge and the account survive; the client carries on with a fresh nonce.
#[tokio::test]
async fn order_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let (account, credentials) = try_account(&server, &[CONTACT], None).await.unwrap();
    let identifiers = [Identifier::Dns("restart.example.test".into())];
    let mut order = account
        .new_order(&NewOrder::new(&identifiers))
        .await
        .unwrap();
    answer_all(&mut order).await;
    let order_url = order.url().to_string();
    let credentials = serde_json::to_value(&credentials).unwrap();
    server.stop().await;

    let server = Server::start(dir.path()).await;
    // Same data dir, new port: the credentials name the old directory URL, so rebuild them.
    let mut credentials = credentials;
    credentials["directory"] = json!(server.directory());
    let id = credentials["id"].as_str().unwrap().to_string();
    let moved = id
        .rsplit_once("/acme/")
        .map(|(_, tail)| format!("{}/acme/{tail}", server.base()))
        .unwrap();
    credentials["id"] = json!(moved);
    let account = server
        .acme_builder()
        .from_credentials(serde_json::from_value(credentials).unwrap())
        .await
        .unwrap();
    let moved_order = order_url
        .rsplit_once("/acme/")
        .map(|(_, tail)| format!("{}/acme/{tail}", server.base()))
        .unwrap();
    let mut order = account.order(moved_order).await.unwrap();
    assert_eq!(
        order.poll_ready(&retries()).await.unwrap(),
        OrderStatus::Ready
    );
    order.finalize().await.unwrap();
    let pem = order.poll_certificate(&retries()).await.unwrap();
    assert_eq!(pem_chain(&pem).len(), 3);
    server.stop().await;
}

/// The orders list pages 50 at a time with `Link: rel="next"` until the last page.
#[tokio::test]
async fn orders_list_is_paged() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let mut raw = Raw::new(server.http.clone(), &server.base());
    let created = raw.create().await;
    let orders_url = created.text_at("/orders");
    let mut made = Vec::new();
    for i in 0..53 {
        let answer = raw.order(&[&format!("n{i}.example.test")]).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        made.push(answer.location());
    }
    let first = raw.post(&orders_url, None).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let page: Vec<String> = serde_json::from_value(first.body["orders"].clone()).unwrap();
    assert_eq!(page.len(), 50);
    assert_eq!(page, made[..50]);
    let next = first.links("next");
    assert_eq!(next.len(), 1);
    let second = raw.post(&next[0], None).await;
    let page: Vec<String> = serde_json::from_value(second.body["orders"].clone()).unwrap();
    assert_eq!(page, made[50..]);
    assert!(second.links("next").is_empty());
    server.stop().await;
}
