//! DigiCert CertCentral Services API v2 (partner-dialects.md §2, §8), under `/services/v2/`.
//!
//! Auth is the `X-DC-DEVKEY` header. Ids: order `5000000 + n`, its request `9000000 + n`, a
//! revoke request `9500000 + n`, its certificate `45000000 + n`. Errors are
//! `{"errors":[{"code","message"}]}` with a 4xx/5xx status. Request bodies are read
//! leniently (unknown fields, bodies on GETs and `Content-Type` on GETs are tolerated).
//! `GET order/certificate/status-changes` lists the account's orders created or changing
//! status in a window (`filters[status_last_updated]=FROM...TO` in MDT, or `minutes`/`seconds`),
//! so a client can find an order whose creation answer it lost.

use super::{gate, ConnKill, ReqMeta};
use crate::config::{Account, Dialect};
use crate::faults::{op, Facts, FaultAction, Fired};
use crate::orders::{clock, ChainShape, NewOrder, Order, OrderStatus, MAX_VALIDITY_DAYS};
use crate::App;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::{Extension, Router};
use serde_json::{json, Value};
use shared::crypto;
use std::collections::HashMap;
use std::sync::Arc;

const ORDER_BASE: u64 = 5_000_000;
const REQUEST_BASE: u64 = 9_000_000;
const REVOKE_REQUEST_BASE: u64 = 9_500_000;
const CERT_BASE: u64 = 45_000_000;

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

type Kill = Option<Extension<ConnKill>>;

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/services/v2/order/certificate/status-changes",
            get(status_changes),
        )
        .route("/services/v2/order/certificate/{id}", post(create_order))
        .route("/services/v2/order/certificate/{id}", get(get_order))
        .route(
            "/services/v2/order/certificate/{id}/status",
            put(update_status),
        )
        .route(
            "/services/v2/order/certificate/{id}/revoke",
            put(revoke_order),
        )
        .route(
            "/services/v2/certificate/{id}/revoke",
            put(revoke_certificate),
        )
        .route(
            "/services/v2/certificate/{id}/download/format/{format}",
            get(download_by_certificate),
        )
        .route(
            "/services/v2/certificate/download/order/{id}/format/{format}",
            get(download_by_order),
        )
        .route("/services/v2/certificate/{id}/chain", get(chain))
        .route("/services/v2/request/{id}/status", put(request_status))
        .route("/services/v2/user/me", get(user_me))
        .route("/services/v2/organization", get(organizations))
        .route("/services/v2/organization/{id}", get(organization))
        .route("/services/v2/{*rest}", any(no_route))
        .route("/services/v2", any(no_route))
}

/// `{"errors":[{"code","message"}]}` with `status`.
fn error(meta: &mut ReqMeta, status: StatusCode, code: &str, message: &str) -> Response {
    meta.code = Some(code.to_string());
    let mut r = (
        status,
        axum::Json(json!({"errors": [{"code": code, "message": message}]})),
    )
        .into_response();
    r.extensions_mut().insert(meta.clone());
    r
}

fn done(meta: &ReqMeta, mut r: Response) -> Response {
    r.extensions_mut().insert(meta.clone());
    r
}

fn json_resp(meta: &ReqMeta, status: StatusCode, v: Value) -> Response {
    done(meta, (status, axum::Json(v)).into_response())
}

/// Renders an error-like fault; `None` for outcome faults (the caller applies them).
fn render_fault(meta: &mut ReqMeta, f: &Fired, success: StatusCode) -> Option<Response> {
    match &f.action {
        FaultAction::VendorError {
            code,
            message,
            status,
        } => {
            let status = status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::BAD_REQUEST);
            Some(error(
                meta,
                status,
                code.as_deref().unwrap_or("bad_request_format"),
                message
                    .as_deref()
                    .unwrap_or("The request could not be processed."),
            ))
        }
        FaultAction::RateLimit { retry_after } => {
            let mut r = error(
                meta,
                StatusCode::TOO_MANY_REQUESTS,
                "request_limit_exceeded",
                "Service unavailable, please limit request volume",
            );
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
            Some(error(
                meta,
                status,
                "internal_error",
                "An internal error occurred. Please try again later.",
            ))
        }
        FaultAction::Malformed => {
            meta.code = Some("malformed".into());
            let mut r = (
                success,
                [(http::header::CONTENT_TYPE, "application/json")],
                "{\"id\":1,\"requests\":[{\"id\":",
            )
                .into_response();
            r.extensions_mut().insert(meta.clone());
            Some(r)
        }
        _ => None,
    }
}

