//! ACME chaos and rate limits against an in-process vault (`acme::chaos`): everything off by
//! default; each knob provably acting, through raw HTTP (status, problem type, headers) and
//! the `instant-acme` client; seeded decisions replaying; a dropped connection seen by the
//! client as a connection error; Let's Encrypt-shaped limits freed by `/_admin/clock`.

use crate::acme_support::{
    self, account, issue, ready_http01, retries, try_account, Options, Server,
};
use instant_acme::{ChallengeType, Identifier, NewOrder, OrderStatus, RetryPolicy};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// `PUT /_admin/acme/chaos`: the status and the body answered.
async fn try_put_chaos(server: &Server, doc: &Value) -> (u16, Value) {
    let resp = server
        .http
        .put(format!("{}/_admin/acme/chaos", server.base()))
        .json(doc)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// `PUT /_admin/acme/chaos`, which must be accepted; the effective document answered.
async fn put_chaos(server: &Server, doc: Value) -> Value {
    let (status, effective) = try_put_chaos(server, &doc).await;
    assert_eq!(status, 200, "PUT chaos {doc}");
    effective
}

/// `GET /_admin/acme/chaos`: the document in force.
async fn get_chaos(server: &Server) -> Value {
    let (status, doc) = server.get_json("/_admin/acme/chaos").await;
    assert_eq!(status, 200);
    doc
}

fn dns(name: &str) -> Identifier {
    Identifier::Dns(name.to_string())
}

/// The problem type's short name of an `instant-acme` error (panics on anything else).
fn problem(err: instant_acme::Error) -> (String, Option<u16>, String) {
    match err {
        instant_acme::Error::Api(p) => (
            p.r#type
                .unwrap_or_default()
                .trim_start_matches("urn:ietf:params:acme:error:")
                .to_string(),
            p.status,
            p.detail.unwrap_or_default(),
        ),
        other => panic!("expected an ACME problem, got {other:?}"),
    }
}

/// `POST {path}` with the body `{}` (no JWS), read as [`raw_problem`].
async fn post_raw(server: &Server, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let resp = server
        .http
        .post(format!("{}{path}", server.base()))
        .header("content-type", "application/jose+json")
        .body("{}")
        .send()
        .await
        .unwrap();
    raw_problem(resp).await
}

/// The status of `GET /acme/directory`.
async fn directory_status(server: &Server) -> u16 {
    let resp = server.http.get(server.directory()).send().await.unwrap();
    resp.status().as_u16()
}

/// A problem answer read raw: status, `type` short name, headers.
async fn raw_problem(resp: reqwest::Response) -> (u16, String, reqwest::header::HeaderMap) {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    assert_eq!(
        headers["content-type"], "application/problem+json",
        "status {status}"
    );
    let body: Value = resp.json().await.unwrap();
    let kind = body["type"]
        .as_str()
        .unwrap()
        .trim_start_matches("urn:ietf:params:acme:error:")
        .to_string();
    (status, kind, headers)
}

/// Off unless asked: the admin document says so, and a whole order cycle and a burst of
/// directory and nonce requests meet no fault.
#[tokio::test]
async fn everything_is_off_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let doc = get_chaos(&server).await;
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["seed"], "only the seed is shown: {doc}");

    for _ in 0..50 {
        assert_eq!(directory_status(&server).await, 200);
        let n = server
            .http
            .head(format!("{}/acme/new-nonce", server.base()))
            .send()
            .await
            .unwrap();
        assert_eq!(n.status(), 200);
    }
    let account = account(&server).await;
    for i in 0..3 {
        let issued = issue(
            &account,
            &[&format!("www{i}.example.test")],
            Options::default(),
        )
        .await;
        assert!(issued.pem.starts_with("-----BEGIN CERTIFICATE-----"));
    }
    server.stop().await;
}

/// 5xx on one endpoint: a `serverInternal` problem with the configured status (503 with
/// `Retry-After`) and a fresh nonce, before the request is even authenticated; the client
/// sees the problem; other endpoints are untouched; `{}` switches it off again.
#[tokio::test]
async fn server_errors_on_one_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let account = account(&server).await;
    put_chaos(
        &server,
        json!({"endpoints": {"newOrder": {"server_error": 1.0}}}),
    )
    .await;

    let (status, kind, headers) = post_raw(&server, "/acme/new-order").await;
    assert_eq!((status, kind.as_str()), (500, "serverInternal"));
    assert!(headers.contains_key("replay-nonce"));
    assert!(!headers.contains_key("retry-after"));

    let err = account
        .new_order(&NewOrder::new(&[dns("a.example.test")]))
        .await
        .err()
        .unwrap();
    let (kind, status, detail) = problem(err);
    assert_eq!((kind.as_str(), status), ("serverInternal", Some(500)));
    assert!(detail.contains("chaos"), "{detail}");
    // The directory and the account endpoints still answer.
    assert_eq!(directory_status(&server).await, 200);

    put_chaos(
        &server,
        json!({"endpoints": {"newOrder": {"server_error": 1.0, "status": 503, "retry_after": "17s"}}}),
    )
    .await;
    let (status, kind, headers) = post_raw(&server, "/acme/new-order").await;
    assert_eq!((status, kind.as_str()), (503, "serverInternal"));
    assert_eq!(headers["retry-after"], "17");

    put_chaos(&server, json!({})).await;
    issue(&account, &["a.example.test"], Options::default()).await;
    server.stop().await;
}

