//! `/certificates/contacts` (spec §4.7): get, replace, delete.

use super::extract::{Ctx, JsonBody};
use super::reply::reply;
use super::state::AppState;
use super::wire;
use crate::error::Result;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use shared::models::Contacts;

pub async fn get(State(app): State<AppState>, ctx: Ctx) -> Result<Response> {
    let c = app.service.contacts().await?;
    Ok(reply(StatusCode::OK, &wire::contacts(&ctx.base, &c)))
}

pub async fn set(
    State(app): State<AppState>,
    ctx: Ctx,
    JsonBody(body): JsonBody<Contacts>,
) -> Result<Response> {
    let c = app.service.set_contacts(body).await?;
    Ok(reply(StatusCode::OK, &wire::contacts(&ctx.base, &c)))
}

pub async fn delete(State(app): State<AppState>, ctx: Ctx) -> Result<Response> {
    let c = app.service.delete_contacts().await?;
    Ok(reply(StatusCode::OK, &wire::contacts(&ctx.base, &c)))
}