/// Rate limit and `X-DC-DEVKEY` check.
fn authenticate(app: &App, headers: &HeaderMap, meta: &mut ReqMeta) -> Result<Account, Response> {
    let key = headers
        .get("x-dc-devkey")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if key.is_empty() {
        return Err(error(
            meta,
            StatusCode::UNAUTHORIZED,
            "access_denied|invalid_api_key",
            "An API key is required (X-DC-DEVKEY header).",
        ));
    }
    if app.digicert_limits.check(key).is_err() {
        return Err(error(
            meta,
            StatusCode::TOO_MANY_REQUESTS,
            "request_limit_exceeded",
            "Service unavailable, please limit request volume",
        ));
    }
    match app.account(Dialect::Digicert, |a| a.secret == key) {
        Some(a) if !a.disabled => {
            meta.account = Some(a.id.clone());
            Ok(a)
        }
        _ => Err(error(
            meta,
            StatusCode::UNAUTHORIZED,
            "access_denied|invalid_api_key",
            "The API key is invalid or has been revoked.",
        )),
    }
}

fn lenient_json(body: &Bytes) -> Result<Value, ()> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|_| ())
}

fn num(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Validity in days from the many ways DigiCert clients state it.
fn validity_days(body: &Value, now: time::OffsetDateTime) -> Result<u32, (&'static str, String)> {
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
            (
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
            return Err((
                "cert_validity_exceeds_order_validity",
                "Certificate validity exceeds order validity.".into(),
            ));
        }
    }
    let days = cert_days.or(order_days).unwrap_or(365);
    if days == 0 {
        return Err((
            "bad_request_format",
            "Validity must be at least one day.".into(),
        ));
    }
    Ok(days.min(MAX_VALIDITY_DAYS as u64) as u32)
}

/// Reads a CSR given as PEM, or as bare base64 DER.
pub fn csr_der(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    if let Some((_, der)) = crypto::pem_blocks(text)
        .into_iter()
        .find(|(l, _)| l.contains("CERTIFICATE REQUEST"))
    {
        return Some(der);
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

async fn create_order(
    State(app): State<Arc<App>>,
    Path(product): Path<String>,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::ORDER);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(body) = lenient_json(&body) else {
        return error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            "The request body is not valid JSON.",
        );
    };
    let Some((product_id, validation, _)) = PRODUCTS.iter().find(|(p, _, _)| *p == product) else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|product",
            &format!("Product '{product}' was not found."),
        );
    };
    let cert = &body["certificate"];
    let common_name = cert["common_name"].as_str().map(str::trim).unwrap_or("");
    if common_name.is_empty() {
        return error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            "certificate.common_name is required.",
        );
    }
    let Some(org_id) = num(&body["organization"]["id"]) else {
        return error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            "organization.id is required.",
        );
    };
    let Some(org) = account
        .organizations
        .iter()
        .find(|o| o.id == org_id)
        .cloned()
    else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|organization",
            &format!("Organization {org_id} was not found."),
        );
    };
    let csr_text = cert["csr"].as_str().unwrap_or("");
    let Some(der) = csr_der(csr_text) else {
        return error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "csr_invalid_cannot_parse",
            "The CSR could not be parsed.",
        );
    };
    if crypto::parse_csr(&der).is_err() {
        return error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "csr_invalid_cannot_parse",
            "The CSR could not be parsed or its signature is invalid.",
        );
    }
    if let Some(h) = cert["signature_hash"].as_str() {
        if !["sha256", "sha384", "sha512"].contains(&h) {
            return error(
                &mut meta,
                StatusCode::BAD_REQUEST,
                "bad_request_format",
                "signature_hash must be sha256, sha384 or sha512.",
            );
        }
    }
    let days = match validity_days(&body, app.clock.now()) {
        Ok(d) => d,
        Err((code, msg)) => return error(&mut meta, StatusCode::BAD_REQUEST, code, &msg),
    };
    let profile = match account.profile_for(product_id) {
        Ok(p) => p,
        Err(e) => {
            return error(
                &mut meta,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                &e,
            )
        }
    };
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Digicert,
            operation: op::ORDER,
            account: Some(&account.id),
            common_name: Some(common_name),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f, StatusCode::CREATED) {
            return r;
        }
    }
    let mut dns_names: Vec<String> = vec![common_name.to_string()];
    if let Some(list) = cert["dns_names"].as_array() {
        for n in list.iter().filter_map(Value::as_str) {
            if !dns_names.iter().any(|d| d.eq_ignore_ascii_case(n)) {
                dns_names.push(n.to_string());
            }
        }
    }
    let skip_approval = body["skip_approval"].as_bool().unwrap_or(false);
    let new = NewOrder {
        dialect: Dialect::Digicert,
        account: account.id.clone(),
        product: product_id.to_string(),
        validation: validation.to_string(),
        common_name: common_name.to_string(),
        dns_names,
        organization_id: Some(org.id),
        organization_name: Some(org.name.clone()),
        country: Some("US".into()),
        csr_pem: crypto::pem_encode("CERTIFICATE REQUEST", &der),
        validity_days: days,
        profile: profile.clone(),
        awaiting_validation: !org.validated,
        outcome: fired
            .filter(|f| f.action.is_order_outcome())
            .map(|f| (f.rule, f.action)),
        extra: json!({
            "signature_hash": cert["signature_hash"].as_str().unwrap_or("sha256"),
            "server_platform": cert["server_platform"].clone(),
            "payment_method": body["payment_method"].as_str().unwrap_or("balance"),
            "dcv_method": body["dcv_method"].as_str().unwrap_or("email"),
            "skip_approval": skip_approval,
            "comments": body["comments"].clone(),
            "organization_units": cert["organization_units"].clone(),
        }),
    };
    let order = match app
        .orders
        .create(new, |seq, _| (ORDER_BASE + seq).to_string())
    {
        Ok(o) => o,
        Err(e) => return internal(&mut meta, e),
    };
    meta.order_id = Some(order.id.clone());
    let mut order = order;
    if profile.is_instant() && skip_approval && org.validated && order.status.is_open() {
        let book = app.orders.clone();
        let id = order.id.clone();
        match tokio::task::spawn_blocking(move || book.complete_now(&id)).await {
            Ok(Ok(o)) => order = o,
            Ok(Err(e)) => return internal(&mut meta, e),
            Err(e) => return internal(&mut meta, crate::Error::Internal(e.to_string())),
        }
    }
    let seq = order.seq;
    let mut v = json!({
        "id": ORDER_BASE + seq,
        "requests": [{"id": REQUEST_BASE + seq, "status": request_status_of(&order)}],
    });
    if let (OrderStatus::Issued, Some(c)) = (order.status, &order.cert) {
        v["certificate_id"] = json!(CERT_BASE + seq);
        let shape = ChainShape::from_action(order.outcome.as_ref());
        v["certificate_chain"] = json!(chain_entries(&shape.pems(c, true, true)));
    }
    json_resp(&meta, StatusCode::CREATED, v)
}

