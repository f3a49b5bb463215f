//! The errors a client can provoke (RFC 8555 §6.7), with hand-made requests: each answer is
//! `application/problem+json` with the RFC's type and status and a fresh `Replay-Nonce`.
//! Also the raw order flow (challenge, finalize with a CSR, download with alternate chains).

use crate::acme_support;

use acme_support::raw::{b64, Answer, Key, Raw};
use acme_support::{csr, pem_chain, Server};
use serde_json::json;
use x509_parser::prelude::{FromDer, X509Certificate};

fn assert_problem(answer: &Answer, status: u16, kind: &str) {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(answer.problem(), kind, "{}", answer.text);
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json")
    );
    assert!(answer.header("replay-nonce").is_some(), "a fresh nonce");
}

/// Creates an order for `names` and answers every authorization's first challenge; returns
/// the order URL once it is ready.
async fn ready_order(raw: &Raw, names: &[&str]) -> String {
    let created = raw.order(names).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let order_url = created.location();
    for authz in created.body["authorizations"].as_array().unwrap() {
        let authz = raw.post(authz.as_str().unwrap(), None).await;
        let challenge = authz.text_at("/challenges/0/url");
        let answered = raw.post(&challenge, Some(&json!({}))).await;
        assert_eq!(answered.status, 200, "{}", answered.text);
    }
    raw.poll_status(&order_url, "ready").await;
    order_url
}

/// Bad nonce (reused, unknown), bad signature, wrong `url`, unknown `kid`, wrong content type
/// and a body that is no JWS.
#[tokio::test]
async fn request_authentication_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let mut raw = Raw::new(server.http.clone(), &server.base());
    raw.create().await;
    let acct = raw.kid.clone().unwrap();

    // A nonce is good once.
    let header = raw.header(&acct).await;
    let body = raw.key.jws(&header, None);
    assert_eq!(raw.send(&acct, &body).await.status, 200);
    assert_problem(&raw.send(&acct, &body).await, 400, "badNonce");
    let mut made_up = raw.header(&acct).await;
    made_up["nonce"] = json!("AAAAAAAAAAAAAAAAAAAAAA");
    assert_problem(
        &raw.send(&acct, &raw.key.jws(&made_up, None)).await,
        400,
        "badNonce",
    );

    // Signed by another key.
    let header = raw.header(&acct).await;
    let other = Key::generate();
    assert_problem(
        &raw.send(&acct, &other.jws(&header, None)).await,
        403,
        "unauthorized",
    );

    // The `url` header must be the URL posted to.
    let header = raw.header(&raw.url("new-order")).await;
    assert_problem(
        &raw.send(&acct, &raw.key.jws(&header, None)).await,
        403,
        "unauthorized",
    );

    // A `kid` naming no account.
    let ghost = format!("{}/acme/acct/nobody", server.base());
    let mut header = raw.header(&ghost).await;
    header["kid"] = json!(ghost);
    assert_problem(
        &raw.send(&ghost, &raw.key.jws(&header, None)).await,
        400,
        "accountDoesNotExist",
    );

    // Content-Type and body shape.
    let header = raw.header(&acct).await;
    let body = raw.key.jws(&header, None).to_string().into_bytes();
    assert_problem(
        &raw.send_bytes(&acct, body, "application/json").await,
        415,
        "malformed",
    );
    assert_problem(
        &raw.send_bytes(&acct, b"{not json".to_vec(), "application/jose+json")
            .await,
        400,
        "malformed",
    );
    // A signed payload that is not JSON where JSON is required.
    let url = raw.url("new-order");
    let header = raw.header(&url).await;
    let protected = b64(header.to_string().as_bytes());
    let payload = b64(b"{\"identifiers\": [");
    let signature = raw.key.sign(format!("{protected}.{payload}").as_bytes());
    let body = json!({ "protected": protected, "payload": payload, "signature": b64(&signature) });
    assert_problem(&raw.send(&url, &body).await, 400, "malformed");
    server.stop().await;
}

