//! The admin API under `/admin/` (no vendor auth), plus the public CA endpoints that issued
//! certificates point at (`/crl/{dialect}/{ca}.crl`, `/ca/{dialect}/{ca}.crt`). The handlers;
//! their routes are in `crate::routes`.
//!
//! - `GET health`, `GET ca.pem` (TLS CA), `GET roots` (issuing hierarchies per dialect)
//! - `GET orders[?dialect=&limit=]`, `GET orders/{id}`, `POST orders/{id}/{approve|reject|issue-now}`
//! - `GET|PUT|POST|DELETE faults` (PUT replaces the list, POST appends one rule),
//!   `PUT|DELETE faults/{name}` (one rule: edit in place, remove)
//! - `GET|DELETE requests[?dialect=&operation=&after=&limit=]`, `GET requests/{seq}` (with the
//!   masked headers and bodies)
//! - `GET clock`, `POST clock {"advance": "2d"}` (or `{"advance_seconds": N}`)
//!
//! Changes of faults and the clock are published on the live feed here ([`publish_faults`]);
//! orders and requests publish where they change (`crate::orders`, `crate::history`).
//! - `GET accounts`, `PUT accounts` (add or replace one account)
//! - `GET cert-status/{serial}`, `POST certificates/{serial}/revoke` (`{"reason": …}`)

use crate::app::App;
use crate::ca::{Revoked, WOSIGN_DISTRUST_AFTER};
use crate::domain::{Account, Dialect};
use crate::faults::FaultRule;
use crate::orders::clock::rfc3339;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

fn problem(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": message.into()}))).into_response()
}

pub async fn health(State(app): State<Arc<App>>) -> Response {
    Json(json!({
        "status": "ok",
        "seed": app.seed,
        "timeScale": app.clock.scale(),
        "now": rfc3339(app.clock.now_ms()),
        "baseUrl": app.base_url,
    }))
    .into_response()
}

pub async fn ca_pem(State(app): State<Arc<App>>) -> Response {
    (
        [(http::header::CONTENT_TYPE, "application/x-pem-file")],
        app.tls_ca_pem.clone(),
    )
        .into_response()
}

pub async fn roots(State(app): State<Arc<App>>) -> Response {
    let mut out = serde_json::Map::new();
    for (d, h) in &app.ca.hierarchies {
        let ca = |c: &crate::ca::CaCert| {
            json!({
                "id": c.id,
                "commonName": c.common_name,
                "pem": c.pem,
                "path": c.path.as_ref().map(|p| p.display().to_string()),
                "crl": app.ca.crl_url(*d, &c.id),
                "ocspResponder": h.responders.get(&c.id)
                    .map(|r| shared::crypto::pem_encode("CERTIFICATE", &r.cert_der)),
            })
        };
        out.insert(
            d.as_str().to_string(),
            json!({
                "root": ca(&h.root),
                "intermediates": h.intermediates.iter().map(ca).collect::<Vec<_>>(),
                "ocsp": app.ca.ocsp_url(*d),
                "distrusted": if *d == Dialect::Wosign {
                    json!({"notBeforeAfter": WOSIGN_DISTRUST_AFTER, "reason": "Mozilla, Google, Apple and Microsoft distrust WoSign certificates issued after 2016-10-21"})
                } else { Value::Null },
            }),
        );
    }
    Json(Value::Object(out)).into_response()
}

pub async fn orders(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let dialect = q.get("dialect").and_then(|d| Dialect::parse(d));
    let mut list = app.orders.list(dialect);
    // `limit`: only the newest N (oldest first still), for the dashboard.
    if let Some(n) = q.get("limit").and_then(|n| n.parse::<usize>().ok()) {
        list.drain(..list.len().saturating_sub(n));
    }
    Json(json!({"orders": list})).into_response()
}

pub async fn order(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    match app.orders.get(&id) {
        Some(o) => Json(o).into_response(),
        None => problem(StatusCode::NOT_FOUND, format!("no order {id}")),
    }
}

