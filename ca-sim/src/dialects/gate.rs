//! The fault gate every dialect request passes, once before the operation acts and once after
//! ([`gate`], asked with the phase in `Facts`): delays are served and dropped connections
//! closed here; every other fired action goes back to the dialect contract, which renders it in
//! the vendor's shape or hands it to the operation (order outcomes, chains).

use crate::app::App;
use crate::domain::FaultAction;
use crate::faults::{Facts, Fired};
use crate::history::{Entry, ReqMeta};
use tokio_util::sync::CancellationToken;

/// Closes the current connection without a response (the `drop` fault). The accept loop puts
/// one per connection into the request extensions; the history middleware
/// (`routes::record`) names the request on each request's copy, so that a dropped request is
/// recorded with its method and path like any other.
#[derive(Clone)]
pub struct ConnKill {
    token: CancellationToken,
    /// The request's method and path (empty until the middleware names them), and when it
    /// arrived (for the latency metric of a dropped request).
    method: String,
    path: String,
    arrived: std::time::Instant,
}

impl ConnKill {
    /// The kill switch of a connection, for requests not named yet.
    pub fn new(token: CancellationToken) -> Self {
        Self {
            token,
            method: String::new(),
            path: String::new(),
            arrived: std::time::Instant::now(),
        }
    }

    /// Names the request this copy of the switch travels with, for the history.
    pub fn name_request(&mut self, method: &str, path: &str) {
        self.method = method.to_string();
        self.path = path.to_string();
        self.arrived = std::time::Instant::now();
    }
}

/// Runs the fault rules of one phase for a request. Delays are served here (then `None`); a
/// dropped connection never returns. Anything else is returned for the dialect to render.
pub async fn gate(
    app: &App,
    facts: Facts<'_>,
    kill: Option<&ConnKill>,
    meta: &mut ReqMeta,
) -> Option<Fired> {
    let fired = app.faults.evaluate(facts)?;
    meta.fault = Some(fired.rule.clone());
    meta.fault_phase = Some(fired.phase);
    match &fired.action {
        FaultAction::Delay { ms } => {
            tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
            None
        }
        FaultAction::Drop => {
            // No response will carry this request's record out, so the history entry, the
            // log line and the metric (status 0) are written here.
            let (method, path) = kill
                .map(|k| (k.method.clone(), k.path.clone()))
                .unwrap_or_default();
            let latency = kill.map(|k| k.arrived.elapsed()).unwrap_or_default();
            tracing::info!(
                dialect = %meta.dialect,
                op = meta.operation,
                fault = %fired.rule,
                duration_ms = latency.as_secs_f64() * 1000.0,
                "request dropped by a fault"
            );
            app.metrics
                .request(meta.dialect.as_str(), meta.operation, 0, latency);
            let mut e = Entry::new(app.clock.now_ms(), meta, method, path, 0, 0.0);
            e.code = Some("dropped".into());
            app.history.push(e);
            if let Some(k) = kill {
                k.token.cancel();
            }
            std::future::pending::<()>().await;
            None
        }
        _ => Some(fired),
    }
}
