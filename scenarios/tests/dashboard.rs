//! The dashboards from the CLI: `demo --ui --pace` prints both URLs before the first chapter,
//! paces the chapters and completes; bad `--pace` values are refused with a clear message;
//! `up` prints both URLs, and both pages answer.

use crate::common::{self, url_after};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn scenarios() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_scenarios"));
    c.stdin(Stdio::null()).kill_on_drop(true);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_ui_paced_prints_both_urls_and_completes() {
    let out = tokio::time::timeout(
        Duration::from_secs(180),
        scenarios()
            .args(["demo", "--ui", "--pace", "10ms"])
            .output(),
    )
    .await
    .expect("the paced demo ends within 3 minutes")
    .expect("scenarios runs");
    let stdout = common::success_stdout(&out);
    common::dashboard_urls(&stdout);
    let pos = |needle: &str| {
        stdout
            .find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in\n{stdout}"))
    };
    // The URLs come first, then a pause before every chapter, then one before stopping.
    assert!(pos("vault dashboard") < pos("Next: chapter 1/"));
    assert!(pos("Next: chapter 1/") < pos("━━ 1/"));
    let chapters = scenarios::demo::SHOWCASE.len();
    assert!(pos("━━ 1/") < pos(&format!("Next: chapter {chapters}/{chapters}")));
    assert_eq!(
        stdout.matches("⏸  Next: chapter").count(),
        chapters,
        "{stdout}"
    );
    assert!(pos("Next: stop the services in 10ms") > pos(&format!("━━ {chapters}/")));
    assert!(stdout.contains("Everything passed"), "{stdout}");
}

#[tokio::test]
async fn bad_pace_values_are_refused_clearly() {
    for (value, says) in [
        ("3x", "unknown unit 'x'"),
        ("soon", "'soon' is not a duration"),
    ] {
        let out = scenarios()
            .args(["demo", "--pace", value])
            .output()
            .await
            .expect("scenarios runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {stderr}");
        for needle in ["--pace", says, "250ms", "5s", "2m"] {
            assert!(
                stderr.contains(needle),
                "{value}: no {needle:?} in {stderr}"
            );
        }
        assert!(out.stdout.is_empty(), "nothing started for {value}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_prints_both_dashboard_urls_and_they_answer() {
    let mut child = scenarios()
        .args(["up", "--profile", "instant"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("scenarios up starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout piped")).lines();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Up to the line after the dashboards (the banner's CA note): both URLs are in by then.
    while !seen.contains("browsers warn") {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, lines.next_line()).await {
            Ok(Ok(Some(line))) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            other => panic!("up ended or stalled ({other:?}) after:\n{seen}"),
        }
    }
    let (vault, ca_sim) = common::dashboard_urls(&seen);
    let vault_ca = url_after(&seen, "CA file").unwrap_or_else(|| panic!("{seen}"));
    let ca_sim_ca = url_after(&seen, "(its CA file:")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{seen}"));

    for (url, ca) in [(vault, vault_ca), (ca_sim, ca_sim_ca)] {
        let pem = std::fs::read(ca).unwrap_or_else(|e| panic!("{ca}: {e}"));
        let client = reqwest::Client::builder()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).expect("CA PEM"))
            .no_proxy()
            .build()
            .expect("client");
        let r = client
            .get(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(r.status(), 200, "{url}");
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(ct.starts_with("text/html"), "{url}: {ct}");
    }

    // Ctrl-C stops it cleanly.
    let pid = child.id().expect("still running");
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("up stops within 30 s of Ctrl-C")
        .expect("wait");
    assert!(status.success(), "{status:?}");
}
