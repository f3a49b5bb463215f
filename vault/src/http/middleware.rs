//! Cross-cutting request handling, in this order (spec §6, §0, §1):
//! 1. `/_admin/*` skips Key Vault rules (the admin token gate aside).
//! 2. The host: `NAME.vault.azure.net` / `NAME.vault.localhost` name a vault, `localhost` and
//!    IP addresses the default one (`hosts::classify`); a Key Vault path on the login host is
//!    404.
//! 3. Authentication first: no non-empty bearer token → 401 with the challenge, before any
//!    other validation (first SDK requests arrive without a body).
//! 4. Query parsing with percent-decoded names (`api%2Dversion`, `%24skiptoken`), then the
//!    api-version allow-list.
//! 5. The vault the host named (opened on first use in `--auth dev`, 404 `VaultNotFound` for
//!    an undeclared one in `--auth entra`), then the access check for it and throttling.
//! 6. The request context (the vault, base URL for ids, query) for handlers; the polling hot
//!    path (`GET …/pending`) is answered here directly, everything else goes through the
//!    router.
//! 7. On the way out: any error response that is not Key Vault JSON (framework rejections) is
//!    rewritten into it, and the common headers are added.

use super::extract::{authority, Ctx, CtxData, QueryParams, BODY_LIMIT};
use super::routes::{poll_target, route_template, POLL_ROUTE};
use super::state::AppState;
use crate::acme::reply::problem_response;
use crate::acme::routes as acme_routes;
use crate::error::Error;
use crate::hosts::{self, HostKind};
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use shared::acme::problem::{ErrorType, Problem};
use std::time::Instant;

/// The allow-list and each version's response shape live in `versions`.
pub use super::versions::{API_VERSIONS, LATEST_API_VERSION};

static REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-request-id");
static SERVICE_VERSION: HeaderName = HeaderName::from_static("x-ms-keyvault-service-version");

/// Every request, once: the Key Vault rules, then the polling hot path or the route table,
/// then the common headers, metrics and the request log line.
pub async fn handle(app: &AppState, router: &Router, req: Request) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    // A `Uri` clone shares its bytes: the path outlives the request without a copy.
    let uri = req.uri().clone();
    let path = uri.path();
    let poll = (method == Method::GET).then(|| poll_target(path)).flatten();
    // For the dashboard's request log: which vault the request named (a shared-bytes clone).
    let host = req.headers().get(header::HOST).cloned();

    // The token service's endpoints (entra mode), on any host; the matching is identity's.
    let identity = app.identity.as_ref();
    let mut response =
        if let Some(identity) = identity.filter(|_| crate::identity::is_identity_path(path)) {
            crate::identity::handle(identity, req, "https").await
        } else if acme_routes::is_acme_path(path) {
            // ACME requests carry no bearer token: their JWS is their authentication.
            acme(app, req, false).await
        } else if path.starts_with("/_admin/") || path == "/_admin" || path == "/metrics" {
            match super::auth::admin_gate(app, &req) {
                Ok(()) if acme_routes::is_admin_path(path) => acme(app, req, true).await,
                Ok(()) => route(router, req).await,
                Err(refused) => refused,
            }
        } else {
            key_vault(app, router, req, poll).await
        };

    let headers = response.headers_mut();
    headers.insert(REQUEST_ID.clone(), app.request_ids.next());
    headers.insert(
        SERVICE_VERSION.clone(),
        HeaderValue::from_static(concat!("vault-emulator/", env!("CARGO_PKG_VERSION"))),
    );
    let status = response.status();
    let route_label = match poll {
        Some(_) => std::borrow::Cow::Borrowed(POLL_ROUTE),
        None if acme_routes::is_acme_path(path) => {
            std::borrow::Cow::Owned(format!("/acme/{}", acme_routes::endpoint(path)))
        }
        None => std::borrow::Cow::Owned(route_template(path)),
    };
    app.metrics.request(
        &route_label,
        method.as_str(),
        status.as_str(),
        started.elapsed(),
    );
    tracing::debug!(
        http.method = %method,
        http.path = %path,
        http.status = status.as_u16(),
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    super::request_log::observe(app, method, uri, host, status, started.elapsed());
    response
}

