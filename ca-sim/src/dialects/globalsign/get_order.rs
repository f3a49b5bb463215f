//! GlobalSign `GetOrderByOrderID` ([`GetOrder`]) on GASService: the order, with what
//! `OrderQueryOption` asks for (`ReturnOrderOption`, `ReturnCertificateInfo`,
//! `ReturnFulfillment`, `ReturnCACerts`). A reject or cancel fault that fires on it ends the
//! order first (it is a poll).

use super::{find, order_id, success, timestamp, GlobalSign, GsError};
use crate::dialects::chain::{crlf, ChainShape};
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::dialects::xml::El;
use crate::domain::{op, IssuedCert, Order, OrderStatus};
use crate::faults::Fired;
use serde_json::Value;
use shared::crypto;

/// `GetOrderByOrderID`: the order's id and the query options set to `true`.
pub struct GetOrder {
    id: String,
    options: Options,
}

/// `OrderQueryOption` flags.
struct Options {
    order_option: bool,
    certificate_info: bool,
    fulfillment: bool,
    ca_certs: bool,
}

impl Operation<GlobalSign> for GetOrder {
    const NAME: &'static str = op::POLL;

    fn parse(call: &mut Call<GlobalSign>) -> Result<Self, GsError> {
        let id = order_id(call)?;
        let flag = |name: &str| {
            call.req
                .request
                .path_text(&["OrderQueryOption", name])
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        };
        let options = Options {
            order_option: flag("ReturnOrderOption"),
            certificate_info: flag("ReturnCertificateInfo"),
            fulfillment: flag("ReturnFulfillment"),
            ca_certs: flag("ReturnCACerts"),
        };
        Ok(Self { id, options })
    }

    async fn apply(self, call: &mut Call<GlobalSign>) -> Outcome<GlobalSign> {
        let order = find(call, &self.id)?;
        let fired = call.gate(Some(&order.common_name)).await?;
        let order = call.poll_outcome(order, fired.as_ref());
        let options = &self.options;
        let mut detail = El::new("OrderDetail").child(order_info(&order)).child(
            El::new("OrderSubInfo")
                .child(El::text("CSRSkipOrderFlag", "false"))
                .child(El::text("DNSOrderFlag", "false"))
                .child(El::text("TrustedOrderFlag", "false"))
                .child(El::text("P12DeleteStatus", "false"))
                .child(El::text("SubId", "0")),
        );
        if options.order_option {
            detail.push(order_option(&order.extra));
        }
        if let Some(c) = &order.cert {
            if options.certificate_info {
                detail.push(certificate_info(&order, c));
            }
            if options.fulfillment {
                detail.push(fulfillment(&order, c, fired.as_ref(), options.ca_certs));
            }
        }
        let mut events = El::new("ModificationEvents");
        for ev in &order.timeline {
            events.push(
                El::new("ModificationEvent")
                    .child(El::text(
                        "ModificationEventName",
                        ev.event.to_ascii_uppercase(),
                    ))
                    .child(El::text("ModificationEventTimestamp", timestamp(ev.at_ms))),
            );
        }
        detail.push(events);
        Ok(success(call, vec![El::text("OrderID", &self.id), detail]))
    }
}

