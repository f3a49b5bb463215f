//! Authentication of Key Vault requests (`--auth dev|entra`) and the admin-token gate of
//! `/_admin/*`; the 401 challenge with the `resource` the SDKs accept for the request's host.

use super::error::CHALLENGE_AUTHORITY;
use super::middleware::authority;
use super::state::AppState;
use crate::access::Caller;
use crate::config::AuthMode;
use crate::error::Error;
use crate::hosts;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// Checks the bearer token. `Ok(None)` in dev mode (any token, no identity), `Ok(Some)` with
/// the verified caller in entra mode, `Err` the 401 (with the challenge) to send.
#[allow(clippy::result_large_err)]
pub fn authenticate(app: &AppState, req: &Request, base: &str) -> Result<Option<Caller>, Response> {
    let authority = authority(req);
    let resource = hosts::challenge_resource(authority, base);
    let Some(token) = bearer(req) else {
        return Err(challenge(Error::Unauthorized, &resource));
    };
    match (app.auth, &app.identity) {
        (AuthMode::Dev, _) => Ok(None),
        (AuthMode::Entra, Some(identity)) => identity
            .verify(token, &[resource.as_str(), hosts::AZURE_RESOURCE])
            .map(Some)
            .map_err(|e| challenge(e, &resource)),
        (AuthMode::Entra, None) => Err(challenge(
            Error::Internal("entra mode without a token service".into()),
            &resource,
        )),
    }
}

/// `/_admin/*` in entra mode needs the admin token, except health and ca.pem.
#[allow(clippy::result_large_err)]
pub fn admin_gate(app: &AppState, req: &Request) -> Result<(), Response> {
    let path = req.uri().path();
    if app.auth == AuthMode::Dev || path == "/_admin/health" || path == "/_admin/ca.pem" {
        return Ok(());
    }
    let Some(expected) = app.admin_token.as_deref() else {
        return Ok(());
    };
    match bearer(req) {
        Some(token)
            if aws_lc_rs::constant_time::verify_slices_are_equal(
                token.as_bytes(),
                expected.as_bytes(),
            )
            .is_ok() =>
        {
            Ok(())
        }
        _ => Err(Error::InvalidToken(
            "The admin API needs the admin token (--admin-token) as a bearer token.".into(),
        )
        .into_response()),
    }
}

/// The 401 with `WWW-Authenticate` naming `resource`.
fn challenge(error: Error, resource: &str) -> Response {
    let mut resp = error.into_response();
    let challenge =
        format!("Bearer authorization=\"{CHALLENGE_AUTHORITY}\", resource=\"{resource}\"");
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// The token of `Authorization: Bearer <token>` (or `PoP`), if non-empty.
fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let mut parts = value.trim().splitn(2, ' ');
    let scheme = parts.next().unwrap_or("");
    let token = parts.next().unwrap_or("").trim();
    ((scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("pop"))
        && !token.is_empty())
    .then_some(token)
}
