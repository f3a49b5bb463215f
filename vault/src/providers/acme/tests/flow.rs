//! The order state machine, JWS/EAB, nonces, error classes, the http-01 responder, chain
//! completion and the account keys.

use super::harness::*;

#[test]
fn provider_names_include_acme_with_labels() {
    let acme: ProviderKind = "acme".parse().unwrap();
    assert_eq!(acme, ProviderKind::Acme("ACME".into()));
    let pebble: ProviderKind = "Acme-Pebble".parse().unwrap();
    assert_eq!(pebble.to_string(), "ACME-pebble");
    assert_eq!(
        "DIGICERT".parse::<ProviderKind>().unwrap(),
        ProviderKind::DigiCert
    );
    for bad in ["ACME-", "ACMEx", "ACME-a b", "AC", ""] {
        assert!(bad.parse::<ProviderKind>().is_err(), "{bad}");
    }
    assert_eq!(serde_json::to_string(&pebble).unwrap(), "\"ACME-pebble\"");
}

#[tokio::test]
async fn submit_solves_finalizes_with_the_csr_and_downloads_the_chain() {
    let ca = setup().await;
    let mut credentials = creds();
    credentials.org_id = Some("shortlived".into());
    let request = order("req-1", credentials, CertType::Ov);
    let our_csr = request.csr_der.clone();
    let base = ca.server.uri();
    mount_new_order(&ca).await;
    // The first read finds the order pending, the next one ready (challenge validated).
    Mock::given(method("POST"))
        .and(path("/order/1"))
        .respond_with(answer(200).set_body_json(order_json(&base, "pending")))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&ca.server)
        .await;
    mount_order(&ca, "/order/1", "ready").await;
    mount_pending_authz(&ca).await;
    Mock::given(method("POST"))
        .and(path("/chall/http"))
        .and(payload(move |p| p == &json!({})))
        .respond_with(answer(200).set_body_json(json!({"type": "http-01", "status": "processing"})))
        .expect(1)
        .mount(&ca.server)
        .await;
    let mut valid = order_json(&base, "valid");
    valid["certificate"] = json!(format!("{base}/cert/1"));
    expect_finalize(&ca, our_csr, valid).await;
    let issued = chain(1);
    let pem_chain: String = issued.iter().map(|c| pem(c)).collect();
    post(
        &ca.server,
        "/cert/1",
        answer(200)
            .insert_header("Content-Type", "application/pem-certificate-chain")
            .set_body_string(pem_chain),
    )
    .await;

    let submitted = ca.acme.submit(&request).await.unwrap();
    assert_eq!(submitted.order_id, ca.url("/order/1"));
    assert_eq!(submitted.status, OrderStatus::Issued { chain: issued });

    // newOrder named both DNS names and the profile.
    let new_order = &ca.payloads("/order").await[0];
    assert_eq!(new_order["profile"], "shortlived");
    assert_eq!(
        new_order["identifiers"],
        json!([{"type": "dns", "value": "example.com"}, {"type": "dns", "value": "www.example.com"}])
    );
    // The download asked for the PEM chain; requests after newAccount are signed with `kid`.
    let requests = ca.server.received_requests().await.unwrap();
    let download = requests.iter().find(|r| r.url.path() == "/cert/1").unwrap();
    assert_eq!(
        download.headers["accept"],
        "application/pem-certificate-chain"
    );
    let protected = jws_part(download, "protected");
    assert_eq!(protected["kid"], ca.url("/acct/1"));
    assert_eq!(protected["url"], ca.url("/cert/1"));
    assert_eq!(protected["alg"], "ES256");
    // The http-01 token was withdrawn once the order left pending.
    assert_eq!(ca.tokens.get("tok-http"), None);
}

