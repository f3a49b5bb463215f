//! The DigiCert adapter against a wiremock CertCentral: request shapes, answers, error
//! classification, cancellation and lookup.

use super::wire::{b64_of, normalize_pem, with_reason, DEVKEY};
use super::DigiCert;
use crate::providers::convert::validity_years;
use crate::providers::test_support::{
    self, assert_cancels_settled, assert_error, assert_polled, chain, client, mock_ca, order, pem,
    Pause,
};
use crate::providers::types::{
    CaProvider, CancelOutcome, CertType, Credentials, OrderStatus, ProviderError, Submitted,
};
use serde_json::{json, Value};
use std::time::Duration;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

#[test]
fn rejection_reason_is_passed_through() {
    let order = serde_json::json!({"status": "rejected",
            "requests": [{"id": 1, "status": "rejected", "processor_comment": "Org validation failed"}]});
    assert_eq!(
        with_reason("DigiCert rejected order 7.".into(), &order),
        "DigiCert rejected order 7. Reason: Org validation failed"
    );
    let notes = serde_json::json!({"status": "canceled", "notes": "duplicate"});
    assert!(with_reason("x".into(), &notes).ends_with("Reason: duplicate"));
    assert_eq!(with_reason("x".into(), &serde_json::json!({})), "x");
}

fn creds() -> Credentials {
    Credentials {
        account_id: Some("1234567".into()),
        pwd: Some("devkey-secret".into()),
        org_id: Some("654321".into()),
        admin: None,
        issuer: String::new(),
    }
}

async fn setup() -> (MockServer, DigiCert) {
    // Trailing slash on purpose.
    let (server, base) = mock_ca("/services/v2/").await;
    (server, DigiCert::new(base, client()))
}

async fn mount_me(server: &MockServer, account: Value) {
    Mock::given(method("GET"))
        .and(path("/services/v2/user/me"))
        .and(header(DEVKEY, "devkey-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 11, "username": "api", "account_id": account,
            "access_roles": [{"id": 100, "name": "Orders"}]
        })))
        .mount(server)
        .await;
}

fn errors(code: &str, message: &str) -> Value {
    json!({"errors": [{"code": code, "message": message}]})
}