/// Another account's order, authorization and certificate are `unauthorized`; finalize
/// before the order is ready is `orderNotReady`; a CSR whose names differ is `badCSR`; bad
/// identifiers are refused with one subproblem each.
#[tokio::test]
async fn order_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let mut alice = Raw::new(server.http.clone(), &server.base());
    alice.create().await;
    let mut mallory = Raw::new(server.http.clone(), &server.base());
    mallory.create().await;

    let created = alice.order(&["a.example.test"]).await;
    let order_url = created.location();
    let authz_url = created.text_at("/authorizations/0");
    let finalize_url = created.text_at("/finalize");
    assert_problem(&mallory.post(&order_url, None).await, 403, "unauthorized");
    assert_problem(&mallory.post(&authz_url, None).await, 403, "unauthorized");

    let payload = json!({ "csr": b64(&csr(&["a.example.test"])) });
    assert_problem(
        &alice.post(&finalize_url, Some(&payload)).await,
        403,
        "orderNotReady",
    );

    let order_url = ready_order(&alice, &["b.example.test", "c.example.test"]).await;
    let order = alice.post(&order_url, None).await;
    let finalize_url = order.text_at("/finalize");
    let wrong = json!({ "csr": b64(&csr(&["b.example.test"])) });
    assert_problem(
        &alice.post(&finalize_url, Some(&wrong)).await,
        400,
        "badCSR",
    );
    let extra =
        json!({ "csr": b64(&csr(&["b.example.test", "c.example.test", "d.example.test"])) });
    assert_problem(
        &alice.post(&finalize_url, Some(&extra)).await,
        400,
        "badCSR",
    );
    let garbage = json!({ "csr": b64(b"not a csr") });
    assert_problem(
        &alice.post(&finalize_url, Some(&garbage)).await,
        400,
        "badCSR",
    );

    // Identifiers: each refused one is a subproblem.
    let url = alice.url("new-order");
    let bad = json!({ "identifiers": [
        { "type": "dns", "value": "ok.example.test" },
        { "type": "dns", "value": "bad_name.example.test" },
        { "type": "dns", "value": "a.*.example.test" },
        { "type": "email", "value": "a@example.test" },
    ]});
    let answer = alice.post(&url, Some(&bad)).await;
    assert_problem(&answer, 400, "compound");
    let subproblems = answer.body["subproblems"].as_array().unwrap();
    let kinds: Vec<&str> = subproblems
        .iter()
        .map(|s| s["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "urn:ietf:params:acme:error:rejectedIdentifier",
            "urn:ietf:params:acme:error:rejectedIdentifier",
            "urn:ietf:params:acme:error:unsupportedIdentifier",
        ]
    );
    assert_eq!(
        subproblems[0]["identifier"]["value"],
        "bad_name.example.test"
    );
    let one_bad = json!({ "identifiers": [{ "type": "dns", "value": "-x.example.test" }] });
    assert_problem(
        &alice.post(&url, Some(&one_bad)).await,
        400,
        "rejectedIdentifier",
    );
    let empty = json!({ "identifiers": [] });
    assert_problem(&alice.post(&url, Some(&empty)).await, 400, "malformed");
    let profile =
        json!({ "identifiers": [{ "type": "dns", "value": "p.example.test" }], "profile": "nope" });
    assert_problem(
        &alice.post(&url, Some(&profile)).await,
        400,
        "invalidProfile",
    );
    server.stop().await;
}

/// The whole flow by hand: challenge, finalize with the client's own CSR, the order `valid`,
/// the chain downloaded as `application/pem-certificate-chain` with its alternate linked; the
/// alternate chain ends at another root; another account cannot download it.
#[tokio::test]
async fn raw_flow_with_alternate_chain() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let mut raw = Raw::new(server.http.clone(), &server.base());
    raw.create().await;
    let order_url = ready_order(&raw, &["raw.example.test"]).await;
    let order = raw.post(&order_url, None).await;
    let finalize_url = order.text_at("/finalize");
    let payload = json!({ "csr": b64(&csr(&["raw.example.test"])) });
    let finalized = raw.post(&finalize_url, Some(&payload)).await;
    assert_eq!(finalized.status, 200, "{}", finalized.text);
    let done = raw.poll_status(&order_url, "valid").await;
    let cert_url = done.text_at("/certificate");

    let cert = raw.post(&cert_url, None).await;
    assert_eq!(cert.status, 200);
    assert_eq!(
        cert.header("content-type"),
        Some("application/pem-certificate-chain")
    );
    let alternates = cert.links("alternate");
    assert_eq!(alternates, [format!("{cert_url}/1")]);
    let default = pem_chain(&cert.text);
    let alternate = raw.post(&alternates[0], None).await;
    assert_eq!(alternate.status, 200, "{}", alternate.text);
    let other = pem_chain(&alternate.text);
    assert_eq!(default[0], other[0], "same leaf");
    let root_of = |c: &Vec<Vec<u8>>| {
        let (_, root) = X509Certificate::from_der(c.last().unwrap()).unwrap();
        root.subject().to_string()
    };
    assert_ne!(root_of(&default), root_of(&other));
    // Each alternate chain verifies up to its own root.
    for c in [&default, &other] {
        let certs: Vec<X509Certificate> = c
            .iter()
            .map(|d| X509Certificate::from_der(d).unwrap().1)
            .collect();
        for pair in certs.windows(2) {
            pair[0]
                .verify_signature(Some(pair[1].public_key()))
                .unwrap();
        }
    }
    assert_problem(
        &raw.post(&format!("{cert_url}/2"), None).await,
        404,
        "malformed",
    );

    let mut other_account = Raw::new(server.http.clone(), &server.base());
    other_account.create().await;
    assert_problem(
        &other_account.post(&cert_url, None).await,
        403,
        "unauthorized",
    );
    server.stop().await;
}
