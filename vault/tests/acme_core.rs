//! The ACME gateway's core protocol (RFC 8555) against an in-process vault: the directory and
//! nonces, accounts, orders, challenges, finalize and download with the real `instant-acme`
//! client, and the errors a client can provoke with hand-made requests.

use crate::acme_support;

use acme_support::Server;
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
    let (_, pinned) = server.get_json("/acme/shortlived/directory").await;
    assert_eq!(
        pinned["newOrder"],
        format!("{base}/acme/shortlived/new-order")
    );
    let profiles = pinned["meta"]["profiles"].as_object().unwrap();
    assert_eq!(profiles.keys().collect::<Vec<_>>(), ["shortlived"]);

    let (status, problem) = server.get_json("/acme/nope/directory").await;
    assert_eq!(status, 400);
    assert_eq!(problem["type"], "urn:ietf:params:acme:error:invalidProfile");
    server.stop().await;
}

/// Accounts with `instant-acme`: create, look up by key (`onlyReturnExisting`), update the
/// contacts, roll the key over (the old key then finds no account, the new one works), and
/// deactivate (then every request of the account is `unauthorized`).
#[tokio::test]
async fn account_lifecycle() {
    use instant_acme::{Identifier, Key, NewOrder};
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;

    let (key, pkcs8) = Key::generate_pkcs8().unwrap();
    let der = pkcs8.secret_pkcs8_der().to_vec();
    let pkcs8_key = |der: &[u8]| {
        let owned = rustls::pki_types::PrivatePkcs8KeyDer::from(der.to_vec());
        (
            Key::from_pkcs8_der(owned.clone_key()).unwrap(),
            rustls::pki_types::PrivateKeyDer::Pkcs8(owned),
        )
    };
    let (account, _) = server
        .acme_builder()
        .create_from_key(
            (key, rustls::pki_types::PrivateKeyDer::Pkcs8(pkcs8)),
            server.directory(),
        )
        .await
        .unwrap();
    let (found, _) = server
        .acme_builder()
        .from_key(pkcs8_key(&der), server.directory())
        .await
        .unwrap();
    assert_eq!(found.id(), account.id());

    account
        .update_contacts(&["mailto:a@example.test", "mailto:b@example.test"])
        .await
        .unwrap();

    let mut rolled = account.clone();
    let _credentials = rolled.update_key().await.unwrap();
    let old = server
        .acme_builder()
        .from_key(pkcs8_key(&der), server.directory())
        .await;
    let err = old.err().expect("the old key finds no account").to_string();
    assert!(err.contains("accountDoesNotExist"), "{err}");
    let ids = [Identifier::Dns("rolled.example.test".into())];
    rolled.new_order(&NewOrder::new(&ids)).await.unwrap();
    // The old key no longer signs for the account.
    let err = account
        .new_order(&NewOrder::new(&ids))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("unauthorized"), "{err}");

    rolled.clone().deactivate().await.unwrap();
    let err = rolled
        .new_order(&NewOrder::new(&ids))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("unauthorized"), "{err}");
    server.stop().await;
}

/// new-account by hand: the same key again answers 200 with the account's `Location`;
/// `onlyReturnExisting` for an unknown key is `accountDoesNotExist`; the terms must be
/// agreed; contacts must be `mailto:` addresses; a key rollover to a key another account has
/// is 409 with that account's `Location`; `kid` on new-account is `malformed`.
#[tokio::test]
async fn new_account_rules() {
    use acme_support::raw::{Key, Raw};
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let mut raw = Raw::new(server.http.clone(), &server.base());
    let url = raw.url("new-account");

    for (payload, problem) in [
        (json!({}), "malformed"),
        (json!({ "onlyReturnExisting": true }), "accountDoesNotExist"),
        (
            json!({ "termsOfServiceAgreed": true, "contact": ["tel:+1555"] }),
            "unsupportedContact",
        ),
        (
            json!({ "termsOfServiceAgreed": true, "contact": ["mailto:a@b@c"] }),
            "invalidContact",
        ),
    ] {
        let refused = raw.post(&url, Some(&payload)).await;
        assert_eq!(
            (refused.status, refused.problem()),
            (400, problem),
            "{}",
            refused.text
        );
    }

    let created = raw.create().await;
    assert_eq!(created.body["status"], "valid");
    let kid = raw.kid.clone().unwrap();
    let again = {
        let header =
            json!({ "alg": "ES256", "nonce": raw.nonce().await, "url": url, "jwk": raw.key.jwk });
        raw.send(
            &url,
            &raw.key
                .jws(&header, Some(&json!({ "termsOfServiceAgreed": true }))),
        )
        .await
    };
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.header("location"), Some(kid.as_str()));
    // new-account must be signed with the key itself.
    let with_kid = raw
        .post(&url, Some(&json!({ "termsOfServiceAgreed": true })))
        .await;
    assert_eq!(with_kid.problem(), "malformed", "{}", with_kid.text);

    // Roll over to a key that another account already has: 409 + Location.
    let mut other = Raw::new(server.http.clone(), &server.base());
    other.create().await;
    let key_change = raw.url("key-change");
    let inner_header = json!({ "alg": "ES256", "url": key_change, "jwk": other.key.jwk });
    let inner = other.key.jws(
        &inner_header,
        Some(&json!({ "account": kid, "oldKey": raw.key.jwk })),
    );
    let conflict = raw.post(&key_change, Some(&inner)).await;
    assert_eq!(conflict.status, 409, "{}", conflict.text);
    assert_eq!(conflict.header("location"), other.kid.as_deref());
    // An inner JWS with a nonce, or over another account's URL, is refused.
    let fresh = Key::generate();
    let with_nonce = json!({ "alg": "ES256", "url": key_change, "jwk": fresh.jwk, "nonce": "x" });
    let inner = fresh.jws(
        &with_nonce,
        Some(&json!({ "account": kid, "oldKey": raw.key.jwk })),
    );
    assert_eq!(
        raw.post(&key_change, Some(&inner)).await.problem(),
        "malformed"
    );
    let inner_header = json!({ "alg": "ES256", "url": key_change, "jwk": fresh.jwk });
    let inner = fresh.jws(
        &inner_header,
        Some(&json!({ "account": other.kid, "oldKey": raw.key.jwk })),
    );
    assert_eq!(
        raw.post(&key_change, Some(&inner)).await.problem(),
        "unauthorized"
    );

    // Deactivated: the account reads as such once, then nothing more is accepted.
    let deactivated = raw
        .post(&kid, Some(&json!({ "status": "deactivated" })))
        .await;
    assert_eq!(
        deactivated.body["status"], "deactivated",
        "{}",
        deactivated.text
    );
    let after = raw.post(&kid, None).await;
    assert_eq!((after.status, after.problem()), (403, "unauthorized"));
    server.stop().await;
}

/// `--acme-eab-required`: the directory says so and new-account without a binding is
/// `externalAccountRequired`.
#[tokio::test]
async fn eab_required_is_enforced() {
    use acme_support::raw::Raw;
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), |c| c.acme.eab_required = true).await;
    let (_, directory) = server.get_json("/acme/directory").await;
    assert_eq!(directory["meta"]["externalAccountRequired"], true);
    let raw = Raw::new(server.http.clone(), &server.base());
    let url = raw.url("new-account");
    let answer = raw
        .post(&url, Some(&json!({ "termsOfServiceAgreed": true })))
        .await;
    assert_eq!(
        (answer.status, answer.problem()),
        (400, "externalAccountRequired"),
        "{}",
        answer.text
    );
    server.stop().await;
}
