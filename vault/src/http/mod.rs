//! HTTP front end: the route table (one place), the per-connection [`VaultService`], the
//! shared [`AppState`], and the JSON reply helpers. Cross-cutting behaviour (auth challenge,
//! api-version, ids, headers, the polling hot path) is in [`middleware`]; each resource has
//! its own handler module; [`wire`] turns records into wire models; [`error`] renders errors.

pub mod admin;
pub mod certificates;
pub mod contacts;
pub mod deleted;
pub mod error;
pub mod extract;
pub mod issuers;
pub mod keys;
pub mod middleware;
pub mod paging;
pub mod pending;
pub mod secrets;
pub mod throttle;
pub mod wire;

use crate::certs::Service;
use crate::error::Error;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Request bodies larger than this are refused with 413 (a PFX or a chain fits easily).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Everything a handler may need. Shared as `Arc<App>`.
pub struct App {
    /// The certificate service: all state changes go through it.
    pub service: Service,
    /// `--public-url`: when set, ids use it instead of the request's Host.
    pub public_url: Option<String>,
    /// `Retry-After` sent while an operation is in progress (spec §2 notes, §5.2).
    pub retry_after: Duration,
    /// The same as header values, made once.
    pub poll_headers: pending::PollHeaders,
    /// Rendered bodies of polled operations (the polling hot path).
    pub poll_bodies: pending::PollBodies,
    /// The dev CA certificate (PEM) served at `/_admin/ca.pem`.
    pub ca_pem: String,
    /// Set once start-up finished; `/_admin/health` answers 503 before.
    pub ready: AtomicBool,
    /// Key Vault service-limit emulation; `None` when off (the default).
    pub throttle: Option<throttle::Throttle>,
    /// Counters and histograms served at `/metrics`.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    /// Source of `x-ms-request-id` values.
    pub request_ids: RequestIds,
    /// Lifetime actions: the clock and the notification outbox behind `/_admin/clock` and
    /// `/_admin/notifications`.
    pub lifetime: Arc<crate::issuance::lifetime::Lifetime>,
}

pub type AppState = Arc<App>;

/// `x-ms-request-id` values: unique per run without a system call per request (a random
/// prefix chosen at start, then a counter).
pub struct RequestIds {
    prefix: [u8; 16],
    counter: std::sync::atomic::AtomicU64,
}

impl RequestIds {
    pub fn new() -> Self {
        let mut prefix = [b'0'; 16];
        let chosen =
            crate::certs::new_id().unwrap_or_else(|_| format!("{:016x}", std::process::id()));
        for (dst, src) in prefix.iter_mut().zip(chosen.bytes()) {
            *dst = src;
        }
        Self {
            prefix,
            counter: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The next id as a header value: 16 prefix characters, then the counter in hex.
    pub fn next(&self) -> HeaderValue {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut id = [0u8; 32];
        id[..16].copy_from_slice(&self.prefix);
        for (i, byte) in id[16..].iter_mut().enumerate() {
            *byte = HEX[((n >> (60 - 4 * i)) & 0xf) as usize];
        }
        // Hex digits only, so this cannot fail; the fallback keeps the type honest.
        HeaderValue::from_bytes(&id).unwrap_or_else(|_| HeaderValue::from_static("0"))
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        Self::new()
    }
}

/// A JSON response with Key Vault's content type (`application/json; charset=utf-8`).
pub fn reply<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => reply_json_bytes(status, bytes.into()),
        Err(e) => Error::Internal(format!("serialising a response: {e}")).into_response(),
    }
}

/// A response whose JSON body is already rendered.
pub fn reply_json_bytes(status: StatusCode, body: axum::body::Bytes) -> Response {
    let mut resp = Response::new(axum::body::Body::from(body));
    *resp.status_mut() = status;
    // Room for every header a Key Vault reply gets (content type, request id, service
    // version, poll headers, location) without growing the map.
    let headers = resp.headers_mut();
    headers.reserve(8);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

/// The route table. Reserved words (`contacts`, `issuers`, `pending`, `policy`, ...) are static
/// segments, which the router matches before the `{name}`/`{version}` parameters (spec §1.1).
pub fn router(state: AppState) -> Router {
    let kv = Router::new()
        .route("/certificates", get(certificates::list))
        .route(
            "/certificates/contacts",
            get(contacts::get)
                .put(contacts::set)
                .delete(contacts::delete),
        )
        .route("/certificates/issuers", get(issuers::list))
        .route("/certificates/restore", post(certificates::restore))
        .route(
            "/certificates/issuers/{issuer}",
            get(issuers::get)
                .put(issuers::set)
                .patch(issuers::update)
                .delete(issuers::delete),
        )
        .route(
            "/certificates/{name}",
            get(certificates::get_latest)
                .patch(certificates::update_latest)
                .delete(certificates::delete),
        )
        .route(
            "/certificates/{name}/",
            get(certificates::get_latest).patch(certificates::update_latest),
        )
        .route("/certificates/{name}/create", post(certificates::create))
        .route("/certificates/{name}/import", post(certificates::import))
        .route("/certificates/{name}/backup", post(certificates::backup))
        .route("/certificates/{name}/pending/merge", post(pending::merge))
        .route("/certificates/{name}/versions", get(certificates::versions))
        .route(
            "/certificates/{name}/policy",
            get(certificates::get_policy).patch(certificates::update_policy),
        )
        .route(
            "/certificates/{name}/pending",
            get(pending::get)
                .patch(pending::cancel)
                .delete(pending::delete),
        )
        .route(
            "/certificates/{name}/{version}",
            get(certificates::get_version).patch(certificates::update_version),
        )
        .route("/deletedcertificates", get(deleted::list))
        .route(
            "/deletedcertificates/{name}",
            get(deleted::get).delete(deleted::purge),
        )
        .route(
            "/deletedcertificates/{name}/recover",
            post(deleted::recover),
        )
        .route("/keys/{name}", get(keys::get_latest))
        .route("/keys/{name}/", get(keys::get_latest))
        .route("/keys/{name}/{version}", get(keys::get_version))
        .route("/keys/{name}/{version}/sign", post(keys::sign))
        .route("/keys/{name}/{version}/verify", post(keys::verify))
        .route("/secrets/{name}", get(secrets::get_latest))
        .route("/secrets/{name}/", get(secrets::get_latest))
        .route("/secrets/{name}/{version}", get(secrets::get_version));

    Router::new()
        .merge(kv)
        .nest("/_admin", admin::router())
        .route("/metrics", get(admin::metrics))
        .fallback(|| async { Error::RouteNotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The service each connection runs: every request goes through [`middleware::handle`]
/// (once, not per route), which answers the polling hot path itself and hands everything
/// else to the route table above.
#[derive(Clone)]
pub struct VaultService {
    app: AppState,
    router: Router,
}

impl VaultService {
    pub fn new(app: AppState) -> Self {
        let router = router(app.clone());
        Self { app, router }
    }
}

impl hyper::service::Service<axum::http::Request<hyper::body::Incoming>> for VaultService {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, Self::Error>> + Send>>;

    fn call(&self, req: axum::http::Request<hyper::body::Incoming>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let req = req.map(axum::body::Body::new);
            Ok(middleware::handle(&this.app, &this.router, req).await)
        })
    }
}
