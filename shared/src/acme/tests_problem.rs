//! Tests of the ACME problem documents: wire names, statuses, JSON shape.

use super::*;

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

#[test]
fn body_and_status_for_the_renderers() {
    let p = Problem::rate_limited("too many new orders", 30);
    assert_eq!(p.http_status(), StatusCode::TOO_MANY_REQUESTS);
    let v: serde_json::Value = serde_json::from_slice(&p.to_json()).unwrap();
    assert_eq!(v["type"], "urn:ietf:params:acme:error:rateLimited");
    assert_eq!(v["status"], 429);
    // Retry-After is a header, never a body member.
    assert!(v.get("retry_after").is_none() && v.get("retryAfter").is_none());
    // An out-of-range status falls back to the type's.
    let mut odd = Problem::new(ErrorType::BadNonce, "x");
    odd.status = 7;
    assert_eq!(odd.http_status(), StatusCode::BAD_REQUEST);
}
