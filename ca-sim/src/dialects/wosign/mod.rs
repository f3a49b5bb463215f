//! The WoSign dialect (partner-dialects.md §4.3, invented for the simulator [P]) under
//! `/api/v1/`: HMAC-signed JSON. Every request carries `X-WoSign-AccountId`,
//! `X-WoSign-Timestamp` (unix seconds, within 5 minutes of real time) and `X-WoSign-Signature`
//! = lowercase hex of HMAC-SHA256(api_key, METHOD + PATH + TIMESTAMP + hex(SHA-256(body))),
//! where PATH is the request path (the path with its query string is accepted too). Errors are
//! HTTP 200 with a non-zero `code`. OV or EV comes from the account, not the request.
//! ca-sim's extension: an order may carry `clientOrderId`, and
//! `GET /api/v1/orders?clientOrderId=X` lists the account's orders with it.
//!
//! This file is the dialect's side of the contract ([`WoSign`]: signature check, error shape,
//! fault answers) plus the order rendering; the operations are in [`orders`].

pub mod orders;

use super::contract::{plain, refuse, Call, Failure, Incoming, Vendor};
use crate::app::App;
use crate::domain::{op, Account, Dialect, Order, OrderStatus};
use crate::faults::Fired;
use crate::history::ReqMeta;
use crate::orders::clock;
use aws_lc_rs::{digest, hmac};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::Arc;

/// Error codes (§4.3, plus ca-sim's own 2003/4004/4009 [P]).
pub mod code {
    pub const BAD_SIGNATURE: i64 = 1001;
    pub const ACCOUNT_DISABLED: i64 = 1002;
    pub const CSR_INVALID: i64 = 2001;
    pub const DOMAIN_NOT_VALIDATED: i64 = 2002;
    pub const BAD_PARAMETER: i64 = 2003;
    pub const INSUFFICIENT_BALANCE: i64 = 3001;
    pub const ORDER_NOT_FOUND: i64 = 4004;
    pub const BAD_STATE: i64 = 4009;
    pub const SYSTEM_BUSY: i64 = 9999;
}

const MAX_SKEW_SECS: i64 = 300;

/// The WoSign dialect on the contract.
pub struct WoSign;

/// A WoSign answer other than success.
pub enum WsError {
    /// HTTP 200 with a non-zero `code` (the dialect's errors).
    Code(i64, String),
    /// A bare status with a text body (fault 429s and 5xx).
    Plain(StatusCode, &'static str),
    /// 404 with the JSON envelope (a path outside the API).
    NoRoute,
}

impl WsError {
    pub fn code(code: i64, message: impl Into<String>) -> Self {
        Self::Code(code, message.into())
    }
}

impl Vendor for WoSign {
    const DIALECT: Dialect = Dialect::Wosign;
    const CANCELED_BY_CA: &'static str = "cancelled by CA";
    type Request = Incoming;
    type Error = WsError;

