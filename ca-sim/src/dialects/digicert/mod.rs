//! DigiCert CertCentral Services API v2 (partner-dialects.md §2, §8), under `/services/v2/`.
//!
//! Auth is the `X-DC-DEVKEY` header. Ids: order `5000000 + n`, its request `9000000 + n`, a
//! revoke request `9500000 + n`, its certificate `45000000 + n`. Errors are
//! `{"errors":[{"code","message"}]}` with a 4xx/5xx status. Request bodies are read
//! leniently (unknown fields, bodies on GETs and `Content-Type` on GETs are tolerated).
//!
//! This file is the dialect's side of the contract ([`DigiCert`]: auth, error shape, fault
//! answers) plus what its resources share (ids, lookups, JSON renderings). The operations, by
//! resource: [`orders`] (create, get, cancel), [`list`] (the order list, paged),
//! [`certificates`] (revoke, download, chain), [`requests`] (approve or reject a request),
//! [`window`] (`status-changes`), [`account`] (user, organizations); [`dates`] reads the date
//! filters of `list` and `window`.

pub mod account;
pub mod certificates;
pub mod dates;
pub mod list;
pub mod orders;
pub mod requests;
pub mod window;

use super::contract::{refuse, Call, Incoming, Vendor};
use crate::app::App;
use crate::domain::{op, Account, Dialect, Order, OrderStatus, MAX_VALIDITY_DAYS};
use crate::history::ReqMeta;
use crate::orders::clock;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use shared::crypto;
use std::sync::Arc;

pub const ORDER_BASE: u64 = 5_000_000;
pub const REQUEST_BASE: u64 = 9_000_000;
pub const REVOKE_REQUEST_BASE: u64 = 9_500_000;
pub const CERT_BASE: u64 = 45_000_000;

/// Product name ids and their validation type.
pub const PRODUCTS: &[(&str, &str, &str)] = &[
    ("ssl_basic", "OV", "Basic OV"),
    ("ssl_securesite_flex", "OV", "Secure Site OV"),
    ("ssl_securesite_pro", "OV", "Secure Site Pro SSL"),
    ("ssl_plus", "OV", "Standard SSL"),
    ("ssl_multi_domain", "OV", "Multi-Domain SSL"),
    ("ssl_wildcard", "OV", "WildCard SSL"),
    ("ssl_cloud_wildcard", "OV", "Cloud WildCard SSL"),
    ("ssl_ev_basic", "EV", "Basic EV"),
    ("ssl_ev_securesite_flex", "EV", "Secure Site EV"),
    ("ssl_ev_securesite_pro", "EV", "Secure Site Pro EV SSL"),
    ("ssl_ev_plus", "EV", "EV SSL Plus"),
    ("ssl_ev_multi_domain", "EV", "EV Multi-Domain SSL"),
];

/// The DigiCert dialect on the contract.
pub struct DigiCert;

/// A DigiCert error: `{"errors":[{"code","message"}]}` with its status.
#[derive(Debug)]
pub struct DcError {
    status: StatusCode,
    code: String,
    message: String,
}

impl DcError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// An unexpected failure: logged here, answered with a generic 500.
    pub fn internal(e: crate::error::Error) -> Self {
        tracing::error!(error = %e, "digicert request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An internal error occurred.",
        )
    }

    fn invalid_api_key(message: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "access_denied|invalid_api_key",
            message,
        )
    }

    fn request_limit() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "request_limit_exceeded",
            "Service unavailable, please limit request volume",
        )
    }

    fn order_not_found(id: &str) -> Self {
        Self::not_found("not_found|order", format!("Order {id} was not found."))
    }

    fn certificate_not_found(id: &str) -> Self {
        Self::not_found(
            "not_found|certificate",
            format!("Certificate {id} was not found."),
        )
    }
}

impl Vendor for DigiCert {
    const DIALECT: Dialect = Dialect::Digicert;
    const CANCELED_BY_CA: &'static str = "Order cancelled by the CA";
    type Request = Incoming;
    type Error = DcError;

    /// Rate limit and `X-DC-DEVKEY` check.
    fn authenticate(app: &App, req: &Incoming, meta: &mut ReqMeta) -> Result<Account, DcError> {
        let key = req
            .headers
            .get("x-dc-devkey")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or("");
        if key.is_empty() {
            return Err(DcError::invalid_api_key(
                "An API key is required (X-DC-DEVKEY header).",
            ));
        }
        if app.digicert_limits.check(key).is_err() {
            return Err(DcError::request_limit());
        }
        match app.account(Dialect::Digicert, |a| a.secret == key) {
            Some(a) if !a.disabled => {
                meta.account = Some(a.id.clone());
                Ok(a)
            }
            _ => Err(DcError::invalid_api_key(
                "The API key is invalid or has been revoked.",
            )),
        }
    }

    fn render(_app: &App, _req: &Incoming, e: DcError) -> (String, Response) {
        let body = json!({"errors": [{"code": e.code, "message": e.message}]});
        (e.code, (e.status, axum::Json(body)).into_response())
    }