#[tokio::test]
async fn submit_poll_pending_then_issued_with_crlf_four_cert_chain() {
    let (server, dc) = setup().await;
    mount_me(&server, json!(1234567)).await;
    Mock::given(method("POST"))
        .and(path("/services/v2/order/certificate/ssl_securesite_flex"))
        .and(header(DEVKEY, "devkey-secret"))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "certificate": {
                "common_name": "www.example.com",
                "dns_names": ["www.example.com", "example.com"],
                "signature_hash": "sha256",
                "server_platform": {"id": -1}
            },
            "organization": {"id": 654321},
            "order_validity": {"years": 1},
            "payment_method": "balance",
            "skip_approval": true,
            "disable_renewal_notifications": true
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"id": 542772, "requests": [{"id": 922432, "status": "pending"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let o = order("req-1", creds(), CertType::Ov);
    let submitted = dc.submit(&o).await.unwrap();
    assert_eq!(
        submitted,
        Submitted {
            order_id: "542772".into(),
            status: OrderStatus::Pending {
                ca_status: "pending".into()
            }
        }
    );
    // The body: CSR as PEM, reference in comments, the policy's CT choice as `disable_ct`.
    let reqs = server.received_requests().await.unwrap();
    let post = reqs.iter().find(|r| r.method.as_str() == "POST").unwrap();
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    let csr = body["certificate"]["csr"].as_str().unwrap();
    assert!(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    assert_eq!(normalize_pem(csr), b64_of(&o.csr_der));
    assert!(body["comments"].as_str().unwrap().contains("req-1"));
    assert!(!body.to_string().contains("transparency"));
    assert_eq!(body["disable_ct"], json!(false));

    // Poll: pending.
    let pending = Mock::given(method("GET"))
            .and(path("/services/v2/order/certificate/542772"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"id": 542772, "status": "pending", "certificate": {"common_name": "www.example.com"}}),
            ))
            .up_to_n_times(1)
            .mount_as_scoped(&server)
            .await;
    assert_eq!(
        dc.poll(&creds(), "542772").await.unwrap(),
        OrderStatus::Pending {
            ca_status: "pending".into()
        }
    );
    drop(pending);

    // Poll: issued; pem_all with CRLF and two intermediates.
    let certs = chain(2);
    let pem_all: String = certs.iter().map(|c| pem(c).replace('\n', "\r\n")).collect();
    Mock::given(method("GET"))
        .and(path("/services/v2/order/certificate/542772"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": 542772, "status": "issued", "certificate": {"id": 998877}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/services/v2/certificate/998877/download/format/pem_all",
        ))
        .and(header(DEVKEY, "devkey-secret"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/x-pem-file")
                .set_body_string(pem_all),
        )
        .mount(&server)
        .await;
    assert_eq!(
        dc.poll(&creds(), "542772").await.unwrap(),
        OrderStatus::Issued { chain: certs }
    );
}

#[tokio::test]
async fn immediate_issuance_and_ev_product() {
    let (server, dc) = setup().await;
    mount_me(&server, json!("1234567")).await;
    let certs = chain(1);
    let entries: Vec<Value> = certs
        .iter()
        .map(|c| json!({"subject_common_name": "x", "pem": pem(c)}))
        .collect();
    Mock::given(method("POST"))
        .and(path(
            "/services/v2/order/certificate/ssl_ev_securesite_flex",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": 77, "requests": [{"id": 78, "status": "approved"}],
            "certificate_id": 456789123, "certificate_chain": entries
        })))
        .mount(&server)
        .await;
    let mut o = order("req-2", creds(), CertType::Ev);
    o.validity_months = 13;
    o.credentials.org_id = Some("org-abc".into());
    let s = dc.submit(&o).await.unwrap();
    assert_eq!(s.order_id, "77");
    assert_eq!(s.status, OrderStatus::Issued { chain: certs });
    let reqs = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&reqs.last().unwrap().body).unwrap();
    assert_eq!(body["order_validity"]["years"], 2);
    assert_eq!(body["organization"]["id"], "org-abc");
}

#[tokio::test]
async fn account_and_config_checks() {
    let (server, dc) = setup().await;
    mount_me(&server, json!(999)).await;
    let err = dc
        .submit(&order("r", creds(), CertType::Ov))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Credentials { message } if message.contains("999")),
        "{err:?}"
    );

    let mut c = creds();
    c.org_id = None;
    let err = dc.submit(&order("r", c, CertType::Ov)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Config { .. }), "{err:?}");
    let mut c = creds();
    c.pwd = None;
    let err = dc.submit(&order("r", c, CertType::Ov)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Config { .. }), "{err:?}");
    // No POST was made.
    let reqs = server.received_requests().await.unwrap();
    assert!(reqs.iter().all(|r| r.method.as_str() == "GET"));
}

async fn submit_error(template: ResponseTemplate) -> ProviderError {
    let (server, dc) = setup().await;
    mount_me(&server, json!(1234567)).await;
    test_support::submit_error(&server, &dc, creds(), template).await
}

