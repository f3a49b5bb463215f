//! GlobalSign GCC SOAP adapter (partner-dialects.md §3.2, §8, §1.3, §6;
//! `spec/globalsign/` WSDLs and examples).
//!
//! Owns the SOAP 1.1 document/literal exchange with `ServerSSLService` (OVOrder, EVOrder,
//! ModifyOrder) and `GASService` (GetOrderByOrderID): envelopes are written and read with
//! quick-xml (values escaped by the writer, responses parsed into a small element tree and
//! addressed by local names, so any namespace prefix works). Only the operation wrapper is
//! namespace-qualified (`https://system.globalsign.com/kb/ws/v1/`); its children are not.
//! Every call is `POST {base}/{Service}` with `Content-Type: text/xml; charset=utf-8` and
//! `SOAPAction: ""`.
//!
//! - submit: `OVOrder` / `EVOrder` with `AuthToken{UserName = account_id, Password = pwd}`,
//!   `OrderRequestParameter{ProductCode OV_SHA2|EV_SHA2, OrderKind new, Licenses 1,
//!   ValidityPeriod/Months, CSR}`, a pre-allocated order id right after it (`OrderID` in
//!   OVOrder, `OrderId` in EVOrder, matching each operation's spelling), `OrganizationInfo`
//!   (OVOrder only, when the CSR subject has an O; address parts from the subject, phone from
//!   the admin contact), `ContactInfo` from `admin_details[0]` (all four fields required) and
//!   `SANEntries` (`SANOptionType` 7 per DNS name, 13 for a wildcard).
//! - The pre-allocated id is derived from the operation's `reference` only:
//!   `"KV" + upper-case hex of the first 9 bytes of SHA-256(reference)` (20 characters), so
//!   `find` can ask for exactly that order after a lost answer.
//! - poll: `GetOrderByOrderID` with `OrderQueryOption{ReturnOrderOption,
//!   ReturnCertificateInfo, ReturnFulfillment, ReturnCACerts = true}`; `OrderStatus` 4 →
//!   issued with the chain `X509Cert`, then `INTER` CA certificates, then `ROOT`; 1/2/8/9
//!   pending; 3/5 cancelled; 6/7 revoked; 10 denied.
//! - cancel: `ModifyOrder{OrderID, ModifyOrderOperation CANCEL}`; -9915 means already
//!   cancelled; -9938 (status already changed) is resolved by reading the order.
//! - find: `GetOrderByOrderID` on the derived id; -9916 (not found) → none.
//! - errors: HTTP 200 with `OrderResponseHeader/SuccessCode` -1 and `Errors/Error[]`;
//!   -4001/-4201/-9200/-9939 → Credentials, -300/-201/-301/-9942/-9943 → Transient, other
//!   codes → Refused with GlobalSign's message; a SOAP Fault or unreadable XML → Malformed.

use super::http::{self, Answer};
use super::{
    CaProvider, CancelOutcome, CertType, Credentials, OrderRequest, OrderStatus, ProviderError,
    Submitted,
};
use aws_lc_rs::digest;
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};
use shared::models::ProviderKind;
use url::Url;

/// Target namespace of ServerSSLService and GASService.
pub const NS: &str = "https://system.globalsign.com/kb/ws/v1/";
const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

pub struct GlobalSign {
    base: Url,
    client: reqwest::Client,
}

/// The pre-allocated OrderID for an operation (see the module doc).
pub fn order_id_for(reference: &str) -> String {
    let hash = digest::digest(&digest::SHA256, reference.as_bytes());
    format!("KV{}", hex::encode_upper(&hash.as_ref()[..9]))
}

// ---------------------------------------------------------------------------------------------
// Writing

/// An element to write: unqualified name, text or children.
struct El {
    name: &'static str,
    text: Option<String>,
    children: Vec<El>,
}

fn el(name: &'static str, children: Vec<El>) -> El {
    El {
        name,
        text: None,
        children,
    }
}

fn leaf(name: &'static str, text: impl Into<String>) -> El {
    El {
        name,
        text: Some(text.into()),
        children: Vec::new(),
    }
}

