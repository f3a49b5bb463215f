//! `/certificates/issuers[/{issuer}]` (spec §3.8, §4.7).

use super::extract::{Ctx, JsonBody};
use super::paging::Page;
use super::reply::reply;
use super::state::AppState;
use super::wire;
use crate::error::Result;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use shared::models::IssuerBundle;

pub async fn list(State(app): State<AppState>, ctx: Ctx) -> Result<Response> {
    let page = Page::from_ctx(&ctx)?;
    let rows = app
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

pub async fn get(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response> {
    let r = app.service.issuer(&name).await?;
    Ok(reply(StatusCode::OK, &wire::issuer(&ctx.base, &r)))
}

pub async fn set(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<IssuerBundle>,
) -> Result<Response> {
    let r = app.service.set_issuer(&name, body).await?;
    Ok(reply(StatusCode::OK, &wire::issuer(&ctx.base, &r)))
}

pub async fn update(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<IssuerBundle>,
) -> Result<Response> {
    let r = app.service.update_issuer(&name, body).await?;
    Ok(reply(StatusCode::OK, &wire::issuer(&ctx.base, &r)))
}

pub async fn delete(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Response> {
    let r = app.service.delete_issuer(&name).await?;
    Ok(reply(StatusCode::OK, &wire::issuer(&ctx.base, &r)))
}