pub async fn order_action(
    State(app): State<Arc<App>>,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if app.orders.get(&id).is_none() {
        return problem(StatusCode::NOT_FOUND, format!("no order {id}"));
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let r = match action.as_str() {
        "approve" => app.orders.approve(&id),
        "reject" => app.orders.reject(
            &id,
            body["reason"]
                .as_str()
                .unwrap_or("Rejected by the CA")
                .to_string(),
        ),
        "issue-now" => {
            return match app.orders.issue_now(&id).await {
                Ok(o) => Json(o).into_response(),
                Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            };
        }
        other => {
            return problem(
                StatusCode::NOT_FOUND,
                format!("unknown action '{other}' (approve, reject, issue-now)"),
            )
        }
    };
    match r {
        Ok(Ok(o)) => Json(o).into_response(),
        Ok(Err(status)) => problem(
            StatusCode::CONFLICT,
            format!("order is {status:?}; the action needs an open order"),
        ),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn faults_json(app: &App) -> Value {
    json!({"seed": app.seed, "rules": app.faults.list()})
}

pub async fn faults_get(State(app): State<Arc<App>>) -> Response {
    Json(faults_json(&app)).into_response()
}

/// Publishes the rules (`faults`, as `GET faults` answers) if they or a counter changed
/// since the last time; called after each change and each recorded request.
pub fn publish_faults(app: &App) {
    if app.events.faults_changed(app.faults.version()) {
        app.events.publish_with("faults", || faults_json(app));
    }
}

/// `PUT faults/{name}`: replaces that rule in place (its counters restart). An unnamed rule
/// is `rule-{index}`.
pub async fn fault_put(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let rule: Result<FaultRule, String> = serde_json::from_slice(&body)
        .map_err(|e| format!("invalid rule: {e}"))
        .and_then(|r: FaultRule| r.validate().map(|_| r));
    match rule {
        Ok(r) => {
            if !app.faults.replace_one(&name, r) {
                return problem(StatusCode::NOT_FOUND, format!("no fault rule {name}"));
            }
            publish_faults(&app);
            faults_get(State(app)).await
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, e),
    }
}

/// `DELETE faults/{name}`: removes that rule (the others keep their counters).
pub async fn fault_delete(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    if app.faults.remove(&name) {
        publish_faults(&app);
        faults_get(State(app)).await
    } else {
        problem(StatusCode::NOT_FOUND, format!("no fault rule {name}"))
    }
}

/// Accepts `[rule, ...]` or `{"rules": [rule, ...]}`.
fn parse_rules(body: &[u8]) -> Result<Vec<FaultRule>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
    let list = match v {
        Value::Array(_) => v,
        Value::Object(mut m) => m.remove("rules").unwrap_or(Value::Array(vec![])),
        _ => return Err("send a list of rules or {\"rules\": [...]}".into()),
    };
    let rules: Vec<FaultRule> =
        serde_json::from_value(list).map_err(|e| format!("invalid rule: {e}"))?;
    for r in &rules {
        r.validate()?;
    }
    Ok(rules)
}

pub async fn faults_put(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match parse_rules(&body) {
        Ok(rules) => {
            app.faults.replace(rules);
            publish_faults(&app);
            faults_get(State(app)).await
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, e),
    }
}

pub async fn faults_post(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let rule: Result<FaultRule, String> = serde_json::from_slice(&body)
        .map_err(|e| format!("invalid rule: {e}"))
        .and_then(|r: FaultRule| r.validate().map(|_| r));
    match rule {
        Ok(r) => {
            app.faults.append(r);
            publish_faults(&app);
            faults_get(State(app)).await
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, e),
    }
}

pub async fn faults_delete(State(app): State<Arc<App>>) -> Response {
    app.faults.replace(Vec::new());
    publish_faults(&app);
    StatusCode::NO_CONTENT.into_response()
}

pub async fn requests(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let dialect = q.get("dialect").and_then(|d| Dialect::parse(d));
    let operation = q.get("operation");
    let after: u64 = q.get("after").and_then(|n| n.parse().ok()).unwrap_or(0);
    let mut list: Vec<_> = app
        .history
        .list()
        .into_iter()
        .filter(|e| dialect.is_none_or(|d| d == e.dialect))
        .filter(|e| operation.is_none_or(|o| o == e.operation))
        .filter(|e| e.seq > after)
        .collect();
    // `limit`: only the newest N (oldest first still), for the dashboard.
    if let Some(n) = q.get("limit").and_then(|n| n.parse::<usize>().ok()) {
        list.drain(..list.len().saturating_sub(n));
    }
    Json(json!({"requests": list})).into_response()
}

/// `GET requests/{seq}`: the entry with what went over the wire (`exchange`: headers and
/// bodies, secrets masked; `null` once older than the newest `history::BODY_CAP`).
pub async fn request_detail(State(app): State<Arc<App>>, Path(seq): Path<String>) -> Response {
    let Ok(seq) = seq.parse::<u64>() else {
        return problem(
            StatusCode::BAD_REQUEST,
            format!("'{seq}' is not a sequence number"),
        );
    };
    match app.history.get(seq) {
        Some((entry, exchange)) => {
            let mut v = serde_json::to_value(entry).unwrap_or_default();
            v["exchange"] = serde_json::to_value(exchange.as_deref()).unwrap_or_default();
            Json(v).into_response()
        }
        None => problem(
            StatusCode::NOT_FOUND,
            format!("no request {seq} in the history"),
        ),
    }
}

pub async fn requests_clear(State(app): State<Arc<App>>) -> Response {
    app.history.clear();
    StatusCode::NO_CONTENT.into_response()
}

fn clock_json(app: &App) -> Value {
    json!({
        "now": rfc3339(app.clock.now_ms()),
        "nowMs": app.clock.now_ms(),
        "timeScale": app.clock.scale(),
        "offsetMs": app.clock.offset_ms(),
    })
}

pub async fn clock_get(State(app): State<Arc<App>>) -> Response {
    Json(clock_json(&app)).into_response()
}

pub async fn clock_advance(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let secs = if let Some(s) = v["advance_seconds"].as_f64() {
        s
    } else if let Some(t) = v["advance"].as_str() {
        match shared::duration::parse(t) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => return problem(StatusCode::BAD_REQUEST, e),
        }
    } else {
        return problem(
            StatusCode::BAD_REQUEST,
            "send {\"advance\": \"2d\"} or {\"advance_seconds\": 3600}",
        );
    };
    if secs.is_nan() || secs < 0.0 {
        return problem(StatusCode::BAD_REQUEST, "the clock only moves forward");
    }
    app.clock.advance_ms((secs * 1000.0) as i64);
    app.orders.wake();
    app.events.publish_with("clock", || clock_json(&app));
    clock_get(State(app)).await
}

pub async fn accounts(State(app): State<Arc<App>>) -> Response {
    let list = app
        .accounts
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    Json(json!({"accounts": list})).into_response()
}

pub async fn account_put(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let account: Account = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("invalid account: {e}")),
    };
    if let Err(e) = account.validate() {
        return problem(StatusCode::BAD_REQUEST, e);
    }
    match app.put_account(account.clone()) {
        Ok(()) => Json(account).into_response(),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub async fn cert_status(State(app): State<Arc<App>>, Path(serial): Path<String>) -> Response {
    let serial = serial.trim_start_matches("0x").replace(':', "");
    match app.store.cert(&serial) {
        Ok(Some(row)) => Json(json!({
            "serial": row.serial,
            "status": if row.revoked_at.is_some() { "revoked" } else { "good" },
            "revokedAt": row.revoked_at.map(|s| rfc3339(s * 1000)),
            "reason": row.reason,
            "dialect": row.dialect,
            "issuer": row.ca_id,
            "orderId": row.order_id,
        }))
        .into_response(),
        Ok(None) => problem(
            StatusCode::NOT_FOUND,
            format!("no certificate with serial {serial}"),
        ),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `POST /admin/certificates/{serial}/revoke` with `{"reason": "keyCompromise"}` (an RFC 5280
/// name, DigiCert's word or the CRLReason code; none: unspecified). Answers the certificate's
/// status as `cert-status` does; 404 for a serial ca-sim never issued, 409 if already revoked.
pub async fn certificate_revoke(
    State(app): State<Arc<App>>,
    Path(serial): Path<String>,
    body: Bytes,
) -> Response {
    use crate::ocsp::revoke::{parse_reason, revoke_serial, Revocation};
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return problem(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
        }
    };
    let reason = match parse_reason(&body["reason"]) {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e),
    };
    match revoke_serial(&app, &serial, reason) {
        Ok(Revocation::Revoked(row)) => cert_status(State(app), Path(row.serial)).await,
        Ok(Revocation::AlreadyRevoked(row)) => problem(
            StatusCode::CONFLICT,
            format!("certificate {} is already revoked", row.serial),
        ),
        Ok(Revocation::NotFound) => problem(
            StatusCode::NOT_FOUND,
            format!("no certificate with serial {serial}"),
        ),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub async fn crl(
    State(app): State<Arc<App>>,
    Path((dialect, file)): Path<(String, String)>,
) -> Response {
    let (Some(d), Some(ca_id)) = (Dialect::parse(&dialect), file.strip_suffix(".crl")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let rows = match app.store.revoked(d, ca_id) {
        Ok(r) => r,
        Err(e) => return problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let revoked: Vec<Revoked> = rows
        .into_iter()
        .map(|r| Revoked {
            serial_hex: r.serial,
            revoked_at: time::OffsetDateTime::from_unix_timestamp(r.revoked_at.unwrap_or(0))
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
            reason: r.reason,
        })
        .collect();
    let number = (crate::orders::clock::wall_ms() / 1000) as u64;
    let now = app.clock.now();
    let ca = app.ca.clone();
    let id = ca_id.to_string();
    let r = tokio::task::spawn_blocking(move || ca.crl(d, &id, &revoked, now, number)).await;
    match r {
        Ok(Ok(Some(der))) => {
            ([(http::header::CONTENT_TYPE, "application/pkix-crl")], der).into_response()
        }
        Ok(Ok(None)) => StatusCode::NOT_FOUND.into_response(),
        Ok(Err(e)) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub async fn ca_cert(
    State(app): State<Arc<App>>,
    Path((dialect, file)): Path<(String, String)>,
) -> Response {
    let (Some(d), Some(ca_id)) = (Dialect::parse(&dialect), file.strip_suffix(".crt")) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match app.ca.get(d).ok().and_then(|h| h.find(ca_id)) {
        Some(c) => (
            [(http::header::CONTENT_TYPE, "application/pkix-cert")],
            c.der.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(&app.orders),
    )
        .into_response()
}
