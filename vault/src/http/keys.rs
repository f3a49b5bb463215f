//! `/keys/{name}[/{version}]`: the read side of a certificate's linked key (spec §4.3): the
//! public JWK, plus sign and verify with the certificate's private key.

use super::extract::{Ctx, JsonBody};
use super::reply::reply;
use super::wire;
use crate::certs::Linked;
use crate::error::{Error, Result};
use crate::model::{CertRecord, VersionRecord};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use shared::b64;
use shared::crypto::{self, PrivateKey};
use shared::models::{
    KeyBundle, KeyOperation, KeyOperationResult, KeySignParameters, KeyVerifyParameters,
    KeyVerifyResult,
};

fn kid(base: &str, cert: &CertRecord, v: &VersionRecord) -> String {
    format!("{base}/keys/{}/{}", cert.name, v.version)
}

fn key_bundle(base: &str, cert: &CertRecord, v: &VersionRecord, key: &PrivateKey) -> KeyBundle {
    let mut jwk = key.public_jwk();
    jwk.kid = Some(kid(base, cert, v));
    jwk.kty = v.kty.clone();
    jwk.key_ops = v.key_ops.clone();
    KeyBundle {
        key: jwk,
        attributes: wire::linked_attributes(v),
        tags: v.tags.clone(),
        managed: true,
    }
}

async fn load(
    ctx: &Ctx,
    name: &str,
    version: Option<&str>,
) -> Result<(CertRecord, VersionRecord, PrivateKey)> {
    let (cert, v, key) = ctx.vault.service.linked(Linked::Key, name, version).await?;
    let key = key.ok_or_else(|| Error::Internal(format!("key material of {name} is missing")))?;
    Ok((cert, v, key))
}

pub async fn get_latest(ctx: Ctx, Path(name): Path<String>) -> Result<Response> {
    let (cert, v, key) = load(&ctx, &name, None).await?;
    Ok(reply(
        StatusCode::OK,
        &key_bundle(&ctx.base, &cert, &v, &key),
    ))
}

pub async fn get_version(
    ctx: Ctx,
    Path((name, version)): Path<(String, String)>,
) -> Result<Response> {
    let (cert, v, key) = load(&ctx, &name, Some(&version)).await?;
    Ok(reply(
        StatusCode::OK,
        &key_bundle(&ctx.base, &cert, &v, &key),
    ))
}

fn require_op(v: &VersionRecord, op: KeyOperation) -> Result<()> {
    if v.key_ops.contains(&op) {
        Ok(())
    } else {
        Err(Error::Forbidden {
            message: format!("Operation {op} is not permitted on this key (its key_ops follow the certificate's key usage)."),
            inner: Some("KeyOperationForbidden"),
        })
    }
}

/// `POST /keys/{name}/{version}/sign`: `value` is the base64url digest; RSA signing runs on
/// the blocking pool.
pub async fn sign(
    ctx: Ctx,
    Path((name, version)): Path<(String, String)>,
    JsonBody(body): JsonBody<KeySignParameters>,
) -> Result<Response> {
    let (cert, v, key) = load(&ctx, &name, Some(&version)).await?;
    require_op(&v, KeyOperation::Sign)?;
    let digest = b64::decode_lenient(&body.value)
        .map_err(|_| Error::bad("value must be the base64url encoding of a digest."))?;
    let alg = body.alg;
    let signature = tokio::task::spawn_blocking(move || key.sign_digest(alg, &digest))
        .await
        .map_err(|e| Error::Internal(format!("sign task: {e}")))?
        .map_err(|e| Error::bad(e.to_string()))?;
    Ok(reply(
        StatusCode::OK,
        &KeyOperationResult {
            kid: kid(&ctx.base, &cert, &v),
            value: b64::url_encode(&signature),
        },
    ))
}

pub async fn verify(
    ctx: Ctx,
    Path((name, version)): Path<(String, String)>,
    JsonBody(body): JsonBody<KeyVerifyParameters>,
) -> Result<Response> {
    let (_cert, v, key) = load(&ctx, &name, Some(&version)).await?;
    require_op(&v, KeyOperation::Verify)?;
    let digest =
        b64::decode_lenient(&body.digest).map_err(|_| Error::bad("digest must be base64url."))?;
    let signature =
        b64::decode_lenient(&body.value).map_err(|_| Error::bad("value must be base64url."))?;
    let valid = crypto::verify_digest(key.spki_der(), body.alg, &digest, &signature)
        .map_err(|e| Error::bad(e.to_string()))?;
    Ok(reply(StatusCode::OK, &KeyVerifyResult { value: valid }))
}