/// The Key Vault rules in order; then the polling hot path is answered here (same handler,
/// no routing or extraction) and everything else goes through the router.
async fn key_vault(
    app: &AppState,
    router: &Router,
    mut req: Request,
    poll: Option<&str>,
) -> Response {
    let host = hosts::classify(authority(&req));
    if host == HostKind::Login {
        // The identity endpoints were routed before this point: nothing else lives there.
        return Error::RouteNotFound.into_response();
    }
    let base = base_url(app, &req, &host);
    // Authentication first: the SDKs' first request carries no token (and no body).
    let caller = match super::auth::authenticate(app, &req, &base) {
        Ok(caller) => caller,
        Err(resp) => return resp,
    };
    let api_version = match api_version(&req) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let vault = match &host {
        HostKind::Vault { name, .. } => match app.vaults.resolve(name).await {
            Ok(vault) => vault,
            Err(e) => return e.into_response(),
        },
        HostKind::Default | HostKind::Login => app.vaults.default_vault().clone(),
    };
    if let Some(caller) = &caller {
        if let Err(denied) = app
            .access
            .check(&vault.name, caller, req.method(), req.uri().path())
        {
            return denied.into_response();
        }
    }
    if let Some(refused) = throttled(app, req.method(), req.uri().path()) {
        return refused.into_response();
    }
    let ctx = CtxData {
        vault,
        base,
        uri: req.uri().clone(),
        api_version,
    };
    if let Some(name) = poll {
        let polled = super::pending::poll(app, &ctx, name)
            .await
            .unwrap_or_else(IntoResponse::into_response);
        return super::versions::shape(api_version, polled).await;
    }
    req.extensions_mut().insert(Ctx::new(ctx));
    let response = normalise_errors(route(router, req).await).await;
    super::versions::shape(api_version, response).await
}

/// An ACME request (`/acme/…`, or `/_admin/acme/…` past the admin gate): the vault its host
/// names (like a Key Vault request, without token or api-version), then the gateway.
async fn acme(app: &AppState, req: Request, admin: bool) -> Response {
    let host = hosts::classify(authority(&req));
    let vault = match &host {
        HostKind::Login => {
            let mut p = Problem::new(ErrorType::Malformed, "No ACME server on the login host.");
            p.status = StatusCode::NOT_FOUND.as_u16();
            return problem_response(p, None);
        }
        HostKind::Vault { name, .. } => match app.vaults.resolve(name).await {
            Ok(vault) => vault,
            Err(e) => {
                // The vault's own refusal (404 VaultNotFound, 400 bad name), as a problem.
                let detail = e.to_string();
                let mut p = Problem::new(ErrorType::Malformed, detail);
                p.status = e.into_response().status().as_u16();
                return problem_response(p, None);
            }
        },
        HostKind::Default => app.vaults.default_vault().clone(),
    };
    let base = base_url(app, &req, &host);
    if admin {
        crate::acme::routes::handle_admin(&app.acme, &vault.acme, &base, req).await
    } else {
        crate::acme::routes::handle(&app.acme, &vault.acme, &base, req).await
    }
}

async fn route(router: &Router, req: Request) -> Response {
    match tower::ServiceExt::oneshot(router.clone(), req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

/// The api-version query parameter, checked against the allow-list. Returns the version or
/// the response to send.
#[allow(clippy::result_large_err)]
fn api_version(req: &Request) -> Result<&'static str, Response> {
    let query = QueryParams::new(req.uri().query().unwrap_or(""));
    let api_version = match query.get("api-version").as_deref() {
        None | Some("") => {
            return Err(Error::bad(
                "The api-version query parameter is required; use a supported version such as 2025-07-01.",
            )
            .into_response())
        }
        Some(v) => match API_VERSIONS.iter().find(|known| **known == v) {
            Some(known) => *known,
            None => {
            return Err(Error::bad(format!(
                "The specified version ({v}) is not recognized. Consider using the latest supported version ({LATEST_API_VERSION})."
            ))
            .into_response())
            }
        },
    };
    Ok(api_version)
}

/// `https://` + the request's authority (spec §1.1): ids use the host the client used.
/// `--public-url` replaces it for the default vault only.
fn base_url(app: &AppState, req: &Request, host: &HostKind) -> String {
    if let (Some(public), HostKind::Default) = (&app.public_url, host) {
        return public.clone();
    }
    let authority = authority(req);
    let mut base = String::with_capacity("https://".len() + authority.len());
    base.push_str("https://");
    base.push_str(authority);
    base
}

/// Framework-made error responses (bad path encoding, unsupported methods, body limits) get
/// Key Vault's JSON shape too.
async fn normalise_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if super::versions::is_json(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let error = match parts.status {
        StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge { limit: BODY_LIMIT },
        StatusCode::NOT_FOUND => Error::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => Error::MethodNotAllowed,
        s if s.is_client_error() => Error::bad(if text.is_empty() {
            "The request is invalid.".to_string()
        } else {
            text
        }),
        _ => Error::Internal(text),
    };
    let mut fixed = error.into_response();
    *fixed.status_mut() = parts.status;
    fixed
}

/// The throttling emulation's verdict for an admitted request: `Some(error)` when over budget.
fn throttled(app: &AppState, method: &axum::http::Method, path: &str) -> Option<Error> {
    let throttle = app.throttle.as_ref()?;
    let create = super::throttle::is_create(method, path);
    match throttle.admit(create, Instant::now()) {
        Ok(()) => None,
        Err(retry_after) => {
            app.metrics.throttled();
            Some(Error::Throttled {
                class: if create { "create" } else { "operations" },
                retry_after,
            })
        }
    }
}