fn internal(meta: &mut ReqMeta, e: crate::Error) -> Response {
    tracing::error!(error = %e, "digicert request failed");
    error(
        meta,
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "An internal error occurred.",
    )
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
pub fn status_word(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::Pending => "pending",
        OrderStatus::NeedsApproval => "needs_approval",
        OrderStatus::Issued => "issued",
        OrderStatus::Rejected => "rejected",
        OrderStatus::Canceled => "canceled",
        OrderStatus::Revoked => "revoked",
    }
}

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

/// Looks an order up by id, certificate thumbprint or serial, for `account`.
fn find_order(app: &App, account: &Account, id: &str) -> Option<Order> {
    let o = match id.parse::<u64>() {
        Ok(n) if n > ORDER_BASE && n < REQUEST_BASE => app.orders.get(&n.to_string()),
        _ => app.orders.find(|o| {
            o.dialect == Dialect::Digicert
                && o.cert.as_ref().is_some_and(|c| {
                    c.thumbprint.eq_ignore_ascii_case(id) || c.serial_hex.eq_ignore_ascii_case(id)
                })
        }),
    }?;
    (o.dialect == Dialect::Digicert && o.account == account.id).then_some(o)
}

fn find_by_certificate(app: &App, account: &Account, id: &str) -> Option<Order> {
    let n: u64 = id.parse().ok()?;
    if n <= CERT_BASE {
        return None;
    }
    let o = app
        .orders
        .get(&(ORDER_BASE + (n - CERT_BASE)).to_string())?;
    (o.dialect == Dialect::Digicert && o.account == account.id && o.cert.is_some()).then_some(o)
}

