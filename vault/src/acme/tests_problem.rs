//! Tests of the ACME problem documents: wire names, statuses, JSON shape, headers.

use super::*;
use axum::body::to_bytes;

#[test]
fn every_type_serializes_to_its_urn_and_back() {
    let expected = [
        "accountDoesNotExist",
        "alreadyRevoked",
        "badCSR",
        "badNonce",
        "badPublicKey",
        "badRevocationReason",
        "badSignatureAlgorithm",
        "caa",
        "compound",
        "connection",
        "dns",
        "externalAccountRequired",
        "incorrectResponse",
        "invalidContact",
        "malformed",
        "orderNotReady",
        "rateLimited",
        "rejectedIdentifier",
        "serverInternal",
        "tls",
        "unauthorized",
        "unsupportedContact",
        "unsupportedIdentifier",
        "userActionRequired",
        "invalidProfile",
        "alreadyReplaced",
    ];
    for (kind, name) in ErrorType::ALL.iter().zip(expected) {
        let urn = format!("urn:ietf:params:acme:error:{name}");
        assert_eq!(kind.urn(), urn);
        let back: ErrorType = serde_json::from_value(serde_json::json!(urn)).unwrap();
        assert_eq!(back, *kind);
    }
}

#[test]
fn statuses() {
    use ErrorType::*;
    for (kind, status) in [
        (BadNonce, 400),
        (Malformed, 400),
        (AccountDoesNotExist, 400),
        (BadSignatureAlgorithm, 400),
        (BadCsr, 400),
        (ExternalAccountRequired, 400),
        (InvalidProfile, 400),
        (Unauthorized, 403),
        (OrderNotReady, 403),
        (UserActionRequired, 403),
        (Caa, 403),
        (AlreadyReplaced, 409),
        (RateLimited, 429),
        (ServerInternal, 500),
    ] {
        assert_eq!(kind.status().as_u16(), status, "{kind:?}");
    }
    for kind in ErrorType::ALL {
        let s = kind.status().as_u16();
        assert!(s == 500 || (400..500).contains(&s), "{kind:?}");
        assert_eq!(Problem::new(kind, "x").status, s);
    }
}

#[test]
fn json_shape_with_subproblems() {
    let problem = Problem::new(ErrorType::RejectedIdentifier, "some identifiers rejected")
        .with_subproblems(vec![
            Subproblem {
                kind: ErrorType::RejectedIdentifier,
                detail: "policy forbids this name".into(),
                identifier: Some(Identifier {
                    kind: "dns".into(),
                    value: "bad.example.org".into(),
                }),
            },
            Subproblem {
                kind: ErrorType::Malformed,
                detail: "no identifier".into(),
                identifier: None,
            },
        ]);
    let v = serde_json::to_value(&problem).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "type": "urn:ietf:params:acme:error:rejectedIdentifier",
            "detail": "some identifiers rejected",
            "status": 400,
            "subproblems": [
                {
                    "type": "urn:ietf:params:acme:error:rejectedIdentifier",
                    "detail": "policy forbids this name",
                    "identifier": {"type": "dns", "value": "bad.example.org"}
                },
                {"type": "urn:ietf:params:acme:error:malformed", "detail": "no identifier"}
            ]
        })
    );
    // The optional members stay absent when unset.
    let plain = serde_json::to_value(Problem::new(ErrorType::BadNonce, "stale")).unwrap();
    let keys: Vec<_> = plain.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
}

#[test]
fn bad_signature_algorithm_lists_algorithms() {
    let p = Problem::bad_signature_algorithm("HS256 is not for accounts", &["ES256", "RS256"]);
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["algorithms"], serde_json::json!(["ES256", "RS256"]));
    assert_eq!(v["status"], 400);
}

async fn body_json(response: Response) -> serde_json::Value {
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn response_headers_and_body() {
    let response = Problem::new(ErrorType::BadNonce, "nonce already used")
        .with_instance("https://ca.example/acme/x")
        .into_response(Some("abcDEF_-123"));
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let h = response.headers();
    assert_eq!(h["content-type"], "application/problem+json");
    assert_eq!(h["replay-nonce"], "abcDEF_-123");
    assert!(h.get("retry-after").is_none());
    let v = body_json(response).await;
    assert_eq!(v["type"], "urn:ietf:params:acme:error:badNonce");
    assert_eq!(v["detail"], "nonce already used");
    assert_eq!(v["status"], 400);
    assert_eq!(v["instance"], "https://ca.example/acme/x");
}

#[tokio::test]
async fn rate_limited_carries_retry_after() {
    let response = Problem::rate_limited("too many new orders", 30).into_response(None);
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "30");
    assert!(response.headers().get("replay-nonce").is_none());
    let v = body_json(response).await;
    assert_eq!(v["type"], "urn:ietf:params:acme:error:rateLimited");
    assert_eq!(v["status"], 429);
    // Retry-After is a header, never a body member.
    assert!(v.get("retry_after").is_none() && v.get("retryAfter").is_none());
}

#[tokio::test]
async fn server_internal_is_500() {
    let response = Problem::new(ErrorType::ServerInternal, "store unavailable").into_response(None);
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body_json(response).await["status"], 500);
}
