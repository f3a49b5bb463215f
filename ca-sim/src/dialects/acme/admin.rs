//! The ACME dialect's admin views and Pebble's management endpoints, under `/admin/acme/`:
//! `root.pem`; `roots/{n}`, `root-keys/{n}`, `intermediates/{n}`, `intermediate-keys/{n}`
//! (`n` 0 is the default chain, 1.. the alternate chains; Pebble's `/roots/0` …); `cert-status-by-serial/{serial}`
//! (Pebble's JSON); `accounts` and `orders` (every ACME account and order, with the wire
//! status). No vendor auth, like the rest of `/admin`.

use super::order::status;
use crate::app::App;
use crate::domain::Dialect;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

fn pem(text: String) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        text,
    )
        .into_response()
}

fn missing(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("no {what}")})),
    )
        .into_response()
}

/// Which CA certificate a management path names: the root or the issuing intermediate, with
/// its key or not.
fn ca_item(app: &App, n: &str, intermediate: bool, key: bool) -> Response {
    let Ok(h) = app.ca.get(Dialect::Acme) else {
        return missing("ACME hierarchy");
    };
    match n.parse::<usize>() {
        Ok(0) => {
            let ca = if intermediate { h.issuing() } else { &h.root };
            pem(if key { ca.key_pem() } else { ca.pem.clone() })
        }
        Ok(k) => match app.acme.alternates.get(k - 1) {
            Some(alt) => pem(match (intermediate, key) {
                (false, false) => alt.root_pem.clone(),
                (false, true) => alt.root_key_pem.clone(),
                (true, false) => alt.intermediate_pem.clone(),
                (true, true) => alt.intermediate_key_pem.clone(),
            }),
            None => missing("alternate chain with this index"),
        },
        Err(_) => missing("chain with this index"),
    }
}

/// `GET /admin/acme/root.pem`: the ACME root clients trust.
pub async fn root_pem(State(app): State<Arc<App>>) -> Response {
    ca_item(&app, "0", false, false)
}

/// `GET /admin/acme/roots/{n}`.
pub async fn roots(State(app): State<Arc<App>>, Path(n): Path<String>) -> Response {
    ca_item(&app, &n, false, false)
}

/// `GET /admin/acme/root-keys/{n}`.
pub async fn root_keys(State(app): State<Arc<App>>, Path(n): Path<String>) -> Response {
    ca_item(&app, &n, false, true)
}

/// `GET /admin/acme/intermediates/{n}`: the intermediate that issues leaves.
pub async fn intermediates(State(app): State<Arc<App>>, Path(n): Path<String>) -> Response {
    ca_item(&app, &n, true, false)
}

/// `GET /admin/acme/intermediate-keys/{n}`.
pub async fn intermediate_keys(State(app): State<Arc<App>>, Path(n): Path<String>) -> Response {
    ca_item(&app, &n, true, true)
}

/// `GET /admin/acme/cert-status-by-serial/{serial}` (hex): Pebble's answer shape.
pub async fn cert_status(State(app): State<Arc<App>>, Path(serial): Path<String>) -> Response {
    let want = serial.trim_start_matches('0').to_ascii_lowercase();
    let order = app.orders.find(|o| {
        o.dialect == Dialect::Acme
            && o.cert.as_ref().is_some_and(|c| {
                c.serial_hex
                    .trim_start_matches('0')
                    .eq_ignore_ascii_case(&want)
            })
    });
    let Some(cert) = order.and_then(|o| o.cert) else {
        return missing("certificate with this serial");
    };
    let revoked = cert.revoked_ms.is_some();
    Json(json!({
        "Status": if revoked { "Revoked" } else { "Valid" },
        "Serial": cert.serial_hex,
        "Certificate": cert.pem,
        "Reason": cert.revocation_reason,
        "RevokedAt": cert.revoked_ms.map(super::objects::rfc3339),
    }))
    .into_response()
}

/// `GET /admin/acme/accounts`.
pub async fn accounts(State(app): State<Arc<App>>) -> Json<Value> {
    let list: Vec<Value> = app
        .acme
        .accounts()
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "status": a.status,
                "contact": a.contact,
                "thumbprint": a.thumbprint,
                "eab_kid": a.eab_kid,
                "created": super::objects::rfc3339(a.created_ms),
                "orders": app.acme.orders_of(&a.id).len(),
            })
        })
        .collect();
    Json(json!({ "accounts": list }))
}

/// `GET /admin/acme/orders`: every ACME order with its wire status (the order book's own view
/// of finalized orders is `/admin/orders?dialect=acme`).
pub async fn orders(State(app): State<Arc<App>>) -> Json<Value> {
    let mut all = Vec::new();
    for a in app.acme.accounts() {
        for o in app.acme.orders_of(&a.id) {
            let (st, error) = status(&app, &o);
            all.push(json!({
                "id": o.id,
                "account": o.account,
                "status": st,
                "error": error,
                "identifiers": o.identifiers,
                "profile": o.profile,
                "finalized": o.finalized,
                "created": super::objects::rfc3339(o.created_ms),
            }));
        }
    }
    Json(json!({ "orders": all }))
}
