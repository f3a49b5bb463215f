//! Authentication of Key Vault requests (`--auth dev|entra`) and the admin-token gate of
//! `/_admin/*`; the 401 challenge with the `resource` the SDKs accept for the request's host
//! and the configured tenant's authority.

use super::extract::authority;
use super::state::AppState;
use crate::access::Caller;
use crate::config::AuthMode;
use crate::error::Error;
use crate::hosts;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;

/// Checks the bearer token. `Ok(None)` in dev mode (any token, no identity), `Ok(Some)` with
/// the verified caller in entra mode, `Err` the 401 (with the challenge) to send.
#[allow(clippy::result_large_err)]
pub fn authenticate(app: &AppState, req: &Request, base: &str) -> Result<Option<Caller>, Response> {
    let resource = || resource(authority(req), base);
    match (app.auth, &app.identity, bearer(req)) {
        (_, _, None) => Err(challenge(app, Error::Unauthorized, &resource())),
        (AuthMode::Dev, _, Some(_)) => Ok(None),
        (AuthMode::Entra, Some(identity), Some(token)) => {
            let resource = resource();
            identity
                .verify(token, &[&resource, hosts::AZURE_RESOURCE])
                .map(Some)
                .map_err(|e| challenge(app, e, &resource))
        }
        (AuthMode::Entra, None, Some(_)) => Err(challenge(
            app,
            Error::Internal("entra mode without a token service".into()),
            &resource(),
        )),
    }
}

/// `/_admin/*` in entra mode needs the admin token, except health and ca.pem (`/metrics` is
/// not part of the admin API and stays open). Fails closed if there is no admin token.
#[allow(clippy::result_large_err)]
pub fn admin_gate(app: &AppState, req: &Request) -> Result<(), Response> {
    let path = req.uri().path();
    if app.auth == AuthMode::Dev
        || !(path == "/_admin" || path.starts_with("/_admin/"))
        || path == "/_admin/health"
        || path == "/_admin/ca.pem"
    {
        return Ok(());
    }
    let expected = app.admin_token.as_deref().unwrap_or("");
    match bearer(req).filter(|_| !expected.is_empty()) {
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

/// [`hosts::challenge_resource`] without its allocations on the hot path: only a
/// `*.vault.*` host can name something other than `base`.
fn resource<'a>(authority: &str, base: &'a str) -> Cow<'a, str> {
    let maybe_vault_host = authority
        .as_bytes()
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b".vault."));
    if maybe_vault_host {
        Cow::Owned(hosts::challenge_resource(authority, base))
    } else {
        Cow::Borrowed(base)
    }
}

/// The 401 with `WWW-Authenticate` naming the tenant's authority and `resource`.
fn challenge(app: &AppState, error: Error, resource: &str) -> Response {
    let mut resp = error.into_response();
    let tenant = crate::identity::tenant_of(&app.access.doc()).to_string();
    let challenge = format!(
        "Bearer authorization=\"https://{}/{tenant}\", resource=\"{resource}\"",
        hosts::LOGIN_HOST
    );
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
