//! The vendor dialects behind one route table, and what they share: the request-history
//! middleware, the fault gate (delays and dropped connections happen here; everything else is
//! rendered by the dialect in its own error shape) and the rate limiter.

// Handlers return `Result<_, Response>` for early vendor-shaped answers; boxing them buys
// nothing on this path.
#![allow(clippy::result_large_err)]

pub mod digicert;
pub mod globalsign;
pub mod globalsign_wsdl;
pub mod wosign;
pub mod xml;

use crate::config::{Dialect, RateWindow};
use crate::faults::{Facts, FaultAction, Fired};
use crate::orders::clock::rfc3339;
use crate::App;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// The whole route table: dialects at their vendors' paths, admin under `/admin/`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .merge(digicert::router())
        .merge(globalsign::router())
        .merge(wosign::router())
        .merge(crate::admin::router())
        .layer(axum::middleware::from_fn_with_state(app.clone(), record))
        .with_state(app)
}

/// Closes the current connection without a response (the `drop` fault).
#[derive(Clone)]
pub struct ConnKill(pub CancellationToken);

/// What a dialect handler says about a request, for the history (response extension).
#[derive(Debug, Clone)]
pub struct ReqMeta {
    pub dialect: Dialect,
    pub operation: &'static str,
    pub account: Option<String>,
    pub order_id: Option<String>,
    /// Vendor error code, if the answer was an error.
    pub code: Option<String>,
    pub fault: Option<String>,
}

impl ReqMeta {
    pub fn new(dialect: Dialect, operation: &'static str) -> Self {
        Self {
            dialect,
            operation,
            account: None,
            order_id: None,
            code: None,
            fault: None,
        }
    }
}

/// One history entry (`/admin/requests`).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: u64,
    pub at: String,
    pub dialect: Dialect,
    pub operation: &'static str,
    pub account: Option<String>,
    pub order_id: Option<String>,
    pub method: String,
    pub path: String,
    /// HTTP status; 0 when the connection was dropped.
    pub status: u16,
    pub code: Option<String>,
    pub fault: Option<String>,
    pub latency_ms: f64,
}

/// Request history, newest last, capped.
#[derive(Default)]
pub struct History {
    inner: Mutex<(u64, VecDeque<Entry>)>,
}

const HISTORY_CAP: usize = 10_000;

impl History {
    pub fn push(&self, mut e: Entry) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0 += 1;
        e.seq = g.0;
        if g.1.len() >= HISTORY_CAP {
            g.1.pop_front();
        }
        g.1.push_back(e);
    }

    pub fn list(&self) -> Vec<Entry> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .iter()
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clear();
    }
}

async fn record(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let resp = next.run(req).await;
    if let Some(meta) = resp.extensions().get::<ReqMeta>() {
        let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            dialect = %meta.dialect,
            op = meta.operation,
            status = resp.status().as_u16(),
            code = meta.code.as_deref().unwrap_or(""),
            fault = meta.fault.as_deref().unwrap_or(""),
            duration_ms = latency_ms,
            "request"
        );
        app.metrics.request(
            meta.dialect.as_str(),
            meta.operation,
            resp.status().as_u16(),
            start.elapsed(),
        );
        app.history.push(entry(
            &app,
            meta,
            method,
            path,
            resp.status().as_u16(),
            latency_ms,
        ));
    }
    resp
}

fn entry(
    app: &App,
    meta: &ReqMeta,
    method: String,
    path: String,
    status: u16,
    latency_ms: f64,
) -> Entry {
    Entry {
        seq: 0,
        at: rfc3339(app.clock.now_ms()),
        dialect: meta.dialect,
        operation: meta.operation,
        account: meta.account.clone(),
        order_id: meta.order_id.clone(),
        method,
        path,
        status,
        code: meta.code.clone(),
        fault: meta.fault.clone(),
        latency_ms,
    }
}

/// Runs the fault rules for a request. Delays are served here (then `None`); a dropped
/// connection never returns. Anything else is returned for the dialect to render.
pub async fn gate(
    app: &App,
    facts: Facts<'_>,
    kill: Option<&ConnKill>,
    meta: &mut ReqMeta,
) -> Option<Fired> {
    let fired = app.faults.evaluate(facts)?;
    meta.fault = Some(fired.rule.clone());
    match &fired.action {
        FaultAction::Delay { ms } => {
            tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
            None
        }
        FaultAction::Drop => {
            let mut e = entry(app, meta, String::new(), String::new(), 0, 0.0);
            e.code = Some("dropped".into());
            app.history.push(e);
            if let Some(k) = kill {
                k.0.cancel();
            }
            std::future::pending::<()>().await;
            None
        }
        _ => Some(fired),
    }
}

/// Rolling-window rate limits per key (real time).
pub struct RateLimiter {
    windows: Vec<RateWindow>,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(windows: Vec<RateWindow>) -> Self {
        Self {
            windows,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request for `key`; `Err(seconds until a slot frees)` when over a limit (the
    /// refused request is not counted).
    pub fn check(&self, key: &str) -> Result<(), f64> {
        if self.windows.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        let longest = self
            .windows
            .iter()
            .map(|w| w.seconds)
            .fold(0.0_f64, f64::max);
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let q = hits.entry(key.to_string()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t).as_secs_f64() > longest)
        {
            q.pop_front();
        }
        for w in &self.windows {
            let inside: Vec<&Instant> = q
                .iter()
                .filter(|t| now.duration_since(**t).as_secs_f64() <= w.seconds)
                .collect();
            if inside.len() >= w.requests as usize {
                let oldest = inside
                    .first()
                    .map(|t| now.duration_since(**t).as_secs_f64());
                return Err((w.seconds - oldest.unwrap_or(0.0)).max(0.0));
            }
        }
        q.push_back(now);
        Ok(())
    }
}

/// The Host the client used (for WSDL addresses), else the configured base URL.
pub fn base_from_headers(app: &App, headers: &http::HeaderMap) -> String {
    headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
        .map(|h| format!("https://{h}"))
        .unwrap_or_else(|| app.base_url.clone())
}
