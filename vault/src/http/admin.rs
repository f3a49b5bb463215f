//! `/_admin/*`: operator endpoints that never collide with Key Vault paths. They are the
//! process's, not a vault's: the clock moves every vault; what reads a vault's data
//! (`/_admin/notifications`) takes `?vault=NAME` (the default vault without it).

use super::extract::{JsonBody, QueryParams};
use super::reply::reply;
use super::state::AppState;
use crate::error::Error;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::Ordering;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ca.pem", get(ca_pem))
        .route("/clock", get(clock).put(set_clock))
        .route("/clock/advance", post(advance_clock))
        .route("/notifications", get(notifications))
        .merge(super::admin_ui_api::router())
        .merge(super::ui::router())
}

/// `GET /_admin/clock`: vault's notion of now and its offset from the system clock.
async fn clock(State(app): State<AppState>) -> Response {
    clock_reply(&app)
}

fn clock_reply(app: &AppState) -> Response {
    reply(StatusCode::OK, &clock_json(app))
}

/// After the clock moved: the dashboard's stream hears of it and the caller gets the clock.
fn clock_moved(app: &AppState) -> Response {
    let clock = clock_json(app);
    super::events::clock_changed(app, clock.clone());
    reply(StatusCode::OK, &clock)
}

fn clock_json(app: &AppState) -> serde_json::Value {
    let clock = app.vaults.clock();
    let now = clock.now();
    serde_json::json!({
        "now": now,
        "now_iso": crate::notify::rfc3339(Some(now)),
        "offset_seconds": clock.offset(),
    })
}

#[derive(serde::Deserialize)]
struct Advance {
    seconds: i64,
}

/// `POST /_admin/clock/advance {"seconds": N}`: moves now by N seconds (negative goes back),
/// persists the offset and wakes the schedulers (lifetime actions, operations, mail).
async fn advance_clock(
    State(app): State<AppState>,
    JsonBody(body): JsonBody<Advance>,
) -> Result<Response, Error> {
    app.vaults.advance_clock(body.seconds).await?;
    Ok(clock_moved(&app))
}

#[derive(serde::Deserialize)]
struct SetOffset {
    offset_seconds: i64,
}

/// `PUT /_admin/clock {"offset_seconds": N}`: sets the offset from the system clock.
async fn set_clock(
    State(app): State<AppState>,
    JsonBody(body): JsonBody<SetOffset>,
) -> Result<Response, Error> {
    app.vaults.set_clock_offset(body.offset_seconds).await?;
    Ok(clock_moved(&app))
}

/// `GET /_admin/notifications[?certificate=NAME][&vault=NAME]`: a vault's outbox (the default
/// vault's unless `vault` names another), oldest first.
async fn notifications(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let query = QueryParams::new(query.as_deref().unwrap_or(""));
    let vault = match query.get("vault") {
        Some(name) => app.vaults.existing(&name).await?,
        None => app.vaults.default_vault().clone(),
    };
    let notifier = vault.lifetime.notifier();
    let rows = notifier.list(query.get("certificate").as_deref()).await?;
    let value: Vec<_> = rows.iter().map(crate::notify::view).collect();
    Ok(reply(
        StatusCode::OK,
        &serde_json::json!({ "vault": vault.name, "smtp": notifier.relay(), "value": value }),
    ))
}

/// 200 once start-up is complete, 503 before.
async fn health(State(app): State<AppState>) -> Response {
    if app.ready.load(Ordering::Acquire) {
        reply(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
    } else {
        reply(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({ "status": "starting" }),
        )
    }
}

/// The dev CA certificate to trust (PEM).
async fn ca_pem(State(app): State<AppState>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        app.ca_pem.clone(),
    )
        .into_response()
}

/// `GET /metrics`: Prometheus text; operation and ACME order counts are read from every
/// vault's store at scrape time and summed.
pub async fn metrics(State(app): State<AppState>) -> Response {
    let mut gauges = crate::metrics::StoreGauges::default();
    for vault in app.vaults.all() {
        let now_ms = vault.service.now_ms();
        let (by_status, queue_depth) = match vault.service.operation_stats(now_ms).await {
            Ok(stats) => stats,
            Err(e) => return e.into_response(),
        };
        gauges.queue_depth += queue_depth;
        gauges.add_operations(by_status);
        match vault.acme.db.run(|s| s.acme_order_stats()).await {
            Ok(stats) => gauges.add_acme_orders(stats),
            Err(e) => return crate::error::Error::from(e).into_response(),
        }
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(&gauges),
    )
        .into_response()
}