fn write_el(w: &mut quick_xml::Writer<Vec<u8>>, e: &El) -> std::io::Result<()> {
    let element = w.create_element(e.name);
    if let Some(text) = &e.text {
        element.write_text_content(BytesText::new(text))?;
    } else if e.children.is_empty() {
        element.write_empty()?;
    } else {
        element.write_inner_content(|w| {
            for c in &e.children {
                write_el(w, c)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// `<soap-env:Envelope><soap-env:Body><ns0:{operation} xmlns:ns0=NS>{request}</…>`.
fn envelope(operation: &str, request: &El) -> Result<Vec<u8>, ProviderError> {
    let build = || -> std::io::Result<Vec<u8>> {
        let mut w = quick_xml::Writer::new(Vec::new());
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        let op = format!("ns0:{operation}");
        w.create_element("soap-env:Envelope")
            .with_attribute(("xmlns:soap-env", SOAP_ENV))
            .write_inner_content(|w| {
                w.create_element("soap-env:Body").write_inner_content(|w| {
                    w.create_element(op.as_str())
                        .with_attribute(("xmlns:ns0", NS))
                        .write_inner_content(|w| write_el(w, request))?;
                    Ok(())
                })?;
                Ok(())
            })?;
        Ok(w.into_inner())
    };
    build().map_err(|e| ProviderError::Config {
        message: format!("cannot write the GlobalSign {operation} request: {e}"),
    })
}

// ---------------------------------------------------------------------------------------------
// Reading

/// A parsed element: local name, concatenated text, children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn path(&self, names: &[&str]) -> Option<&Node> {
        names.iter().try_fold(self, |n, name| n.child(name))
    }

    fn text_of(&self, names: &[&str]) -> Option<&str> {
        self.path(names)
            .map(|n| n.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The first element child (Body's payload).
    fn first_element(&self) -> Option<&Node> {
        self.children.first()
    }
}

/// The document's root element tree.
fn parse_xml(text: &str) -> Result<Node, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Node> = vec![Node::default()];
    fn open(e: &BytesStart<'_>) -> Node {
        Node {
            name: e.local_name().into_inner().to_string(),
            ..Node::default()
        }
    }
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => {
                let node = open(&e);
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("unbalanced end tag")?;
                let parent = stack.last_mut().ok_or("unbalanced end tag")?;
                parent.children.push(node);
            }
            Event::Text(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r.into_inner())
                        .ok_or("unknown entity reference")?
                        .to_string(),
                };
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("unclosed element at end of document".into());
    }
    let doc = stack.pop().unwrap_or_default();
    doc.children
        .into_iter()
        .next()
        .ok_or_else(|| "no root element".to_string())
}

/// One `Errors/Error` entry.
#[derive(Debug, Clone, PartialEq)]
struct GsError {
    code: i64,
    field: String,
    message: String,
}

/// What a SOAP answer said: the operation's `Response` element, or GlobalSign's errors.
enum Outcome {
    Ok(Node),
    Failed(Vec<GsError>),
}

/// Reads the envelope. A SOAP Fault or unreadable XML is Malformed; HTTP errors without a
/// readable envelope are classified by status.
fn read_answer(what: &str, answer: &Answer) -> Result<Outcome, ProviderError> {
    let text = answer.text();
    let parsed = parse_xml(&text);
    let status = answer.status;
    let root = match parsed {
        Ok(root) if root.name == "Envelope" => root,
        other => {
            if !status.is_success() {
                return Err(http::status_error(what, answer, "", None));
            }
            let detail = match other {
                Ok(root) => format!("root element is {}, not a SOAP Envelope", root.name),
                Err(e) => e,
            };
            return Err(ProviderError::Malformed {
                message: format!("{what}: unreadable SOAP answer: {detail}"),
            });
        }
    };
    let payload = root.child("Body").and_then(Node::first_element);
    let Some(payload) = payload else {
        return Err(ProviderError::Malformed {
            message: format!("{what}: the SOAP Body is empty"),
        });
    };
    if payload.name == "Fault" {
        let code = payload.text_of(&["faultcode"]).unwrap_or("");
        let reason = payload.text_of(&["faultstring"]).unwrap_or("");
        return Err(ProviderError::Malformed {
            message: format!(
                "{what}: SOAP Fault (HTTP {}): {code} {reason}",
                status.as_u16()
            ),
        });
    }
    if !status.is_success() {
        return Err(http::status_error(what, answer, "", None));
    }
    let response = payload
        .child("Response")
        .ok_or_else(|| ProviderError::Malformed {
            message: format!("{what}: {} has no Response", payload.name),
        })?;
    let header = response
        .child("OrderResponseHeader")
        .or_else(|| response.child("QueryResponseHeader"));
    let code = header
        .and_then(|h| h.text_of(&["SuccessCode"]))
        .and_then(|c| c.parse::<i64>().ok())
        .ok_or_else(|| ProviderError::Malformed {
            message: format!("{what}: the answer has no numeric OrderResponseHeader/SuccessCode"),
        })?;
    // 0 = success, 1 = success with a warning.
    if code >= 0 {
        return Ok(Outcome::Ok(take(response)));
    }
    let errors: Vec<GsError> = header
        .and_then(|h| h.child("Errors"))
        .map(|errs| {
            errs.children_named("Error")
                .map(|e| GsError {
                    code: e
                        .text_of(&["ErrorCode"])
                        .and_then(|c| c.parse().ok())
                        .unwrap_or(0),
                    field: e.text_of(&["ErrorField"]).unwrap_or("").to_string(),
                    message: e.text_of(&["ErrorMessage"]).unwrap_or("").to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Outcome::Failed(errors))
}

/// Moves a subtree out of a borrowed tree (cheap enough for these small answers).
fn take(n: &Node) -> Node {
    Node {
        name: n.name.clone(),
        text: n.text.clone(),
        children: n.children.iter().map(take).collect(),
    }
}

fn describe(errors: &[GsError]) -> String {
    if errors.is_empty() {
        return "SuccessCode -1 without error details".into();
    }
    errors
        .iter()
        .map(|e| {
            let mut s = format!("{} {}", e.code, e.message);
            if !e.field.is_empty() {
                s.push_str(&format!(" ({})", e.field));
            }
            s.trim().to_string()
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Classifies GlobalSign error codes (§3.2); the first listed code decides.
fn classify(what: &str, errors: &[GsError]) -> ProviderError {
    let message = format!("{what}: GlobalSign error {}", describe(errors));
    match errors.first().map(|e| e.code) {
        Some(-4001 | -4201 | -9200 | -9939) => ProviderError::Credentials { message },
        Some(-300 | -201 | -301 | -9942 | -9943) => ProviderError::Transient {
            message,
            retry_after: None,
        },
        _ => ProviderError::Refused { message },
    }
}

fn has_code(errors: &[GsError], code: i64) -> bool {
    errors.iter().any(|e| e.code == code)
}

/// The order as GetOrderByOrderID reports it.
enum Lookup {
    Found(Node),
    NotFound(Vec<GsError>),
}

impl GlobalSign {
    /// `base` is the web-service root, e.g. `https://127.0.0.1:9443/kb/ws/v1`.
    pub fn new(base: Url, client: reqwest::Client) -> Self {
        GlobalSign { base, client }
    }

    fn auth(credentials: &Credentials) -> Result<El, ProviderError> {
        let user = credentials
            .account_id
            .as_deref()
            .filter(|s| !s.trim().is_empty());
        let pwd = credentials.pwd.as_deref().filter(|s| !s.is_empty());
        match (user, pwd) {
            (Some(u), Some(p)) => Ok(el(
                "AuthToken",
                vec![leaf("UserName", u), leaf("Password", p)],
            )),
            _ => {
                let mut missing = Vec::new();
                if user.is_none() {
                    missing.push("user name (credentials.account_id)");
                }
                if pwd.is_none() {
                    missing.push("password (credentials.pwd)");
                }
                Err(ProviderError::Config {
                    message: format!("The GlobalSign issuer lacks its {}.", missing.join(" and ")),
                })
            }
        }
    }

    async fn call(
        &self,
        what: &str,
        service: &str,
        operation: &str,
        request: &El,
    ) -> Result<Outcome, ProviderError> {
        let body = envelope(operation, request)?;
        let request = self
            .client
            .post(http::join(&self.base, service))
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header("SOAPAction", "\"\"")
            .body(body);
        let answer = http::send(what, request).await?;
        read_answer(what, &answer)
    }

    async fn get_order(
        &self,
        what: &str,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<Lookup, ProviderError> {
        let request = el(
            "Request",
            vec![
                el("QueryRequestHeader", vec![Self::auth(credentials)?]),
                leaf("OrderID", order_id),
                el(
                    "OrderQueryOption",
                    vec![
                        leaf("ReturnOrderOption", "true"),
                        leaf("ReturnCertificateInfo", "true"),
                        leaf("ReturnFulfillment", "true"),
                        leaf("ReturnCACerts", "true"),
                    ],
                ),
            ],
        );
        match self
            .call(what, "GASService", "GetOrderByOrderID", &request)
            .await?
        {
            Outcome::Ok(response) => Ok(Lookup::Found(response)),
            Outcome::Failed(errors) if has_code(&errors, -9916) => Ok(Lookup::NotFound(errors)),
            Outcome::Failed(errors) => Err(classify(what, &errors)),
        }
    }

    /// The order's numeric status and its Response element.
    async fn order_status(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<(i64, Node), ProviderError> {
        let what = "GlobalSign order status (GetOrderByOrderID)";
        let response = match self.get_order(what, credentials, order_id).await? {
            Lookup::Found(r) => r,
            Lookup::NotFound(errors) => return Err(classify(what, &errors)),
        };
        let status = response
            .text_of(&["OrderDetail", "OrderInfo", "OrderStatus"])
            .or_else(|| response.text_of(&["OrderDetail", "CertificateInfo", "CertificateStatus"]))
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(|| ProviderError::Malformed {
                message: format!(
                    "{what}: the answer has no numeric OrderDetail/OrderInfo/OrderStatus"
                ),
            })?;
        Ok((status, response))
    }
}

/// The chain of an issued order: server certificate, INTER certificates, ROOT certificates.
/// `None` while the fulfillment is not there yet.
fn chain_of(response: &Node) -> Result<Option<Vec<Vec<u8>>>, ProviderError> {
    let Some(fulfillment) = response.path(&["OrderDetail", "Fulfillment"]) else {
        return Ok(None);
    };
    let Some(leaf_pem) = fulfillment.text_of(&["ServerCertificate", "X509Cert"]) else {
        return Ok(None);
    };
    let mut chain = pem_certs(leaf_pem);
    if chain.is_empty() {
        return Err(ProviderError::Malformed {
            message: "GlobalSign order status: ServerCertificate/X509Cert is not a PEM certificate"
                .into(),
        });
    }
    let cas: Vec<(String, &str)> = fulfillment
        .child("CACertificates")
        .map(|c| {
            c.children_named("CACertificate")
                .filter_map(|ca| {
                    Some((
                        ca.text_of(&["CACertType"])
                            .unwrap_or("")
                            .to_ascii_uppercase(),
                        ca.text_of(&["CACert"])?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    for wanted in ["INTER", "ROOT"] {
        for (_, pem) in cas.iter().filter(|(t, _)| t == wanted) {
            chain.extend(pem_certs(pem));
        }
    }
    for (_, pem) in cas.iter().filter(|(t, _)| t != "INTER" && t != "ROOT") {
        chain.extend(pem_certs(pem));
    }
    Ok(Some(chain))
}

fn status_name(code: i64) -> &'static str {
    match code {
        1 => "Initial",
        2 => "Waiting",
        3 => "Cancelled (not issued)",
        4 => "Issued",
        5 => "Cancelled (issued)",
        6 => "Revoking",
        7 => "Revoked",
        8 => "Pending approval",
        9 => "Locked",
        10 => "Denied",
        _ => "Unknown",
    }
}

fn to_status(order_id: &str, code: i64, response: &Node) -> Result<OrderStatus, ProviderError> {
    let label = format!("{code} ({})", status_name(code));
    Ok(match code {
        4 => match chain_of(response)? {
            Some(chain) => OrderStatus::Issued { chain },
            // §6 "Fulfillment absent": keep polling.
            None => OrderStatus::Pending {
                ca_status: format!("{label}, certificate not yet delivered"),
            },
        },
        3 | 5 => OrderStatus::Cancelled {
            message: format!("GlobalSign order {order_id} is cancelled: status {label}."),
        },
        6 | 7 => OrderStatus::Revoked {
            message: format!("GlobalSign order {order_id} is revoked: status {label}."),
        },
        10 => OrderStatus::Rejected {
            message: format!("GlobalSign denied order {order_id}: status {label}."),
        },
        _ => OrderStatus::Pending { ca_status: label },
    })
}

/// ContactInfo from `admin_details[0]`; every field is required by GCC.
fn contact(credentials: &Credentials) -> Result<El, ProviderError> {
    let admin = credentials.admin.clone().unwrap_or_default();
    let fields = [
        ("FirstName", "first_name", admin.first_name),
        ("LastName", "last_name", admin.last_name),
        ("Phone", "phone", admin.phone),
        ("Email", "email", admin.email),
    ];
    let missing: Vec<&str> = fields
        .iter()
        .filter(|(_, _, v)| v.as_deref().is_none_or(|s| s.trim().is_empty()))
        .map(|(_, json, _)| *json)
        .collect();
    if !missing.is_empty() {
        return Err(ProviderError::Config {
            message: format!(
                "The GlobalSign issuer needs the administrator's first name, last name, phone \
                 and email (org_details.admin_details[0]); missing: {}.",
                missing.join(", ")
            ),
        });
    }
    Ok(el(
        "ContactInfo",
        fields
            .into_iter()
            .map(|(name, _, v)| leaf(name, v.unwrap_or_default().trim()))
            .collect(),
    ))
}

/// OrganizationInfo from the CSR subject (OVOrder), when it names an organization.
fn organization(order: &OrderRequest) -> Option<El> {
    let info = shared::crypto::parse_csr(&order.csr_der).ok()?;
    let dn = shared::crypto::parse_dn(&info.subject).ok()?;
    let first = |oid: &str| dn.values_of(oid).next().map(str::to_string);
    let name = first("2.5.4.10")?;
    let city = first("2.5.4.7").unwrap_or_default();
    let street = first("2.5.4.9").unwrap_or_else(|| city.clone());
    let mut address = vec![
        leaf("AddressLine1", street),
        leaf("City", city),
        leaf("Region", first("2.5.4.8").unwrap_or_default()),
    ];
    if let Some(pc) = first("2.5.4.17") {
        address.push(leaf("PostalCode", pc));
    }
    address.push(leaf("Country", first("2.5.4.6").unwrap_or_default()));
    let phone = order
        .credentials
        .admin
        .as_ref()
        .and_then(|a| a.phone.clone())
        .unwrap_or_default();
    address.push(leaf("Phone", phone));
    Some(el(
        "OrganizationInfo",
        vec![
            leaf("OrganizationName", name),
            el("OrganizationAddress", address),
        ],
    ))
}

fn pem_certs(text: &str) -> Vec<Vec<u8>> {
    shared::crypto::pem_blocks(text)
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect()
}

#[async_trait::async_trait]
impl CaProvider for GlobalSign {
    fn kind(&self) -> ProviderKind {
        ProviderKind::GlobalSign
    }

    async fn submit(&self, order: &OrderRequest) -> Result<Submitted, ProviderError> {
        let credentials = &order.credentials;
        let auth = Self::auth(credentials)?;
        let contact = contact(credentials)?;
        let (operation, product, id_element) = match order.cert_type {
            CertType::Ov => ("OVOrder", "OV_SHA2", "OrderID"),
            CertType::Ev => ("EVOrder", "EV_SHA2", "OrderId"),
        };
        let what = format!("GlobalSign order submission ({operation})");
        let order_id = order_id_for(&order.reference);
        let mut children = vec![
            el("OrderRequestHeader", vec![auth]),
            el(
                "OrderRequestParameter",
                vec![
                    leaf("ProductCode", product),
                    leaf("OrderKind", "new"),
                    leaf("Licenses", "1"),
                    el(
                        "ValidityPeriod",
                        vec![leaf("Months", order.validity_months.max(1).to_string())],
                    ),
                    leaf(
                        "CSR",
                        shared::crypto::pem_encode("CERTIFICATE REQUEST", &order.csr_der),
                    ),
                ],
            ),
            leaf(id_element, order_id.clone()),
        ];
        if order.cert_type == CertType::Ov {
            children.extend(organization(order));
        }
        children.push(contact);
        if !order.dns_names.is_empty() {
            children.push(el(
                "SANEntries",
                order
                    .dns_names
                    .iter()
                    .map(|name| {
                        let kind = if name.starts_with("*.") { "13" } else { "7" };
                        el(
                            "SANEntry",
                            vec![leaf("SANOptionType", kind), leaf("SubjectAltName", name)],
                        )
                    })
                    .collect(),
            ));
        }
        let request = el("Request", children);
        match self
            .call(&what, "ServerSSLService", operation, &request)
            .await?
        {
            Outcome::Ok(response) => {
                let returned = response
                    .text_of(&[id_element])
                    .or_else(|| response.text_of(&["OrderID"]))
                    .or_else(|| response.text_of(&["OrderId"]))
                    .map(str::to_string)
                    .unwrap_or(order_id);
                Ok(Submitted {
                    order_id: returned,
                    status: OrderStatus::Pending {
                        ca_status: "submitted".into(),
                    },
                })
            }
            Outcome::Failed(errors) => Err(classify(&what, &errors)),
        }
    }

    async fn find(&self, order: &OrderRequest) -> Result<Option<String>, ProviderError> {
        let what = "GlobalSign order lookup (GetOrderByOrderID)";
        let order_id = order_id_for(&order.reference);
        match self.get_order(what, &order.credentials, &order_id).await? {
            Lookup::Found(response) => Ok(Some(
                response
                    .text_of(&["OrderID"])
                    .map(str::to_string)
                    .unwrap_or(order_id),
            )),
            Lookup::NotFound(_) => Ok(None),
        }
    }

    async fn poll(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<OrderStatus, ProviderError> {
        let (code, response) = self.order_status(credentials, order_id).await?;
        to_status(order_id, code, &response)
    }

    async fn cancel(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<CancelOutcome, ProviderError> {
        let what = "GlobalSign order cancellation (ModifyOrder)";
        let request = el(
            "Request",
            vec![
                el("OrderRequestHeader", vec![Self::auth(credentials)?]),
                leaf("OrderID", order_id),
                leaf("ModifyOrderOperation", "CANCEL"),
            ],
        );
        match self
            .call(what, "ServerSSLService", "ModifyOrder", &request)
            .await?
        {
            Outcome::Ok(_) => Ok(CancelOutcome::Cancelled),
            Outcome::Failed(errors) if has_code(&errors, -9915) => Ok(CancelOutcome::Cancelled),
            Outcome::Failed(errors) if has_code(&errors, -9938) => {
                let (code, _) = self.order_status(credentials, order_id).await?;
                match code {
                    4 => Ok(CancelOutcome::AlreadyIssued),
                    3 | 5 => Ok(CancelOutcome::Cancelled),
                    6 | 7 | 10 => Ok(CancelOutcome::AlreadyFinal(format!(
                        "GlobalSign order {order_id} is in status {code} ({}).",
                        status_name(code)
                    ))),
                    _ => Err(classify(what, &errors)),
                }
            }
            Outcome::Failed(errors) => Err(classify(what, &errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::http::test_support::{chain, client, order, pem};
    use shared::models::AdministratorDetails;
    use wiremock::matchers::{body_string_contains, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    // Verbatim copies of shared/spec/globalsign/examples/*.response.xml (zeep-generated, valid
    // against the WSDLs).
    const OV_RESPONSE: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <ns2:OVOrderResponse xmlns:ns2="https://system.globalsign.com/kb/ws/v1/">
      <Response>
        <OrderResponseHeader>
          <SuccessCode>0</SuccessCode>
          <Timestamp>2026-11-27T07:23:04.000+00:00</Timestamp>
        </OrderResponseHeader>
        <OrderID>CE20261127000001</OrderID>
      </Response>
    </ns2:OVOrderResponse>
  </soap:Body>
</soap:Envelope>"#;
    const GET_RESPONSE: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <ns2:GetOrderByOrderIDResponse xmlns:ns2="https://system.globalsign.com/kb/ws/v1/">
      <Response>
        <OrderResponseHeader>
          <SuccessCode>0</SuccessCode>
          <Timestamp>2026-11-27T07:23:04.000+00:00</Timestamp>
        </OrderResponseHeader>
        <OrderID>CE20261127000001</OrderID>
        <OrderDetail>
          <OrderInfo>
            <OrderId>CE20261127000001</OrderId>
            <ProductCode>OV</ProductCode>
            <OrderKind>new</OrderKind>
            <Licenses>1</Licenses>
            <DomainName>www.example.com</DomainName>
            <OrderDate>2026-11-27T07:18:04.000+00:00</OrderDate>
            <OrderCompleteDate>2026-11-27T07:18:04.000+00:00</OrderCompleteDate>
            <OrderStatus>4</OrderStatus>
            <Price>0.00</Price>
            <Currency>USD</Currency>
            <ValidityPeriod>
              <Months>12</Months>
              <NotBefore>2026-11-27T07:18:04.000+00:00</NotBefore>
              <NotAfter>2027-12-29T07:23:04.000+00:00</NotAfter>
            </ValidityPeriod>
          </OrderInfo>
          <OrderSubInfo>
            <CSRSkipOrderFlag>false</CSRSkipOrderFlag>
            <DNSOrderFlag>false</DNSOrderFlag>
            <TrustedOrderFlag>false</TrustedOrderFlag>
            <P12DeleteStatus>false</P12DeleteStatus>
            <SubId>0</SubId>
          </OrderSubInfo>
          <OrderOption>
            <OrganizationInfo>
              <OrganizationName>Example Org Inc</OrganizationName>
              <OrganizationAddress>
                <AddressLine1>123 Main St</AddressLine1>
                <City>Boston</City>
                <Region>MA</Region>
                <PostalCode>02110</PostalCode>
                <Country>US</Country>
                <Phone>+1 617 555 0100</Phone>
              </OrganizationAddress>
            </OrganizationInfo>
            <ContactInfo>
              <FirstName>Jane</FirstName>
              <LastName>Doe</LastName>
              <Phone>+1 617 555 0100</Phone>
              <Email>jane@example.com</Email>
            </ContactInfo>
          </OrderOption>
          <CertificateInfo>
            <CertificateStatus>4</CertificateStatus>
            <StartDate>2026-11-27T07:18:04.000+00:00</StartDate>
            <EndDate>2027-12-29T07:23:04.000+00:00</EndDate>
            <CommonName>www.example.com</CommonName>
            <SerialNumber>2B1A0454612FF4371A639F1B42FCB50D11DBC073</SerialNumber>
            <SubjectName>CN=www.example.com</SubjectName>
            <DNSNames>www.example.com</DNSNames>
          </CertificateInfo>
          <Fulfillment>
            <CACertificates>
              <CACertificate>
                <CACertType>ROOT</CACertType>
                <CACert>-----BEGIN CERTIFICATE-----
MIIBvTCCAWKgAwIBAgIUM/bM9Qu2duZ3m9hWN9PB1d73FDwwCgYIKoZIzj0EAwIw
PDEUMBIGA1UECgwLY2Etc2ltIHRlc3QxJDAiBgNVBAMMG0Zha2VHbG9iYWxTaWdu
IFRlc3QgUm9vdCBDQTAeFw0yNjExMjYwNzIzMDRaFw0zNjExMjQwNzIzMDRaMDwx
FDASBgNVBAoMC2NhLXNpbSB0ZXN0MSQwIgYDVQQDDBtGYWtlR2xvYmFsU2lnbiBU
ZXN0IFJvb3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ0s7Dn+QvSEzTn
49OkwptI6DGyFZPj7sowjnJGtb4kmTdNb0lH8NZpHyliuWJQNwVIJstjgBNZUDUr
WuzItltDo0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBBjAdBgNV
HQ4EFgQU+yShH1yb9dZ6sM/RQVRf/zhmZHEwCgYIKoZIzj0EAwIDSQAwRgIhANvM
iKjhQ4emkxpe0yqxiJSqBBxNMjm4uvxTrUci9EfYAiEAyIz974YGa66du9SUsadZ
dw3zmL5YSLMsvBB5WRQpWNE=
-----END CERTIFICATE-----
</CACert>
              </CACertificate>
              <CACertificate>
                <CACertType>INTER</CACertType>
                <CACert>-----BEGIN CERTIFICATE-----
MIIBxzCCAW2gAwIBAgIUESUlikATQkxeGTA5sFc0z43lQCQwCgYIKoZIzj0EAwIw
PDEUMBIGA1UECgwLY2Etc2ltIHRlc3QxJDAiBgNVBAMMG0Zha2VHbG9iYWxTaWdu
IFRlc3QgUm9vdCBDQTAeFw0yNjExMjYwNzIzMDRaFw0zNjExMjQwNzIzMDRaMEQx
FDASBgNVBAoMC2NhLXNpbSB0ZXN0MSwwKgYDVQQDDCNGYWtlR2xvYmFsU2lnbiBU
ZXN0IEludGVybWVkaWF0ZSBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFlY
1j6w7neeFftYGl1Jg/FByhIAQSihAJOrDlkjJcORFE5QnhRkOvEwUj/hN/z9CX6F
TpPWpBx9YMlJb3LCLDOjRTBDMBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYDVR0PAQH/
BAQDAgEGMB0GA1UdDgQWBBQW1TYo2zOYvb2gAA2gdUL7gJIrojAKBggqhkjOPQQD
AgNIADBFAiEApB+OpxXsvESGPL+2dvzFLW7B6ZtOFX33aOMhccir1qcCIEY9M0yf
uJgKGHHdMU4xXaC8BEC+U2BzRKam375zKdnG
-----END CERTIFICATE-----
</CACert>
              </CACertificate>
            </CACertificates>
            <ServerCertificate>
              <X509Cert>-----BEGIN CERTIFICATE-----
MIICazCCAhKgAwIBAgIUKxoEVGEv9DcaY58bQvy1DRHbwHMwCgYIKoZIzj0EAwIw
RDEUMBIGA1UECgwLY2Etc2ltIHRlc3QxLDAqBgNVBAMMI0Zha2VHbG9iYWxTaWdu
IFRlc3QgSW50ZXJtZWRpYXRlIENBMB4XDTI2MTEyNzA3MTgwNFoXDTI3MTIyOTA3
MjMwNFowGjEYMBYGA1UEAwwPd3d3LmV4YW1wbGUuY29tMIIBIjANBgkqhkiG9w0B
AQEFAAOCAQ8AMIIBCgKCAQEA0nHupjI+azutY33sMju9sbZm9/E+jOds00cIy1Mm
a/s2FszJ+216wEBN21BTGFIP95cLJ1dFmoQTXNZWncv7H3X+PpHkGsa7bYJtoVZS
eCSLnvNGf9gx382ExDmSaJ4RSHzyNGBug5PLG2fyUPxq2Zgvsh6flKOs9xb5uLSc
/Jpr8IQyMdVk4zAbQK1xHlPOkYGxigBH3LoIrkFT+k5XEJzoOjSTCLzh9qQAbpwU
SYcpKrtxYPP4TBpkBm7HKT6p1a2cYJ/jZeth/oVwX4nVnAMGWbAPKz6bEzgEL5if
otS2G0YVaJvsuSgr+3C6hEcbG0BREhz/UnC9MeGu7XwjWQIDAQABo0EwPzAMBgNV
HRMBAf8EAjAAMBoGA1UdEQQTMBGCD3d3dy5leGFtcGxlLmNvbTATBgNVHSUEDDAK
BggrBgEFBQcDATAKBggqhkjOPQQDAgNHADBEAiBY757YE6FbuPRSLqMdp1/lfhNP
k2z172uPeS7TXDzWOgIgTe+CCL6Zh5sy1Fl2SQCLgZ9l+M8isFWOuukbNrlHhGE=
-----END CERTIFICATE-----
</X509Cert>
              <PKCS7Cert>-----BEGIN PKCS7-----
MA==
-----END PKCS7-----</PKCS7Cert>
            </ServerCertificate>
          </Fulfillment>
        </OrderDetail>
      </Response>
    </ns2:GetOrderByOrderIDResponse>
  </soap:Body>
</soap:Envelope>"#;
    const MODIFY_RESPONSE: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <ns2:ModifyOrderResponse xmlns:ns2="https://system.globalsign.com/kb/ws/v1/">
      <Response>
        <OrderResponseHeader>
          <SuccessCode>0</SuccessCode>
          <Timestamp>2026-11-27T07:23:04.000+00:00</Timestamp>
        </OrderResponseHeader>
        <OrderID>CE20261127000001</OrderID>
      </Response>
    </ns2:ModifyOrderResponse>
  </soap:Body>
</soap:Envelope>"#;

    fn creds() -> Credentials {
        Credentials {
            account_id: Some("PAR12345_apiuser".into()),
            pwd: Some("s3cret<&>".into()),
            org_id: None,
            admin: Some(AdministratorDetails {
                first_name: Some("Jane & <Co>".into()),
                last_name: Some("Doe".into()),
                email: Some("jane@example.com".into()),
                phone: Some("+1 617 555 0100".into()),
            }),
        }
    }

    async fn setup() -> (MockServer, GlobalSign) {
        let server = MockServer::start().await;
        let base = Url::parse(&format!("{}/kb/ws/v1/", server.uri())).unwrap();
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
        Mock::given(method("POST"))
            .respond_with(t)
            .mount(&server)
            .await;
        gs.submit(&order("r", creds(), CertType::Ov))
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn error_shapes() {
        let e = submit_error(xml(error_response("OVOrder", -4001, "Login failed"))).await;
        assert!(
            matches!(&e, ProviderError::Credentials { message } if message.contains("-4001 Login failed")),
            "{e:?}"
        );
        for code in [-4201, -9200, -9939] {
            let e = submit_error(xml(error_response("OVOrder", code, "no"))).await;
            assert!(
                matches!(e, ProviderError::Credentials { .. }),
                "{code}: {e:?}"
            );
        }
        let e = submit_error(xml(error_response("OVOrder", -101, "Invalid parameter"))).await;
        assert!(
            matches!(&e, ProviderError::Refused { message } if message.contains("-101 Invalid parameter (Field)")),
            "{e:?}"
        );
        for code in [-102, -105, -6101, -9936, -9961, -6007, -9949] {
            let e = submit_error(xml(error_response("OVOrder", code, "no"))).await;
            assert!(matches!(e, ProviderError::Refused { .. }), "{code}: {e:?}");
        }
        for code in [-300, -201, -301, -9942, -9943] {
            let e = submit_error(xml(error_response(
                "OVOrder",
                code,
                "Database error, please retry",
            )))
            .await;
            assert!(
                matches!(e, ProviderError::Transient { .. }),
                "{code}: {e:?}"
            );
        }
        let fault = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Unmarshalling Error</faultstring></soap:Fault></soap:Body></soap:Envelope>"#;
        let e = submit_error(ResponseTemplate::new(500).set_body_string(fault)).await;
        assert!(
            matches!(&e, ProviderError::Malformed { message } if message.contains("Unmarshalling Error")),
            "{e:?}"
        );
        let e = submit_error(xml(fault)).await;
        assert!(matches!(e, ProviderError::Malformed { .. }), "{e:?}");
        let e = submit_error(xml("<soap:Envelope><soap:Body><ns2:OVOrderResponse>")).await;
        assert!(matches!(e, ProviderError::Malformed { .. }), "{e:?}");
        let e = submit_error(xml("<a><b></a>")).await;
        assert!(matches!(e, ProviderError::Malformed { .. }), "{e:?}");
        let e = submit_error(xml("not xml at all")).await;
        assert!(matches!(e, ProviderError::Malformed { .. }), "{e:?}");
        let e =
            submit_error(ResponseTemplate::new(503).set_body_string("<html>maintenance</html>"))
                .await;
        assert!(matches!(e, ProviderError::Transient { .. }), "{e:?}");
        let e = submit_error(ResponseTemplate::new(429).insert_header("Retry-After", "9")).await;
        assert!(
            matches!(e, ProviderError::Transient { retry_after: Some(d), .. } if d.as_secs() == 9),
            "{e:?}"
        );
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
        ] {
            Mock::given(method("POST"))
                .and(body_string_contains(format!("<OrderID>{id}</OrderID>")))
                .respond_with(xml(get_response(status, None)))
                .mount(&server)
                .await;
        }
        Mock::given(method("POST"))
            .and(body_string_contains("<OrderID>O4</OrderID>"))
            .respond_with(xml(get_response(4, None)))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(body_string_contains("<OrderID>GONE</OrderID>"))
            .respond_with(xml(error_response(
                "GetOrderByOrderID",
                -9916,
                "Order not found",
            )))
            .mount(&server)
            .await;
        let c = creds();
        assert!(matches!(
            gs.poll(&c, "O3").await.unwrap(),
            OrderStatus::Cancelled { .. }
        ));
        assert!(matches!(
            gs.poll(&c, "O5").await.unwrap(),
            OrderStatus::Cancelled { .. }
        ));
        assert!(matches!(
            gs.poll(&c, "O6").await.unwrap(),
            OrderStatus::Revoked { .. }
        ));
        assert!(matches!(
            gs.poll(&c, "O7").await.unwrap(),
            OrderStatus::Revoked { .. }
        ));
        assert_eq!(
            gs.poll(&c, "O8").await.unwrap(),
            OrderStatus::Pending {
                ca_status: "8 (Pending approval)".into()
            }
        );
        assert_eq!(
            gs.poll(&c, "O9").await.unwrap(),
            OrderStatus::Pending {
                ca_status: "9 (Locked)".into()
            }
        );
        assert_eq!(
            gs.poll(&c, "O1").await.unwrap(),
            OrderStatus::Pending {
                ca_status: "1 (Initial)".into()
            }
        );
        assert!(matches!(
            gs.poll(&c, "O10").await.unwrap(),
            OrderStatus::Rejected { .. }
        ));
        // Issued without fulfillment yet: keep polling.
        assert!(matches!(
            gs.poll(&c, "O4").await.unwrap(),
            OrderStatus::Pending { .. }
        ));
        let e = gs.poll(&c, "GONE").await.unwrap_err();
        assert!(
            matches!(&e, ProviderError::Refused { message } if message.contains("-9916")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn cancel_paths() {
        let (server, gs) = setup().await;
        Mock::given(method("POST"))
            .and(path("/kb/ws/v1/ServerSSLService"))
            .and(body_string_contains("<OrderID>CE20261127000001</OrderID>"))
            .respond_with(xml(MODIFY_RESPONSE))
            .mount(&server)
            .await;
        assert_eq!(
            gs.cancel(&creds(), "CE20261127000001").await.unwrap(),
            CancelOutcome::Cancelled
        );
        let r = server.received_requests().await.unwrap().pop().unwrap();
        let raw = String::from_utf8(r.body.clone()).unwrap();
        assert!(raw
            .contains(r#"<ns0:ModifyOrder xmlns:ns0="https://system.globalsign.com/kb/ws/v1/">"#));
        let doc = parse_xml(&raw).unwrap();
        let request = doc.path(&["Body", "ModifyOrder", "Request"]).unwrap();
        let names: Vec<&str> = request.children.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["OrderRequestHeader", "OrderID", "ModifyOrderOperation"]
        );
        assert_eq!(request.text_of(&["ModifyOrderOperation"]), Some("CANCEL"));

        Mock::given(method("POST"))
            .and(path("/kb/ws/v1/ServerSSLService"))
            .and(body_string_contains("<OrderID>DONE</OrderID>"))
            .respond_with(xml(error_response(
                "ModifyOrder",
                -9915,
                "Already cancelled",
            )))
            .mount(&server)
            .await;
        assert_eq!(
            gs.cancel(&creds(), "DONE").await.unwrap(),
            CancelOutcome::Cancelled
        );

        for (id, status) in [("ISS", 4u8), ("REV", 7), ("WAIT", 2)] {
            Mock::given(method("POST"))
                .and(path("/kb/ws/v1/ServerSSLService"))
                .and(body_string_contains(format!("<OrderID>{id}</OrderID>")))
                .respond_with(xml(error_response(
                    "ModifyOrder",
                    -9938,
                    "Status already changed",
                )))
                .mount(&server)
                .await;
            Mock::given(method("POST"))
                .and(path("/kb/ws/v1/GASService"))
                .and(body_string_contains(format!("<OrderID>{id}</OrderID>")))
                .respond_with(xml(get_response(status, None)))
                .mount(&server)
                .await;
        }
        assert_eq!(
            gs.cancel(&creds(), "ISS").await.unwrap(),
            CancelOutcome::AlreadyIssued
        );
        assert!(matches!(
            gs.cancel(&creds(), "REV").await.unwrap(),
            CancelOutcome::AlreadyFinal(_)
        ));
        assert!(matches!(
            gs.cancel(&creds(), "WAIT").await.unwrap_err(),
            ProviderError::Refused { .. }
        ));
    }

    #[tokio::test]
    async fn find_paths() {
        let (server, gs) = setup().await;
        let found = order("req-found", creds(), CertType::Ov);
        let missing = order("req-missing", creds(), CertType::Ov);
        let found_id = order_id_for("req-found");
        Mock::given(method("POST"))
            .and(path("/kb/ws/v1/GASService"))
            .and(body_string_contains(format!(
                "<OrderID>{found_id}</OrderID>"
            )))
            .respond_with(xml(
                get_response(2, None).replace("CE20261127000001", &found_id)
            ))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/kb/ws/v1/GASService"))
            .and(body_string_contains(format!(
                "<OrderID>{}</OrderID>",
                order_id_for("req-missing")
            )))
            .respond_with(xml(error_response(
                "GetOrderByOrderID",
                -9916,
                "Order not found",
            )))
            .mount(&server)
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
}