/// GlobalSign numeric order status.
pub fn order_status(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::Pending => "2",
        OrderStatus::NeedsApproval => "8",
        OrderStatus::Issued => "4",
        OrderStatus::Canceled => "3",
        OrderStatus::Rejected => "10",
        OrderStatus::Revoked => "7",
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

/// `OrderInfo`: ids, dates, status, validity.
fn order_info(order: &Order) -> El {
    let x = &order.extra;
    let mut validity = El::new("ValidityPeriod").child(El::text(
        "Months",
        x["months"].as_u64().unwrap_or(12).to_string(),
    ));
    if let Some(c) = &order.cert {
        validity.push(El::text("NotBefore", timestamp(c.not_before_ms)));
        validity.push(El::text("NotAfter", timestamp(c.not_after_ms)));
    }
    let mut info = El::new("OrderInfo")
        .child(El::text("OrderId", &order.id))
        .child(El::text("ProductCode", &order.product))
        .child(El::text("OrderKind", text(&x["orderKind"])))
        .child(El::text("Licenses", text(&x["licenses"])))
        .child(El::text("DomainName", &order.common_name))
        .child(El::text("OrderDate", timestamp(order.created_ms)));
    if let Some(c) = &order.cert {
        info.push(El::text("OrderCompleteDate", timestamp(c.not_before_ms)));
    }
    if matches!(order.status, OrderStatus::Canceled | OrderStatus::Rejected) {
        info.push(El::text("OrderCanceledDate", timestamp(order.updated_ms)));
    }
    info = info
        .child(El::text("OrderStatus", order_status(order)))
        .child(El::text("Price", "0.00"))
        .child(El::text("Currency", "USD"))
        .child(validity);
    if let Some(reason) = &order.status_reason {
        info.push(El::text("SpecialInstructions", reason));
    }
    info
}

/// `OrderOption`: the organization and contact the order was placed with.
fn order_option(extra: &Value) -> El {
    let org = &extra["organization"];
    let contact = &extra["contact"];
    El::new("OrderOption")
        .child(
            El::new("OrganizationInfo")
                .child(El::text("OrganizationName", text(&org["OrganizationName"])))
                .child(
                    El::new("OrganizationAddress")
                        .child(El::text("AddressLine1", text(&org["AddressLine1"])))
                        .child(El::text("City", text(&org["City"])))
                        .child(El::text("Region", text(&org["Region"])))
                        .child(El::text("PostalCode", text(&org["PostalCode"])))
                        .child(El::text("Country", text(&org["Country"])))
                        .child(El::text("Phone", text(&org["Phone"]))),
                ),
        )
        .child(
            El::new("ContactInfo")
                .child(El::text("FirstName", text(&contact["FirstName"])))
                .child(El::text("LastName", text(&contact["LastName"])))
                .child(El::text("Phone", text(&contact["Phone"])))
                .child(El::text("Email", text(&contact["Email"]))),
        )
}

/// `CertificateInfo` of the issued certificate.
fn certificate_info(order: &Order, c: &IssuedCert) -> El {
    El::new("CertificateInfo")
        .child(El::text(
            "CertificateStatus",
            if order.status == OrderStatus::Revoked {
                "7"
            } else {
                "4"
            },
        ))
        .child(El::text("StartDate", timestamp(c.not_before_ms)))
        .child(El::text("EndDate", timestamp(c.not_after_ms)))
        .child(El::text("CommonName", &order.common_name))
        .child(El::text("SerialNumber", &c.serial_hex))
        .child(El::text("SubjectName", &c.subject))
        .child(El::text("DNSNames", order.dns_names.join(",")))
}

/// `Fulfillment`: the certificate as PEM and PKCS#7, and the CA certificates when asked for,
/// shaped by the order's and this request's chain faults.
fn fulfillment(order: &Order, c: &IssuedCert, fired: Option<&Fired>, ca_certs: bool) -> El {
    let mut shape = ChainShape::from_action(order.outcome.as_ref());
    shape.add(fired.map(|f| &f.action));
    let mut ful = El::new("Fulfillment");
    if ca_certs {
        let mut cas = El::new("CACertificates");
        for p in &shape.pems(c, false, true) {
            let kind = if p.replace("\r\n", "\n") == c.root {
                "ROOT"
            } else {
                "INTER"
            };
            cas.push(
                El::new("CACertificate")
                    .child(El::text("CACertType", kind))
                    .child(El::text("CACert", p)),
            );
        }
        ful.push(cas);
    }
    let leaf = if shape.crlf {
        crlf(&c.pem)
    } else {
        c.pem.clone()
    };
    let ders: Vec<Vec<u8>> = std::iter::once(c.pem.clone())
        .chain(c.intermediates.iter().cloned())
        .flat_map(|p| crypto::pem_blocks(&p).into_iter().map(|(_, d)| d))
        .collect();
    let p7 = crypto::pem_encode("PKCS7", &crate::ca::der::pkcs7_certs_only(&ders));
    ful.push(
        El::new("ServerCertificate")
            .child(El::text("X509Cert", leaf))
            .child(El::text("PKCS7Cert", p7)),
    );
    ful
}
