//! `/certificates/{name}/pending`: the pending operation (spec §4.1): get (the polling hot
//! path), cancel, delete.

use super::extract::{Ctx, JsonBody};
use super::{reply, wire, App, AppState};
use crate::error::Result;
use crate::store::OperationRecord;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use shared::models::{
    CertificateMergeParameters, CertificateOperationUpdateParameter, OperationStatus,
};

/// While in progress, tell pollers when to come back: `Retry-After` (whole seconds, at least
/// 1) for every SDK and `retry-after-ms` for the Rust one, which prefers it (spec §5.2).
pub fn add_poll_headers(app: &App, resp: &mut Response, op: &OperationRecord) {
    if op.status != OperationStatus::InProgress {
        return;
    }
    let ms = app.retry_after.as_millis().max(1);
    let secs = ms.div_ceil(1000).max(1);
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        headers.insert("retry-after", v);
    }
    if let Ok(v) = HeaderValue::from_str(&ms.to_string()) {
        headers.insert("retry-after-ms", v);
    }
}

pub async fn get(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response> {
    let (cert, op) = app.service.poll_operation(&name).await?;
    let mut resp = reply(StatusCode::OK, &wire::operation(&ctx.base, &cert, &op));
    add_poll_headers(&app, &mut resp, &op);
    Ok(resp)
}

pub async fn cancel(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<CertificateOperationUpdateParameter>,
) -> Result<Response> {
    let (cert, op) = app
        .service
        .cancel_operation(&name, body.cancellation_requested)
        .await?;
    Ok(reply(
        StatusCode::OK,
        &wire::operation(&ctx.base, &cert, &op),
    ))
}

pub async fn delete(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response> {
    let (cert, op) = app.service.delete_operation(&name).await?;
    Ok(reply(
        StatusCode::OK,
        &wire::operation(&ctx.base, &cert, &op),
    ))
}

/// `POST /certificates/{name}/pending/merge` → 201 with the certificate (spec §4.2).
pub async fn merge(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<CertificateMergeParameters>,
) -> Result<Response> {
    let (cert, v) = app.service.merge(&name, body).await?;
    Ok(reply(
        StatusCode::CREATED,
        &wire::bundle(&ctx.base, &cert, &v),
    ))
}
