//! The bodies of ca-sim's fuzz targets in `fuzz/` (cargo-fuzz), one per dialect, kept in the
//! library so a target and the replay of its committed corpus (`tests/fuzz_corpus.rs`, run by
//! `cargo test` on stable) call the same code.
//!
//! Each target sends one request, in `shared::fuzzing::RawRequest`'s text form, to a real
//! ca-sim ([`Sim`]) through the one route table, so the request is read exactly as the
//! dialect's handler reads it (authenticate, parse, apply, render). The harness supplies the
//! credentials a client would (DigiCert's API key, WoSign's signature over the fuzzed body;
//! GlobalSign's live in the body) and keeps each target on its dialect's paths. Property: no
//! panic and no 5xx, except GlobalSign's `soap:Client` fault, which is how the vendor refuses
//! a body it cannot read (HTTP 500 by SOAP 1.1).
//!
//! Not an API: hidden from the docs.

use crate::app::App;
use crate::config::Config;
use crate::dialects::wosign;
use crate::orders::clock;
use crate::{routes, Error};
use axum::body::Body;
use axum::Router;
use shared::fuzzing::RawRequest;
use std::path::Path;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// The built-in accounts' credentials (config.rs), as a client of each dialect holds them.
const DIGICERT_KEY: &str = "sim-dc-key";
const WOSIGN_ACCOUNT: &str = "ws-sim-001";
const WOSIGN_KEY: &str = "sim-ws-key";

/// A real ca-sim driven in-process: ephemeral store, the built-in accounts issuing at once,
/// no rate limits (the fuzzer would only ever see 429s) and no fault rules.
pub struct Sim {
    runtime: tokio::runtime::Runtime,
    router: Router,
    shutdown: CancellationToken,
    /// Kept for the background worker's state; requests go through `router`.
    _app: Arc<App>,
}

impl Sim {
    /// Starts ca-sim with its files (CA hierarchies, TLS material) in `data_dir`.
    pub fn start(data_dir: &Path) -> Result<Sim, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut config = Config::new(data_dir);
        config.ephemeral = true;
        config.digicert_rate_limits = Vec::new();
        for account in &mut config.accounts {
            account.profile = Some("instant".into());
        }
        let shutdown = CancellationToken::new();
        let handle = runtime.block_on(async {
            // ca-sim serves on this listener too; nothing connects to it.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            crate::serve(listener, config, shutdown.clone()).await
        })?;
        let app = handle.app.clone();
        Ok(Sim {
            runtime,
            router: routes::router(app.clone()),
            shutdown,
            _app: app,
        })
    }

    /// Serves one request: status and body text.
    pub fn call(&self, request: axum::http::Request<Vec<u8>>) -> (u16, String) {
        let request = request.map(Body::from);
        self.runtime.block_on(async {
            let response = match self.router.clone().oneshot(request).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|e| format!("(body failed: {e})"));
            (status, body)
        })
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Reads the input; `None` unless it is a request under `prefix`.
fn read(data: &[u8], prefix: &str) -> Option<RawRequest> {
    RawRequest::parse(data).filter(|r| r.target.starts_with(prefix))
}

/// Sends `raw` and asserts the property; `soap_client_fault` allows GlobalSign's 500s that
/// carry a `soap:Client` fault. The answer, for callers that check more; `None` when the
/// request is not valid HTTP (hyper refuses it before ca-sim sees it).
fn check(sim: &Sim, raw: &RawRequest, soap_client_fault: bool) -> Option<(u16, String)> {
    let request = raw.to_http()?;
    let (status, body) = sim.call(request);
    let client_fault =
        soap_client_fault && status == 500 && body.contains("<faultcode>soap:Client</faultcode>");
    assert!(
        status < 500 || client_fault,
        "{} {} answered {status}: {body}",
        raw.method,
        raw.target
    );
    Some((status, body))
}

/// Each dialect's entry point answers with the status and body it checked, or `None` when
/// the input is not a request on the dialect's paths (the fuzzer then drops it).
///
/// DigiCert CertCentral (`/services/v2/…`, JSON), with the account's `X-DC-DEVKEY` unless the
/// input sends one.
pub fn digicert(sim: &Sim, data: &[u8]) -> Option<(u16, String)> {
    let mut raw = read(data, "/services/v2/")?;
    raw.default_header("X-DC-DEVKEY", DIGICERT_KEY);
    check(sim, &raw, false)
}

/// GlobalSign GCC SOAP (`/kb/ws/v1/…`, XML; the AuthToken is in the body).
pub fn globalsign(sim: &Sim, data: &[u8]) -> Option<(u16, String)> {
    let raw = read(data, "/kb/ws/v1/")?;
    check(sim, &raw, true)
}

/// WoSign (`/api/v1/…`, JSON), signed as a client signs it (account, current timestamp,
/// HMAC over method, path, timestamp and the fuzzed body) unless the input sends its own.
pub fn wosign(sim: &Sim, data: &[u8]) -> Option<(u16, String)> {
    let mut raw = read(data, "/api/v1/")?;
    let path = raw.target.split('?').next().unwrap_or_default().to_string();
    let timestamp = (clock::wall_ms() / 1000).to_string();
    let signature = wosign::signature(WOSIGN_KEY, &raw.method, &path, &timestamp, &raw.body);
    raw.default_header("X-WoSign-AccountId", WOSIGN_ACCOUNT);
    raw.default_header("X-WoSign-Timestamp", &timestamp);
    raw.default_header("X-WoSign-Signature", &signature);
    check(sim, &raw, false)
}
