//! The real `ca-sim` binary: started with `--listen 127.0.0.1:0 --data-dir TMP`, it prints the
//! URL it bound, serves `/admin/health` over TLS with the dev CA in the data dir, and is killed.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Kills and reaps the child however the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_its_url_and_serves_health() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_ca-sim"))
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ca-sim"),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut url = None;
    let mut lines = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("ca-sim printed no 'ready' ({e}); got {lines:?}"));
        if let Some(u) = line.strip_prefix("ca-sim listening on ") {
            url = Some(u.trim().to_string());
        }
        let ready = line == "ready";
        lines.push(line);
        if ready {
            break;
        }
    }
    let url = url.unwrap_or_else(|| panic!("no URL line in {lines:?}"));
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0, "the bound port is printed, not 0");

    let ca = std::fs::read_to_string(dir.path().join("tls").join("ca.pem")).unwrap();
    let client = common::client(&ca);
    let r = client
        .get(format!("{url}/admin/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ok", "{v}");
    assert_eq!(v["baseUrl"], url.as_str());
    assert!(dir.path().join("ca-sim.db").exists());

    // One vendor request, then /metrics describes it (Prometheus text, no vendor auth).
    let me = client
        .get(format!("{url}/services/v2/user/me"))
        .header("X-DC-DEVKEY", "sim-dc-key")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let text = client
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("casim_request_duration_seconds_count{dialect=\"digicert\""),
        "{text}"
    );
    assert!(text.contains("# TYPE casim_orders gauge"), "{text}");

    child.0.kill().unwrap();
    let status = child.0.wait().unwrap();
    assert!(!status.success(), "killed, not exited: {status}");
}
