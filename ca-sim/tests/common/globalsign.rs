//! A GlobalSign GCC SOAP client written from GlobalSign's documented shapes (hand-written
//! envelopes: the operation wrapper qualified, children unqualified; answers read as text),
//! shared by the test files that order through GlobalSign.

use super::{ders, eventually, Sim};

pub const NS: &str = "https://system.globalsign.com/kb/ws/v1/";

/// A SOAP envelope around `<ns0:{op}><Request>{inner}</Request></ns0:{op}>`.
pub fn envelope(op: &str, inner: &str) -> String {
    format!(
        r#"<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body><ns0:{op} xmlns:ns0="{NS}"><Request>{inner}</Request></ns0:{op}></soap-env:Body></soap-env:Envelope>"#
    )
}

/// The request header `header` carrying the AuthToken.
fn auth(header: &str, user: &str, pass: &str) -> String {
    format!("<{header}><AuthToken><UserName>{user}</UserName><Password>{pass}</Password></AuthToken></{header}>")
}

/// An OVOrder for `cn` (SAN `www.{cn}`) with organization and contact, as the docs show it.
pub fn ov_order(cn: &str, csr: &str, months: u32, product: &str) -> String {
    envelope("OVOrder", &format!(
        "{}<OrderRequestParameter><ProductCode>{product}</ProductCode><OrderKind>new</OrderKind><Licenses>1</Licenses><ValidityPeriod><Months>{months}</Months></ValidityPeriod><CSR>{csr}</CSR></OrderRequestParameter>\
         <OrganizationInfo><OrganizationName>Example &amp; Co</OrganizationName><OrganizationAddress><AddressLine1>1 Main St</AddressLine1><City>Boston</City><Region>MA</Region><PostalCode>02110</PostalCode><Country>US</Country><Phone>+1 617 555 0100</Phone></OrganizationAddress></OrganizationInfo>\
         <ContactInfo><FirstName>Jane</FirstName><LastName>Doe</LastName><Phone>+1 617 555 0100</Phone><Email>jane@example.com</Email></ContactInfo>\
         <SANEntries><SANEntry><SANOptionType>7</SANOptionType><SubjectAltName>www.{cn}</SubjectAltName></SANEntry></SANEntries>",
        auth("OrderRequestHeader", "PAR_SIM_API", "sim-gs-pass")
    ))
}

/// GetOrderByOrderID for `id`, asking for the order, certificate, fulfillment and CA certs.
pub fn get_order(id: &str) -> String {
    envelope("GetOrderByOrderID", &format!(
        "{}<OrderID>{id}</OrderID><OrderQueryOption><ReturnOrderOption>true</ReturnOrderOption><ReturnCertificateInfo>true</ReturnCertificateInfo><ReturnFulfillment>true</ReturnFulfillment><ReturnCACerts>true</ReturnCACerts></OrderQueryOption>",
        auth("QueryRequestHeader", "PAR_SIM_API", "sim-gs-pass")
    ))
}

/// ModifyOrder `operation` (`CANCEL`, `REVOKE`, …) on `id`.
pub fn modify(id: &str, operation: &str) -> String {
    envelope(
        "ModifyOrder",
        &format!(
            "{}<OrderID>{id}</OrderID><ModifyOrderOperation>{operation}</ModifyOrderOperation>",
            auth("OrderRequestHeader", "PAR_SIM_API", "sim-gs-pass")
        ),
    )
}

/// POSTs `body` to `service`: (HTTP status, body).
pub async fn call(sim: &Sim, service: &str, body: String) -> (u16, String) {
    try_call(sim, service, body).await.unwrap()
}

/// [`call`] of ServerSSLService (orders, ModifyOrder).
pub async fn ssl(sim: &Sim, body: String) -> (u16, String) {
    call(sim, "ServerSSLService", body).await
}

/// [`call`] of GASService (GetOrderByOrderID).
pub async fn gas(sim: &Sim, body: String) -> (u16, String) {
    call(sim, "GASService", body).await
}

/// [`call`] for answers that may never come (a dropped connection is an `Err`).
pub async fn try_call(sim: &Sim, service: &str, body: String) -> reqwest::Result<(u16, String)> {
    let r = sim
        .client
        .post(format!("{}/kb/ws/v1/{service}", sim.url))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", "\"\"")
        .body(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.text().await?))
}

/// Polls GetOrderByOrderID until `OrderStatus` is `status`; returns that answer.
pub async fn wait_status(sim: &Sim, id: &str, status: &str) -> String {
    eventually(&format!("status {status}"), || async {
        let (_, b) = gas(sim, get_order(id)).await;
        (tag(&b, "OrderStatus").as_deref() == Some(status)).then_some(b)
    })
    .await
}

/// Waits for `OrderStatus` 4 and returns the leaf certificate's subject.
pub async fn issued_subject(sim: &Sim, id: &str) -> String {
    let b = wait_status(sim, id, "4").await;
    let leaf = ders(&tag(&b, "X509Cert").unwrap()).remove(0);
    shared::crypto::parse_certificate(&leaf).unwrap().subject
}

/// The text of the first element `name` (unescaped), read by position: the test stays
/// independent of the server's types.
pub fn tag(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))? + start;
    Some(unescape(&text[start..end]))
}

/// The text of every element `name`, in order.
pub fn tags(text: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    let open = format!("<{name}>");
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&format!("</{name}>")) else {
            break;
        };
        out.push(unescape(&after[..j]));
        rest = &after[j..];
    }
    out
}

fn unescape(s: &str) -> String {
    quick_xml::escape::unescape(s).unwrap().into_owned()
}
