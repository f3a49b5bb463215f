//! The WoSign adapter against a wiremock WoSign: the signature recipe, request shapes, the
//! envelope's codes, cancellation and lookup.

use super::*;
use crate::providers::test_support::{
    self, admin, assert_cancels_settled, assert_error, assert_polled, chain, client, mock_ca,
    order, pem, Pause,
};
use crate::providers::types::CertType;
use aws_lc_rs::{digest, hmac};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "wosign-hmac-key";

fn creds() -> Credentials {
    Credentials {
        account_id: Some("WS-ACC-1".into()),
        pwd: Some(KEY.into()),
        org_id: None,
        admin: Some(admin("Jane")),
        issuer: String::new(),
    }
}

async fn setup() -> (MockServer, WoSign) {
    let (server, base) = mock_ca("/api/v1").await;
    (server, WoSign::new(base, client()))
}

fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"code": 0, "message": "success", "data": data}))
}

fn fail(code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"code": code, "message": message, "data": null}))
}

/// Recomputes the signature from what the server received, independently of `signature`.
fn assert_signed(r: &Request) {
    let h = |n: &str| r.headers.get(n).unwrap().to_str().unwrap().to_string();
    assert_eq!(h(HEADER_ACCOUNT), "WS-ACC-1");
    let ts = h(HEADER_TIMESTAMP);
    let ts_num: i64 = ts.parse().unwrap();
    assert!((ts_num - http::unix_now()).abs() < 60);
    let body_hash = hex::encode(digest::digest(&digest::SHA256, &r.body));
    let message = format!("{}{}{}{}", r.method.as_str(), r.url.path(), ts, body_hash);
    let key = hmac::Key::new(hmac::HMAC_SHA256, KEY.as_bytes());
    let expected = hex::encode(hmac::sign(&key, message.as_bytes()).as_ref());
    let got = h(HEADER_SIGNATURE);
    assert_eq!(got, expected);
    assert!(got
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
    assert!(hmac::verify(&key, message.as_bytes(), &hex::decode(&got).unwrap()).is_ok());
}

#[test]
fn signature_recipe_known_answer() {
    // Empty body: SHA-256("") = e3b0c442...; computed independently of the helper.
    let message = "GET/api/v1/orders/WS11700000000e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let key = hmac::Key::new(hmac::HMAC_SHA256, b"k");
    let expected = hex::encode(hmac::sign(&key, message.as_bytes()).as_ref());
    assert_eq!(
        signature("k", "get", "/api/v1/orders/WS1", "1700000000", b""),
        expected
    );
}

#[tokio::test]
async fn submit_poll_pending_then_issued() {
    let (server, ws) = setup().await;
    Mock::given(method("POST"))
            .and(path("/api/v1/orders"))
            .and(header("content-type", "application/json"))
            .and(body_partial_json(json!({
                "commonName": "www.example.com",
                "subjectAltNames": ["www.example.com", "example.com"],
                "validityYears": 1,
                "contact": {"name": "Jane Doe", "email": "jane@example.com", "phone": "+1 617 555 0100"},
                "clientOrderId": "req-ws-1"
            })))
            .respond_with(ok(json!({"orderNo": "WS20161020000001", "certType": "OV", "status": "PENDING_VALIDATION"})))
            .expect(1)
            .mount(&server)
            .await;
    let o = order("req-ws-1", creds(), CertType::Ov);
    let s = ws.submit(&o).await.unwrap();
    assert_eq!(s.order_id, "WS20161020000001");
    assert_eq!(
        s.status,
        OrderStatus::Pending {
            ca_status: "PENDING_VALIDATION".into()
        }
    );
    let reqs = server.received_requests().await.unwrap();
    assert_signed(&reqs[0]);
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    assert!(body["csr"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE REQUEST-----"));

    let pending = Mock::given(method("GET"))
        .and(path("/api/v1/orders/WS20161020000001"))
        .respond_with(ok(
            json!({"orderNo": "WS20161020000001", "status": "PENDING_ISSUE", "rejectReason": null}),
        ))
        .mount_as_scoped(&server)
        .await;
    assert_eq!(
        ws.poll(&creds(), "WS20161020000001").await.unwrap(),
        OrderStatus::Pending {
            ca_status: "PENDING_ISSUE".into()
        }
    );
    drop(pending);

    let certs = chain(1);
    Mock::given(method("GET"))
        .and(path("/api/v1/orders/WS20161020000001"))
        .respond_with(ok(
            json!({"orderNo": "WS20161020000001", "status": "ISSUED", "rejectReason": null}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/orders/WS20161020000001/certificate"))
        .and(query_param("format", "pem"))
        .respond_with(ok(
            json!({"certificate": pem(&certs[0]), "chain": [pem(&certs[1]), pem(&certs[2])]}),
        ))
        .mount(&server)
        .await;
    assert_eq!(
        ws.poll(&creds(), "WS20161020000001").await.unwrap(),
        OrderStatus::Issued { chain: certs }
    );
    for r in server.received_requests().await.unwrap() {
        assert_signed(&r);
        if r.method.as_str() == "GET" {
            assert!(r.body.is_empty());
        }
    }
}

#[tokio::test]
async fn final_statuses() {
    let (server, ws) = setup().await;
    for (no, status) in [("A", "REJECTED"), ("B", "CANCELLED"), ("C", "REVOKED")] {
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/orders/{no}")))
            .respond_with(ok(
                json!({"orderNo": no, "status": status, "rejectReason": "Domain not validated"}),
            ))
            .mount(&server)
            .await;
    }
    assert_eq!(
        ws.poll(&creds(), "A").await.unwrap(),
        OrderStatus::Rejected {
            message: "WoSign rejected order A: Domain not validated".into()
        }
    );
    assert_polled(&ws, &creds(), &[("B", "cancelled"), ("C", "revoked")]).await;
}

async fn submit_error(t: ResponseTemplate) -> ProviderError {
    let (server, ws) = setup().await;
    test_support::submit_error(&server, &ws, creds(), t).await
}

#[tokio::test]
async fn error_codes_in_http_200() {
    use Pause::{Any, Secs, Unasked};
    let e = submit_error(fail(1001, "invalid signature")).await;
    assert_error(&e, "credentials", "1001", Any);
    assert!(e.to_string().contains("invalid signature"), "{e:?}");
    let cases = [
        (fail(1002, "account disabled"), "credentials", "", Any),
        (fail(2001, "CSR invalid"), "refused", "CSR invalid", Any),
        (fail(2002, "domain not validated"), "refused", "", Any),
        (fail(3001, "insufficient balance"), "refused", "", Any),
        (fail(9999, "system busy"), "ambiguous", "", Any),
        (
            fail(4242, "something else"),
            "refused",
            "something else",
            Any,
        ),
        (
            ResponseTemplate::new(200).set_body_string("{\"code\":0,\"data\":"),
            "ambiguous",
            "",
            Unasked,
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"data": {}})),
            "ambiguous",
            "",
            Unasked,
        ),
        (
            ResponseTemplate::new(503).set_body_string("busy"),
            "ambiguous",
            "",
            Any,
        ),
        (
            ResponseTemplate::new(429).insert_header("Retry-After", "3"),
            "ambiguous",
            "",
            Secs(3),
        ),
        (
            ok(json!({"status": "PENDING_VALIDATION"})),
            "ambiguous",
            "",
            Unasked,
        ),
    ];
    for (answer, class, contains, pause) in cases {
        assert_error(&submit_error(answer).await, class, contains, pause);
    }
}

#[tokio::test]
async fn missing_credentials_is_config() {
    let (server, ws) = setup().await;
    let mut c = creds();
    c.pwd = None;
    let e = ws.submit(&order("r", c, CertType::Ov)).await.unwrap_err();
    assert!(
        matches!(&e, ProviderError::Config { message } if message.contains("API key")),
        "{e:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn contact_omitted_without_admin() {
    let (server, ws) = setup().await;
    Mock::given(method("POST"))
        .respond_with(ok(
            json!({"orderNo": "N1", "certType": "EV", "status": "PENDING_VALIDATION"}),
        ))
        .mount(&server)
        .await;
    let mut c = creds();
    c.admin = None;
    let mut o = order("r", c, CertType::Ev);
    o.validity_months = 25;
    ws.submit(&o).await.unwrap();
    let r = server.received_requests().await.unwrap().pop().unwrap();
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(body.get("contact").is_none());
    assert_eq!(body["validityYears"], 3);
}

#[tokio::test]
async fn cancel_paths() {
    let (server, ws) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/N1/cancel"))
        .and(body_partial_json(
            json!({"reason": "Cancelled by the Key Vault certificate owner."}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 0})))
        .mount(&server)
        .await;
    assert_eq!(
        ws.cancel(&creds(), "N1").await.unwrap(),
        CancelOutcome::Cancelled
    );
    assert_signed(&server.received_requests().await.unwrap()[0]);

    for (no, status) in [
        ("N2", "ISSUED"),
        ("N3", "REVOKED"),
        ("N4", "PENDING_VALIDATION"),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/api/v1/orders/{no}/cancel")))
            .respond_with(fail(4001, "order status does not allow cancellation"))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/orders/{no}")))
            .respond_with(ok(json!({"orderNo": no, "status": status})))
            .mount(&server)
            .await;
    }
    assert_cancels_settled(&ws, &creds(), ["N2", "N3", "N4"]).await;
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/N5/cancel"))
        .respond_with(fail(9999, "system busy"))
        .mount(&server)
        .await;
    assert!(matches!(
        ws.cancel(&creds(), "N5").await.unwrap_err(),
        ProviderError::Ambiguous { .. }
    ));
}

#[tokio::test]
async fn find_paths() {
    let (server, ws) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/orders"))
        .and(query_param("clientOrderId", "req-found"))
        .respond_with(ok(
            json!({"orders": [{"orderNo": "WS9", "status": "PENDING_ISSUE"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/orders"))
        .and(query_param("clientOrderId", "req-none"))
        .respond_with(ok(json!({"orders": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/orders"))
        .and(query_param("clientOrderId", "req-unsupported"))
        .respond_with(fail(4004, "unknown route"))
        .mount(&server)
        .await;
    assert_eq!(
        ws.find(&order("req-found", creds(), CertType::Ov))
            .await
            .unwrap(),
        Some("WS9".into())
    );
    assert_eq!(
        ws.find(&order("req-none", creds(), CertType::Ov))
            .await
            .unwrap(),
        None
    );
    let e = ws
        .find(&order("req-unsupported", creds(), CertType::Ov))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Refused { message } if message.contains("lookup unsupported")),
        "{e:?}"
    );
    // Signed over the path without the query.
    for r in server.received_requests().await.unwrap() {
        assert_eq!(r.url.path(), "/api/v1/orders");
        assert_signed(&r);
    }
}
