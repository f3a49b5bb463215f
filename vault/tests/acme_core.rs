//! The ACME gateway's core protocol (RFC 8555) against an in-process vault: the directory and
//! nonces, accounts, orders, challenges, finalize and download with the real `instant-acme`
//! client, and the errors a client can provoke with hand-made requests.

mod acme_core_support;

use acme_core_support::Server;
use serde_json::Value;

/// The directory lists every resource under this vault's `/acme/`, `new-nonce` answers with a
/// fresh `Replay-Nonce` (HEAD 200, GET 204), and every response links the directory.
#[tokio::test]
async fn directory_and_nonces() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let base = server.base();

    let resp = server.http.get(server.directory()).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let directory: Value = resp.json().await.unwrap();
    for (key, path) in [
        ("newNonce", "new-nonce"),
        ("newAccount", "new-account"),
        ("newOrder", "new-order"),
        ("newAuthz", "new-authz"),
        ("revokeCert", "revoke-cert"),
        ("keyChange", "key-change"),
        ("renewalInfo", "renewal-info"),
    ] {
        assert_eq!(directory[key], format!("{base}/acme/{path}"), "{key}");
    }
    assert!(directory["meta"]["profiles"]["local"].is_string());
    assert_eq!(directory["meta"]["externalAccountRequired"], false);

    let head = server
        .http
        .head(format!("{base}/acme/new-nonce"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    let first = head.headers()["replay-nonce"].to_str().unwrap().to_string();
    assert_eq!(first.len(), 22);
    assert_eq!(
        head.headers()["link"].to_str().unwrap(),
        format!("<{base}/acme/directory>;rel=\"index\"")
    );
    let get = server
        .http
        .get(format!("{base}/acme/new-nonce"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 204);
    let second = get.headers()["replay-nonce"].to_str().unwrap();
    assert_ne!(first, second);

    // An unknown ACME path is a problem document, with a nonce like every answer.
    let missing = server
        .http
        .get(format!("{base}/acme/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    assert!(missing.headers().contains_key("replay-nonce"));
    server.stop().await;
}

/// A profile-pinned directory points new orders at that profile and lists only it; an unknown
/// profile is `invalidProfile`.
#[tokio::test]
async fn profile_pinned_directory() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let base = server.base();
    let pinned: Value = server
        .http
        .get(format!("{base}/acme/shortlived/directory"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        pinned["newOrder"],
        format!("{base}/acme/shortlived/new-order")
    );
    let profiles = pinned["meta"]["profiles"].as_object().unwrap();
    assert_eq!(profiles.keys().collect::<Vec<_>>(), ["shortlived"]);

    let unknown = server
        .http
        .get(format!("{base}/acme/nope/directory"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    let problem: Value = unknown.json().await.unwrap();
    assert_eq!(problem["type"], "urn:ietf:params:acme:error:invalidProfile");
    server.stop().await;
}