#[tokio::test]
async fn new_account_is_signed_with_its_jwk_and_binds_the_external_account() {
    let ca = setup_with(json!({"externalAccountRequired": true})).await;
    mount_pending_authz(&ca).await;
    mount_order(&ca, "/order/1", "pending").await;
    post(
        &ca.server,
        "/chall/http",
        answer(200).set_body_json(json!({"status": "processing"})),
    )
    .await;
    // Without EAB credentials the CA's requirement is a configuration error of the issuer.
    let err = ca
        .acme
        .poll(&creds(), &ca.url("/order/1"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Config { .. }), "{err:?}");

    let hmac_key = b"an-eab-hmac-key-from-the-ca-32by";
    let credentials = Credentials {
        account_id: Some("kid-1".into()),
        pwd: Some(url_encode(hmac_key)),
        ..creds()
    };
    let status = ca
        .acme
        .poll(&credentials, &ca.url("/order/1"))
        .await
        .unwrap();
    assert_eq!(
        status,
        OrderStatus::Pending {
            ca_status: "pending".into()
        }
    );

    let requests = ca.server.received_requests().await.unwrap();
    let new_account = requests
        .iter()
        .find(|r| r.url.path() == "/account")
        .unwrap();
    let body: Value = serde_json::from_slice(&new_account.body).unwrap();
    let protected = jws_part(new_account, "protected");
    assert_eq!(protected["url"], ca.url("/account"));
    assert!(protected.get("kid").is_none());
    // ES256 over `protected.payload`, verifiable with the JWK it carries (RFC 7515).
    let jwk = &protected["jwk"];
    let mut point = vec![4u8];
    point.extend(decode_lenient(jwk["x"].as_str().unwrap()).unwrap());
    point.extend(decode_lenient(jwk["y"].as_str().unwrap()).unwrap());
    let input = format!(
        "{}.{}",
        body["protected"].as_str().unwrap(),
        body["payload"].as_str().unwrap()
    );
    let sig = decode_lenient(body["signature"].as_str().unwrap()).unwrap();
    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
        .verify(input.as_bytes(), &sig)
        .expect("the newAccount JWS verifies with its own JWK");
    // EAB: HS256 over the account JWK, keyed by the CA's HMAC key (RFC 8555 §7.3.4).
    let payload = jws_part(new_account, "payload");
    assert_eq!(payload["termsOfServiceAgreed"], true);
    let eab = &payload["externalAccountBinding"];
    let eab_protected: Value =
        serde_json::from_slice(&decode_lenient(eab["protected"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(
        eab_protected,
        json!({"alg": "HS256", "kid": "kid-1", "url": ca.url("/account")})
    );
    let eab_payload: Value =
        serde_json::from_slice(&decode_lenient(eab["payload"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(&eab_payload, jwk);
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, hmac_key);
    let mac_input = format!(
        "{}.{}",
        eab["protected"].as_str().unwrap(),
        eab["payload"].as_str().unwrap()
    );
    aws_lc_rs::hmac::verify(
        &key,
        mac_input.as_bytes(),
        &decode_lenient(eab["signature"].as_str().unwrap()).unwrap(),
    )
    .expect("the EAB MAC verifies");

    // The pending authorization's http-01 challenge was answered and its key authorization
    // (token "." base64url(SHA-256 of the RFC 7638 JWK)) published on the responder.
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap()
    );
    let thumbprint = url_encode(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref());
    assert_eq!(
        ca.tokens.get("tok-http"),
        Some(format!("tok-http.{thumbprint}"))
    );
    assert_eq!(ca.payloads("/chall/http").await, vec![json!({})]);
}

#[tokio::test]
async fn bad_nonce_is_retried_with_a_fresh_nonce() {
    let ca = setup().await;
    Mock::given(method("POST"))
        .and(path("/order/1"))
        .respond_with(problem(400, "badNonce", "stale nonce"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&ca.server)
        .await;
    let mut invalid = order_json(&ca.server.uri(), "invalid");
    invalid["error"] = json!({"type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "www.example.com is on the deny list"});
    post(&ca.server, "/order/1", answer(200).set_body_json(invalid)).await;
    let status = ca.acme.poll(&creds(), &ca.url("/order/1")).await.unwrap();
    // Rejected with the CA's message, after two badNonce answers.
    let OrderStatus::Rejected { message } = status else {
        panic!("{status:?}")
    };
    assert!(
        message.contains("rejectedIdentifier: www.example.com is on the deny list"),
        "{message}"
    );
    let requests = ca.server.received_requests().await.unwrap();
    let reads: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/order/1")
        .collect();
    assert_eq!(reads.len(), 3);
    let nonces: Vec<Value> = reads
        .iter()
        .map(|r| jws_part(r, "protected")["nonce"].clone())
        .collect();
    assert_eq!(nonces[1], "nonce-from-answer");
}

#[tokio::test]
async fn errors_are_classified_by_problem_type() {
    let ca = setup().await;
    let request = order("req-e", creds(), CertType::Ov);
    Mock::given(method("POST"))
        .and(path("/order"))
        .respond_with(
            problem(429, "rateLimited", "too many orders").insert_header("Retry-After", "30"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&ca.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/order"))
        .respond_with(problem(403, "rejectedIdentifier", "no such TLD"))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&ca.server)
        .await;
    post(
        &ca.server,
        "/order",
        problem(500, "serverInternal", "db down"),
    )
    .await;
    let throttled = ca.acme.submit(&request).await.unwrap_err();
    assert!(
        matches!(throttled, ProviderError::Throttled { .. }) && !throttled.may_have_acted(),
        "{throttled:?}"
    );
    assert_eq!(
        throttled.retry_after(),
        Some(std::time::Duration::from_secs(30))
    );
    let refused = ca.acme.submit(&request).await.unwrap_err();
    assert!(
        matches!(&refused, ProviderError::Refused { message } if message.contains("no such TLD")),
        "{refused:?}"
    );
    let ambiguous = ca.acme.submit(&request).await.unwrap_err();
    assert!(ambiguous.may_have_acted(), "{ambiguous:?}");
}

#[tokio::test]
async fn the_http01_responder_answers_published_tokens_until_dropped() {
    let (tokens, addr) =
        crate::providers::acme::http01::serve("127.0.0.1:0".parse().unwrap()).unwrap();
    tokens.publish("tok", "tok.thumb".into());
    let http = client();
    let url = format!("http://{addr}/.well-known/acme-challenge/tok");
    let rsp = http.get(&url).send().await.unwrap();
    assert_eq!(rsp.status(), 200);
    assert_eq!(rsp.text().await.unwrap(), "tok.thumb");
    let other = format!("http://{addr}/.well-known/acme-challenge/other");
    assert_eq!(http.get(&other).send().await.unwrap().status(), 404);
    tokens.withdraw("tok");
    assert_eq!(http.get(&url).send().await.unwrap().status(), 404);
    // The last clone gone, the port is free again (bindable within a deadline).
    drop(tokens);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpListener::bind(addr).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the responder still holds {addr}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[test]
fn a_chain_without_its_root_is_completed_from_the_anchors() {
    let full = chain(1);
    let delivered = full[..2].to_vec();
    let anchors = crate::providers::acme::chain::anchors(&[pem(&full[0]), pem(&full[2])]);
    assert_eq!(
        crate::providers::acme::chain::complete(delivered.clone(), &anchors),
        full
    );
    // No matching anchor, or already complete: unchanged.
    assert_eq!(
        crate::providers::acme::chain::complete(delivered.clone(), &[]),
        delivered
    );
    assert_eq!(
        crate::providers::acme::chain::complete(full.clone(), &anchors),
        full
    );
}

#[test]
fn the_account_key_survives_a_restart_and_is_per_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let first = KeyStore::open(dir.path(), None).unwrap();
    let a = first.load_or_create("ACME", "issuer-a").unwrap();
    let again = KeyStore::open(dir.path(), None).unwrap();
    assert_eq!(
        again.load_or_create("ACME", "issuer-a").unwrap().jwk(),
        a.jwk()
    );
    assert_ne!(
        again.load_or_create("ACME", "issuer-b").unwrap().jwk(),
        a.jwk()
    );
    assert_ne!(
        again
            .load_or_create("ACME-pebble", "issuer-a")
            .unwrap()
            .jwk(),
        a.jwk()
    );
    // Sealed: no file holds PKCS#8 in the clear, and under another master key (another
    // data dir) the same files do not open.
    let other = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(other.path().join("acme-client")).unwrap();
    for entry in std::fs::read_dir(dir.path().join("acme-client")).unwrap() {
        let entry = entry.unwrap();
        let bytes = std::fs::read(entry.path()).unwrap();
        assert_ne!(bytes.first(), Some(&0x30));
        std::fs::copy(
            entry.path(),
            other.path().join("acme-client").join(entry.file_name()),
        )
        .unwrap();
    }
    let stranger = KeyStore::open(other.path(), None).unwrap();
    assert!(stranger.load_or_create("ACME", "issuer-a").is_err());
}
