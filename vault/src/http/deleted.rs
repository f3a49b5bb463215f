//! `/deletedcertificates`: soft-deleted certificates (spec §4.8): list, get, recover, purge.

use super::extract::Ctx;
use super::reply::reply;
use super::wire;
use crate::error::Result;
use crate::model::ListScope;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub async fn list(ctx: Ctx) -> Result<Response> {
    super::certificates::list_scope(&ctx, ListScope::Deleted).await
}

pub async fn get(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let (cert, v) = ctx.vault.service.deleted(&name).await?;
    Ok(reply(
        StatusCode::OK,
        &wire::deleted_bundle(&ctx.base, &cert, &v),
    ))
}

pub async fn recover(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let (cert, v) = ctx.vault.service.recover(&name).await?;
    Ok(reply(StatusCode::OK, &wire::bundle(&ctx.base, &cert, &v)))
}

/// 204 with an empty body (the Rust SDK accepts only 204).
pub async fn purge(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    ctx.vault.service.purge(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