fn order_json(app: &App, o: &Order, include_caa: bool) -> Value {
    let product = PRODUCTS.iter().find(|(p, _, _)| *p == o.product);
    let csr_info = crypto::pem_blocks(&o.csr_pem)
        .into_iter()
        .next()
        .and_then(|(_, d)| crypto::parse_csr(&d).ok());
    let key_size = match csr_info.as_ref().and_then(|i| i.key_spec) {
        Some(crypto::KeySpec::Rsa { bits }) => json!(bits),
        Some(crypto::KeySpec::Ec { curve }) => json!(match curve {
            shared::models::CurveName::P384 => 384,
            shared::models::CurveName::P521 => 521,
            _ => 256,
        }),
        None => Value::Null,
    };
    let h = app.ca.get(Dialect::Digicert).ok();
    let mut certificate = json!({
        "common_name": o.common_name,
        "dns_names": o.dns_names,
        "date_created": dc_datetime(o.created_ms),
        "csr": o.csr_pem,
        "organization": {"id": o.organization_id},
        "server_platform": if o.extra["server_platform"].is_null() { json!({"id": -1, "name": "OTHER", "install_url": "", "csr_url": ""}) } else { o.extra["server_platform"].clone() },
        "signature_hash": o.extra["signature_hash"].as_str().unwrap_or("sha256"),
        "key_size": key_size,
        "ca_cert": {"id": h.map(|h| h.issuing().id.clone()), "name": h.map(|h| h.issuing().common_name.clone())},
        "cert_validity": {"days": o.validity_days},
    });
    if let Some(c) = &o.cert {
        certificate["id"] = json!(CERT_BASE + o.seq);
        certificate["thumbprint"] = json!(c.thumbprint);
        certificate["serial_number"] = json!(c.serial_hex);
        certificate["valid_from"] = json!(dc_date(c.not_before_ms));
        certificate["valid_till"] = json!(dc_date(c.not_after_ms));
        certificate["date_issued"] = json!(dc_datetime(c.not_before_ms));
        let days_remaining = ((c.not_after_ms - app.clock.now_ms()) / 86_400_000).max(0);
        certificate["days_remaining"] = json!(days_remaining);
    }
    let mut requests = vec![json!({
        "id": REQUEST_BASE + o.seq,
        "date": dc_datetime(o.created_ms),
        "type": "new_request",
        "status": request_status_of(o),
        "comments": o.extra["comments"].as_str().unwrap_or(""),
        "processor_comment": o.status_reason.clone().unwrap_or_default(),
    })];
    if let Some(r) = &o.revoke_request {
        requests.push(json!({
            "id": REVOKE_REQUEST_BASE + o.seq,
            "date": dc_datetime(r.created_ms),
            "type": "revoke",
            "status": r.status,
            "comments": r.comments,
        }));
    }
    let mut v = json!({
        "id": ORDER_BASE + o.seq,
        "certificate": certificate,
        "status": status_word(o),
        "is_renewal": false,
        "date_created": dc_datetime(o.created_ms),
        "organization": {"id": o.organization_id, "name": o.organization_name, "display_name": o.organization_name},
        "order_valid_till": dc_date(o.created_ms + o.validity_days as i64 * 86_400_000),
        "disable_renewal_notifications": false,
        "container": {"id": 1, "name": "ca-sim"},
        "product": {
            "name_id": o.product,
            "name": product.map(|p| p.2).unwrap_or(""),
            "type": "ssl_certificate",
            "validation_type": o.validation.to_ascii_lowercase(),
            "validation_name": o.validation,
            "validation_description": if o.validation == "EV" { "Extended Validation" } else { "Normal Organization Validation" },
        },
        "requests": requests,
        "payment_method": o.extra["payment_method"].as_str().unwrap_or("balance"),
        "product_name_id": o.product,
        "dcv_method": o.extra["dcv_method"].as_str().unwrap_or("email"),
        "custom_fields": [],
        "disable_ct": false,
        "allow_duplicates": false,
    });
    if o.status.is_open() && include_caa {
        let caa: serde_json::Map<String, Value> = o
            .dns_names
            .iter()
            .map(|d| (d.clone(), json!("CAA check is not called yet")))
            .collect();
        v["caa_status_message"] = Value::Object(caa);
    }
    if let Some(reason) = &o.status_reason {
        v["notes"] = json!(reason);
    }
    v
}

/// Applies a poll-time reject/cancel fault to an open order.
fn apply_poll_outcome(app: &App, o: Order, f: Option<&Fired>) -> Order {
    let Some(f) = f else { return o };
    let r = match &f.action {
        FaultAction::Reject { reason } => app.orders.reject(
            &o.id,
            reason
                .clone()
                .unwrap_or_else(|| crate::orders::default_reject_reason(o.dialect)),
        ),
        FaultAction::Cancel { reason } => app.orders.cancel_by_ca(
            &o.id,
            reason
                .clone()
                .unwrap_or_else(|| "Order cancelled by the CA".into()),
        ),
        _ => return o,
    };
    match r {
        Ok(Ok(n)) => n,
        _ => o,
    }
}

async fn get_order(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    kill: Kill,
    headers: HeaderMap,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::POLL);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    meta.order_id = Some(id.clone());
    let Some(order) = find_order(&app, &account, &id) else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|order",
            &format!("Order {id} was not found."),
        );
    };
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Digicert,
            operation: op::POLL,
            account: Some(&account.id),
            common_name: Some(&order.common_name),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f, StatusCode::OK) {
            return r;
        }
    }
    let order = apply_poll_outcome(&app, order, fired.as_ref());
    let caa = q
        .get("include_caa_status")
        .is_some_and(|v| v == "true" || v == "1");
    json_resp(&meta, StatusCode::OK, order_json(&app, &order, caa))
}

/// DigiCert's documented time zone for `filters[status_last_updated]` ("Timezone is MDT").
const MDT_OFFSET_HOURS: i8 = -6;
/// The longest window `status-changes` answers (7 days = 10080 minutes = 604800 s).
const MAX_WINDOW_SECS: i64 = 7 * 86_400;

