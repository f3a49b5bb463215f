//! 100,000 stored certificates: list-page latency (p50/p99 over every page of
//! `GET /certificates`), resident memory, and restart-to-ready time.
//! `cargo bench -p vault --bench scale` (env `BENCH_CERTS`, default 100000).
//!
//! The certificates are real (EC P-256 keys, self-signed X.509) but are written straight
//! through the store in large batches, which is what makes filling 100,000 take seconds.

// The allocator the shipped binaries use (see vault/src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::env_or;
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{ContentType, CurveName};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use vault::store::{seal::Sealer, CertRecord, Change, SqliteStore, Store, VersionRecord};

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn fill(dir: &std::path::Path, count: usize) {
    let store = SqliteStore::open(dir, Sealer::load(dir, None).expect("sealer")).expect("store");
    let policy: shared::models::CertificatePolicy = serde_json::from_value(serde_json::json!({
        "key_props": {"exportable": true, "kty": "EC", "key_size": 256, "reuse_key": false, "crv": "P-256"},
        "secret_props": {"contentType": "application/x-pkcs12"},
        "x509_props": {"subject": "CN=scale", "ekus": ["1.3.6.1.5.5.7.3.1"], "key_usage": ["digitalSignature"], "validity_months": 12},
        "lifetime_actions": [{"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "EmailContacts"}}],
        "issuer": {"name": "Self"}
    }))
    .expect("policy");
    let now = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    let mut batch = Vec::new();
    for i in 0..count {
        let key = PrivateKey::generate(KeySpec::Ec {
            curve: CurveName::P256,
        })
        .expect("key");
        let profile = CertProfile {
            subject: format!("CN=scale-{i}.example"),
            sans: Default::default(),
            ekus: vec!["1.3.6.1.5.5.7.3.1".into()],
            key_usage: vec![],
            not_before: now,
            not_after: now + time::Duration::days(365),
            is_ca: false,
            path_len: None,
        };
        let der = crypto::self_signed(&key, &profile).expect("cert");
        let name = format!("scale-{i:06}");
        let t = now.unix_timestamp();
        batch.push(Change::PutCert(CertRecord {
            key: name.clone(),
            name: name.clone(),
            policy: policy.clone(),
            policy_created: t,
            policy_updated: t,
            deleted: None,
        }));
        batch.push(Change::PutVersion {
            version: VersionRecord {
                key: name,
                version: format!("{i:032x}"),
                seq: 0,
                created: t,
                updated: t,
                enabled: true,
                nbf: Some(t),
                exp: Some(t + 365 * 86_400),
                tags: None,
                chain: vec![der],
                leaf_index: 0,
                content_type: ContentType::Pkcs12,
                exportable: true,
                kty: "EC".into(),
                key_ops: vec![],
                preserve_cert_order: false,
            },
            private_key: Some(key),
        });
        if batch.len() >= 2000 {
            store.apply(std::mem::take(&mut batch)).expect("apply");
        }
    }
    store.apply(batch).expect("apply");
    println!(
        "filled {count} certificates in {:.1}s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let count = env_or("BENCH_CERTS", 100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || fill(&path, count))
        .await
        .expect("fill");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let token = CancellationToken::new();
    let started = Instant::now();
    let handle = vault::serve(listener, vault::Config::new(dir.path()), token.clone())
        .await
        .expect("vault starts");
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(handle.ca_pem.as_bytes()).expect("pem")])
        .build()
        .expect("client");
    let health = format!("{}/_admin/health", handle.url());
    while !client
        .get(&health)
        .send()
        .await
        .is_ok_and(|r| r.status().as_u16() == 200)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!(
        "start to ready with {count} certificates: {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    // Walk every page of the list, as a client following nextLink does.
    let mut url = Some(format!(
        "{}/certificates?api-version=7.5&maxresults=25",
        handle.url()
    ));
    let mut latencies = Vec::new();
    let mut seen = 0usize;
    while let Some(u) = url {
        let t = Instant::now();
        let page: serde_json::Value = client
            .get(&u)
            .bearer_auth("b")
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        seen += page["value"].as_array().map_or(0, Vec::len);
        url = page["nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(seen, count, "every certificate listed once");
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "list pages: {} pages, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        pct(0.5),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
    println!(
        "resident memory after listing everything: {:.0} MiB (client and server in one process)",
        rss_mib()
    );
    token.cancel();
    handle.stopped().await;

    // Restart on the same data dir: the time until /_admin/health answers 200.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let token = CancellationToken::new();
    let started = Instant::now();
    let handle = vault::serve(listener, vault::Config::new(dir.path()), token.clone())
        .await
        .expect("vault restarts");
    let health = format!("{}/_admin/health", handle.url());
    while !client
        .get(&health)
        .send()
        .await
        .is_ok_and(|r| r.status().as_u16() == 200)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    println!(
        "restart to ready with {count} certificates: {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    token.cancel();
    handle.stopped().await;
}
