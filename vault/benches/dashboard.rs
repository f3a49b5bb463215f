//! The dashboard's certificate list at 10,000 certificates (issue 17): latency of every page
//! of `GET /_admin/certificates` (50 per page, the dashboard's default), of searches by name
//! and by tag, and of the total count, over HTTPS against an in-process vault.
//! `cargo bench -p vault --bench dashboard` (env `BENCH_CERTS`, default 10000).
//!
//! The certificates are written straight through the store (names, policies, one version
//! each, no keys): the list reads only those columns, and filling takes a second.

// The allocator the shipped binaries use (see vault/src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::env_or;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use vault::store::{seal::Sealer, CertRecord, Change, SqliteStore, Store, VersionRecord};

fn fill(dir: &std::path::Path, count: usize) {
    let store = SqliteStore::open(dir, Sealer::load(dir, None).expect("sealer")).expect("store");
    let policy: shared::models::CertificatePolicy = serde_json::from_value(serde_json::json!({
        "key_props": {"kty": "EC", "crv": "P-256"},
        "x509_props": {"subject": "CN=dash"},
        "issuer": {"name": "Self"}
    }))
    .expect("policy");
    let now = 1_700_000_000;
    let mut batch = Vec::new();
    for i in 0..count {
        let name = format!("web-{i:06}");
        let key = name.clone();
        let tags = (i % 10 == 7).then(|| [("team".to_string(), "payments".to_string())].into());
        batch.push(Change::PutCert(CertRecord::with_policy(
            None,
            &key,
            &name,
            policy.clone(),
            now,
        )));
        batch.push(Change::PutVersion {
            version: VersionRecord {
                key,
                version: format!("{i:032x}"),
                seq: 0,
                created: now,
                updated: now,
                enabled: true,
                nbf: None,
                exp: Some(now + 86_400 * 365),
                tags,
                chain: Vec::new(),
                leaf_index: 0,
                content_type: shared::models::ContentType::Pkcs12,
                exportable: true,
                kty: "EC".into(),
                key_ops: Vec::new(),
                preserve_cert_order: false,
            },
            private_key: None,
        });
        if batch.len() >= 4000 {
            store.apply(std::mem::take(&mut batch)).expect("apply");
        }
    }
    store.apply(batch).expect("apply");
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{what}: {} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        percentile(&samples, 1.0)
    );
}

async fn get(client: &reqwest::Client, url: &str) -> (Duration, serde_json::Value) {
    let started = Instant::now();
    let resp = client.get(url).send().await.expect("request");
    assert_eq!(resp.status(), 200, "{url}");
    let body: serde_json::Value = resp.json().await.expect("json");
    (started.elapsed(), body)
}

#[tokio::main]
async fn main() {
    let count = env_or("BENCH_CERTS", 10_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    fill(dir.path(), count);
    println!(
        "filled {count} certificates in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let shutdown = CancellationToken::new();
    let handle = vault::serve(listener, vault::Config::new(dir.path()), shutdown.clone())
        .await
        .expect("serve");
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(handle.ca_pem.as_bytes()).expect("ca")])
        .build()
        .expect("client");
    let base = format!("{}/_admin/certificates", handle.url());
    // Warm-up: one walk's first page.
    get(&client, &base).await;

    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    let mut rows = 0;
    loop {
        let url = match &cursor {
            Some(c) => format!("{base}?cursor={c}"),
            None => base.clone(),
        };
        let (took, body) = get(&client, &url).await;
        pages.push(took);
        rows += body["value"].as_array().map_or(0, Vec::len);
        match body["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(rows, count);
    report("every page (50 rows, with total)", pages);

    let mut by_name = Vec::new();
    // Each `web-00NN` prefix names 100 certificates: search only prefixes that exist, so a
    // smaller BENCH_CERTS still finds something.
    let prefixes = count.div_ceil(100).clamp(1, 100);
    for i in 0..200 {
        let (took, body) = get(&client, &format!("{base}?q=WEB-00{:02}", i % prefixes)).await;
        assert!(body["total"].as_i64().unwrap_or(0) > 0);
        by_name.push(took);
    }
    report("search by name substring (q=web-00NN)", by_name);

    let mut by_tag = Vec::new();
    for _ in 0..100 {
        let (took, body) = get(&client, &format!("{base}?q=payments")).await;
        assert_eq!(body["total"].as_i64(), Some((count / 10) as i64));
        by_tag.push(took);
    }
    report("search by tag value (q=payments, 10 % match)", by_tag);

    let mut by_status = Vec::new();
    for _ in 0..100 {
        let (took, _) = get(&client, &format!("{base}?status=inProgress")).await;
        by_status.push(took);
    }
    report("status filter (status=inProgress, none match)", by_status);

    shutdown.cancel();
    handle.stopped().await;
}
