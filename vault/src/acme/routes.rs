//! The ACME route table (one place, read top to bottom): every `/acme/…` path of a vault and
//! the ACME admin paths (`/_admin/acme/…`), matched by method and path segments. POSTs are
//! authenticated first ([`post`] → `request::authenticate`), then handed to their handler;
//! [`handle`] renders every outcome with a fresh `Replay-Nonce` (`reply::render`).
//!
//! Adding a route is one line in [`route`] (or [`admin`]); a gate every request passes
//! (chaos, rate limits) goes in [`handle`] before `route`, keyed by [`endpoint`].

use super::admin;
use super::chaos::{self, Endpoint};
use super::gateway::{Acme, VaultAcme};
use super::handlers::{
    accounts, ari, authz, certificate, challenges, directory, finalize, orders, revoke,
};
use super::reply::{self, Reply};
use super::request::{self, AcmeRequest, Cx};
use axum::body::Body;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use shared::acme::problem::Problem;
use std::future::Future;
use std::sync::Arc;

/// Whether `path` belongs to the ACME gateway (`/acme` or `/acme/…`).
pub fn is_acme_path(path: &str) -> bool {
    path == "/acme" || path.starts_with("/acme/")
}

/// Whether `path` is an ACME admin path (`/_admin/acme/…`).
pub fn is_admin_path(path: &str) -> bool {
    path.starts_with("/_admin/acme/")
}

/// The path's segments after `prefix` (`/acme/order/x` → `["order", "x"]`).
fn segments<'a>(path: &'a str, prefix: &str) -> Vec<&'a str> {
    path.strip_prefix(prefix)
        .unwrap_or("")
        .trim_start_matches('/')
        .split('/')
        .collect()
}

/// The route's template, for metrics and gates (`order/{id}`): the object ids replaced.
pub fn endpoint(path: &str) -> &'static str {
    match segments(path, "/acme").as_slice() {
        ["directory"] => "directory",
        [_, "directory"] => "profile-directory",
        ["new-nonce"] => "new-nonce",
        ["new-account"] => "new-account",
        ["acct", _] => "acct",
        ["acct", _, "orders"] => "orders",
        ["key-change"] => "key-change",
        ["new-order"] | [_, "new-order"] => "new-order",
        ["order", _] => "order",
        ["order", _, "finalize"] => "finalize",
        ["new-authz"] => "new-authz",
        ["authz", _] => "authz",
        ["chall", _, _] => "challenge",
        ["cert", ..] => "cert",
        ["revoke-cert"] => "revoke-cert",
        ["renewal-info", ..] => "renewal-info",
        ["crl"] => "crl",
        _ => "other",
    }
}

/// Every request to a vault's `/acme/…` paths. `base` is `https://host[:port]` of the vault.
pub async fn handle(
    acme: &Arc<Acme>,
    vault: &Arc<VaultAcme>,
    base: &str,
    req: Request,
) -> Response {
    let started = std::time::Instant::now();
    let cx = Cx::new(acme.clone(), vault.clone(), base);
    let (parts, body) = req.into_parts();
    let template = endpoint(parts.uri.path());
    // Chaos first (when off, one atomic load): a fault answers instead of the route.
    let fault = Endpoint::from_template(template).and_then(|e| acme.chaos.before(e));
    let response = match fault {
        Some(fault) => fault.mark(finish(&cx, Err(fault.problem()))),
        None => {
            let outcome = route(&cx, &parts, body).await;
            finish(&cx, outcome)
        }
    };
    // `/metrics`: ACME requests by endpoint and status.
    acme.metrics
        .acme_request(template, response.status().as_u16(), started.elapsed());
    response
}

/// The `/_admin/acme/…` paths (the admin gate already passed).
pub async fn handle_admin(
    acme: &Arc<Acme>,
    vault: &Arc<VaultAcme>,
    base: &str,
    req: Request,
) -> Response {
    let cx = Cx::new(acme.clone(), vault.clone(), base);
    let (parts, body) = req.into_parts();
    let outcome = admin(&cx, &parts, body).await;
    finish(&cx, outcome)
}

fn finish(cx: &Cx, outcome: Result<Reply, Problem>) -> Response {
    let nonce = cx.acme.nonces.issue().ok();
    reply::render(outcome, nonce.as_deref(), &cx.urls.directory())
}

