//! `scenarios load`: a short self-started run through the CLI (report and JSON consistent, every
//! certificate completed), and a run against a throttling vault (429s counted, still complete).

use crate::common;
use scenarios::load::{self, LoadOptions, PollPolicy};
use scenarios::services::{LocalOptions, LocalServices};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn short_self_started_run_completes_and_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let json_path = dir.path().join("load.json");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_scenarios"))
        .args([
            "load",
            "--clients",
            "8",
            "--certificates",
            "40",
            "--mix",
            "Self:0.4,DigiCert:0.4,Unknown:0.2",
            "--poll",
            "retry-after",
            "--vault-retry-after",
            "100ms",
            "--max-time",
            "60s",
            "--quiet",
            "--json",
        ])
        .arg(&json_path)
        .output()
        .expect("scenarios runs");
    let stdout = common::success_stdout(&out);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(stdout.contains("40 completed"), "{stdout}");
    assert!(stdout.contains("p99.9"), "{stdout}");

    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("json written"))
            .expect("json parses");
    let n = |p: &str| {
        r.pointer(p)
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("{p} missing in {r:#}"))
    };
    let f = |p: &str| {
        r.pointer(p)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("{p} missing in {r:#}"))
    };
    assert_eq!(n("/certificates/started"), 40);
    assert_eq!(n("/certificates/completed"), 40);
    assert_eq!(n("/certificates/failed"), 0);
    assert_eq!(n("/certificates/incomplete"), 0);
    assert_eq!(n("/by_kind/create/count"), 40, "one create per certificate");
    assert!(n("/by_kind/poll/count") >= 40, "at least one poll each");
    assert_eq!(n("/by_kind/get/count"), 40);
    assert_eq!(n("/by_kind/merge/count"), 8, "Unknown is 20 % of 40");
    assert_eq!(n("/by_issuer/Self/completed"), 16);
    assert_eq!(n("/by_issuer/DigiCert/completed"), 16);
    assert_eq!(n("/by_issuer/Unknown/completed"), 8);
    assert_eq!(n("/errors_total"), 0);
    assert_eq!(n("/throttled_429"), 0);
    let kinds: u64 = ["create", "poll", "get", "merge"]
        .iter()
        .map(|k| n(&format!("/by_kind/{k}/count")))
        .sum();
    assert_eq!(n("/requests"), kinds);
    assert!(f("/certificates_per_s") > 0.0 && f("/requests_per_s") > 0.0);
    assert!(f("/elapsed_s") > 0.0);
    for block in [
        "/by_kind/create/latency_ms",
        "/by_kind/poll/latency_ms",
        "/by_kind/get/latency_ms",
        "/by_kind/merge/latency_ms",
        "/time_to_completion_ms",
        "/polls_per_certificate",
    ] {
        let p = |q: &str| f(&format!("{block}/{q}"));
        assert!(p("p50") > 0.0, "{block}");
        assert!(
            p("p50") <= p("p90")
                && p("p90") <= p("p99")
                && p("p99") <= p("p99_9")
                && p("p99_9") <= p("max"),
            "{block} percentiles out of order: {r:#}"
        );
    }
    assert!(f("/polls_per_certificate/mean") >= 1.0);
    assert_eq!(r["config"]["poll"], "retry-after");
    assert_eq!(r["config"]["services"]["self_started"], true);
    assert_eq!(r["config"]["services"]["ca_profile"], "instant");
    assert_eq!(r["config"]["services"]["vault_retry_after_ms"], 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn throttled_vault_429s_are_counted_and_the_run_completes() {
    let services = LocalServices::start(LocalOptions {
        builtin_profile: Some("instant".into()),
        provider_poll_interval: Duration::from_millis(50),
        retry_after: Duration::from_millis(100),
        throttle: Some(vault::http::throttle::Limits {
            creates: 5,
            other: 1000,
        }),
        ..LocalOptions::default()
    })
    .await
    .expect("services start");
    let report = load::run(
        &services.endpoints,
        LoadOptions {
            clients: 4,
            certificates: Some(7),
            duration: None,
            mix: "Self:0.5,DigiCert:0.5".parse().unwrap(),
            poll: PollPolicy::RetryAfter,
            cert_timeout: Duration::from_secs(30),
            max_time: Duration::from_secs(40),
            progress: false,
        },
    )
    .await
    .expect("load runs");
    services.stop().await;
    assert!(report.all_completed(), "{}", report.text());
    assert_eq!(report.certificates.completed, 7);
    assert_eq!(
        report.by_kind["create"].count, 7,
        "429s are not answered creates"
    );
    assert!(
        report.by_kind["create"].throttled >= 2,
        "5 creates per 10 s: the 6th and 7th wait\n{}",
        report.text()
    );
    assert_eq!(report.throttled_429, report.by_kind["create"].throttled);
    assert_eq!(report.errors_total, 0);
    assert!(
        report.elapsed_s >= 5.0,
        "the throttled creates waited their Retry-After"
    );
    assert!(report.text().contains("answered 429"));
}