/// 429 `rateLimited` with `Retry-After` on the endpoint named, here a POST-as-GET of an
/// order, and on every endpoint through `"*"`.
#[tokio::test]
async fn rate_limited_carries_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    put_chaos(
        &server,
        json!({"endpoints": {"order": {"rate_limited": 1.0, "retry_after": "42s"}}}),
    )
    .await;
    let (status, kind, headers) = post_raw(&server, "/acme/order/anything").await;
    assert_eq!((status, kind.as_str()), (429, "rateLimited"));
    assert_eq!(headers["retry-after"], "42");
    assert!(headers.contains_key("replay-nonce"));

    put_chaos(&server, json!({"endpoints": {"*": {"rate_limited": 1.0}}})).await;
    let resp = server.http.get(server.directory()).send().await.unwrap();
    let (status, _, headers) = raw_problem(resp).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "5", "the default Retry-After");
    // The admin API is never perturbed.
    assert_eq!(
        get_chaos(&server).await["endpoints"]["*"]["rate_limited"],
        1.0
    );
    server.stop().await;
}

/// The statuses of `n` directory requests, one after the other.
async fn directory_statuses(server: &Server, n: usize) -> Vec<u16> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(directory_status(server).await);
    }
    out
}

/// Rate 0.5 with a seed: the same decisions on two runs (the second run puts the same
/// document again, which restarts the sequence, and on another vault process too), a mix of
/// both outcomes, and another seed decides otherwise.
#[tokio::test]
async fn a_seed_replays_the_same_decisions() {
    let doc = json!({"seed": 20261206, "endpoints": {"directory": {"server_error": 0.5}}});
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let shown = put_chaos(&server, doc.clone()).await;
    assert_eq!(shown["seed"], 20261206);
    let first = directory_statuses(&server, 40).await;
    put_chaos(&server, doc.clone()).await;
    let second = directory_statuses(&server, 40).await;
    assert_eq!(first, second);
    let errors = first.iter().filter(|s| **s == 500).count();
    assert!(
        (8..=32).contains(&errors),
        "{errors} of 40 failed: {first:?}"
    );
    assert!(first.iter().all(|s| *s == 200 || *s == 500));

    let mut other = doc.clone();
    other["seed"] = json!(7);
    put_chaos(&server, other).await;
    assert_ne!(directory_statuses(&server, 40).await, first);
    server.stop().await;

    // The same document given at start (`--acme-chaos`) to a fresh process.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), |c| {
        c.acme.validation = vault::config::AcmeValidation::AlwaysValid;
        c.acme.chaos = Some(doc.clone());
    })
    .await;
    assert_eq!(get_chaos(&server).await["seed"], 20261206);
    assert_eq!(directory_statuses(&server, 40).await, first);
    server.stop().await;
}

/// `drop`: the connection is closed without an answer; the client sees a connection error
/// (HTTP/1.1 and HTTP/2 alike), and the server keeps serving new connections.
#[tokio::test]
async fn drop_closes_the_connection_unanswered() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    put_chaos(&server, json!({"endpoints": {"directory": {"drop": 1.0}}})).await;

    let ca = reqwest::Certificate::from_pem(server.handle.ca_pem.as_bytes()).unwrap();
    let h1 = reqwest::Client::builder()
        .add_root_certificate(ca.clone())
        .http1_only()
        .build()
        .unwrap();
    let h2 = reqwest::Client::builder()
        .add_root_certificate(ca)
        .http2_prior_knowledge()
        .build()
        .unwrap();
    for (name, client) in [("http/1.1", &h1), ("h2", &h2)] {
        let started = Instant::now();
        let err = client
            .get(server.directory())
            .send()
            .await
            .expect_err("a dropped connection has no response");
        assert!(err.status().is_none(), "{name}: {err:?}");
        assert!(err.is_request() || err.is_connect(), "{name}: {err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{name}: closed at once"
        );
        // Other endpoints on a new connection still answer.
        let nonce = client
            .head(format!("{}/acme/new-nonce", server.base()))
            .send()
            .await
            .unwrap();
        assert_eq!(nonce.status(), 200, "{name}");
    }

    // instant-acme, whose first request is the directory, fails with an HTTP error.
    let err = try_account(&server, &[], None).await.err().unwrap();
    assert!(
        !matches!(err, instant_acme::Error::Api(_)),
        "a transport error, not a problem: {err:?}"
    );

    put_chaos(&server, json!({})).await;
    assert_eq!(
        h1.get(server.directory()).send().await.unwrap().status(),
        200
    );
    server.stop().await;
}