    /// Account, timestamp window and HMAC signature over the path (with or without query).
    fn authenticate(app: &App, req: &Incoming, meta: &mut ReqMeta) -> Result<Account, WsError> {
        let h = |n: &str| {
            req.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let (account_id, ts, sig) = (
            h("x-wosign-accountid"),
            h("x-wosign-timestamp"),
            h("x-wosign-signature"),
        );
        if account_id.is_empty() || ts.is_empty() || sig.is_empty() {
            return Err(WsError::code(
                code::BAD_SIGNATURE,
                "missing X-WoSign-AccountId, X-WoSign-Timestamp or X-WoSign-Signature",
            ));
        }
        let disabled = || {
            WsError::code(
                code::ACCOUNT_DISABLED,
                "account does not exist or is disabled",
            )
        };
        let account = app
            .account(Dialect::Wosign, |a| a.id == account_id)
            .ok_or_else(disabled)?;
        meta.account = Some(account.id.clone());
        if account.disabled {
            return Err(disabled());
        }
        let Ok(t) = ts.parse::<i64>() else {
            return Err(WsError::code(
                code::BAD_SIGNATURE,
                "X-WoSign-Timestamp must be unix seconds",
            ));
        };
        let now = clock::wall_ms() / 1000;
        if (now - t).abs() > MAX_SKEW_SECS {
            return Err(WsError::code(code::BAD_SIGNATURE, "timestamp expired"));
        }
        let path_only = req.uri.path();
        let with_query = req
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or(path_only);
        let ok = [path_only, with_query].iter().any(|p| {
            let want = signature(&account.secret, req.method.as_str(), p, &ts, &req.body);
            aws_lc_rs::constant_time::verify_slices_are_equal(
                want.as_bytes(),
                sig.to_ascii_lowercase().as_bytes(),
            )
            .is_ok()
        });
        if !ok {
            return Err(WsError::code(
                code::BAD_SIGNATURE,
                "signature verification failed",
            ));
        }
        Ok(account)
    }

    fn render(_app: &App, _req: &Incoming, e: WsError) -> (String, Response) {
        match e {
            WsError::Code(code, message) => (
                code.to_string(),
                (
                    StatusCode::OK,
                    axum::Json(json!({"code": code, "message": message, "data": null})),
                )
                    .into_response(),
            ),
            WsError::Plain(status, text) => (status.as_u16().to_string(), plain(status, text)),
            WsError::NoRoute => (
                "404".into(),
                (
                    StatusCode::NOT_FOUND,
                    axum::Json(json!({"code": 404, "message": "not found", "data": null})),
                )
                    .into_response(),
            ),
        }
    }

    fn vendor_error(code: Option<&str>, message: Option<&str>, _status: Option<u16>) -> WsError {
        WsError::code(
            code.and_then(|c| c.parse().ok())
                .unwrap_or(code::SYSTEM_BUSY),
            message.unwrap_or("system busy, please retry later"),
        )
    }

    fn rate_limited() -> WsError {
        WsError::Plain(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
    }

    fn server_error(status: StatusCode) -> WsError {
        WsError::Plain(status, "Internal Server Error")
    }

    fn malformed(_req: &Incoming) -> (&'static str, String) {
        (
            "application/json",
            "{\"code\":0,\"message\":\"success\",\"data\":{\"orderNo\":".into(),
        )
    }
}

/// Any other path under `/api/v1`: 404 with the JSON envelope.
pub async fn no_route(State(app): State<Arc<App>>) -> Response {
    refuse::<WoSign>(&app, &Incoming::default(), op::OTHER, WsError::NoRoute)
}

/// The signature a client must send (documented recipe).
pub fn signature(key: &str, method: &str, path: &str, timestamp: &str, body: &[u8]) -> String {
    let body_hash = hex::encode(digest::digest(&digest::SHA256, body));
    let k = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    let msg = format!("{method}{path}{timestamp}{body_hash}");
    hex::encode(hmac::sign(&k, msg.as_bytes()))
}

/// `{"code":0,"message":"success","data":…}`.
fn success(data: Value) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({"code": 0, "message": "success", "data": data})),
    )
        .into_response()
}

/// The caller's order `id` (noted for the history first) after the fault gate, asked with its
/// common name; `4004` when the caller has none by that id.
async fn find_gated(
    call: &mut Call<WoSign>,
    id: &str,
) -> Result<(Order, Option<Fired>), Failure<WsError>> {
    call.about(id);
    let order = call
        .app
        .orders
        .get(id)
        .filter(|o| o.dialect == Dialect::Wosign && o.account == call.account.id)
        .ok_or_else(|| WsError::code(code::ORDER_NOT_FOUND, "order not found"))?;
    let fired = call.gate(Some(&order.common_name)).await?;
    Ok((order, fired))
}

/// WoSign status words.
pub fn status_word(o: &Order, now_ms: i64) -> &'static str {
    match o.status {
        OrderStatus::Pending => match o.due_ms {
            Some(due) if !o.awaiting_validation && due - now_ms <= (due - o.created_ms) / 2 => {
                "PENDING_ISSUE"
            }
            _ => "PENDING_VALIDATION",
        },
        OrderStatus::NeedsApproval => "PENDING_VALIDATION",
        OrderStatus::Issued => "ISSUED",
        OrderStatus::Rejected => "REJECTED",
        OrderStatus::Canceled => "CANCELLED",
        OrderStatus::Revoked => "REVOKED",
    }
}

/// The order as `GET /api/v1/orders/{orderNo}` and the `clientOrderId` lookup show it.
fn order_data(app: &App, o: &Order) -> Value {
    let mut v = json!({
        "orderNo": o.id,
        "certType": o.validation,
        "status": status_word(o, app.clock.now_ms()),
        "commonName": o.common_name,
        "subjectAltNames": o.dns_names,
        "createdAt": clock::rfc3339(o.created_ms),
        "rejectReason": if matches!(o.status, OrderStatus::Rejected | OrderStatus::Canceled) { json!(o.status_reason) } else { Value::Null },
        "distrusted": o.distrusted,
    });
    if let Some(c) = o.extra["clientOrderId"].as_str() {
        v["clientOrderId"] = json!(c);
    }
    if let Some(c) = &o.cert {
        v["serialNumber"] = json!(c.serial_hex);
        v["notBefore"] = json!(clock::rfc3339(c.not_before_ms));
        v["notAfter"] = json!(clock::rfc3339(c.not_after_ms));
        if o.distrusted {
            v["distrustReason"] = json!(format!(
                "WoSign hierarchy distrusted for certificates with notBefore after {}",
                crate::ca::WOSIGN_DISTRUST_AFTER
            ));
        }
    }
    v
}
