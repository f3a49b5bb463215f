//! The GlobalSign adapter against a wiremock GCC: the spec's example answers, request
//! envelopes, error codes, status mapping, cancellation and lookup.

mod examples;

use super::order::chain_of;
use super::soap::parse_xml;
use super::*;
use crate::providers::convert::pem_certs;
use crate::providers::test_support::{
    self, admin, assert_cancels_settled, assert_error, assert_polled, chain, client, mock_ca,
    order, pem, Pause,
};
use examples::{GET_RESPONSE, MODIFY_RESPONSE, OV_RESPONSE};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn creds() -> Credentials {
    Credentials {
        account_id: Some("PAR12345_apiuser".into()),
        pwd: Some("s3cret<&>".into()),
        org_id: None,
        admin: Some(admin("Jane & <Co>")),
        issuer: String::new(),
    }
}

async fn setup() -> (MockServer, GlobalSign) {
    let (server, base) = mock_ca("/kb/ws/v1/").await;
    (server, GlobalSign::new(base, client()))
}

fn xml(body: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/xml;charset=UTF-8")
        .set_body_string(body.into())
}

fn error_response(operation: &str, code: i64, message: &str) -> String {
    format!(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ns2:{operation}Response xmlns:ns2="https://system.globalsign.com/kb/ws/v1/"><Response><OrderResponseHeader><SuccessCode>-1</SuccessCode><Errors><Error><ErrorCode>{code}</ErrorCode><ErrorField>Field</ErrorField><ErrorMessage>{message}</ErrorMessage></Error></Errors><Timestamp>2026-11-27T07:23:04.000+00:00</Timestamp></OrderResponseHeader></Response></ns2:{operation}Response></soap:Body></soap:Envelope>"#
    )
}

/// GlobalSign's answer to a lookup of an order it does not have.
fn not_found() -> String {
    error_response("GetOrderByOrderID", -9916, "Order not found")
}

/// The CA's `service` answers `answer` to a call about order `id`.
async fn on_order(server: &MockServer, service: &str, id: &str, answer: impl Into<String>) {
    Mock::given(method("POST"))
        .and(path(format!("/kb/ws/v1/{service}")))
        .and(body_string_contains(format!("<OrderID>{id}</OrderID>")))
        .respond_with(xml(answer))
        .mount(server)
        .await;
}

/// The example response with the given status and our own chain PEMs (or no fulfillment).
fn get_response(status: u8, certs: Option<&[Vec<u8>]>) -> String {
    let mut doc = GET_RESPONSE
        .replace(
            "<OrderStatus>4</OrderStatus>",
            &format!("<OrderStatus>{status}</OrderStatus>"),
        )
        .replace(
            "<CertificateStatus>4</CertificateStatus>",
            &format!("<CertificateStatus>{status}</CertificateStatus>"),
        );
    let start = doc.find("<Fulfillment>").unwrap();
    let end = doc.find("</Fulfillment>").unwrap() + "</Fulfillment>".len();
    let replacement = match certs {
            None => String::new(),
            // ROOT listed before INTER, as in the example: the adapter reorders.
            Some(c) => format!(
                "<Fulfillment><CACertificates><CACertificate><CACertType>ROOT</CACertType><CACert>{}</CACert></CACertificate><CACertificate><CACertType>INTER</CACertType><CACert>{}</CACert></CACertificate></CACertificates><ServerCertificate><X509Cert>{}</X509Cert><PKCS7Cert>-----BEGIN PKCS7-----\nMA==\n-----END PKCS7-----</PKCS7Cert></ServerCertificate></Fulfillment>",
                pem(&c[2]), pem(&c[1]), pem(&c[0])
            ),
        };
    doc.replace_range(start..end, &replacement);
    doc
}