/// `bad_nonce_rate` 1: every JWS request is refused `badNonce` (with a fresh nonce), so the
/// client's own retries run out; requests without a nonce are untouched.
#[tokio::test]
async fn bad_nonces() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    put_chaos(&server, json!({"bad_nonce_rate": 1.0})).await;

    let (status, kind, headers) = post_raw(&server, "/acme/new-account").await;
    assert_eq!((status, kind.as_str()), (400, "badNonce"));
    assert!(headers.contains_key("replay-nonce"));
    assert_eq!(directory_status(&server).await, 200);

    let err = try_account(&server, &[], None).await.err().unwrap();
    assert_eq!(problem(err).0, "badNonce");

    put_chaos(&server, json!({"bad_nonce_rate": 0})).await;
    account(&server).await;
    server.stop().await;
}

/// Orders per account (LE: 300 per 3 h, here 2): the third is `rateLimited`, another account
/// is not, and moving the vault clock past the window frees the account.
#[tokio::test]
async fn orders_per_account_freed_by_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let shown = put_chaos(
        &server,
        json!({"limits": {"orders_per_account": {"count": 2}}}),
    )
    .await;
    assert_eq!(
        shown["limits"]["orders_per_account"],
        json!({"count": 2, "window": "3h"})
    );
    let first = account(&server).await;
    let ids = [dns("limited.example.test")];
    for _ in 0..2 {
        first.new_order(&NewOrder::new(&ids)).await.unwrap();
    }
    let err = first.new_order(&NewOrder::new(&ids)).await.err().unwrap();
    let (kind, status, detail) = problem(err);
    assert_eq!((kind.as_str(), status), ("rateLimited", Some(429)));
    assert!(detail.contains("retry after"), "{detail}");

    let second = account(&server).await;
    second.new_order(&NewOrder::new(&ids)).await.unwrap();

    server.advance_clock(3 * 3600).await;
    first.new_order(&NewOrder::new(&ids)).await.unwrap();
    server.stop().await;
}

/// Certificates per registered domain (LE: 50 per week, here 1): after one certificate
/// for `a.example.test`, a new order naming `b.example.test` is refused; another registered
/// domain is not.
#[tokio::test]
async fn certificates_per_registered_domain() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    put_chaos(
        &server,
        json!({"limits": {"certificates_per_domain": {"count": 1}}}),
    )
    .await;
    let account = account(&server).await;
    issue(&account, &["a.example.test"], Options::default()).await;
    let err = account
        .new_order(&NewOrder::new(&[dns("b.example.test")]))
        .await
        .err()
        .unwrap();
    let (kind, _, detail) = problem(err);
    assert_eq!(kind, "rateLimited");
    assert!(detail.contains("example.test"), "{detail}");
    issue(&account, &["b.other.test"], Options::default()).await;
    server.stop().await;
}

/// Failed validations per account and identifier (LE: 5 per hour, here 1), with real http-01
/// validation against a port nothing listens on: after one failure, the account's new
/// orders and challenges for that name are refused until the vault clock passes the hour;
/// other names and other accounts are not.
#[tokio::test]
async fn failed_validations_per_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), |c| {
        c.acme.validation = vault::config::AcmeValidation::Real;
        c.acme.http01_port = acme_support::closed_port();
    })
    .await;
    put_chaos(
        &server,
        json!({"limits": {"failed_validations": {"count": 1}}}),
    )
    .await;
    let first = account(&server).await;
    let ids = [dns("fails.localhost")];
    let mut order = first.new_order(&NewOrder::new(&ids)).await.unwrap();
    let mut second_order = first.new_order(&NewOrder::new(&ids)).await.unwrap();
    ready_http01(&mut order).await.unwrap();
    // instant-acme reports the invalid order with the challenge's problem.
    let failed = order.poll_ready(&retries()).await.err().unwrap();
    assert_eq!(problem(failed).0, "connection");

    let err = first.new_order(&NewOrder::new(&ids)).await.err().unwrap();
    let (kind, _, detail) = problem(err);
    assert_eq!(kind, "rateLimited");
    assert!(detail.contains("fails.localhost"), "{detail}");
    // A challenge of an order placed before the failure is refused as well.
    let mut authzs = second_order.authorizations();
    let mut authz = authzs.next().await.unwrap().unwrap();
    let err = authz
        .challenge(ChallengeType::Http01)
        .unwrap()
        .set_ready()
        .await
        .err()
        .unwrap();
    assert_eq!(problem(err).0, "rateLimited");

    first
        .new_order(&NewOrder::new(&[dns("other.localhost")]))
        .await
        .unwrap();
    let other = account(&server).await;
    other.new_order(&NewOrder::new(&ids)).await.unwrap();

    server.advance_clock(3600).await;
    first.new_order(&NewOrder::new(&ids)).await.unwrap();
    server.stop().await;
}

