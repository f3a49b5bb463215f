//! GlobalSign GCC SOAP dialect: hand-written envelopes from GlobalSign's shapes (the operation
//! wrapper qualified, children unqualified), responses read with an XML parser, and a WSDL test.

use crate::common;

use common::globalsign::*;
use common::*;
use serde_json::json;

#[tokio::test]
async fn ov_order_poll_fulfillment_cancel_and_revoke() {
    let sim = Sim::start(timed("fixed:5s", 50.0)).await;
    let (key, csr) = csr("gs.example.com", &[]);
    let (s, body) = ssl(&sim, ov_order("gs.example.com", &csr, 12, "OV_SHA2")).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("OVOrderResponse"));
    assert!(body.contains(&format!("xmlns:ns2=\"{NS}\"")));
    assert_eq!(tag(&body, "SuccessCode").as_deref(), Some("0"));
    let id = tag(&body, "OrderID").unwrap();
    assert!(id.starts_with("CE") && id.len() == 16, "{id}");
    let (_, first) = gas(&sim, get_order(&id)).await;
    assert_eq!(tag(&first, "OrderStatus").as_deref(), Some("2"));
    assert!(tag(&first, "Fulfillment").is_none());
    let issued = wait_status(&sim, &id, "4").await;
    assert_eq!(tag(&issued, "CertificateStatus").as_deref(), Some("4"));
    assert_eq!(tag(&issued, "OrderId").as_deref(), Some(id.as_str()));
    let leaf = ders(&tag(&issued, "X509Cert").unwrap()).remove(0);
    let types = tags(&issued, "CACertType");
    let cas = tags(&issued, "CACert");
    let inters: Vec<Vec<u8>> = types
        .iter()
        .zip(&cas)
        .filter(|(t, _)| *t == "INTER")
        .flat_map(|(_, p)| ders(p))
        .collect();
    assert!(types.contains(&"ROOT".to_string()));
    verify_chain(
        &leaf,
        &inters,
        &sim.root_pem("globalsign"),
        &key,
        "www.gs.example.com",
    );
    let info = shared::crypto::parse_certificate(&leaf).unwrap();
    assert!(info.subject.contains("O=Example & Co"), "{}", info.subject);
    // Revoke, then revoking again is a status conflict.
    let (_, r) = ssl(&sim, modify(&id, "REVOKE")).await;
    assert_eq!(tag(&r, "SuccessCode").as_deref(), Some("0"), "{r}");
    let (_, b) = gas(&sim, get_order(&id)).await;
    assert_eq!(tag(&b, "OrderStatus").as_deref(), Some("7"));
    let (_, r) = ssl(&sim, modify(&id, "CANCEL")).await;
    assert_eq!(tag(&r, "ErrorCode").as_deref(), Some("-9938"));
    // Cancel a pending order; again → -9915.
    let (_, csr2) = common::csr("gs2.example.com", &[]);
    let (_, body) = ssl(&sim, ov_order("gs2.example.com", &csr2, 12, "OV")).await;
    let id2 = tag(&body, "OrderID").unwrap();
    let (_, r) = ssl(&sim, modify(&id2, "CANCEL")).await;
    assert_eq!(tag(&r, "SuccessCode").as_deref(), Some("0"));
    let (_, b) = gas(&sim, get_order(&id2)).await;
    assert_eq!(tag(&b, "OrderStatus").as_deref(), Some("3"));
    let (_, r) = ssl(&sim, modify(&id2, "CANCEL")).await;
    assert_eq!(tag(&r, "ErrorCode").as_deref(), Some("-9915"));
    sim.stop().await;
}

