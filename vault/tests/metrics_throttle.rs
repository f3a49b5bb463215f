//! Load-test behaviours over real HTTPS: the throttling emulation (429 + Retry-After + Key
//! Vault's body, refused requests not counted) and the Prometheus `/metrics` endpoint.

use crate::common::Served;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

async fn start(
    throttle: Option<vault::http::throttle::Limits>,
) -> (
    vault::Handle,
    CancellationToken,
    reqwest::Client,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = vault::Config::new(dir.path());
    config.throttle = throttle;
    let Served {
        handle,
        shutdown,
        client,
    } = Served::start(config).await;
    (handle, shutdown, client, dir)
}

/// `GET {base}{path}` with a bearer token (any token passes in dev mode).
async fn get(client: &reqwest::Client, base: &str, path: &str) -> reqwest::Response {
    let url = format!("{base}{path}");
    client.get(url).bearer_auth("t").send().await.unwrap()
}

/// The text of `GET {base}/metrics`.
async fn metrics(client: &reqwest::Client, base: &str) -> String {
    let resp = client.get(format!("{base}/metrics")).send().await.unwrap();
    resp.text().await.unwrap()
}

const POLICY: &str = r#"{"policy":{"key_props":{"kty":"EC"},"x509_props":{"subject":"CN=t"},"issuer":{"name":"Self"}}}"#;

async fn create(client: &reqwest::Client, base: &str, name: &str) -> reqwest::Response {
    client
        .post(format!("{base}/certificates/{name}/create?api-version=7.5"))
        .bearer_auth("t")
        .header("content-type", "application/json")
        .body(POLICY)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn over_budget_requests_get_429_with_retry_after_and_are_not_counted() {
    let limits = vault::http::throttle::Limits {
        creates: 2,
        other: 1000,
    };
    let (handle, token, client, _dir) = start(Some(limits)).await;
    let base = handle.url();
    assert_eq!(create(&client, &base, "a").await.status(), 202);
    assert_eq!(create(&client, &base, "b").await.status(), 202);
    let refused = create(&client, &base, "c").await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    assert!(refused.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "Throttled");
    // The refused create did nothing.
    let missing = get(&client, &base, "/certificates/c/pending?api-version=7.5").await;
    assert_eq!(missing.status(), 404);
    // Other operations have their own budget.
    let other = get(&client, &base, "/certificates?api-version=7.5").await;
    assert_eq!(other.status(), 200);
    // One refusal, counted once.
    let metrics = metrics(&client, &base).await;
    assert!(
        metrics.contains("vault_throttled_requests_total 1\n"),
        "{metrics}"
    );
    token.cancel();
    handle.stopped().await;
}

#[tokio::test]
async fn throttling_is_off_by_default_and_metrics_describe_the_traffic() {
    let (handle, token, client, _dir) = start(None).await;
    let base = handle.url();
    for i in 0..25 {
        assert_eq!(create(&client, &base, &format!("m{i}")).await.status(), 202);
    }
    // Wait until the worker completed them (no fixed sleeps: poll with a deadline).
    let started = std::time::Instant::now();
    loop {
        let pending = get(&client, &base, "/certificates/m24/pending?api-version=7.5").await;
        let op: serde_json::Value = pending.json().await.unwrap();
        if op["status"] == "completed" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{op}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let text = metrics(&client, &base).await;
    assert!(
        text.contains(
            "vault_http_request_duration_seconds_count{route=\"/certificates/{name}/create\",method=\"POST\",status=\"202\"} 25"
        ),
        "{text}"
    );
    assert!(text.contains("route=\"/certificates/{name}/pending\",method=\"GET\",status=\"200\""));
    assert!(text.contains("vault_key_generation_duration_seconds_count{key=\"EC P-256\"}"));
    assert!(text.contains("vault_operations{status=\"completed\"}"));
    assert!(text.contains("vault_worker_queue_depth "));
    assert!(text.contains("vault_throttled_requests_total 0"));
    token.cancel();
    handle.stopped().await;
}