#[tokio::test]
async fn error_shapes_are_classified() {
    use Pause::{Any, Secs, Unasked};
    let answer = |status: u16, code: &str, message: &str| {
        ResponseTemplate::new(status).set_body_json(errors(code, message))
    };
    let cases = [
        (
            answer(400, "csr_invalid_cannot_parse", "Unable to parse the CSR."),
            "refused",
            "csr_invalid_cannot_parse: Unable to parse the CSR.",
            Any,
        ),
        (
            answer(401, "invalid_api_key", "Invalid API key."),
            "credentials",
            "Invalid API key",
            Any,
        ),
        (
            answer(
                403,
                "access_denied|missing_permission",
                "Permission denied.",
            ),
            "credentials",
            "missing_permission",
            Any,
        ),
        (
            answer(404, "not_found|product", "Product not found."),
            "refused",
            "not_found|product",
            Any,
        ),
        // DigiCert's code without Retry-After: the documented 5 s.
        (
            answer(429, "request_limit_exceeded", "slow down"),
            "throttled",
            "",
            Secs(5),
        ),
        // A 429 without DigiCert's code (a proxy's, say) may follow the act.
        (
            ResponseTemplate::new(429).insert_header("Retry-After", "2"),
            "ambiguous",
            "",
            Secs(2),
        ),
        (
            ResponseTemplate::new(503).set_body_string("<html>down</html>"),
            "ambiguous",
            "",
            Any,
        ),
        // Tolerated: errors as an object.
        (
            ResponseTemplate::new(404).set_body_json(
                json!({"errors": {"code": "not_found|route", "message": "Route not found"}}),
            ),
            "refused",
            "not_found|route",
            Any,
        ),
        (
            ResponseTemplate::new(201).set_body_string("{\"id\": 5,"),
            "ambiguous",
            "",
            Unasked,
        ),
    ];
    for (template, class, contains, pause) in cases {
        assert_error(&submit_error(template).await, class, contains, pause);
    }

    let e = submit_error(
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "12")
            .set_body_json(errors(
                "request_limit_exceeded",
                "Service unavailable, please limit request volume",
            )),
    )
    .await;
    // DigiCert documents request_limit_exceeded as refused before processing.
    assert_eq!(
            e,
            ProviderError::Throttled {
                message: "DigiCert order submission: HTTP 429: request_limit_exceeded: Service unavailable, please limit request volume".into(),
                retry_after: Some(Duration::from_secs(12))
            }
        );
    assert!(!e.may_have_acted());
    let e = submit_error(answer(500, "internal_error", "boom")).await;
    assert_error(&e, "ambiguous", "boom", Unasked);
    assert!(e.may_have_acted());
}

#[tokio::test]
async fn poll_final_statuses() {
    let (server, dc) = setup().await;
    for (id, status) in [
        ("1", "rejected"),
        ("2", "canceled"),
        ("3", "revoked"),
        ("4", "needs_approval"),
        ("5", "denied"),
        ("6", "expired"),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/services/v2/order/certificate/{id}")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"id": id, "status": status})),
            )
            .mount(&server)
            .await;
    }
    let c = creds();
    let finals = [
        ("1", "rejected"),
        ("2", "cancelled"),
        ("3", "revoked"),
        ("5", "rejected"),
        ("6", "revoked"),
    ];
    assert_polled(&dc, &c, &finals).await;
    assert_eq!(
        dc.poll(&c, "4").await.unwrap(),
        OrderStatus::Pending {
            ca_status: "needs_approval".into()
        }
    );
    let e = dc.poll(&c, "404").await.unwrap_err();
    assert!(matches!(e, ProviderError::Refused { .. }), "{e:?}");
}

#[tokio::test]
async fn cancel_paths() {
    let (server, dc) = setup().await;
    Mock::given(method("PUT"))
        .and(path("/services/v2/order/certificate/10/status"))
        .and(header(DEVKEY, "devkey-secret"))
        .and(body_partial_json(json!({"status": "canceled"})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        dc.cancel(&creds(), "10").await.unwrap(),
        CancelOutcome::Cancelled
    );
    let put = server.received_requests().await.unwrap().pop().unwrap();
    let body: Value = serde_json::from_slice(&put.body).unwrap();
    assert!(body["note"].as_str().is_some_and(|n| !n.is_empty()));

    for (id, status) in [("11", "issued"), ("12", "rejected"), ("13", "pending")] {
        Mock::given(method("PUT"))
            .and(path(format!("/services/v2/order/certificate/{id}/status")))
            .respond_with(
                ResponseTemplate::new(400)
                    .set_body_json(errors("invalid_status", "Order status cannot be changed.")),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/services/v2/order/certificate/{id}")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"id": id, "status": status})),
            )
            .mount(&server)
            .await;
    }
    let e = assert_cancels_settled(&dc, &creds(), ["11", "12", "13"]).await;
    assert!(
        matches!(&e, ProviderError::Refused { message } if message.contains("cannot be changed")),
        "{e:?}"
    );
}

/// One page of the order list: entries with ids only (the list carries no CSR).
fn list_page(ids: &[u64], total: usize, offset: usize) -> ResponseTemplate {
    let orders: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "status": "pending", "certificate": {"common_name": "www.example.com"}}))
        .collect();
    ResponseTemplate::new(200).set_body_json(
        json!({"orders": orders, "page": {"total": total, "limit": ids.len(), "offset": offset}}),
    )
}