#[test]
fn order_id_is_deterministic() {
    let a = order_id_for("req-1");
    assert_eq!(a, order_id_for("req-1"));
    assert_ne!(a, order_id_for("req-2"));
    assert_eq!(a.len(), 20);
    assert!(a.starts_with("KV"));
    assert!(a[2..]
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
}

#[test]
fn example_response_chain_is_inter_then_root() {
    let root = parse_xml(GET_RESPONSE).unwrap();
    let response = root
        .path(&["Body", "GetOrderByOrderIDResponse", "Response"])
        .unwrap();
    let chain = chain_of(response).unwrap().unwrap();
    let blocks = |tag: &str| {
        let s = GET_RESPONSE.find(&format!("<{tag}>")).unwrap();
        let e = GET_RESPONSE.find(&format!("</{tag}>")).unwrap();
        pem_certs(&GET_RESPONSE[s..e])
    };
    let leaf = blocks("X509Cert");
    let fulfillment = blocks("CACertificates");
    // The example lists ROOT then INTER.
    assert_eq!(
        chain,
        vec![
            leaf[0].clone(),
            fulfillment[1].clone(),
            fulfillment[0].clone()
        ]
    );
}

#[tokio::test]
async fn submit_poll_pending_then_issued() {
    let (server, gs) = setup().await;
    Mock::given(method("POST"))
        .and(path("/kb/ws/v1/ServerSSLService"))
        .and(header("content-type", "text/xml; charset=utf-8"))
        .and(header("SOAPAction", "\"\""))
        .and(body_string_contains("OVOrder"))
        .respond_with(xml(OV_RESPONSE))
        .expect(1)
        .mount(&server)
        .await;
    let o = order("req-gs-1", creds(), CertType::Ov);
    let s = gs.submit(&o).await.unwrap();
    assert_eq!(s.order_id, "CE20261127000001");
    assert!(matches!(s.status, OrderStatus::Pending { .. }));

    // Request shape.
    let r = server.received_requests().await.unwrap().pop().unwrap();
    let raw = String::from_utf8(r.body.clone()).unwrap();
    assert!(
        raw.contains(r#"<ns0:OVOrder xmlns:ns0="https://system.globalsign.com/kb/ws/v1/">"#),
        "{raw}"
    );
    assert!(raw.contains("<Request>"));
    assert!(raw.contains("Jane &amp; &lt;Co&gt;"));
    let doc = parse_xml(&raw).unwrap();
    assert_eq!(doc.name, "Envelope");
    let request = doc.path(&["Body", "OVOrder", "Request"]).unwrap();
    let names: Vec<&str> = request.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "OrderRequestHeader",
            "OrderRequestParameter",
            "OrderID",
            "OrganizationInfo",
            "ContactInfo",
            "SANEntries"
        ]
    );
    assert_eq!(
        request.text_of(&["OrderRequestHeader", "AuthToken", "UserName"]),
        Some("PAR12345_apiuser")
    );
    assert_eq!(
        request.text_of(&["OrderRequestHeader", "AuthToken", "Password"]),
        Some("s3cret<&>")
    );
    let param = request.child("OrderRequestParameter").unwrap();
    let names: Vec<&str> = param.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ProductCode",
            "OrderKind",
            "Licenses",
            "ValidityPeriod",
            "CSR"
        ]
    );
    assert_eq!(param.text_of(&["ProductCode"]), Some("OV_SHA2"));
    assert_eq!(param.text_of(&["OrderKind"]), Some("new"));
    assert_eq!(param.text_of(&["Licenses"]), Some("1"));
    assert_eq!(param.text_of(&["ValidityPeriod", "Months"]), Some("12"));
    assert_eq!(pem_blocks_der(param.text_of(&["CSR"]).unwrap()), o.csr_der);
    assert_eq!(
        request.text_of(&["OrderID"]),
        Some(order_id_for("req-gs-1").as_str())
    );
    assert_eq!(
        request.text_of(&["OrganizationInfo", "OrganizationName"]),
        Some("Example Org Inc")
    );
    assert_eq!(
        request.text_of(&["OrganizationInfo", "OrganizationAddress", "Country"]),
        Some("US")
    );
    assert_eq!(
        request.text_of(&["ContactInfo", "FirstName"]),
        Some("Jane & <Co>")
    );
    assert_eq!(
        request.text_of(&["ContactInfo", "Phone"]),
        Some("+1 617 555 0100")
    );
    assert_eq!(
        request.text_of(&["ContactInfo", "Email"]),
        Some("jane@example.com")
    );
    let sans: Vec<(&str, &str)> = request
        .child("SANEntries")
        .unwrap()
        .children_named("SANEntry")
        .map(|e| {
            (
                e.text_of(&["SANOptionType"]).unwrap(),
                e.text_of(&["SubjectAltName"]).unwrap(),
            )
        })
        .collect();
    assert_eq!(sans, [("7", "www.example.com"), ("7", "example.com")]);

    // Poll: waiting, then issued.
    let pending = Mock::given(method("POST"))
        .and(path("/kb/ws/v1/GASService"))
        .and(body_string_contains("GetOrderByOrderID"))
        .respond_with(xml(get_response(2, None)))
        .mount_as_scoped(&server)
        .await;
    assert_eq!(
        gs.poll(&creds(), "CE20261127000001").await.unwrap(),
        OrderStatus::Pending {
            ca_status: "2 (Waiting)".into()
        }
    );
    let r = server.received_requests().await.unwrap().pop().unwrap();
    let raw = String::from_utf8(r.body.clone()).unwrap();
    assert!(raw.contains(
        r#"<ns0:GetOrderByOrderID xmlns:ns0="https://system.globalsign.com/kb/ws/v1/">"#
    ));
    let doc = parse_xml(&raw).unwrap();
    let request = doc.path(&["Body", "GetOrderByOrderID", "Request"]).unwrap();
    assert_eq!(
        request.text_of(&["QueryRequestHeader", "AuthToken", "UserName"]),
        Some("PAR12345_apiuser")
    );
    assert_eq!(request.text_of(&["OrderID"]), Some("CE20261127000001"));
    for opt in [
        "ReturnOrderOption",
        "ReturnCertificateInfo",
        "ReturnFulfillment",
        "ReturnCACerts",
    ] {
        assert_eq!(
            request.text_of(&["OrderQueryOption", opt]),
            Some("true"),
            "{opt}"
        );
    }
    drop(pending);

    let certs = chain(1);
    Mock::given(method("POST"))
        .and(path("/kb/ws/v1/GASService"))
        .respond_with(xml(get_response(4, Some(&certs))))
        .mount(&server)
        .await;
    assert_eq!(
        gs.poll(&creds(), "CE20261127000001").await.unwrap(),
        OrderStatus::Issued { chain: certs }
    );
}

