//! `/deletedcertificates`: soft-deleted certificates (spec §4.8): list, get, recover, purge.

use super::extract::Ctx;
use super::reply::reply;
use super::state::AppState;
use super::wire;
use crate::error::Result;
use crate::model::ListScope;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub async fn list(State(app): State<AppState>, ctx: Ctx) -> Result<Response> {
    super::certificates::list_scope(&app, &ctx, ListScope::Deleted).await
}

pub async fn get(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response> {
    let (cert, v) = app.service.deleted(&name).await?;
    Ok(reply(
        StatusCode::OK,
        &wire::deleted_bundle(&ctx.base, &cert, &v),
    ))
}

pub async fn recover(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response> {
    let (cert, v) = app.service.recover(&name).await?;
    Ok(reply(StatusCode::OK, &wire::bundle(&ctx.base, &cert, &v)))
}

/// 204 with an empty body (the Rust SDK accepts only 204).
pub async fn purge(State(app): State<AppState>, Path(name): Path<String>) -> Result<Response> {
    app.service.purge(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