async fn mount_detail(server: &MockServer, id: u64, csr: &str) {
    Mock::given(method("GET"))
        .and(path(format!("/services/v2/order/certificate/{id}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": id, "status": "pending", "certificate": {"csr": csr}})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn find_pages_the_order_list_to_the_end_and_matches_the_csr() {
    let (server, dc) = setup().await;
    let o = order("req-find", creds(), CertType::Ov);
    let ours = shared::crypto::pem_encode("CERTIFICATE REQUEST", &o.csr_der).replace('\n', "\r\n");
    let other = shared::crypto::pem_encode("CERTIFICATE REQUEST", &test_support::csr());
    // Three pages; ours is the very last entry of the last one (no cap on orders examined).
    for (offset, ids) in [
        (0usize, vec![310u64, 309]),
        (2, vec![308, 307]),
        (4, vec![300]),
    ] {
        Mock::given(method("GET"))
            .and(path("/services/v2/order/certificate"))
            .and(header(DEVKEY, "devkey-secret"))
            .and(query_param("filters[common_name]", "www.example.com"))
            .and(query_param("offset", offset.to_string()))
            .respond_with(list_page(&ids, 5, offset))
            .mount(&server)
            .await;
    }
    for id in [310, 309, 308, 307] {
        mount_detail(&server, id, &other).await;
    }
    mount_detail(&server, 300, &ours).await;
    assert_eq!(dc.find(&o).await.unwrap(), Some("300".into()));

    // No date filter: no clock (vault's, the wall's, the CA's) can make the lookup miss.
    let reqs = server.received_requests().await.unwrap();
    let lists: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.url.path() == "/services/v2/order/certificate")
        .collect();
    assert_eq!(lists.len(), 3);
    assert!(lists
        .iter()
        .all(|r| !r.url.query().unwrap_or("").contains("date")));

    // Another request: every page examined, no match -> None (the CA has no such order).
    let mut other_order = o.clone();
    other_order.csr_der = test_support::csr();
    assert_eq!(dc.find(&other_order).await.unwrap(), None);
}

#[tokio::test]
async fn find_unsupported_route() {
    let (server, dc) = setup().await;
    Mock::given(method("GET"))
        .and(path("/services/v2/order/certificate"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(errors("not_found|route", "Route not found.")),
        )
        .mount(&server)
        .await;
    let e = dc
        .find(&order("r", creds(), CertType::Ov))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, ProviderError::Refused { message } if message.contains("unsupported")),
        "{e:?}"
    );
}

#[tokio::test]
async fn cert_transparency_is_sent_as_disable_ct() {
    let (server, dc) = setup().await;
    mount_me(&server, json!(1234567)).await;
    Mock::given(method("POST"))
        .and(path("/services/v2/order/certificate/ssl_securesite_flex"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    for (ct, expected) in [
        (Some(false), Some(true)),
        (Some(true), Some(false)),
        (None, None),
    ] {
        let mut o = order("req-ct", creds(), CertType::Ov);
        o.cert_transparency = ct;
        dc.submit(&o).await.unwrap();
        let reqs = server.received_requests().await.unwrap();
        let post = reqs
            .iter()
            .rev()
            .find(|r| r.method.as_str() == "POST")
            .unwrap();
        let body: Value = serde_json::from_slice(&post.body).unwrap();
        assert_eq!(
            body["disable_ct"].as_bool(),
            expected,
            "cert_transparency {ct:?}"
        );
    }
}

#[test]
fn validity_is_in_whole_years() {
    assert_eq!(validity_years(0), 1);
    assert_eq!(validity_years(12), 1);
    assert_eq!(validity_years(24), 2);
}