/// The table of `/acme/…`.
async fn route(cx: &Cx, parts: &Parts, body: Body) -> Result<Reply, Problem> {
    let segs = segments(parts.uri.path(), "/acme");
    let query = parts.uri.query();
    let m = &parts.method;
    match (m, segs.as_slice()) {
        (&Method::GET, ["directory"]) => directory::get(cx, None).await,
        (&Method::HEAD | &Method::GET, ["new-nonce"]) => directory::new_nonce(m),
        (&Method::POST, ["new-account"]) => {
            post(cx, parts, body, |r| accounts::new_account(cx, r)).await
        }
        (&Method::POST, ["acct", id]) => {
            post(cx, parts, body, |r| accounts::account(cx, r, id)).await
        }
        (&Method::POST, ["acct", id, "orders"]) => {
            post(cx, parts, body, |r| orders::list(cx, r, id, query)).await
        }
        (&Method::POST, ["key-change"]) => {
            post(cx, parts, body, |r| accounts::key_change(cx, r)).await
        }
        (&Method::POST, ["new-order"]) => {
            post(cx, parts, body, |r| orders::new_order(cx, r, None)).await
        }
        (&Method::POST, ["order", id]) => post(cx, parts, body, |r| orders::get(cx, r, id)).await,
        (&Method::POST, ["order", id, "finalize"]) => {
            post(cx, parts, body, |r| finalize::finalize(cx, r, id)).await
        }
        (&Method::POST, ["new-authz"]) => post(cx, parts, body, |r| authz::new_authz(cx, r)).await,
        (&Method::POST, ["authz", id]) => post(cx, parts, body, |r| authz::authz(cx, r, id)).await,
        (&Method::POST, ["chall", authz_id, id]) => {
            post(cx, parts, body, |r| {
                challenges::challenge(cx, r, authz_id, id)
            })
            .await
        }
        (&Method::POST, ["cert", id]) => {
            post(cx, parts, body, |r| certificate::download(cx, r, id, 0)).await
        }
        (&Method::POST, ["cert", id, n]) => match n.parse::<usize>() {
            Ok(n) if n >= 1 => post(cx, parts, body, |r| certificate::download(cx, r, id, n)).await,
            _ => Err(reply::not_found("certificate chain")),
        },
        (&Method::POST, ["revoke-cert"]) => post(cx, parts, body, |r| revoke::revoke(cx, r)).await,
        (&Method::GET, ["renewal-info", cert_id]) => ari::get(cx, cert_id).await,
        (&Method::GET, ["crl"]) => revoke::crl(cx).await,
        // The profile-pinned directory last: its first segment is a profile name.
        (&Method::GET, [profile, "directory"]) => directory::get(cx, Some(profile)).await,
        (&Method::POST, [profile, "new-order"]) => {
            post(cx, parts, body, |r| orders::new_order(cx, r, Some(profile))).await
        }
        _ if endpoint(parts.uri.path()) != "other" => Err(method_not_allowed()),
        _ => Err(reply::not_found("ACME resource")),
    }
}

/// The table of `/_admin/acme/…`.
async fn admin(cx: &Cx, parts: &Parts, body: Body) -> Result<Reply, Problem> {
    let segs = segments(parts.uri.path(), "/_admin/acme");
    match (&parts.method, segs.as_slice()) {
        (&Method::GET, ["root.pem"]) => admin::root_pem(cx),
        (&Method::GET, ["eab"]) => admin::list_eab(cx).await,
        (&Method::POST, ["eab"]) => admin::create_eab(cx, body).await,
        (&Method::GET, ["orders"]) => admin::list_orders(cx, parts.uri.query()).await,
        (&Method::GET, ["accounts"]) => admin::list_accounts(cx, parts.uri.query()).await,
        (&Method::PUT, ["renewal-info"]) => admin::put_renewal_info(cx, body).await,
        (&Method::GET, ["chaos"]) => chaos::admin::get(&cx.acme.chaos),
        (&Method::PUT, ["chaos"]) => chaos::admin::put(&cx.acme.chaos, body).await,
        (_, [""]) => Err(reply::not_found("ACME admin resource (see docs/acme.md)")),
        _ => Err(reply::not_found("ACME admin resource")),
    }
}

fn method_not_allowed() -> Problem {
    let mut p = reply::malformed("This method is not allowed on this ACME resource.");
    p.status = StatusCode::METHOD_NOT_ALLOWED.as_u16();
    p
}

/// Authenticates a POST, then runs its handler.
async fn post<'a, F, Fut>(
    cx: &'a Cx,
    parts: &'a Parts,
    body: Body,
    handler: F,
) -> Result<Reply, Problem>
where
    F: FnOnce(AcmeRequest) -> Fut,
    Fut: Future<Output = Result<Reply, Problem>> + 'a,
{
    let req = request::authenticate(cx, parts, body).await?;
    handler(req).await
}
