//! Unit tests that need the whole server in-process (`crate::serve` on a port-0 listener, a
//! real TLS client): what only the accept loop, the route table's middleware and a dialect
//! together do. Kept in a file of their own: a test calling `crate::serve` inside a module
//! `lib.rs` uses would make the two import each other.

use crate::config::Config;
use crate::faults::FaultRule;

/// A request whose connection a `drop` fault closes is in the history with its method and
/// path, as every answered request is, and counted in the metrics under status 0.
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
    // Counted under status 0, as the metric's help says.
    let metrics = handle.app.metrics.render(&handle.app.orders);
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("casim_request_duration_seconds_count{")
                && l.contains("operation=\"user\"")
                && l.contains("status=\"0\"")
                && l.ends_with(" 1")),
        "no dropped request in the metrics:\n{metrics}"
    );
    shutdown.cancel();
    handle.stopped().await;
}
