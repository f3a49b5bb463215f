//! `/certificates` and `/certificates/{name}[/...]`: create, get (three URL forms, spec §1.2),
//! list, versions, update, policy, delete.

use super::extract::{Ctx, JsonBody};
use super::paging::Page;
use super::reply::reply;
use super::state::AppState;
use super::wire;
use crate::error::Result;
use crate::model::ListScope;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use shared::models::{
    BackupBlob, CertificateCreateParameters, CertificateImportParameters, CertificatePolicy,
    CertificateUpdateParameters,
};

/// `POST /certificates/{name}/create` → 202 with the operation and `Retry-After`.
pub async fn create(
    State(app): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(params): JsonBody<CertificateCreateParameters>,
) -> Result<Response> {
    let (cert, op) = ctx.vault.service.create(&name, params).await?;
    let mut resp = reply(
        StatusCode::ACCEPTED,
        &wire::operation(&ctx.base, &cert, &op),
    );
    app.poll_headers.add(&mut resp, &op);
    let location = format!(
        "{}/certificates/{}/pending?api-version={}&request_id={}",
        ctx.base, cert.name, ctx.api_version, op.request_id
    );
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

pub async fn get_latest(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let (cert, v) = ctx.vault.service.latest(&name).await?;
    Ok(reply(StatusCode::OK, &wire::bundle(&ctx.base, &cert, &v)))
}

pub async fn get_version(
    ctx: Ctx,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response> {
    let (cert, v) = ctx
        .vault
        .service
        .version_or_latest(&name, Some(&version))
        .await?;
    Ok(reply(StatusCode::OK, &wire::bundle(&ctx.base, &cert, &v)))
}

/// `GET /certificates`: names in order, each with its latest version (spec §7).
pub async fn list(ctx: Ctx) -> Result<Response> {
    list_scope(&ctx, ListScope::Active).await
}

/// A page of active or soft-deleted certificates (the item shape is the same, §3.4).
pub async fn list_scope(ctx: &Ctx, scope: ListScope) -> Result<Response> {
    let page = Page::from_ctx(ctx)?;
    let rows = ctx
        .vault
        .service
        .list(
            scope,
            page.include_pending,
            page.cursor.clone(),
            page.max + 1,
        )
        .await?;
    Ok(page.reply(
        ctx,
        rows,
        |(c, _)| c.key.clone(),
        |(c, v)| wire::item(&ctx.base, c, v, false),
    ))
}

/// `GET /certificates/{name}/versions`, oldest first.
pub async fn versions(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let page = Page::from_ctx(&ctx)?;
    let offset = page.offset()?;
    let (cert, versions) = ctx
        .vault
        .service
        .versions(&name, offset, page.max + 1)
        .await?;
    let next = (offset + page.max).to_string();
    Ok(page.reply(
        &ctx,
        versions,
        |_| next.clone(),
        |v| wire::item(&ctx.base, &cert, v, true),
    ))
}

pub async fn update_latest(
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(params): JsonBody<CertificateUpdateParameters>,
) -> Result<Response> {
    let (cert, v) = ctx.vault.service.update(&name, None, params).await?;
    Ok(reply(StatusCode::OK, &wire::bundle(&ctx.base, &cert, &v)))
}

pub async fn update_version(
    ctx: Ctx,
    Path((name, version)): Path<(String, String)>,
    JsonBody(params): JsonBody<CertificateUpdateParameters>,
) -> Result<Response> {
    let (cert, v) = ctx
        .vault
        .service
        .update(&name, Some(&version), params)
        .await?;
    Ok(reply(StatusCode::OK, &wire::bundle(&ctx.base, &cert, &v)))
}

pub async fn get_policy(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let cert = ctx.vault.service.policy(&name).await?;
    Ok(reply(StatusCode::OK, &wire::policy(&ctx.base, &cert)))
}

pub async fn update_policy(
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(patch): JsonBody<CertificatePolicy>,
) -> Result<Response> {
    let cert = ctx.vault.service.update_policy(&name, patch).await?;
    Ok(reply(StatusCode::OK, &wire::policy(&ctx.base, &cert)))
}

/// `DELETE /certificates/{name}` → the DeletedCertificateBundle of the latest version.
pub async fn delete(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let (cert, v) = ctx.vault.service.delete(&name).await?;
    Ok(reply(
        StatusCode::OK,
        &wire::deleted_bundle(&ctx.base, &cert, &v),
    ))
}

/// `POST /certificates/{name}/import` → 200 with the new version (spec §4.4).
pub async fn import(
    ctx: Ctx,
    Path(name): Path<String>,
    JsonBody(params): JsonBody<CertificateImportParameters>,
) -> Result<Response> {
    let (cert, v) = ctx.vault.service.import(&name, params).await?;
    Ok(reply(StatusCode::OK, &wire::bundle(&ctx.base, &cert, &v)))
}

/// `POST /certificates/{name}/backup` → `{"value": base64url}`.
pub async fn backup(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let value = ctx.vault.service.backup(&name).await?;
    Ok(reply(StatusCode::OK, &BackupBlob { value }))
}

/// `POST /certificates/restore` → 200 with the latest version.
pub async fn restore(ctx: Ctx, JsonBody(body): JsonBody<BackupBlob>) -> Result<Response> {
    let (cert, v) = ctx.vault.service.restore(&body.value).await?;
    Ok(reply(StatusCode::OK, &wire::bundle(&ctx.base, &cert, &v)))
}
