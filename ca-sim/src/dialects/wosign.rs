//! The WoSign dialect (partner-dialects.md §4.3, invented for the simulator [P]) under
//! `/api/v1/`: HMAC-signed JSON. Every request carries `X-WoSign-AccountId`,
//! `X-WoSign-Timestamp` (unix seconds, within 5 minutes of real time) and `X-WoSign-Signature`
//! = lowercase hex of HMAC-SHA256(api_key, METHOD + PATH + TIMESTAMP + hex(SHA-256(body))),
//! where PATH is the request path (the path with its query string is accepted too). Errors are
//! HTTP 200 with a non-zero `code`. OV or EV comes from the account, not the request.
//! ca-sim's extension: an order may carry `clientOrderId`, and
//! `GET /api/v1/orders?clientOrderId=X` lists the account's orders with it.

use super::{gate, ConnKill, ReqMeta};
use crate::config::{Account, Dialect};
use crate::faults::{op, Facts, FaultAction, Fired};
use crate::orders::{ChainShape, NewOrder, Order, OrderStatus};
use crate::App;
use aws_lc_rs::{digest, hmac};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Extension, Router};
use serde_json::{json, Value};
use shared::crypto;
use std::collections::HashMap;
use std::sync::Arc;

type Kill = Option<Extension<ConnKill>>;

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
/// Longest `clientOrderId` accepted.
const MAX_CLIENT_ORDER_ID_LEN: usize = 128;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/orders", post(create_order).get(list_orders))
        .route("/api/v1/orders/{id}", get(get_order))
        .route("/api/v1/orders/{id}/certificate", get(certificate))
        .route("/api/v1/orders/{id}/cancel", post(cancel))
        .route("/api/v1/orders/{id}/revoke", post(revoke))
        .route("/api/v1/{*rest}", any(no_route))
}

fn err(meta: &mut ReqMeta, code: i64, message: &str) -> Response {
    meta.code = Some(code.to_string());
    ok_body(
        meta,
        json!({"code": code, "message": message, "data": null}),
    )
}

fn ok_body(meta: &ReqMeta, v: Value) -> Response {
    let mut r = (StatusCode::OK, axum::Json(v)).into_response();
    r.extensions_mut().insert(meta.clone());
    r
}

fn success(meta: &ReqMeta, data: Value) -> Response {
    ok_body(meta, json!({"code": 0, "message": "success", "data": data}))
}

fn render_fault(meta: &mut ReqMeta, f: &Fired) -> Option<Response> {
    let plain = |meta: &mut ReqMeta, status: StatusCode, text: &'static str| {
        meta.code = Some(status.as_u16().to_string());
        let mut r = (status, [(http::header::CONTENT_TYPE, "text/plain")], text).into_response();
        r.extensions_mut().insert(meta.clone());
        r
    };
    match &f.action {
        FaultAction::VendorError { code, message, .. } => {
            let c = code
                .as_deref()
                .and_then(|c| c.parse().ok())
                .unwrap_or(code::SYSTEM_BUSY);
            Some(err(
                meta,
                c,
                message
                    .as_deref()
                    .unwrap_or("system busy, please retry later"),
            ))
        }
        FaultAction::RateLimit { retry_after } => {
            let mut r = plain(meta, StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
            if let Some(s) = retry_after {
                r.headers_mut()
                    .insert(http::header::RETRY_AFTER, HeaderValue::from(*s));
            }
            Some(r)
        }
        FaultAction::ServerError { status } => {
            let status = status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .filter(|s| s.is_server_error())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(plain(meta, status, "Internal Server Error"))
        }
        FaultAction::Malformed => {
            meta.code = Some("malformed".into());
            let mut r = (
                StatusCode::OK,
                [(http::header::CONTENT_TYPE, "application/json")],
                "{\"code\":0,\"message\":\"success\",\"data\":{\"orderNo\":",
            )
                .into_response();
            r.extensions_mut().insert(meta.clone());
            Some(r)
        }
        _ => None,
    }
}