#[tokio::test]
async fn error_codes_in_http_200() {
    let sim = Sim::start(|_| {}).await;
    let (_, csr) = csr("err.example.com", &[]);
    let bad_login =
        ov_order("err.example.com", &csr, 12, "OV_SHA2").replace("sim-gs-pass", "wrong");
    let (s, b) = ssl(&sim, bad_login).await;
    assert_eq!(s, 200);
    assert_eq!(tag(&b, "SuccessCode").as_deref(), Some("-1"));
    assert_eq!(tag(&b, "ErrorCode").as_deref(), Some("-4001"));
    // Refused in a 200: product, missing or bad CSR, validity, EV on OV, unknown order.
    let order = |csr: &str, months, product| ov_order("err.example.com", csr, months, product);
    for (service, doc, code) in [
        ("ServerSSLService", order(&csr, 12, "DV_SHA2"), "-101"),
        ("ServerSSLService", order("", 12, "OV_SHA2"), "-102"),
        (
            "ServerSSLService",
            order("not a csr!", 12, "OV_SHA2"),
            "-104",
        ),
        ("ServerSSLService", order(&csr, 40, "OV_SHA2"), "-9949"),
        ("ServerSSLService", order(&csr, 12, "EV_SHA2"), "-105"),
        ("GASService", get_order("CE00000000000000"), "-9916"),
    ] {
        let (_, b) = call(&sim, service, doc).await;
        assert_eq!(tag(&b, "ErrorCode").as_deref(), Some(code), "{b}");
    }
    // Unknown operation or wrong service: a SOAP fault.
    let ov = || order(&csr, 12, "OV_SHA2");
    let (s, b) = gas(&sim, ov()).await;
    assert_eq!(s, 500);
    assert!(b.contains("Fault"));
    // Faults: balance (-6101) via vendor_error, 429, 5xx SOAP fault, CA-side denial.
    sim.set_faults(json!([
        {"name": "balance", "dialect": "globalsign", "operation": "order", "nth": 1, "action": {"kind": "vendor_error", "code": "-6101", "message": "Insufficient balance"}},
        {"name": "busy", "dialect": "globalsign", "operation": "order", "nth": 2, "action": {"kind": "rate_limit"}},
        {"name": "down", "dialect": "globalsign", "operation": "order", "nth": 3, "action": {"kind": "server_error", "status": 503}},
        {"name": "deny", "dialect": "globalsign", "operation": "order", "nth": 4, "action": {"kind": "reject", "reason": "EV vetting failed"}}
    ])).await;
    let (_, b) = ssl(&sim, ov()).await;
    assert_eq!(tag(&b, "ErrorCode").as_deref(), Some("-6101"));
    let (s, _) = ssl(&sim, ov()).await;
    assert_eq!(s, 429);
    let (s, b) = ssl(&sim, ov()).await;
    assert_eq!(s, 503);
    assert!(b.contains("soap:Server"));
    let (_, b) = ssl(&sim, ov()).await;
    let id = tag(&b, "OrderID").unwrap();
    let (_, b) = gas(&sim, get_order(&id)).await;
    assert_eq!(tag(&b, "OrderStatus").as_deref(), Some("10"));
    sim.stop().await;
}