/// One end of a `filters[status_last_updated]` range, in unix seconds. Accepted:
/// `yyyy-MM-dd` (a start means 00:00:00, an end 23:59:59), `yyyy-MM-dd HH:mm:ss` with the
/// separator a space (sent as `+` or `%20`), `T` or `+`, optional fractional seconds, and an
/// optional zone (`Z`, `±HH:MM`, `±HHMM`; an offset whose `+` was decoded to a space is read
/// as `+`). Without a zone the time is MDT (UTC-6).
pub fn parse_dc_time(text: &str, end_of_day: bool) -> Option<i64> {
    use time::macros::format_description;
    let t = text.trim();
    let date = time::Date::parse(t.get(..10)?, format_description!("[year]-[month]-[day]")).ok()?;
    let mdt = time::UtcOffset::from_hms(MDT_OFFSET_HOURS, 0, 0).ok()?;
    let rest = &t[10..];
    if rest.is_empty() {
        let time = if end_of_day {
            time::Time::from_hms(23, 59, 59).ok()?
        } else {
            time::Time::MIDNIGHT
        };
        return Some(
            time::PrimitiveDateTime::new(date, time)
                .assume_offset(mdt)
                .unix_timestamp(),
        );
    }
    let rest = rest.strip_prefix([' ', 'T', 't', '+'])?;
    let hms = rest.get(..8)?;
    let b = hms.as_bytes();
    if b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |s: &str| -> Option<u8> {
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let time = time::Time::from_hms(num(&hms[..2])?, num(&hms[3..5])?, num(&hms[6..8])?).ok()?;
    let mut zone = &rest[8..];
    if let Some(frac) = zone.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        zone = &frac[digits..];
    }
    let offset = match zone {
        "" => mdt,
        "Z" | "z" => time::UtcOffset::UTC,
        z => {
            let (sign, hhmm) = match z.as_bytes()[0] {
                b'+' | b' ' => (1i8, &z[1..]),
                b'-' => (-1i8, &z[1..]),
                _ => return None,
            };
            let hhmm = hhmm.replace(':', "");
            if hhmm.len() != 4 || !hhmm.is_ascii() {
                return None;
            }
            let h = num(&hhmm[..2])? as i8;
            let m = num(&hhmm[2..])? as i8;
            time::UtcOffset::from_hms(sign * h, sign * m, 0).ok()?
        }
    };
    Some(
        time::PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .unix_timestamp(),
    )
}

/// A `status-changes` window: inclusive, in unix milliseconds, on the simulated clock and on
/// the real clock (an order is listed when either clock puts one of its events inside).
#[derive(Debug, Clone, Copy)]
struct Window {
    sim: (i64, i64),
    wall: (i64, i64),
}

impl Window {
    fn contains(&self, e: &crate::orders::Event) -> bool {
        let inside = |(from, to): (i64, i64), at: i64| from <= at && at <= to;
        inside(self.sim, e.at_ms) || e.wall_ms.is_some_and(|w| inside(self.wall, w))
    }
}

/// Events that change an order's DigiCert status (plus its creation).
const STATUS_EVENTS: &[&str] = &[
    "created",
    "approved",
    "issued",
    "rejected",
    "canceled",
    "canceled_by_ca",
    "revoked",
];

/// The window from the query: `filters[status_last_updated]=A...B`, or `minutes` and/or
/// `seconds` back from now.
fn window_of(app: &App, q: &HashMap<String, String>) -> Result<Window, (&'static str, String)> {
    if let Some(range) = q.get("filters[status_last_updated]") {
        let Some((a, b)) = range.split_once("...") else {
            return Err((
                "bad_request_format",
                format!("filters[status_last_updated] '{range}' must be FROM...TO"),
            ));
        };
        let bad = |v: &str| {
            (
                "bad_request_format",
                format!(
                    "'{v}' is not a date-time; use yyyy-MM-dd or yyyy-MM-dd HH:mm:ss (MDT, UTC-6)"
                ),
            )
        };
        let from = parse_dc_time(a, false).ok_or_else(|| bad(a))?;
        let to = parse_dc_time(b, true).ok_or_else(|| bad(b))?;
        if from > to {
            return Err((
                "bad_request_format",
                "The start of filters[status_last_updated] is after its end.".into(),
            ));
        }
        if to - from > MAX_WINDOW_SECS {
            return Err((
                "time_frame_too_long",
                "The time frame cannot exceed seven days (10080 minutes).".into(),
            ));
        }
        let w = (from * 1000, to * 1000 + 999);
        return Ok(Window { sim: w, wall: w });
    }
    let mut secs: Option<i64> = None;
    for (name, unit) in [("minutes", 60i64), ("seconds", 1)] {
        if let Some(v) = q.get(name) {
            let n: i64 = v.trim().parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
                (
                    "bad_request_format",
                    format!("{name} must be a non-negative integer"),
                )
            })?;
            secs = Some(secs.unwrap_or(0).saturating_add(n.saturating_mul(unit)));
        }
    }
    let Some(secs) = secs else {
        return Err((
            "bad_request_format",
            "A time frame is required: filters[status_last_updated]=FROM...TO, minutes or seconds."
                .into(),
        ));
    };
    if secs > MAX_WINDOW_SECS {
        return Err((
            "time_frame_too_long",
            "The time frame cannot exceed seven days (10080 minutes).".into(),
        ));
    }
    let (sim_now, wall_now) = (app.clock.now_ms(), clock::wall_ms());
    Ok(Window {
        sim: (sim_now - secs * 1000, sim_now),
        wall: (wall_now - secs * 1000, wall_now),
    })
}

