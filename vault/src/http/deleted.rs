//! `/deletedcertificates`: soft-deleted certificates (spec §4.8): list, get, recover, purge.

use super::extract::Ctx;
use super::paging::Page;
use super::{reply, wire, AppState};
use crate::error::Result;
use crate::store::ListScope;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::models::ListResult;

pub async fn list(State(app): State<AppState>, ctx: Ctx) -> Result<Response> {
    let page = Page::from_ctx(&ctx)?;
    let mut rows = app
        .service
        .list(
            ListScope::Deleted,
            page.include_pending,
            page.cursor.clone(),
            page.max + 1,
        )
        .await?;
    let more = rows.len() > page.max;
    rows.truncate(page.max);
    let cursor = more
        .then(|| rows.last().map(|(c, _)| c.key.clone()))
        .flatten();
    let value = rows
        .iter()
        .map(|(c, v)| wire::item(&ctx.base, c, v, false))
        .collect();
    Ok(reply(
        StatusCode::OK,
        &ListResult {
            value,
            next_link: page.next_link(&ctx, cursor),
        },
    ))
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
