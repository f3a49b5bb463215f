//! `/secrets/{name}[/{version}]`: the read side of a certificate's linked secret (spec §4.3):
//! a password-less PFX (base64) or PEM text (PKCS#8 key, then the chain); certificates only
//! when the key is not exportable.

use super::extract::Ctx;
use super::reply::reply;
use super::wire;
use crate::certs::Linked;
use crate::error::{Error, Result};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use shared::b64;
use shared::crypto;
use shared::models::{ContentType, SecretBundle};

async fn secret(ctx: &Ctx, name: &str, version: Option<&str>) -> Result<Response> {
    let (cert, v, key) = ctx
        .vault
        .service
        .linked(Linked::Secret, name, version)
        .await?;
    let key = if v.exportable { key } else { None };
    let chain = v.chain.clone();
    let content_type = v.content_type;
    // PFX encryption (PBKDF2) is CPU work: keep it off the async threads.
    let value = tokio::task::spawn_blocking(move || match content_type {
        ContentType::Pkcs12 => {
            crypto::pkcs12_build(key.as_ref(), &chain).map(|der| b64::std_encode(&der))
        }
        ContentType::Pem => Ok(crypto::pem_bundle(key.as_ref(), &chain)),
    })
    .await
    .map_err(|e| Error::Internal(format!("secret task: {e}")))?
    .map_err(|e| Error::Internal(format!("building the secret value: {e}")))?;
    let bundle = SecretBundle {
        value,
        id: format!("{}/secrets/{}/{}", ctx.base, cert.name, v.version),
        content_type,
        kid: format!("{}/keys/{}/{}", ctx.base, cert.name, v.version),
        attributes: wire::linked_attributes(&v),
        tags: v.tags.clone(),
        managed: true,
    };
    Ok(reply(StatusCode::OK, &bundle))
}

pub async fn get_latest(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    secret(&ctx, &name, None).await
}

pub async fn get_version(
    ctx: Ctx,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response> {
    secret(&ctx, &name, Some(&version)).await
}