/// `GET order/certificate/status-changes`: the account's orders created or changing status
/// inside the window, newest first.
async fn status_changes(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    kill: Kill,
    headers: HeaderMap,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::LOOKUP);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let window = match window_of(&app, &q) {
        Ok(w) => w,
        Err((code, msg)) => return error(&mut meta, StatusCode::BAD_REQUEST, code, &msg),
    };
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Digicert,
            operation: op::LOOKUP,
            account: Some(&account.id),
            common_name: None,
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f, StatusCode::OK) {
            return r;
        }
    }
    let mut orders: Vec<Order> = app
        .orders
        .list(Some(Dialect::Digicert))
        .into_iter()
        .filter(|o| o.account == account.id)
        .filter(|o| {
            o.timeline
                .iter()
                .any(|e| STATUS_EVENTS.contains(&e.event.as_str()) && window.contains(e))
        })
        .collect();
    orders.reverse();
    let list: Vec<Value> = orders
        .iter()
        .map(|o| {
            let mut v = json!({"order_id": ORDER_BASE + o.seq, "status": status_word(o)});
            if o.cert.is_some() {
                v["certificate_id"] = json!(CERT_BASE + o.seq);
            }
            v
        })
        .collect();
    json_resp(&meta, StatusCode::OK, json!({"orders": list}))
}

async fn update_status(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::CANCEL);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    meta.order_id = Some(id.clone());
    let Ok(body) = lenient_json(&body) else {
        return error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            "The request body is not valid JSON.",
        );
    };
    let Some(order) = find_order(&app, &account, &id) else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|order",
            &format!("Order {id} was not found."),
        );
    };
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Digicert,
            operation: op::CANCEL,
            account: Some(&account.id),
            common_name: Some(&order.common_name),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f, StatusCode::NO_CONTENT) {
            return r;
        }
    }
    let status = body["status"].as_str().unwrap_or("");
    if status != "canceled" {
        return error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "invalid_status",
            &format!("Status '{status}' is not supported; use 'canceled' (case-sensitive)."),
        );
    }
    let note = body["note"].as_str().map(str::to_string);
    match app.orders.cancel(&order.id, note) {
        Ok(Ok(_)) => done(&meta, StatusCode::NO_CONTENT.into_response()),
        Ok(Err(current)) => error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "invalid_order_status",
            &format!(
                "Order status cannot be changed from {} to canceled.",
                status_word(&Order {
                    status: current,
                    ..order
                })
            ),
        ),
        Err(e) => internal(&mut meta, e),
    }
}

async fn revoke_common(
    app: Arc<App>,
    order: Order,
    account: &Account,
    kill: Kill,
    body: Bytes,
    mut meta: ReqMeta,
) -> Response {
    meta.order_id = Some(order.id.clone());
    let Ok(body) = lenient_json(&body) else {
        return error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            "The request body is not valid JSON.",
        );
    };
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Digicert,
            operation: op::REVOKE,
            account: Some(&account.id),
            common_name: Some(&order.common_name),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f, StatusCode::CREATED) {
            return r;
        }
    }
    if order.status != OrderStatus::Issued {
        return error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "invalid_order_status",
            &format!(
                "Order status is {}; only issued certificates can be revoked.",
                status_word(&order)
            ),
        );
    }
    let reason = body["revocation_reason"]
        .as_str()
        .unwrap_or("unspecified")
        .to_string();
    let comments = body["comments"].as_str().unwrap_or("").to_string();
    if body["skip_approval"].as_bool().unwrap_or(false) {
        return match app.orders.revoke(&order.id, reason) {
            Ok(Ok(_)) => done(&meta, StatusCode::NO_CONTENT.into_response()),
            Ok(Err(_)) => error(
                &mut meta,
                StatusCode::BAD_REQUEST,
                "invalid_order_status",
                "The certificate cannot be revoked in its current state.",
            ),
            Err(e) => internal(&mut meta, e),
        };
    }
    let now = app.clock.now_ms();
    let r = app.orders.update(&order.id, |o, _| -> Result<(), ()> {
        o.revoke_request = Some(crate::orders::RevokeRequest {
            status: "pending".into(),
            created_ms: now,
            reason: reason.clone(),
            comments: comments.clone(),
        });
        Ok(())
    });
    if let Err(e) = r {
        return internal(&mut meta, e);
    }
    json_resp(
        &meta,
        StatusCode::CREATED,
        json!({
            "id": REVOKE_REQUEST_BASE + order.seq,
            "date": dc_datetime(now),
            "type": "revoke",
            "status": "pending",
            "requester": {"id": 1, "first_name": "Sim", "last_name": "User", "email": "sim-user@ca-sim.test"},
            "comments": comments,
        }),
    )
}

async fn revoke_order(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::REVOKE);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(order) = find_order(&app, &account, &id) else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|order",
            &format!("Order {id} was not found."),
        );
    };
    revoke_common(app, order, &account, kill, body, meta).await
}

async fn revoke_certificate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::REVOKE);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(order) = find_by_certificate(&app, &account, &id) else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|certificate",
            &format!("Certificate {id} was not found."),
        );
    };
    revoke_common(app, order, &account, kill, body, meta).await
}

