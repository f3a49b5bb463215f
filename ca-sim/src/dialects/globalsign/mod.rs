//! GlobalSign GCC SOAP (partner-dialects.md §3.2, §8): SOAP 1.1 document/literal under
//! `/kb/ws/v1/ServerSSLService` (OVOrder, EVOrder, ModifyOrder) and `/kb/ws/v1/GASService`
//! (GetOrderByOrderID). Routing is on the body's first child element, never on SOAPAction
//! ([`dispatch`]). Only the operation wrapper is namespace-qualified; errors are HTTP 200 with
//! `OrderResponseHeader/SuccessCode -1` and `Errors/Error`. `?wsdl` serves ca-sim's own WSDL
//! with `soap:address` pointing back at ca-sim ([`wsdl`]).
//!
//! This file is the dialect's side of the contract ([`GlobalSign`]: the envelope, the
//! AuthToken check, the error and fault shapes). The operations: [`order`] (OVOrder, EVOrder),
//! [`modify`] (ModifyOrder), [`get_order`] (GetOrderByOrderID).

pub mod dispatch;
pub mod get_order;
pub mod modify;
pub mod order;
pub mod wsdl;

use super::contract::{plain, Call, Vendor};
use super::xml::{self, El};
use crate::app::App;
use crate::domain::{Account, Dialect, Order};
use crate::history::ReqMeta;
use crate::orders::clock;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub const NS: &str = "https://system.globalsign.com/kb/ws/v1/";
const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// Error codes used (GlobalSignErrorIndex).
pub mod code {
    pub const INVALID_PARAMETER: &str = "-101";
    pub const MISSING_PARAMETER: &str = "-102";
    pub const LENGTH: &str = "-103";
    pub const FORMAT: &str = "-104";
    pub const COMBINATION: &str = "-105";
    pub const DB_RETRY: &str = "-300";
    pub const LOGIN_FAILURE: &str = "-4001";
    pub const BALANCE: &str = "-6101";
    pub const ALREADY_CANCELLED: &str = "-9915";
    pub const ORDER_NOT_FOUND: &str = "-9916";
    pub const WEAK_KEY: &str = "-9936";
    pub const STATUS_CHANGED: &str = "-9938";
    pub const VALIDITY: &str = "-9949";
    pub const ECC_CURVE: &str = "-9961";
}

/// The two SOAP services.
#[derive(Clone, Copy, PartialEq, Default)]
pub enum Service {
    #[default]
    ServerSsl,
    Gas,
}

impl Service {
    /// The service's name (WSDL, address path).
    pub fn name(self) -> &'static str {
        match self {
            Service::ServerSsl => "ServerSSLService",
            Service::Gas => "GASService",
        }
    }
}

/// The GlobalSign dialect on the contract.
pub struct GlobalSign;

/// A dispatched SOAP request: what the contract and the operations read.
#[derive(Default)]
pub struct Envelope {
    pub service: Service,
    /// The operation element's local name (`OVOrder`, `EVOrder`, `ModifyOrder`,
    /// `GetOrderByOrderID`); answers are wrapped in `{op_name}Response`.
    pub op_name: &'static str,
    /// The operation's `Request` element (empty when absent).
    pub request: El,
}

