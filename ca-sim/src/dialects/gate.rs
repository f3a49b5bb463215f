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
    /// The request's method and path (empty until the middleware names them).
    method: String,
    path: String,
}

impl ConnKill {
    /// The kill switch of a connection, for requests not named yet.
    pub fn new(token: CancellationToken) -> Self {
        Self {
            token,
            method: String::new(),
            path: String::new(),
        }
    }

    /// Names the request this copy of the switch travels with, for the history.
    pub fn name_request(&mut self, method: &str, path: &str) {
        self.method = method.to_string();
        self.path = path.to_string();
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
            // No response will carry this request's record out, so it is written here.
            let (method, path) = kill
                .map(|k| (k.method.clone(), k.path.clone()))
                .unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::faults::FaultRule;

    /// A request whose connection a `drop` fault closes is in the history with its method and
    /// path, as every answered request is.
    #[tokio::test]
    async fn dropped_request_keeps_method_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path());
        config.ephemeral = true;
        let rule: FaultRule = serde_json::from_value(serde_json::json!({
            "name": "drop-user", "operation": "user", "action": {"kind": "drop"}
        }))
        .unwrap();
        config.faults = vec![rule];
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let shutdown = tokio_util::sync::CancellationToken::new();
        let handle = crate::serve(listener, config, shutdown.clone())
            .await
            .unwrap();
        let ca = reqwest::Certificate::from_pem_bundle(handle.ca_pem.as_bytes()).unwrap();
        let client = reqwest::Client::builder()
            .tls_certs_only(ca)
            .timeout(std::time::Duration::from_secs(20))
            .no_proxy()
            .build()
            .unwrap();
        let answer = client
            .get(format!("{}/services/v2/user/me", handle.url()))
            .header("X-DC-DEVKEY", "sim-dc-key")
            .send()
            .await;
        assert!(answer.is_err(), "the connection must be dropped");
        let history = handle.app.history.list();
        let entry = history
            .iter()
            .find(|e| e.fault.as_deref() == Some("drop-user"))
            .expect("the dropped request is in the history");
        assert_eq!(entry.code.as_deref(), Some("dropped"));
        assert_eq!(entry.status, 0);
        assert_eq!(entry.method, "GET");
        assert_eq!(entry.path, "/services/v2/user/me");
        shutdown.cancel();
        handle.stopped().await;
    }
}