/// Every operation the services answer is declared with its messages, elements and types, and
/// the elements of real responses exist in the declared types.
#[tokio::test]
async fn served_wsdls_declare_every_operation_and_response_element() {
    let sim = Sim::start(|_| {}).await;
    for (service, ops) in [
        (
            "ServerSSLService",
            vec!["OVOrder", "EVOrder", "ModifyOrder"],
        ),
        ("GASService", vec!["GetOrderByOrderID"]),
    ] {
        let w = wsdl(&sim, service).await;
        let schema = Schema::parse(&w);
        assert!(w.contains(&format!("targetNamespace=\"{NS}\"")));
        assert!(w.contains("elementFormDefault=\"unqualified\""));
        assert!(
            w.contains(&format!(
                "<soap:address location=\"{}/kb/ws/v1/{service}\"/>",
                sim.url
            )),
            "address points at ca-sim"
        );
        for op in &ops {
            assert!(w.contains(&format!("<wsdl:operation name=\"{op}\"><wsdl:input name=\"{op}\" message=\"tns:{op}\"/>")), "{op} in portType");
            assert!(w.contains(&format!("<wsdl:message name=\"{op}Response\">")));
            assert!(w.contains("soapAction=\"\""));
            assert!(
                schema.elements.contains_key(*op)
                    && schema.elements.contains_key(&format!("{op}Response"))
            );
        }
        for (_, t) in schema.elements.values().map(|t| ((), t)) {
            assert!(schema.types.contains_key(t), "type {t} declared");
        }
        for fields in schema.types.values() {
            for (_, t) in fields {
                if let Some(t) = t.strip_prefix("tns:") {
                    assert!(schema.types.contains_key(t), "type {t} declared");
                }
            }
        }
        schema_check_requests(&schema, service);
    }
    // Check actual responses against the GAS schema.
    let gas_schema = Schema::parse(&wsdl(&sim, "GASService").await);
    let (_, csr) = csr("wsdl.example.com", &[]);
    let (_, b) = ssl(&sim, ov_order("wsdl.example.com", &csr, 12, "OV_SHA2")).await;
    let ssl_schema = Schema::parse(&wsdl(&sim, "ServerSSLService").await);
    ssl_schema.check_doc(&b, "OVOrderResponse");
    let id = tag(&b, "OrderID").unwrap();
    let (_, b) = gas(&sim, get_order(&id)).await;
    assert!(b.contains("<X509Cert>"));
    gas_schema.check_doc(&b, "GetOrderByOrderIDResponse");
    let (_, b) = ssl(&sim, modify(&id, "REVOKE")).await;
    ssl_schema.check_doc(&b, "ModifyOrderResponse");
    sim.stop().await;
}