/// A GlobalSign answer other than success.
pub enum GsError {
    /// HTTP 200, `SuccessCode -1` with one `Errors/Error`, in the operation's response; the
    /// order id is echoed when the request named one.
    Error {
        code: String,
        field: String,
        message: String,
        order_id: Option<String>,
    },
    /// A SOAP Fault (`soap:Client` or `soap:Server`) with its HTTP status.
    Fault(StatusCode, &'static str, String),
    /// A bare status with a text body (fault 429s).
    Plain(StatusCode, &'static str),
}

impl GsError {
    pub fn new(code: &str, field: &str, message: impl Into<String>) -> Self {
        Self::Error {
            code: code.to_string(),
            field: field.to_string(),
            message: message.into(),
            order_id: None,
        }
    }

    /// The same error, echoing the order id the request named.
    pub fn about(self, id: &str) -> Self {
        match self {
            Self::Error {
                code,
                field,
                message,
                ..
            } => Self::Error {
                code,
                field,
                message,
                order_id: Some(id.to_string()),
            },
            other => other,
        }
    }

    /// `Mandatory parameter missing` for `field`.
    pub fn missing(field: &str) -> Self {
        Self::new(
            code::MISSING_PARAMETER,
            field,
            "Mandatory parameter missing",
        )
    }

    /// A `soap:Client` fault (500): the request is not one ca-sim can dispatch.
    pub fn client_fault(message: impl Into<String>) -> Self {
        Self::Fault(StatusCode::INTERNAL_SERVER_ERROR, "Client", message.into())
    }

    /// An unexpected failure: logged here, answered with `-300`.
    pub fn internal(what: &str, e: crate::error::Error) -> Self {
        tracing::error!(error = %e, "globalsign {what} failed");
        Self::new(code::DB_RETRY, "", "Database error occurred. Please retry.")
    }
}

impl Vendor for GlobalSign {
    const DIALECT: Dialect = Dialect::Globalsign;
    const CANCELED_BY_CA: &'static str = "Cancelled by GlobalSign";
    type Request = Envelope;
    type Error = GsError;

    /// `AuthToken{UserName,Password}` in the request header element (`OrderRequestHeader`, or
    /// `QueryRequestHeader` on GASService).
    fn authenticate(app: &App, req: &Envelope, meta: &mut ReqMeta) -> Result<Account, GsError> {
        let header_name = if req.service == Service::Gas {
            "QueryRequestHeader"
        } else {
            "OrderRequestHeader"
        };
        let field = |f: &str| {
            req.request
                .path_text(&[header_name, "AuthToken", f])
                .unwrap_or_default()
        };
        let (user, pass) = (field("UserName"), field("Password"));
        match app.account(Dialect::Globalsign, |a| a.id == user && a.secret == pass) {
            Some(a) if !a.disabled => {
                meta.account = Some(a.id.clone());
                Ok(a)
            }
            _ => Err(GsError::new(
                code::LOGIN_FAILURE,
                "AuthToken",
                "Login failure: invalid UserName or Password",
            )),
        }
    }

    fn render(app: &App, req: &Envelope, e: GsError) -> (String, Response) {
        match e {
            GsError::Error {
                code,
                field,
                message,
                order_id,
            } => {
                let id_el = if req.op_name == "EVOrder" {
                    "OrderId"
                } else {
                    "OrderID"
                };
                let rest = order_id
                    .map(|id| vec![El::text(id_el, id)])
                    .unwrap_or_default();
                let text = op_response(app, req.op_name, &[(&code, &field, &message)], rest);
                (code, xml_response(StatusCode::OK, text))
            }
            GsError::Fault(status, fault_code, message) => {
                let body = El::new("soap:Fault")
                    .child(El::text("faultcode", format!("soap:{fault_code}")))
                    .child(El::text("faultstring", message));
                (
                    format!("soap:{fault_code}"),
                    xml_response(status, envelope(body)),
                )
            }
            GsError::Plain(status, text) => (status.as_u16().to_string(), plain(status, text)),
        }
    }

    fn vendor_error(code: Option<&str>, message: Option<&str>, _status: Option<u16>) -> GsError {
        GsError::new(
            code.unwrap_or(code::DB_RETRY),
            "",
            message.unwrap_or("Database error occurred. Please retry."),
        )
    }

    fn rate_limited() -> GsError {
        GsError::Plain(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
    }

    fn server_error(status: StatusCode) -> GsError {
        GsError::Fault(status, "Server", "Internal Server Error".into())
    }

    fn malformed(req: &Envelope) -> (&'static str, String) {
        let op_name = req.op_name;
        (
            "text/xml; charset=utf-8",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{SOAP_ENV}\"><soap:Body><ns2:{op_name}Response xmlns:ns2=\"{NS}\"><Response><OrderResponseHeader><SuccessCode>0"),
        )
    }
}

/// `Timestamp`-style times: RFC 3339 with milliseconds and `+00:00`.
fn timestamp(ms: i64) -> String {
    let s = clock::rfc3339(ms);
    format!("{}+00:00", &s[..23])
}

fn envelope(body: El) -> String {
    xml::write(
        &El::new("soap:Envelope")
            .attr("xmlns:soap", SOAP_ENV)
            .child(El::new("soap:Body").child(body)),
    )
}

fn xml_response(status: StatusCode, text: String) -> Response {
    (
        status,
        [(http::header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        text,
    )
        .into_response()
}

fn header(app: &App, errors: &[(&str, &str, &str)]) -> El {
    let mut h = El::new("OrderResponseHeader").child(El::text(
        "SuccessCode",
        if errors.is_empty() { "0" } else { "-1" },
    ));
    if !errors.is_empty() {
        let mut errs = El::new("Errors");
        for (c, field, msg) in errors {
            errs.push(
                El::new("Error")
                    .child(El::text("ErrorCode", *c))
                    .child(El::text("ErrorField", *field))
                    .child(El::text("ErrorMessage", *msg)),
            );
        }
        h.push(errs);
    }
    h.child(El::text("Timestamp", timestamp(app.clock.now_ms())))
}

/// `<ns2:{op}Response><Response><OrderResponseHeader/>{rest}</Response></ns2:...>`.
fn op_response(app: &App, op_name: &str, errors: &[(&str, &str, &str)], rest: Vec<El>) -> String {
    let mut resp = El::new("Response").child(header(app, errors));
    for r in rest {
        resp.push(r);
    }
    envelope(
        El::new(&format!("ns2:{op_name}Response"))
            .attr("xmlns:ns2", NS)
            .child(resp),
    )
}

/// A successful answer of the call's operation: `SuccessCode 0` and `rest`.
fn success(call: &Call<GlobalSign>, rest: Vec<El>) -> Response {
    xml_response(
        StatusCode::OK,
        op_response(&call.app, call.req.op_name, &[], rest),
    )
}

/// The caller's order `id`; `-9916` when it has none by that id.
fn find(call: &Call<GlobalSign>, id: &str) -> Result<Order, GsError> {
    call.app
        .orders
        .get(id)
        .filter(|o| o.dialect == Dialect::Globalsign && o.account == call.account.id)
        .ok_or_else(|| {
            GsError::new(code::ORDER_NOT_FOUND, "OrderID", "The order was not found").about(id)
        })
}

/// The request's `OrderID` (noted for the history); `-102` when absent.
fn order_id(call: &mut Call<GlobalSign>) -> Result<String, GsError> {
    let id = call
        .req
        .request
        .path_text(&["OrderID"])
        .ok_or_else(|| GsError::missing("OrderID"))?;
    call.about(&id);
    Ok(id)
}
