//! `/_admin/*`: unauthenticated operator endpoints that never collide with Key Vault paths.

use super::{reply, AppState};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::atomic::Ordering;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ca.pem", get(ca_pem))
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