/// The signature a client must send (documented recipe).
pub fn signature(key: &str, method: &str, path: &str, timestamp: &str, body: &[u8]) -> String {
    let body_hash = hex::encode(digest::digest(&digest::SHA256, body));
    let k = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    let msg = format!("{method}{path}{timestamp}{body_hash}");
    hex::encode(hmac::sign(&k, msg.as_bytes()))
}

fn authenticate(
    app: &App,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    meta: &mut ReqMeta,
) -> Result<Account, Response> {
    let h = |n: &str| {
        headers
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
        return Err(err(
            meta,
            code::BAD_SIGNATURE,
            "missing X-WoSign-AccountId, X-WoSign-Timestamp or X-WoSign-Signature",
        ));
    }
    let Some(account) = app.account(Dialect::Wosign, |a| a.id == account_id) else {
        return Err(err(
            meta,
            code::ACCOUNT_DISABLED,
            "account does not exist or is disabled",
        ));
    };
    meta.account = Some(account.id.clone());
    if account.disabled {
        return Err(err(
            meta,
            code::ACCOUNT_DISABLED,
            "account does not exist or is disabled",
        ));
    }
    let Ok(t) = ts.parse::<i64>() else {
        return Err(err(
            meta,
            code::BAD_SIGNATURE,
            "X-WoSign-Timestamp must be unix seconds",
        ));
    };
    let now = crate::orders::clock::wall_ms() / 1000;
    if (now - t).abs() > MAX_SKEW_SECS {
        return Err(err(meta, code::BAD_SIGNATURE, "timestamp expired"));
    }
    let path_only = uri.path();
    let with_query = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(path_only);
    let ok = [path_only, with_query].iter().any(|p| {
        let want = signature(&account.secret, method.as_str(), p, &ts, body);
        aws_lc_rs::constant_time::verify_slices_are_equal(
            want.as_bytes(),
            sig.to_ascii_lowercase().as_bytes(),
        )
        .is_ok()
    });
    if !ok {
        return Err(err(
            meta,
            code::BAD_SIGNATURE,
            "signature verification failed",
        ));
    }
    Ok(account)
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

fn order_data(app: &App, o: &Order) -> Value {
    let mut v = json!({
        "orderNo": o.id,
        "certType": o.validation,
        "status": status_word(o, app.clock.now_ms()),
        "commonName": o.common_name,
        "subjectAltNames": o.dns_names,
        "createdAt": crate::orders::clock::rfc3339(o.created_ms),
        "rejectReason": if matches!(o.status, OrderStatus::Rejected | OrderStatus::Canceled) { json!(o.status_reason) } else { Value::Null },
        "distrusted": o.distrusted,
    });
    if let Some(c) = o.extra["clientOrderId"].as_str() {
        v["clientOrderId"] = json!(c);
    }
    if let Some(c) = &o.cert {
        v["serialNumber"] = json!(c.serial_hex);
        v["notBefore"] = json!(crate::orders::clock::rfc3339(c.not_before_ms));
        v["notAfter"] = json!(crate::orders::clock::rfc3339(c.not_after_ms));
        if o.distrusted {
            v["distrustReason"] = json!(format!(
                "WoSign hierarchy distrusted for certificates with notBefore after {}",
                crate::ca::WOSIGN_DISTRUST_AFTER
            ));
        }
    }
    v
}

#[allow(clippy::too_many_arguments)]
async fn prelude(
    app: &App,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    operation: &'static str,
    id: Option<&str>,
    kill: &Kill,
) -> Result<(ReqMeta, Account, Option<Order>, Option<Fired>), Response> {
    let mut meta = ReqMeta::new(Dialect::Wosign, operation);
    let account = authenticate(app, method, uri, headers, body, &mut meta)?;
    let order = match id {
        Some(id) => {
            meta.order_id = Some(id.to_string());
            match app
                .orders
                .get(id)
                .filter(|o| o.dialect == Dialect::Wosign && o.account == account.id)
            {
                Some(o) => Some(o),
                None => return Err(err(&mut meta, code::ORDER_NOT_FOUND, "order not found")),
            }
        }
        None => None,
    };
    let cn = order.as_ref().map(|o| o.common_name.clone());
    let fired = gate(
        app,
        Facts {
            dialect: Dialect::Wosign,
            operation,
            account: Some(&account.id),
            common_name: cn.as_deref(),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f) {
            return Err(r);
        }
    }
    Ok((meta, account, order, fired))
}

async fn create_order(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Wosign, op::ORDER);
    let account = match authenticate(&app, &method, &uri, &headers, &body, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return err(
            &mut meta,
            code::BAD_PARAMETER,
            "request body is not valid JSON",
        );
    };
    let cn = req["commonName"].as_str().map(str::trim).unwrap_or("");
    if cn.is_empty() {
        return err(&mut meta, code::BAD_PARAMETER, "commonName is required");
    }
    let Some(der) = super::digicert::csr_der(req["csr"].as_str().unwrap_or("")) else {
        return err(&mut meta, code::CSR_INVALID, "CSR invalid");
    };
    if crypto::parse_csr(&der).is_err() {
        return err(
            &mut meta,
            code::CSR_INVALID,
            "CSR invalid: cannot parse or bad signature",
        );
    }
    let client_order_id = match &req["clientOrderId"] {
        Value::Null => None,
        Value::String(c) if !c.is_empty() && c.chars().count() <= MAX_CLIENT_ORDER_ID_LEN => {
            Some(c.clone())
        }
        _ => {
            return err(
                &mut meta,
                code::BAD_PARAMETER,
                "clientOrderId must be a string of 1..128 characters",
            )
        }
    };
    let years = req["validityYears"].as_u64().unwrap_or(1);
    if !(1..=3).contains(&years) {
        return err(&mut meta, code::BAD_PARAMETER, "validityYears must be 1..3");
    }
    let cert_type = account.cert_type.clone().unwrap_or_else(|| "OV".into());
    let profile = match account.profile_for(&cert_type) {
        Ok(p) => p,
        Err(e) => return err(&mut meta, code::SYSTEM_BUSY, &e),
    };
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Wosign,
            operation: op::ORDER,
            account: Some(&account.id),
            common_name: Some(cn),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f) {
            return r;
        }
    }
    let mut dns = vec![cn.to_string()];
    for n in req["subjectAltNames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !dns.iter().any(|d| d.eq_ignore_ascii_case(n)) {
            dns.push(n.to_string());
        }
    }
    let new = NewOrder {
        dialect: Dialect::Wosign,
        account: account.id.clone(),
        product: cert_type.clone(),
        validation: cert_type.clone(),
        common_name: cn.to_string(),
        dns_names: dns,
        organization_id: None,
        organization_name: Some(
            req["organization"]
                .as_str()
                .unwrap_or("ca-sim WoSign Customer")
                .to_string(),
        ),
        country: Some("CN".into()),
        csr_pem: crypto::pem_encode("CERTIFICATE REQUEST", &der),
        validity_days: (years * 365) as u32,
        profile: profile.clone(),
        awaiting_validation: false,
        outcome: fired
            .filter(|f| f.action.is_order_outcome())
            .map(|f| (f.rule, f.action)),
        extra: json!({"contact": req["contact"].clone(), "clientOrderId": client_order_id}),
    };
    let order = match app.orders.create(new, |seq, now| {
        format!(
            "WS{:04}{:02}{:02}{:06}",
            now.year(),
            now.month() as u8,
            now.day(),
            seq
        )
    }) {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "wosign order failed");
            return err(&mut meta, code::SYSTEM_BUSY, "system busy");
        }
    };
    meta.order_id = Some(order.id.clone());
    let mut order = order;
    if profile.is_instant() {
        let book = app.orders.clone();
        let id = order.id.clone();
        if let Ok(Ok(o)) = tokio::task::spawn_blocking(move || book.complete_now(&id)).await {
            order = o;
        }
    }
    success(
        &meta,
        json!({"orderNo": order.id, "certType": order.validation, "status": status_word(&order, app.clock.now_ms())}),
    )
}