fn pem_blocks_der(text: &str) -> Vec<u8> {
    shared::crypto::pem_blocks(text).remove(0).1
}

#[tokio::test]
async fn ev_order_spelling_and_wildcard() {
    let (server, gs) = setup().await;
    let ev_response = OV_RESPONSE
        .replace("OVOrderResponse", "EVOrderResponse")
        .replace(
            "<OrderID>CE20261127000001</OrderID>",
            "<OrderId>CE20261127000009</OrderId>",
        );
    Mock::given(method("POST"))
        .and(path("/kb/ws/v1/ServerSSLService"))
        .respond_with(xml(ev_response))
        .mount(&server)
        .await;
    let mut o = order("req-ev", creds(), CertType::Ev);
    o.dns_names = vec!["*.example.com".into()];
    let s = gs.submit(&o).await.unwrap();
    assert_eq!(s.order_id, "CE20261127000009");
    let r = server.received_requests().await.unwrap().pop().unwrap();
    let doc = parse_xml(std::str::from_utf8(&r.body).unwrap()).unwrap();
    let request = doc.path(&["Body", "EVOrder", "Request"]).unwrap();
    assert_eq!(
        request.text_of(&["OrderRequestParameter", "ProductCode"]),
        Some("EV_SHA2")
    );
    assert_eq!(
        request.text_of(&["OrderId"]),
        Some(order_id_for("req-ev").as_str())
    );
    assert!(request.child("OrderID").is_none());
    assert_eq!(
        request.text_of(&["SANEntries", "SANEntry", "SANOptionType"]),
        Some("13")
    );
}

