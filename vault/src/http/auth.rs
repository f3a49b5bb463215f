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
/// not part of the admin API and stays open), as a bearer token or as the dashboard's
/// [`ADMIN_COOKIE`]. The dashboard's page and assets (`/_admin/ui…`, no data) pass: the page
/// runs [`ui_login`] itself. Fails closed if there is no admin token.
#[allow(clippy::result_large_err)]
pub fn admin_gate(app: &AppState, req: &Request) -> Result<(), Response> {
    let path = req.uri().path();
    if app.auth == AuthMode::Dev
        || !(path == "/_admin" || path.starts_with("/_admin/"))
        || path == "/_admin/health"
        || path == "/_admin/ca.pem"
        || path == UI_PATH.trim_end_matches('/')
        || path.starts_with(UI_PATH)
    {
        return Ok(());
    }
    if admin_token_given(app, req) {
        Ok(())
    } else {
        Err(Error::InvalidToken(
            "The admin API needs the admin token (--admin-token) as a bearer token.".into(),
        )
        .into_response())
    }
}

/// The cookie the dashboard's browser session carries the admin token in (entra mode).
pub const ADMIN_COOKIE: &str = "vault_admin";
/// Where the dashboard lives.
const UI_PATH: &str = "/_admin/ui/";

/// Whether `token` is the admin token (never true without one).
fn is_admin_token(app: &AppState, token: &str) -> bool {
    let expected = app.admin_token.as_deref().unwrap_or("");
    !expected.is_empty()
        && aws_lc_rs::constant_time::verify_slices_are_equal(token.as_bytes(), expected.as_bytes())
            .is_ok()
}

/// The admin token as a bearer token or in the [`ADMIN_COOKIE`].
fn admin_token_given(app: &AppState, req: &Request) -> bool {
    bearer(req).is_some_and(|t| is_admin_token(app, t))
        || admin_cookie(req).is_some_and(|t| is_admin_token(app, t))
}

/// The value of the [`ADMIN_COOKIE`], if the request carries it.
fn admin_cookie(req: &Request) -> Option<&str> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == ADMIN_COOKIE)
        .map(|(_, value)| value.trim())
}

/// The dashboard page's login step (`GET /_admin/ui/`), called by its handler first: `None`
/// to serve the page (dev mode, or the admin token as cookie or bearer); otherwise the answer
/// to send: for `?token=` the right admin token, a 303 to the page that sets the
/// [`ADMIN_COOKIE`] (the token leaves the address bar); else a 401 page saying how to log in.
pub fn ui_login(app: &AppState, req: &Request) -> Option<Response> {
    if app.auth == AuthMode::Dev {
        return None;
    }
    let query = super::extract::QueryParams::new(req.uri().query().unwrap_or(""));
    if let Some(token) = query.get("token") {
        if is_admin_token(app, &token) {
            let cookie =
                format!("{ADMIN_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/_admin");
            let mut answer = (
                axum::http::StatusCode::SEE_OTHER,
                [(header::LOCATION, UI_PATH)],
            )
                .into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                answer.headers_mut().insert(header::SET_COOKIE, value);
            }
            return Some(answer);
        }
        return Some(login_page("That is not the admin token."));
    }
    if admin_token_given(app, req) {
        return None;
    }
    Some(login_page("The dashboard needs the admin token."))
}

/// The 401 page of [`ui_login`]: where the token is and how to pass it.
fn login_page(reason: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Vault dashboard: log in</title>\
         <link rel=\"icon\" href=\"/_admin/ui/favicon.svg\"></head><body><main>\
         <h1>Vault dashboard</h1><p>{reason}</p>\
         <p>In <code>--auth entra</code> mode open <code>/_admin/ui/?token=TOKEN</code> with \
         the admin token: the value of <code>--admin-token</code>, or the contents of \
         <code>DATA_DIR/admin.token</code>. The token is then kept in a cookie for \
         <code>/_admin</code> and removed from the address bar.</p></main></body></html>\n"
    );
    (
        axum::http::StatusCode::UNAUTHORIZED,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
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