async fn request_status(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    kill: Kill,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::APPROVE);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(body) = lenient_json(&body) else {
        return error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "bad_request_format",
            "The request body is not valid JSON.",
        );
    };
    let n: u64 = id.parse().unwrap_or(0);
    let (seq, revoke) = if n > REVOKE_REQUEST_BASE {
        (n - REVOKE_REQUEST_BASE, true)
    } else if n > REQUEST_BASE {
        (n - REQUEST_BASE, false)
    } else {
        (0, false)
    };
    let order = app
        .orders
        .get(&(ORDER_BASE + seq).to_string())
        .filter(|o| seq > 0 && o.dialect == Dialect::Digicert && o.account == account.id)
        .filter(|o| !revoke || o.revoke_request.is_some());
    let Some(order) = order else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|request",
            &format!("Request {id} was not found."),
        );
    };
    meta.order_id = Some(order.id.clone());
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Digicert,
            operation: op::APPROVE,
            account: Some(&account.id),
            common_name: Some(&order.common_name),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f, StatusCode::NO_CONTENT) {
            return r;
        }
    }
    let status = body["status"].as_str().unwrap_or("");
    let comment = body["processor_comment"].as_str().unwrap_or("").to_string();
    let result = match (revoke, status) {
        (true, "approved") => {
            let reason = order
                .revoke_request
                .as_ref()
                .map(|r| r.reason.clone())
                .unwrap_or_default();
            app.orders.revoke(&order.id, reason).map(|r| r.map(|_| ()))
        }
        (true, "rejected") => app
            .orders
            .update(&order.id, |o, _| match o.revoke_request.as_mut() {
                Some(r) if r.status == "pending" => {
                    r.status = "rejected".into();
                    Ok(())
                }
                _ => Err(o.status),
            })
            .map(|r| r.map(|_| ())),
        (false, "approved") => app.orders.approve(&order.id).map(|r| r.map(|_| ())),
        (false, "rejected") => app
            .orders
            .reject(
                &order.id,
                if comment.is_empty() {
                    "Request rejected by approver".into()
                } else {
                    comment
                },
            )
            .map(|r| r.map(|_| ())),
        _ => {
            return error(
                &mut meta,
                StatusCode::BAD_REQUEST,
                "invalid_status",
                "Status must be 'approved' or 'rejected'.",
            );
        }
    };
    match result {
        Ok(Ok(())) => done(&meta, StatusCode::NO_CONTENT.into_response()),
        Ok(Err(_)) => error(
            &mut meta,
            StatusCode::BAD_REQUEST,
            "invalid_request_status",
            "The request is not pending.",
        ),
        Err(e) => internal(&mut meta, e),
    }
}

async fn download(
    app: Arc<App>,
    order: Option<Order>,
    account: Account,
    format: String,
    kill: Kill,
    mut meta: ReqMeta,
) -> Response {
    let Some(order) = order else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|certificate",
            "Certificate not found.",
        );
    };
    meta.order_id = Some(order.id.clone());
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Digicert,
            operation: op::DOWNLOAD,
            account: Some(&account.id),
            common_name: Some(&order.common_name),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f, StatusCode::OK) {
            return r;
        }
    }
    let Some(cert) = order.cert.as_ref() else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|certificate",
            "The certificate has not been issued yet.",
        );
    };
    let mut shape = ChainShape::from_action(order.outcome.as_ref());
    shape.add(fired.as_ref().map(|f| &f.action));
    let pem = |leaf, root| shape.pems(cert, leaf, root).concat();
    let (ctype, body) = match format.as_str() {
        "pem_all" | "pem" => ("application/x-pem-file", pem(true, true)),
        "pem_noroot" => ("application/x-pem-file", pem(true, false)),
        "pem_nointermediate" => (
            "application/x-pem-file",
            shape.pems(cert, true, false).into_iter().take(1).collect(),
        ),
        "p7b" | "cer" => {
            let ders: Vec<Vec<u8>> = shape
                .pems(cert, true, true)
                .iter()
                .flat_map(|p| crypto::pem_blocks(p).into_iter().map(|(_, d)| d))
                .collect();
            let p7 = crypto::pem_encode("PKCS7", &crate::ca::der::pkcs7_certs_only(&ders));
            (
                "application/x-pkcs7-certificates",
                if shape.crlf {
                    crate::orders::crlf(&p7)
                } else {
                    p7
                },
            )
        }
        other => {
            return error(&mut meta, StatusCode::BAD_REQUEST, "bad_request_format", &format!("Format '{other}' is not supported by ca-sim (use pem_all, pem_noroot, pem_nointermediate, p7b or cer)."));
        }
    };
    done(
        &meta,
        (StatusCode::OK, [(http::header::CONTENT_TYPE, ctype)], body).into_response(),
    )
}

async fn download_by_certificate(
    State(app): State<Arc<App>>,
    Path((id, format)): Path<(String, String)>,
    kill: Kill,
    headers: HeaderMap,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::DOWNLOAD);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let order = find_by_certificate(&app, &account, &id);
    download(app, order, account, format, kill, meta).await
}

async fn download_by_order(
    State(app): State<Arc<App>>,
    Path((id, format)): Path<(String, String)>,
    kill: Kill,
    headers: HeaderMap,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::DOWNLOAD);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let order = find_order(&app, &account, &id);
    download(app, order, account, format, kill, meta).await
}

