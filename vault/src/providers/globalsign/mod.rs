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
//!   -4001/-4201/-9200/-9939 → Credentials, -300/-201/-301/-9942/-9943 ("please retry") →
//!   Ambiguous, other codes → Refused with GlobalSign's message; a SOAP Fault, an HTTP 5xx or
//!   unreadable XML → Ambiguous. On submit, -105 means an order with our pre-allocated
//!   OrderID exists (an earlier attempt arrived) → `Exists`, which the worker resolves by a
//!   lookup, never as a refusal.
//!
//! This file makes the calls; `soap.rs` writes and reads the envelopes and GlobalSign's error
//! header; `order.rs` maps the order's own fields; `tests/` runs the adapter against a
//! wiremock GCC with the spec's example answers.

mod order;
mod soap;

#[cfg(test)]
mod tests;

pub use soap::NS;

use super::http;
use super::types::{
    CaProvider, CancelOutcome, CertType, Credentials, OrderRequest, OrderStatus, ProviderError,
    Submitted,
};
use aws_lc_rs::digest;
use order::{contact, organization, status_name, to_status};
use shared::models::ProviderKind;
use soap::{classify, el, envelope, has_code, leaf, read_answer, El, GsError, Node, Outcome};
use url::Url;

pub struct GlobalSign {
    base: Url,
    client: reqwest::Client,
}

/// The pre-allocated OrderID for an operation (see the module doc).
pub fn order_id_for(reference: &str) -> String {
    let hash = digest::digest(&digest::SHA256, reference.as_bytes());
    format!("KV{}", hex::encode_upper(&hash.as_ref()[..9]))
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
            .ok_or_else(|| {
                ProviderError::unreadable(format!(
                    "{what}: the answer has no numeric OrderDetail/OrderInfo/OrderStatus"
                ))
            })?;
        Ok((status, response))
    }
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
            // The pre-allocated OrderID is taken: an earlier attempt of ours arrived.
            Outcome::Failed(errors) if has_code(&errors, -105) => Err(ProviderError::Exists {
                message: format!(
                    "{what}: GlobalSign reports order {order_id} exists already (-105)"
                ),
            }),
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