    fn vendor_error(code: Option<&str>, message: Option<&str>, status: Option<u16>) -> DcError {
        let status = status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::BAD_REQUEST);
        DcError::new(
            status,
            code.unwrap_or("bad_request_format"),
            message.unwrap_or("The request could not be processed."),
        )
    }

    fn rate_limited() -> DcError {
        DcError::request_limit()
    }

    fn server_error(status: StatusCode) -> DcError {
        DcError::new(
            status,
            "internal_error",
            "An internal error occurred. Please try again later.",
        )
    }

    fn malformed(_req: &Incoming) -> (&'static str, String) {
        (
            "application/json",
            "{\"id\":1,\"requests\":[{\"id\":".into(),
        )
    }
}

/// Any other path under `/services/v2`: 404 `not_found|route`.
pub async fn no_route(State(app): State<Arc<App>>) -> Response {
    refuse::<DigiCert>(
        &app,
        &Incoming::default(),
        op::OTHER,
        DcError::not_found("not_found|route", "The requested route was not found."),
    )
}

/// A JSON answer.
fn json_reply(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

/// The body as JSON; an empty body reads as `{}`.
fn lenient_json(body: &Bytes) -> Result<Value, DcError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|_| {
        DcError::bad_request("bad_request_format", "The request body is not valid JSON.")
    })
}

fn num(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Validity in days from the many ways DigiCert clients state it.
fn validity_days(body: &Value, now: time::OffsetDateTime) -> Result<u32, DcError> {
    let cert = &body["certificate"];
    let order_days = if let Some(y) = num(&body["order_validity"]["years"]) {
        Some(y * 365)
    } else if let Some(d) = num(&body["order_validity"]["days"]) {
        Some(d)
    } else if let Some(y) = num(&body["validity_years"]) {
        Some(y * 365)
    } else if let Some(d) = num(&body["validity_days"]) {
        Some(d)
    } else if let Some(date) = body["custom_expiration_date"].as_str() {
        let d = time::Date::parse(
            date,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| {
            DcError::bad_request(
                "bad_request_format",
                format!("custom_expiration_date '{date}' is not YYYY-MM-DD"),
            )
        })?;
        Some((d - now.date()).whole_days().max(1) as u64)
    } else {
        None
    };
    let cert_days = if let Some(d) = num(&cert["cert_validity"]["days"]) {
        Some(d)
    } else {
        num(&cert["cert_validity"]["years"]).map(|y| y * 365)
    };
    if let (Some(c), Some(o)) = (cert_days, order_days) {
        if c > o {
            return Err(DcError::bad_request(
                "cert_validity_exceeds_order_validity",
                "Certificate validity exceeds order validity.",
            ));
        }
    }
    let days = cert_days.or(order_days).unwrap_or(365);
    if days == 0 {
        return Err(DcError::bad_request(
            "bad_request_format",
            "Validity must be at least one day.",
        ));
    }
    Ok(days.min(MAX_VALIDITY_DAYS as u64) as u32)
}

fn request_status_of(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::Pending | OrderStatus::NeedsApproval => "pending",
        OrderStatus::Issued | OrderStatus::Revoked => "approved",
        OrderStatus::Rejected => "rejected",
        OrderStatus::Canceled => "rejected",
    }
}

/// DigiCert order status words.
pub fn status_word(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "pending",
        OrderStatus::NeedsApproval => "needs_approval",
        OrderStatus::Issued => "issued",
        OrderStatus::Rejected => "rejected",
        OrderStatus::Canceled => "canceled",
        OrderStatus::Revoked => "revoked",
    }
}

/// `[{"subject_common_name", "pem"}]` for each certificate of a chain.
fn chain_entries(pems: &[String]) -> Vec<Value> {
    pems.iter()
        .map(|p| {
            let cn = crypto::pem_blocks(p)
                .into_iter()
                .next()
                .and_then(|(_, d)| crypto::parse_certificate(&d).ok())
                .map(|i| {
                    i.subject
                        .split(',')
                        .map(str::trim)
                        .find_map(|s| s.strip_prefix("CN=").map(str::to_string))
                        .unwrap_or(i.subject)
                })
                .unwrap_or_default();
            json!({"subject_common_name": cn, "pem": p})
        })
        .collect()
}

fn dc_datetime(ms: i64) -> String {
    let s = clock::rfc3339(ms);
    format!("{}+00:00", &s[..19])
}

fn dc_date(ms: i64) -> String {
    clock::rfc3339(ms)[..10].to_string()
}

/// Looks an order up by id, certificate thumbprint or serial, for the caller's account.
fn find_order(call: &Call<DigiCert>, id: &str) -> Option<Order> {
    let app = &call.app;
    let o = match id.parse::<u64>() {
        Ok(n) if n > ORDER_BASE && n < REQUEST_BASE => app.orders.get(&n.to_string()),
        _ => app.orders.find(|o| {
            o.dialect == Dialect::Digicert
                && o.cert.as_ref().is_some_and(|c| {
                    c.thumbprint.eq_ignore_ascii_case(id) || c.serial_hex.eq_ignore_ascii_case(id)
                })
        }),
    }?;
    (o.dialect == Dialect::Digicert && o.account == call.account.id).then_some(o)
}

/// Looks an issued order up by its certificate id, for the caller's account.
fn find_by_certificate(call: &Call<DigiCert>, id: &str) -> Option<Order> {
    let n: u64 = id.parse().ok()?;
    if n <= CERT_BASE {
        return None;
    }
    let o = call
        .app
        .orders
        .get(&(ORDER_BASE + (n - CERT_BASE)).to_string())?;
    (o.dialect == Dialect::Digicert && o.account == call.account.id && o.cert.is_some())
        .then_some(o)
}