async fn chain(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    kill: Kill,
    headers: HeaderMap,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::DOWNLOAD);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(order) = find_by_certificate(&app, &account, &id) else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|certificate",
            &format!("Certificate {id} was not found."),
        );
    };
    meta.order_id = Some(order.id.clone());
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Digicert,
            operation: op::DOWNLOAD,
            account: Some(&account.id),
            common_name: Some(&order.common_name),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f, StatusCode::OK) {
            return r;
        }
    }
    let Some(cert) = order.cert.as_ref() else {
        return error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|certificate",
            "The certificate has not been issued yet.",
        );
    };
    let mut shape = ChainShape::from_action(order.outcome.as_ref());
    shape.add(fired.as_ref().map(|f| &f.action));
    json_resp(
        &meta,
        StatusCode::OK,
        json!({"intermediates": chain_entries(&shape.pems(cert, true, true))}),
    )
}

async fn user_me(State(app): State<Arc<App>>, kill: Kill, headers: HeaderMap) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::USER);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Digicert,
            operation: op::USER,
            account: Some(&account.id),
            common_name: None,
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&mut meta, f, StatusCode::OK) {
            return r;
        }
    }
    json_resp(
        &meta,
        StatusCode::OK,
        json!({
            "id": 1,
            "username": format!("{}-api", account.id),
            "account_id": account.id,
            "first_name": "Sim",
            "last_name": "User",
            "email": "sim-user@ca-sim.test",
            "job_title": "API user",
            "telephone": "+1 555 0100",
            "status": "active",
            "container": {"id": 1, "name": "ca-sim", "is_active": true},
            "access_roles": [{"id": 1, "name": "Administrator"}],
            "is_cert_central": true,
            "type": "standard",
            "has_container_assignments": false,
        }),
    )
}

fn org_json(o: &crate::config::Organization) -> Value {
    json!({
        "id": o.id,
        "status": "active",
        "name": o.name,
        "display_name": o.name,
        "is_active": true,
        "address": "1 Simulation Way",
        "city": "Lehi",
        "state": "ut",
        "zip": "84043",
        "country": "us",
        "container": {"id": 1, "name": "ca-sim"},
        "validations": if o.validated {
            json!([{"type": "ov", "name": "OV", "description": "Normal Organization Validation", "status": "active"},
                   {"type": "ev", "name": "EV", "description": "Extended Organization Validation (EV)", "status": "active"}])
        } else { json!([]) },
    })
}

async fn organizations(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::OTHER);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let orgs: Vec<Value> = account.organizations.iter().map(org_json).collect();
    json_resp(
        &meta,
        StatusCode::OK,
        json!({"organizations": orgs, "page": {"total": orgs.len(), "limit": 0, "offset": 0}}),
    )
}

async fn organization(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::OTHER);
    let account = match authenticate(&app, &headers, &mut meta) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match account
        .organizations
        .iter()
        .find(|o| o.id.to_string() == id)
    {
        Some(o) => json_resp(&meta, StatusCode::OK, org_json(o)),
        None => error(
            &mut meta,
            StatusCode::NOT_FOUND,
            "not_found|organization",
            &format!("Organization {id} was not found."),
        ),
    }
}

async fn no_route() -> Response {
    let mut meta = ReqMeta::new(Dialect::Digicert, op::OTHER);
    error(
        &mut meta,
        StatusCode::NOT_FOUND,
        "not_found|route",
        "The requested route was not found.",
    )
}

#[cfg(test)]
mod tests {
    use super::parse_dc_time;

    #[test]
    fn status_change_times() {
        // 2026-01-02 03:04:05 MDT = 09:04:05 UTC.
        let utc = 1_767_344_645;
        for t in [
            "2026-01-02 03:04:05",
            "2026-01-02+03:04:05",
            "2026-01-02T03:04:05",
            "2026-01-02T03:04:05.250",
            "2026-01-02T09:04:05Z",
            "2026-01-02T09:04:05.0Z",
            "2026-01-02T11:04:05+02:00",
            "2026-01-02T11:04:05 02:00",
            "2026-01-02T11:04:05+0200",
            "2026-01-02T03:04:05-06:00",
            " 2026-01-02 03:04:05 ",
        ] {
            assert_eq!(parse_dc_time(t, false), Some(utc), "{t}");
        }
        assert_eq!(
            parse_dc_time("2026-01-02", false),
            Some(utc - 3 * 3600 - 245)
        );
        assert_eq!(
            parse_dc_time("2026-01-02", true),
            Some(utc - 3 * 3600 - 245 + 86_399)
        );
        for t in [
            "",
            "2026-01-02 3:04:05",
            "2026-01-02 03-04-05",
            "2026-01-02 03:04:05.",
            "2026-01-02 03:04:05+2",
            "2026-01-02 03:04:05+é:00",
            "2026-13-02 03:04:05",
            "2026-01-02X03:04:05",
            "26-01-02 03:04:05",
        ] {
            assert_eq!(parse_dc_time(t, false), None, "{t}");
        }
    }
}
