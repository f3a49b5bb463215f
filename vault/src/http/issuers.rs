//! `/certificates/issuers[/{issuer}]` (spec §3.8, §4.7).

use super::extract::{Ctx, JsonBody};
use super::paging::Page;
use super::reply::reply;
use super::wire;
use crate::error::Result;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use shared::models::IssuerBundle;

pub async fn list(ctx: Ctx) -> Result<Response> {
    let page = Page::from_ctx(&ctx)?;
    let rows = ctx
        .vault
        .service
        .issuers(page.cursor.clone(), page.max + 1)
        .await?;
    Ok(page.reply(
        &ctx,
        rows,
        |r| r.key.clone(),
        |r| wire::issuer_item(&ctx.base, r),
    ))
}

pub async fn get(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let r = ctx.vault.service.issuer(&name).await?;
    Ok(reply(StatusCode::OK, &wire::issuer(&ctx.base, &r)))
}

pub async fn set(
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<IssuerBundle>,
) -> Result<Response> {
    let r = ctx.vault.service.set_issuer(&name, body).await?;
    Ok(reply(StatusCode::OK, &wire::issuer(&ctx.base, &r)))
}

pub async fn update(
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<IssuerBundle>,
) -> Result<Response> {
    let r = ctx.vault.service.update_issuer(&name, body).await?;
    Ok(reply(StatusCode::OK, &wire::issuer(&ctx.base, &r)))
}

pub async fn delete(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let r = ctx.vault.service.delete_issuer(&name).await?;
    Ok(reply(StatusCode::OK, &wire::issuer(&ctx.base, &r)))
}
