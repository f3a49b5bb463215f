//! Prints throughput figures through the real HTTPS API (a benchmark, not a test):
//! self-signed creates/s for EC P-256 and RSA 2048 (create → poll until completed), and
//! `GET …/pending` requests/s with concurrent keep-alive clients.
//!
//! Run: `cargo bench -p vault --bench http_throughput` (release build). Knobs via env:
//! `BENCH_EC=2000 BENCH_RSA=100 BENCH_CONCURRENCY=64 BENCH_POLL_SECS=10 BENCH_POLLERS=64`.
//! Client and server share the machine's cores, so the figures are a lower bound.

// The allocator the shipped binaries use (see vault/src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::env_or;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const API: &str = "api-version=7.5";

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let mut config = vault::Config::new(dir.path());
    config.retry_after = Duration::from_millis(10);
    let shutdown = CancellationToken::new();
    let handle = vault::serve(listener, config, shutdown.clone())
        .await
        .expect("vault starts");
    let base = handle.url();
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(handle.ca_pem.as_bytes()).expect("ca pem"),
        )
        .pool_max_idle_per_host(1024)
        .build()
        .expect("client");

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("machine: {cores} cores; client and server in one process");
    let concurrency = env_or("BENCH_CONCURRENCY", 64);
    let ec = env_or("BENCH_EC", 2000);
    let rsa = env_or("BENCH_RSA", 100);
    let rate = creates(
        &client,
        &base,
        "ec",
        ec,
        concurrency,
        r#"{"kty":"EC","crv":"P-256"}"#,
        Duration::from_millis(10),
    )
    .await;
    println!("self-signed EC P-256: {ec} certificates, {rate:.0} creates/s (create -> completed)");
    let rate = creates(
        &client,
        &base,
        "rsa",
        rsa,
        concurrency,
        r#"{"kty":"RSA","key_size":2048}"#,
        // An RSA key takes ~70 ms: polling every 10 ms would only steal the cores from it.
        Duration::from_millis(100),
    )
    .await;
    println!("self-signed RSA 2048: {rsa} certificates, {rate:.1} creates/s (create -> completed)");
    let raw = raw_rsa_keygen_rate(cores, Duration::from_secs(5));
    println!(
        "raw RSA 2048 key generation (aws-lc-rs, {cores} threads): {raw:.1} keys/s; vault reaches {:.0}% of it",
        100.0 * rate / raw
    );

    // A pending operation that stays inProgress (issuer Unknown) is the polling target.
    let body = r#"{"policy":{"key_props":{"kty":"EC"},"x509_props":{"subject":"CN=poll"},"issuer":{"name":"Unknown"}}}"#;
    let resp = client
        .post(format!("{base}/certificates/poll-target/create?{API}"))
        .bearer_auth("bench")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("create poll target");
    assert_eq!(resp.status().as_u16(), 202);
    let pollers = env_or("BENCH_POLLERS", 64);
    let secs = env_or("BENCH_POLL_SECS", 10);
    let (rps, p99) = poll_rate(&client, &base, pollers, Duration::from_secs(secs as u64)).await;
    println!("GET .../pending: {pollers} keep-alive clients for {secs}s: {rps:.0} requests/s, p99 {p99:.2} ms");

    shutdown.cancel();
    handle.stopped().await;
}

/// Keys per second the crypto library makes on `threads` threads, nothing else running.
fn raw_rsa_keygen_rate(threads: usize, duration: Duration) -> f64 {
    let deadline = Instant::now() + duration;
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    shared::crypto::PrivateKey::generate(shared::crypto::KeySpec::Rsa {
                        bits: 2048,
                    })
                    .expect("rsa keygen");
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles
        .into_iter()
        .map(|h| h.join().expect("keygen thread"))
        .sum();
    total as f64 / duration.as_secs_f64()
}

async fn creates(
    client: &reqwest::Client,
    base: &str,
    prefix: &str,
    count: usize,
    concurrency: usize,
    key_props: &str,
    poll_every: Duration,
) -> f64 {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.min(count) {
        let (client, base, next) = (client.clone(), base.to_string(), next.clone());
        let body = format!(
            r#"{{"policy":{{"key_props":{key_props},"x509_props":{{"subject":"CN=bench"}},"issuer":{{"name":"Self"}}}}}}"#
        );
        let prefix = prefix.to_string();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if i >= count {
                    break;
                }
                let name = format!("{prefix}-{i}");
                let resp = client
                    .post(format!("{base}/certificates/{name}/create?{API}"))
                    .bearer_auth("bench")
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("create");
                assert_eq!(resp.status().as_u16(), 202, "create {name}");
                loop {
                    let op: serde_json::Value = client
                        .get(format!("{base}/certificates/{name}/pending?{API}"))
                        .bearer_auth("bench")
                        .send()
                        .await
                        .expect("poll")
                        .json()
                        .await
                        .expect("operation json");
                    match op["status"].as_str() {
                        Some("completed") => break,
                        Some("inProgress") => tokio::time::sleep(poll_every).await,
                        other => panic!("operation of {name} ended as {other:?}: {op}"),
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("worker");
    }
    count as f64 / started.elapsed().as_secs_f64()
}

async fn poll_rate(
    client: &reqwest::Client,
    base: &str,
    pollers: usize,
    duration: Duration,
) -> (f64, f64) {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for _ in 0..pollers {
        let (client, url) = (
            client.clone(),
            format!("{base}/certificates/poll-target/pending?{API}"),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let resp = client
                    .get(&url)
                    .bearer_auth("bench")
                    .send()
                    .await
                    .expect("poll");
                assert_eq!(resp.status().as_u16(), 200);
                let _ = resp.bytes().await.expect("body");
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("poller"));
    }
    all.sort_by(|a, b| a.total_cmp(b));
    let p99 = all
        .get((all.len() as f64 * 0.99) as usize)
        .copied()
        .unwrap_or(0.0);
    (all.len() as f64 / duration.as_secs_f64(), p99)
}
