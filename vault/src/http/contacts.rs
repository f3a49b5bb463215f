//! `/certificates/contacts` (spec §4.7): get, replace, delete.

use super::extract::{Ctx, JsonBody};
use super::reply::reply;
use super::wire;
use crate::error::Result;
use axum::http::StatusCode;
use axum::response::Response;
use shared::models::Contacts;

pub async fn get(ctx: Ctx) -> Result<Response> {
    let c = ctx.vault.service.contacts().await?;
    Ok(reply(StatusCode::OK, &wire::contacts(&ctx.base, &c)))
}

pub async fn set(ctx: Ctx, JsonBody(body): JsonBody<Contacts>) -> Result<Response> {
    let c = ctx.vault.service.set_contacts(body).await?;
    Ok(reply(StatusCode::OK, &wire::contacts(&ctx.base, &c)))
}

pub async fn delete(ctx: Ctx) -> Result<Response> {
    let c = ctx.vault.service.delete_contacts().await?;
    Ok(reply(StatusCode::OK, &wire::contacts(&ctx.base, &c)))
}