/// The WSDL `service` serves (`?wsdl`).
async fn wsdl(sim: &Sim, service: &str) -> String {
    let r = sim.get(&format!("/kb/ws/v1/{service}?wsdl")).await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

fn schema_check_requests(schema: &Schema, service: &str) {
    // The requests this test suite sends are valid against the served schema.
    let (_, csr) = csr("x.example.com", &[]);
    if service == "ServerSSLService" {
        schema.check_doc(&ov_order("x.example.com", &csr, 12, "OV_SHA2"), "OVOrder");
        // Key Vault's shapes: the optional OrderID/OrderId, no EV-only blocks.
        schema.check_doc(
            &vault_order(
                false,
                &csr,
                "OrderID",
                "KV1",
                Some("Org"),
                &["x.example.com"],
            ),
            "OVOrder",
        );
        schema.check_doc(
            &vault_order(true, &csr, "OrderId", "KV2", None, &["*.x.example.com"]),
            "EVOrder",
        );
        schema.check_doc(&modify("CE1", "CANCEL"), "ModifyOrder");
    } else {
        schema.check_doc(&get_order("CE1"), "GetOrderByOrderID");
    }
}

/// Just enough XSD reading: global elements → type, complex types → (child name → type).
struct Schema {
    elements: std::collections::HashMap<String, String>,
    types: std::collections::HashMap<String, Vec<(String, String)>>,
}

impl Schema {
    fn parse(w: &str) -> Schema {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(w);
        let mut elements = std::collections::HashMap::new();
        let mut types = std::collections::HashMap::new();
        let mut current: Option<(String, Vec<(String, String)>)> = None;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) => {
                    let attr = |k: &str| {
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.as_ref() == k)
                            .map(|a| a.value.to_string())
                    };
                    match e.name().as_ref() {
                        "xs:complexType" => current = Some((attr("name").unwrap(), Vec::new())),
                        "xs:element" => {
                            let (n, t) = (attr("name").unwrap(), attr("type").unwrap());
                            match current.as_mut() {
                                Some((_, f)) => f.push((n, t)),
                                None => {
                                    elements.insert(n, t.trim_start_matches("tns:").to_string());
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Event::End(e) if e.name().as_ref() == "xs:complexType" => {
                    if let Some((n, f)) = current.take() {
                        types.insert(n, f);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Schema { elements, types }
    }

    /// Walks the body element `root` of `doc` and checks every child against the schema.
    fn check_doc(&self, doc: &str, root: &str) {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(doc);
        let mut stack: Vec<Option<String>> = Vec::new(); // type of each open element
        let mut inside = false;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) if !inside => {
                    let name = e.local_name().as_ref().to_string();
                    if name == root {
                        inside = true;
                        assert!(
                            e.name().as_ref().contains(':'),
                            "operation wrapper is qualified"
                        );
                        stack.push(Some(self.elements[root].clone()));
                    }
                }
                Event::Start(e) => {
                    let name = e.name().as_ref().to_string();
                    assert!(!name.contains(':'), "child {name} must be unqualified");
                    let parent = stack
                        .last()
                        .cloned()
                        .flatten()
                        .unwrap_or_else(|| panic!("{name} inside a simple type"));
                    let fields = &self.types[&parent];
                    let t = fields
                        .iter()
                        .find(|(n, _)| *n == name)
                        .unwrap_or_else(|| panic!("{name} not declared in {parent}"))
                        .1
                        .clone();
                    stack.push(t.strip_prefix("tns:").map(str::to_string));
                }
                Event::Empty(e) => {
                    let name = e.name().as_ref().to_string();
                    let parent = stack.last().cloned().flatten().unwrap();
                    assert!(
                        self.types[&parent].iter().any(|(n, _)| *n == name),
                        "{name} not declared in {parent}"
                    );
                }
                Event::End(_) if inside => {
                    stack.pop();
                    if stack.is_empty() {
                        return;
                    }
                }
                Event::Eof => panic!("{root} not found"),
                _ => {}
            }
        }
    }
}

/// Escapes element text the way an XML writer does.
fn esc(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// An OVOrder/EVOrder exactly as Key Vault's GlobalSign adapter writes it: XML declaration,
/// `soap-env`/`ns0` prefixes, then OrderRequestHeader, OrderRequestParameter{ProductCode,
/// OrderKind, Licenses, ValidityPeriod/Months, CSR}, the pre-allocated id (`OrderID` in OVOrder,
/// `OrderId` in EVOrder), OrganizationInfo (OVOrder, only when given), ContactInfo and
/// SANEntries (7 per name, 13 for a wildcard). No EV-only blocks.
fn vault_order(
    ev: bool,
    csr: &str,
    id_element: &str,
    id: &str,
    org: Option<&str>,
    sans: &[&str],
) -> String {
    let (op, product) = if ev {
        ("EVOrder", "EV_SHA2")
    } else {
        ("OVOrder", "OV_SHA2")
    };
    let mut inner = format!(
        "<OrderRequestHeader><AuthToken><UserName>PAR_SIM_API</UserName><Password>sim-gs-pass</Password></AuthToken></OrderRequestHeader>\
         <OrderRequestParameter><ProductCode>{product}</ProductCode><OrderKind>new</OrderKind><Licenses>1</Licenses><ValidityPeriod><Months>12</Months></ValidityPeriod><CSR>{}</CSR></OrderRequestParameter>\
         <{id_element}>{}</{id_element}>",
        esc(csr),
        esc(id)
    );
    if let Some(org) = org {
        inner.push_str(&format!(
            "<OrganizationInfo><OrganizationName>{}</OrganizationName><OrganizationAddress><AddressLine1>Boston</AddressLine1><City>Boston</City><Region>MA</Region><Country>US</Country><Phone>+1 617 555 0100</Phone></OrganizationAddress></OrganizationInfo>",
            esc(org)
        ));
    }
    inner.push_str("<ContactInfo><FirstName>Ada</FirstName><LastName>Admin</LastName><Phone>+1 617 555 0100</Phone><Email>ada@example.com</Email></ContactInfo>");
    if !sans.is_empty() {
        inner.push_str("<SANEntries>");
        for n in sans {
            let kind = if n.starts_with("*.") { "13" } else { "7" };
            inner.push_str(&format!(
                "<SANEntry><SANOptionType>{kind}</SANOptionType><SubjectAltName>{}</SubjectAltName></SANEntry>",
                esc(n)
            ));
        }
        inner.push_str("</SANEntries>");
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body><ns0:{op} xmlns:ns0="{NS}"><Request>{inner}</Request></ns0:{op}></soap-env:Body></soap-env:Envelope>"#
    )
}

#[tokio::test]
async fn client_chosen_order_ids_in_vaults_ov_and_ev_shapes() {
    let sim = Sim::start(|_| {}).await;
    // OVOrder, CSR with O: OrganizationInfo sent; the OrderID is ours.
    let (_, csr1) = csr_for(
        "CN=kv-ov.example.com, O=Contoso Ltd, L=Boston, ST=MA, C=US",
        Default::default(),
    );
    let ov_id = "KV0123456789ABCDEF01";
    let doc = vault_order(
        false,
        &csr1,
        "OrderID",
        ov_id,
        Some("Contoso Ltd"),
        &["kv-ov.example.com", "www.kv-ov.example.com"],
    );
    let (s, b) = ssl(&sim, doc.clone()).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(tag(&b, "SuccessCode").as_deref(), Some("0"), "{b}");
    assert_eq!(tag(&b, "OrderID").as_deref(), Some(ov_id));
    let (_, g) = gas(&sim, get_order(ov_id)).await;
    assert_eq!(tag(&g, "SuccessCode").as_deref(), Some("0"), "{g}");
    assert_eq!(tag(&g, "OrderID").as_deref(), Some(ov_id));
    assert_eq!(
        tag(&g, "OrderId").as_deref(),
        Some(ov_id),
        "OrderInfo/OrderId"
    );
    let subject = issued_subject(&sim, ov_id).await;
    assert!(subject.contains("O=Contoso Ltd"), "{subject}");
    // The same id again: refused, whatever the operation.
    let (s, b) = ssl(&sim, doc).await;
    assert_eq!(s, 200);
    assert_eq!(tag(&b, "SuccessCode").as_deref(), Some("-1"));
    assert_eq!(tag(&b, "ErrorCode").as_deref(), Some("-105"), "{b}");
    assert_eq!(tag(&b, "ErrorField").as_deref(), Some("OrderID"));
    let (_, b) = ssl(&sim, vault_order(true, &csr1, "OrderId", ov_id, None, &[])).await;
    assert_eq!(tag(&b, "ErrorCode").as_deref(), Some("-105"), "{b}");
    assert_eq!(tag(&b, "ErrorField").as_deref(), Some("OrderId"));

    // OVOrder, CSR without O: vault sends no OrganizationInfo; ca-sim accepts it.
    let (_, csr2) = csr("kv-noorg.example.com", &[]);
    let (_, b) = ssl(
        &sim,
        vault_order(
            false,
            &csr2,
            "OrderID",
            "KV-NOORG_1",
            None,
            &["kv-noorg.example.com"],
        ),
    )
    .await;
    assert_eq!(tag(&b, "SuccessCode").as_deref(), Some("0"), "{b}");
    assert_eq!(tag(&b, "OrderID").as_deref(), Some("KV-NOORG_1"));
    issued_subject(&sim, "KV-NOORG_1").await;

    // EVOrder with only Key Vault's data (no EV-only blocks), a wildcard SAN (type 13) and
    // the id spelled OrderId; the organization and country come from the CSR.
    let (_, csr3) = csr_for(
        "CN=*.kv-ev.example.com, O=Fabrikam Inc, L=Seattle, ST=WA, C=US",
        Default::default(),
    );
    let ev_id = "KVFEDCBA9876543210FE";
    let (_, b) = ssl(
        &sim,
        vault_order(
            true,
            &csr3,
            "OrderId",
            ev_id,
            None,
            &["*.kv-ev.example.com"],
        ),
    )
    .await;
    assert!(b.contains("EVOrderResponse"), "{b}");
    assert_eq!(tag(&b, "SuccessCode").as_deref(), Some("0"), "{b}");
    assert_eq!(tag(&b, "OrderId").as_deref(), Some(ev_id));
    let subject = issued_subject(&sim, ev_id).await;
    assert!(
        subject.contains("O=Fabrikam Inc") && subject.contains("C=US"),
        "{subject}"
    );

    // Unknown ids are -9916; so is another account's order.
    let (_, b) = gas(&sim, get_order("KV00000000000000000000")).await;
    assert_eq!(tag(&b, "ErrorCode").as_deref(), Some("-9916"), "{b}");
    sim.put_account(
        json!({"dialect": "globalsign", "id": "PAR_OTHER", "secret": "pw", "profile": "instant"}),
    )
    .await;
    let (_, b) = gas(
        &sim,
        get_order(ov_id)
            .replace("PAR_SIM_API", "PAR_OTHER")
            .replace("sim-gs-pass", "pw"),
    )
    .await;
    assert_eq!(tag(&b, "ErrorCode").as_deref(), Some("-9916"), "{b}");

    // The spelling trap: EVOrder ignores `OrderID` (its element is `OrderId`), so the order
    // gets a generated id and the client's id is not found.
    let (_, csr4) = csr_for(
        "CN=trap.example.com, O=Fabrikam Inc, C=US",
        Default::default(),
    );
    let (_, b) = ssl(
        &sim,
        vault_order(true, &csr4, "OrderID", "KVTRAP", None, &[]),
    )
    .await;
    assert_eq!(tag(&b, "SuccessCode").as_deref(), Some("0"), "{b}");
    let generated = tag(&b, "OrderId").unwrap();
    assert!(generated.starts_with("CE"), "{generated}");
    let (_, b) = gas(&sim, get_order("KVTRAP")).await;
    assert_eq!(tag(&b, "ErrorCode").as_deref(), Some("-9916"), "{b}");

    // Length and format checks on the id.
    let (_, b) = ssl(
        &sim,
        vault_order(false, &csr2, "OrderID", &"K".repeat(51), None, &[]),
    )
    .await;
    assert_eq!(tag(&b, "ErrorCode").as_deref(), Some("-103"), "{b}");
    let (_, b) = ssl(
        &sim,
        vault_order(false, &csr2, "OrderID", "KV 1/2", None, &[]),
    )
    .await;
    assert_eq!(tag(&b, "ErrorCode").as_deref(), Some("-104"), "{b}");

    // A client id shaped like a generated one does not make a later order collide: the
    // generator skips ids that are taken.
    let date = &generated[2..10];
    let seq: u64 = generated[10..].parse().unwrap();
    let squat = format!("CE{date}{:06}", seq + 2);
    let (_, b) = ssl(
        &sim,
        vault_order(false, &csr2, "OrderID", &squat, None, &[]),
    )
    .await;
    assert_eq!(tag(&b, "OrderID").as_deref(), Some(squat.as_str()), "{b}");
    let (_, csr5) = csr("after.example.com", &[]);
    let (_, b) = ssl(&sim, vault_order(false, &csr5, "SubID", "0", None, &[])).await;
    let next = tag(&b, "OrderID").unwrap();
    assert_ne!(next, squat);
    let (_, b) = gas(&sim, get_order(&squat)).await;
    assert_eq!(
        tag(&b, "DomainName").as_deref(),
        Some("kv-noorg.example.com")
    );
    let (_, b) = gas(&sim, get_order(&next)).await;
    assert_eq!(tag(&b, "DomainName").as_deref(), Some("after.example.com"));
    sim.stop().await;
}

/// Faults after the act: GlobalSign creates or cancels, then the answer is lost. The client's
/// own OrderID finds the order; a second submit with it is `-105`; the admin view shows one.
#[tokio::test]
async fn after_phase_faults_lose_the_answer_once_the_ca_acted() {
    // Orders stay open (an hour of simulated time) so that they can be cancelled.
    let sim = Sim::start_profiled("fixed:1h").await;
    sim.set_faults(json!([
        {"name": "lost-create", "dialect": "globalsign", "operation": "order",
         "common_name": "lost.gs.test", "phase": "after",
         "action": {"kind": "server_error", "status": 504}},
        {"name": "lost-poll", "operation": "poll", "common_name": "lost.gs.test", "nth": 1,
         "phase": "after", "action": {"kind": "server_error"}},
        {"name": "garbled-create", "operation": "order", "common_name": "garbled.gs.test",
         "phase": "after", "action": {"kind": "malformed"}},
        {"name": "refused-create", "operation": "order", "common_name": "before.gs.test",
         "action": {"kind": "server_error"}},
        {"name": "dropped-cancel", "operation": "cancel", "common_name": "cancel.gs.test",
         "phase": "after", "action": {"kind": "drop"}}
    ]))
    .await;

    // Key Vault's OVOrder for `cn` with our OrderID `id`.
    let ov = |cn: &str, id: &str, sans: &[&str]| {
        vault_order(false, &csr(cn, &[]).1, "OrderID", id, None, sans)
    };

    // server_error after OVOrder: a 504 SOAP Fault, yet the order exists under our OrderID.
    let doc = ov("lost.gs.test", "KV-LOST-1", &["lost.gs.test"]);
    let (s, b) = ssl(&sim, doc.clone()).await;
    assert_eq!(s, 504, "{b}");
    assert!(b.contains("Fault"), "{b}");
    let lost = sim.only_order("lost.gs.test").await;
    assert_eq!(lost["id"], "KV-LOST-1");
    // A second submit with the same OrderID: -105, still one order.
    let (_, b) = ssl(&sim, doc).await;
    assert_eq!(tag(&b, "ErrorCode").as_deref(), Some("-105"), "{b}");
    sim.only_order("lost.gs.test").await;
    // GetOrderByOrderID finds it; its first answer is lost too (a read), the next arrives.
    let (s, _) = gas(&sim, get_order("KV-LOST-1")).await;
    assert_eq!(s, 500);
    let (_, b) = gas(&sim, get_order("KV-LOST-1")).await;
    assert_eq!(tag(&b, "SuccessCode").as_deref(), Some("0"), "{b}");
    assert_eq!(tag(&b, "OrderStatus").as_deref(), Some("2"), "{b}");
    let entry = sim.history("globalsign", "order").await.remove(0);
    assert_eq!(entry["fault_phase"], "after", "{entry}");
    assert_eq!(entry["order_id"], "KV-LOST-1", "{entry}");

    // malformed after OVOrder: 200 with a truncated envelope; the order exists.
    let (s, b) = ssl(&sim, ov("garbled.gs.test", "KV-GARBLED", &[])).await;
    assert_eq!(s, 200);
    assert!(
        !b.contains("</soap:Envelope>") && tag(&b, "OrderID").is_none(),
        "{b}"
    );
    sim.only_order("garbled.gs.test").await;

    // The default phase is before: refused before the act, no order.
    let (s, _) = ssl(&sim, ov("before.gs.test", "KV-BEFORE", &[])).await;
    assert_eq!(s, 500);
    assert!(sim.orders_for("before.gs.test").await.is_empty());

    // drop after ModifyOrder CANCEL: no answer, the order is cancelled (status 3).
    let (_, b) = ssl(&sim, ov("cancel.gs.test", "KV-CANCEL", &[])).await;
    assert_eq!(tag(&b, "SuccessCode").as_deref(), Some("0"), "{b}");
    let dropped = try_call(&sim, "ServerSSLService", modify("KV-CANCEL", "CANCEL")).await;
    assert!(
        dropped.is_err(),
        "the connection must close without an answer"
    );
    let order = sim.only_order("cancel.gs.test").await;
    assert_eq!(order["status"], "canceled", "{order:#}");
    let (_, b) = gas(&sim, get_order("KV-CANCEL")).await;
    assert_eq!(tag(&b, "OrderStatus").as_deref(), Some("3"), "{b}");
    sim.stop().await;
}