#[tokio::test]
async fn missing_admin_fields_is_config() {
    let (server, gs) = setup().await;
    let mut c = creds();
    c.admin.as_mut().unwrap().phone = None;
    c.admin.as_mut().unwrap().email = Some(" ".into());
    let e = gs.submit(&order("r", c, CertType::Ov)).await.unwrap_err();
    assert!(
        matches!(&e, ProviderError::Config { message } if message.contains("phone, email")),
        "{e:?}"
    );
    let mut c = creds();
    c.admin = None;
    let e = gs.submit(&order("r", c, CertType::Ov)).await.unwrap_err();
    assert!(matches!(e, ProviderError::Config { .. }), "{e:?}");
    let mut c = creds();
    c.pwd = None;
    let e = gs.submit(&order("r", c, CertType::Ov)).await.unwrap_err();
    assert!(
        matches!(&e, ProviderError::Config { message } if message.contains("password")),
        "{e:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

async fn submit_error(t: ResponseTemplate) -> ProviderError {
    let (server, gs) = setup().await;
    test_support::submit_error(&server, &gs, creds(), t).await
}

#[tokio::test]
async fn error_shapes() {
    use Pause::{Any, Secs, Unasked};
    let fault = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Unmarshalling Error</faultstring></soap:Fault></soap:Body></soap:Envelope>"#;
    let coded = |code: i64, message: &str| xml(error_response("OVOrder", code, message));
    let mut cases = vec![
        (
            coded(-4001, "Login failed"),
            "credentials",
            "-4001 Login failed",
            Any,
        ),
        (
            coded(-101, "Invalid parameter"),
            "refused",
            "-101 Invalid parameter (Field)",
            Any,
        ),
        // -105 on our pre-allocated OrderID: an earlier attempt arrived; look it up.
        (coded(-105, "Invalid combination"), "exists", "-105", Any),
        (
            ResponseTemplate::new(500).set_body_string(fault),
            "ambiguous",
            "Unmarshalling Error",
            Unasked,
        ),
        (xml(fault), "ambiguous", "", Unasked),
        (
            xml("<soap:Envelope><soap:Body><ns2:OVOrderResponse>"),
            "ambiguous",
            "",
            Unasked,
        ),
        (xml("<a><b></a>"), "ambiguous", "", Unasked),
        (xml("not xml at all"), "ambiguous", "", Unasked),
        (
            ResponseTemplate::new(503).set_body_string("<html>maintenance</html>"),
            "ambiguous",
            "",
            Any,
        ),
        // GlobalSign documents no 429: one (from a proxy, say) may follow the act.
        (
            ResponseTemplate::new(429).insert_header("Retry-After", "9"),
            "ambiguous",
            "",
            Secs(9),
        ),
    ];
    for (codes, class) in [
        (&[-4201, -9200, -9939][..], "credentials"),
        (&[-102, -6101, -9936, -9961, -6007, -9949], "refused"),
        (&[-300, -201, -301, -9942, -9943], "ambiguous"),
    ] {
        cases.extend(
            codes
                .iter()
                .map(|&code| (coded(code, "no"), class, "", Any)),
        );
    }
    for (answer, class, contains, pause) in cases {
        assert_error(&submit_error(answer).await, class, contains, pause);
    }
}

#[tokio::test]
async fn poll_statuses_and_not_found() {
    let (server, gs) = setup().await;
    for (id, status) in [
        ("O3", 3u8),
        ("O5", 5),
        ("O6", 6),
        ("O7", 7),
        ("O8", 8),
        ("O9", 9),
        ("O10", 10),
        ("O1", 1),
        ("O4", 4),
    ] {
        on_order(&server, "GASService", id, get_response(status, None)).await;
    }
    on_order(&server, "GASService", "GONE", not_found()).await;
    let c = creds();
    // Issued without fulfillment yet (O4): keep polling.
    let variants = [
        ("O3", "cancelled"),
        ("O5", "cancelled"),
        ("O6", "revoked"),
        ("O7", "revoked"),
        ("O10", "rejected"),
        ("O4", "pending"),
    ];
    assert_polled(&gs, &c, &variants).await;
    for (id, ca_status) in [
        ("O8", "8 (Pending approval)"),
        ("O9", "9 (Locked)"),
        ("O1", "1 (Initial)"),
    ] {
        assert_eq!(
            gs.poll(&c, id).await.unwrap(),
            OrderStatus::Pending {
                ca_status: ca_status.into()
            }
        );
    }
    let e = gs.poll(&c, "GONE").await.unwrap_err();
    assert!(
        matches!(&e, ProviderError::Refused { message } if message.contains("-9916")),
        "{e:?}"
    );
}

#[tokio::test]
async fn cancel_paths() {
    let (server, gs) = setup().await;
    on_order(
        &server,
        "ServerSSLService",
        "CE20261127000001",
        MODIFY_RESPONSE,
    )
    .await;
    assert_eq!(
        gs.cancel(&creds(), "CE20261127000001").await.unwrap(),
        CancelOutcome::Cancelled
    );
    let r = server.received_requests().await.unwrap().pop().unwrap();
    let raw = String::from_utf8(r.body.clone()).unwrap();
    assert!(
        raw.contains(r#"<ns0:ModifyOrder xmlns:ns0="https://system.globalsign.com/kb/ws/v1/">"#)
    );
    let doc = parse_xml(&raw).unwrap();
    let request = doc.path(&["Body", "ModifyOrder", "Request"]).unwrap();
    let names: Vec<&str> = request.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["OrderRequestHeader", "OrderID", "ModifyOrderOperation"]
    );
    assert_eq!(request.text_of(&["ModifyOrderOperation"]), Some("CANCEL"));

    let done = error_response("ModifyOrder", -9915, "Already cancelled");
    on_order(&server, "ServerSSLService", "DONE", done).await;
    assert_eq!(
        gs.cancel(&creds(), "DONE").await.unwrap(),
        CancelOutcome::Cancelled
    );

    for (id, status) in [("ISS", 4u8), ("REV", 7), ("WAIT", 2)] {
        let changed = error_response("ModifyOrder", -9938, "Status already changed");
        on_order(&server, "ServerSSLService", id, changed).await;
        on_order(&server, "GASService", id, get_response(status, None)).await;
    }
    assert_cancels_settled(&gs, &creds(), ["ISS", "REV", "WAIT"]).await;
}

#[tokio::test]
async fn find_paths() {
    let (server, gs) = setup().await;
    let found = order("req-found", creds(), CertType::Ov);
    let missing = order("req-missing", creds(), CertType::Ov);
    let found_id = order_id_for("req-found");
    let found_response = get_response(2, None).replace("CE20261127000001", &found_id);
    on_order(&server, "GASService", &found_id, found_response).await;
    on_order(
        &server,
        "GASService",
        &order_id_for("req-missing"),
        not_found(),
    )
    .await;
    assert_eq!(gs.find(&found).await.unwrap(), Some(found_id));
    assert_eq!(gs.find(&missing).await.unwrap(), None);

    let (server, gs) = setup().await;
    Mock::given(method("POST"))
        .respond_with(xml(error_response(
            "GetOrderByOrderID",
            -4001,
            "Login failed",
        )))
        .mount(&server)
        .await;
    assert!(matches!(
        gs.find(&found).await.unwrap_err(),
        ProviderError::Credentials { .. }
    ));
}