/// `GET /api/v1/orders?clientOrderId=X` (ca-sim's documented extension of the proposed
/// dialect): the account's orders created with that `clientOrderId`, oldest first; an empty
/// list when there are none.
async fn list_orders(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mut meta, account, _, _) = match prelude(
        &app,
        &method,
        &uri,
        &headers,
        &body,
        op::LOOKUP,
        None,
        &kill,
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(wanted) = q.get("clientOrderId").filter(|w| !w.is_empty()) else {
        return err(
            &mut meta,
            code::BAD_PARAMETER,
            "clientOrderId query parameter is required",
        );
    };
    let orders: Vec<Value> = app
        .orders
        .list(Some(Dialect::Wosign))
        .into_iter()
        .filter(|o| {
            o.account == account.id && o.extra["clientOrderId"].as_str() == Some(wanted.as_str())
        })
        .map(|o| order_data(&app, &o))
        .collect();
    success(&meta, json!({"orders": orders}))
}

async fn get_order(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (meta, _, order, fired) = match prelude(
        &app,
        &method,
        &uri,
        &headers,
        &body,
        op::POLL,
        Some(&id),
        &kill,
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(mut order) = order else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(f) = &fired {
        let r = match &f.action {
            FaultAction::Reject { reason } => Some(
                app.orders.reject(
                    &order.id,
                    reason
                        .clone()
                        .unwrap_or_else(|| crate::orders::default_reject_reason(Dialect::Wosign)),
                ),
            ),
            FaultAction::Cancel { reason } => Some(app.orders.cancel_by_ca(
                &order.id,
                reason.clone().unwrap_or_else(|| "cancelled by CA".into()),
            )),
            _ => None,
        };
        if let Some(Ok(Ok(o))) = r {
            order = o;
        }
    }
    success(&meta, order_data(&app, &order))
}

async fn certificate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mut meta, _, order, fired) = match prelude(
        &app,
        &method,
        &uri,
        &headers,
        &body,
        op::DOWNLOAD,
        Some(&id),
        &kill,
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(order) = order else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(cert) = order
        .cert
        .as_ref()
        .filter(|_| matches!(order.status, OrderStatus::Issued | OrderStatus::Revoked))
    else {
        return err(&mut meta, code::BAD_STATE, "certificate not issued yet");
    };
    let mut shape = ChainShape::from_action(order.outcome.as_ref());
    shape.add(fired.as_ref().map(|f| &f.action));
    let chain = shape.pems(cert, false, true);
    let mut leaf = cert.pem.clone();
    if shape.crlf {
        leaf = crate::orders::crlf(&leaf);
    }
    let mut data = json!({"certificate": leaf, "chain": chain});
    if order.distrusted {
        data["distrusted"] = json!(true);
    }
    success(&meta, data)
}