/// `authz_reuse_rate` 0: a second order for a validated name gets a fresh authorization; by
/// default (LE) the valid one is reused.
#[tokio::test]
async fn authorization_reuse_rate() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let account = account(&server).await;
    let ids = [dns("reuse.example.test")];
    issue(&account, &["reuse.example.test"], Options::default()).await;

    let mut reused = account.new_order(&NewOrder::new(&ids)).await.unwrap();
    assert_eq!(
        reused.state().status,
        OrderStatus::Ready,
        "reused by default"
    );

    put_chaos(&server, json!({"authz_reuse_rate": 0.0})).await;
    let mut fresh = account.new_order(&NewOrder::new(&ids)).await.unwrap();
    assert_eq!(fresh.state().status, OrderStatus::Pending);
    assert_ne!(
        fresh.state().authorizations[0].url,
        reused.state().authorizations[0].url
    );
    server.stop().await;
}

/// Validation and finalize delays: a challenge stays unvalidated for the validation delay,
/// and a finalize delay longer than finalize's own wait for the signature (5 s) makes it
/// answer `processing`; the certificate comes once the delay has passed.
#[tokio::test]
async fn validation_and_finalize_delays() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    put_chaos(
        &server,
        json!({"validation_delay": "1s", "finalize_delay": "6s"}),
    )
    .await;
    let account = account(&server).await;
    let ids = [dns("slow.example.test")];
    let mut order = account.new_order(&NewOrder::new(&ids)).await.unwrap();
    let started = Instant::now();
    ready_http01(&mut order).await.unwrap();
    assert_eq!(
        order.poll_ready(&retries()).await.unwrap(),
        OrderStatus::Ready
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "validated after {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    order.finalize().await.unwrap();
    assert_eq!(order.state().status, OrderStatus::Processing);
    let retry = RetryPolicy::new()
        .initial_delay(Duration::from_millis(200))
        .backoff(1.0);
    order.poll_certificate(&retry).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(6));
    server.stop().await;
}

/// The admin API validates: an invalid document is a 400 `malformed` naming the field and
/// leaves the one in force; an invalid `--acme-chaos` stops start-up.
#[tokio::test]
async fn invalid_documents_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let before = put_chaos(&server, json!({"seed": 5, "bad_nonce_rate": 0.25})).await;
    for (doc, needle) in [
        (json!({"bad_nonce_rate": 2}), "bad_nonce_rate"),
        (json!({"endpoints": {"newOrdr": {"drop": 1}}}), "newOrdr"),
        (json!({"nonsense": 1}), "nonsense"),
    ] {
        let (status, body) = try_put_chaos(&server, &doc).await;
        assert_eq!(status, 400, "{doc}");
        assert_eq!(body["type"], "urn:ietf:params:acme:error:malformed");
        assert!(body["detail"].as_str().unwrap().contains(needle), "{body}");
    }
    assert_eq!(get_chaos(&server).await, before);
    server.stop().await;

    let dir = tempfile::tempdir().unwrap();
    let mut config = vault::Config::new(dir.path());
    config.acme.chaos = Some(json!({"finalize_delay": "1h"}));
    let err = crate::common::serve(config)
        .await
        .err()
        .expect("an invalid chaos document stops start-up");
    assert!(err.to_string().contains("--acme-chaos"), "{err}");
}

/// `--acme-chaos` takes inline JSON or the path of a file holding it; anything but a JSON
/// object, or a file that cannot be read, is refused by the flag itself; absent, no chaos.
#[test]
fn the_flag_takes_json_or_a_file() {
    use clap::Parser;
    use vault::config::Cli;
    let doc = json!({"seed": 3, "endpoints": {"finalize": {"drop": 0.5}}});
    let inline = Cli::try_parse_from(["vault", "--acme-chaos", &doc.to_string()]).unwrap();
    assert_eq!(inline.config().acme.chaos, Some(doc.clone()));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chaos.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let from_file = Cli::try_parse_from(["vault", "--acme-chaos", file.to_str().unwrap()]).unwrap();
    assert_eq!(from_file.config().acme.chaos, Some(doc));

    for bad in ["[1]", "{not json", "/nonexistent/chaos.json"] {
        assert!(
            Cli::try_parse_from(["vault", "--acme-chaos", bad]).is_err(),
            "{bad}"
        );
    }
    assert_eq!(
        Cli::try_parse_from(["vault"]).unwrap().config().acme.chaos,
        None
    );
}
