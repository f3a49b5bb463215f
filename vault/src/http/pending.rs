//! `/certificates/{name}/pending`: the pending operation (spec §4.1): get (the polling hot
//! path), cancel, delete.

use super::extract::{Ctx, CtxData, JsonBody};
use super::poll::poll_body;
use super::reply::{reply, reply_json_bytes};
use super::state::{App, AppState};
use super::wire;
use crate::error::Result;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use shared::models::{CertificateMergeParameters, CertificateOperationUpdateParameter};

/// `GET …/pending`: the polling hot path, answered from the read cache and, while the
/// operation is unchanged, from its already rendered body.
pub async fn poll(app: &App, ctx: &CtxData, name: &str) -> Result<Response> {
    let (cert, op) = ctx.vault.service.poll_operation(name).await?;
    let body = poll_body(&ctx.vault, &ctx.base, &cert, &op)?;
    let mut resp = reply_json_bytes(StatusCode::OK, body);
    app.poll_headers.add(&mut resp, &op);
    Ok(resp)
}

/// The route-table entry for the same request (reached for names
/// [`super::routes::poll_target`] leaves to the router, and for `HEAD`).
pub async fn get(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response> {
    poll(&app, &ctx, &name).await
}

pub async fn cancel(
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<CertificateOperationUpdateParameter>,
) -> Result<Response> {
    let (cert, op) = ctx
        .vault
        .service
        .cancel_operation(&name, body.cancellation_requested)
        .await?;
    Ok(reply(
        StatusCode::OK,
        &wire::operation(&ctx.base, &cert, &op),
    ))
}

pub async fn delete(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let (cert, op) = ctx.vault.service.delete_operation(&name).await?;
    Ok(reply(
        StatusCode::OK,
        &wire::operation(&ctx.base, &cert, &op),
    ))
}

/// `POST /certificates/{name}/pending/merge` → 201 with the certificate (spec §4.2).
pub async fn merge(
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<CertificateMergeParameters>,
) -> Result<Response> {
    let (cert, v) = ctx.vault.service.merge(&name, body).await?;
    Ok(reply(
        StatusCode::CREATED,
        &wire::bundle(&ctx.base, &cert, &v),
    ))
}