async fn cancel(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mut meta, _, order, _) = match prelude(
        &app,
        &method,
        &uri,
        &headers,
        &body,
        op::CANCEL,
        Some(&id),
        &kill,
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(order) = order else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let reason = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["reason"].as_str().map(str::to_string));
    match app.orders.cancel(&order.id, reason) {
        Ok(Ok(_)) => success(&meta, Value::Null),
        Ok(Err(_)) => err(
            &mut meta,
            code::BAD_STATE,
            "order status does not allow cancellation",
        ),
        Err(_) => err(&mut meta, code::SYSTEM_BUSY, "system busy"),
    }
}

async fn revoke(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (mut meta, _, order, _) = match prelude(
        &app,
        &method,
        &uri,
        &headers,
        &body,
        op::REVOKE,
        Some(&id),
        &kill,
    )
    .await
    {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(order) = order else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let reason = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["reason"].as_str().map(str::to_string))
        .unwrap_or_else(|| "unspecified".into());
    match app.orders.revoke(&order.id, reason) {
        Ok(Ok(_)) => success(&meta, Value::Null),
        Ok(Err(_)) => err(
            &mut meta,
            code::BAD_STATE,
            "only issued certificates can be revoked",
        ),
        Err(_) => err(&mut meta, code::SYSTEM_BUSY, "system busy"),
    }
}

async fn no_route() -> Response {
    let mut meta = ReqMeta::new(Dialect::Wosign, op::OTHER);
    meta.code = Some("404".into());
    let mut r = (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"code": 404, "message": "not found", "data": null})),
    )
        .into_response();
    r.extensions_mut().insert(meta);
    r
}
