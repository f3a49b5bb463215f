//! The gateway's admin API and counters against an in-process vault (`always-valid`), with the
//! real `instant-acme` client:
//!
//! - EAB (`--acme-eab-required`): keys made by `POST /_admin/acme/eab` (random or named kid),
//!   an account refused without one and created with one (instant-acme's external account
//!   support), a key binding one account only, the list showing bindings and never a key;
//! - `GET /_admin/acme/orders`: every account's orders, statuses and profiles, paged with
//!   `next`, filtered by account; `GET /_admin/acme/root.pem` is the chains' root;
//! - `/metrics`: ACME requests by endpoint and status, validations by challenge type and
//!   outcome, orders by status.

use crate::acme_support;

use acme_support::{account, issue, pem_chain, problem_type, try_account, Options, Server};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use instant_acme::{ExternalAccountKey, Identifier, NewOrder};
use serde_json::{json, Value};
use vault::config::AcmeValidation;

async fn send(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = server
        .http
        .request(method, format!("{}{path}", server.base()));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let rsp = req.send().await.unwrap();
    let status = rsp.status().as_u16();
    (status, rsp.json().await.unwrap_or(Value::Null))
}

/// Creates an account with `eab` (or none).
async fn create_account(
    server: &Server,
    eab: Option<&ExternalAccountKey>,
) -> Result<instant_acme::Account, instant_acme::Error> {
    try_account(server, &[], eab)
        .await
        .map(|(account, _)| account)
}

#[tokio::test]
async fn eab_keys_are_made_listed_and_bind_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), |c| {
        c.acme.validation = AcmeValidation::AlwaysValid;
        c.acme.eab_required = true;
    })
    .await;
    let (_, d) = send(&server, reqwest::Method::GET, "/acme/directory", None).await;
    assert_eq!(d["meta"]["externalAccountRequired"], true);

    let (status, made) = send(&server, reqwest::Method::POST, "/_admin/acme/eab", None).await;
    assert_eq!(status, 201, "{made:#}");
    let kid = made["kid"].as_str().unwrap().to_string();
    let key = URL_SAFE_NO_PAD
        .decode(made["hmac_key"].as_str().unwrap())
        .unwrap();
    assert_eq!(key.len(), 32, "256-bit HMAC key");
    let (status, named) = send(
        &server,
        reqwest::Method::POST,
        "/_admin/acme/eab",
        Some(json!({ "kid": "team-a" })),
    )
    .await;
    assert_eq!((status, named["kid"].as_str()), (201, Some("team-a")));
    let (status, _) = send(
        &server,
        reqwest::Method::POST,
        "/_admin/acme/eab",
        Some(json!({ "kid": "team-a" })),
    )
    .await;
    assert_eq!(status, 409, "a kid is made once");
    let (status, _) = send(
        &server,
        reqwest::Method::POST,
        "/_admin/acme/eab",
        Some(json!({ "kid": "not ok" })),
    )
    .await;
    assert_eq!(status, 400);

    let err = create_account(&server, None).await.err().expect("refused");
    assert_eq!(problem_type(&err), "externalAccountRequired", "{err}");
    let wrong = ExternalAccountKey::new(kid.clone(), &[7u8; 32]);
    let err = create_account(&server, Some(&wrong))
        .await
        .err()
        .expect("a wrong HMAC key is refused");
    assert_eq!(problem_type(&err), "unauthorized", "{err}");
    let eab = ExternalAccountKey::new(kid.clone(), &key);
    let bound = create_account(&server, Some(&eab)).await.expect("bound");
    // The account works (orders are accepted) and its key cannot bind another.
    let issued = issue(&bound, &["eab.example.test"], Options::default()).await;
    assert_eq!(issued.chain.len(), 3);
    let err = create_account(&server, Some(&eab))
        .await
        .err()
        .expect("one account per key");
    assert_eq!(problem_type(&err), "unauthorized", "{err}");

    let (status, list) = send(&server, reqwest::Method::GET, "/_admin/acme/eab", None).await;
    assert_eq!(status, 200);
    let keys = list["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{list:#}");
    let entry = keys.iter().find(|k| k["kid"] == kid.as_str()).unwrap();
    assert_eq!(entry["account"], bound.id(), "{entry:#}");
    assert!(entry["created"].is_string());
    let named = keys.iter().find(|k| k["kid"] == "team-a").unwrap();
    assert!(named["account"].is_null(), "{named:#}");
    assert!(
        !list
            .to_string()
            .contains(made["hmac_key"].as_str().unwrap()),
        "the list never shows a key"
    );
    server.stop().await;
}

#[tokio::test]
async fn admin_orders_root_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let busy = account(&server).await;
    let idle = account(&server).await;
    let mut chains = Vec::new();
    for (name, profile) in [
        ("a1.example.test", "local"),
        ("a2.example.test", "shortlived"),
        ("a3.example.test", "local"),
    ] {
        let options = Options {
            profile: Some(profile),
            ..Default::default()
        };
        chains.push(issue(&busy, &[name], options).await.chain);
    }
    let pending = [Identifier::Dns("b1.example.test".into())];
    let pending_order = idle.new_order(&NewOrder::new(&pending)).await.unwrap();

    // The root the chains end in.
    let rsp = server
        .http
        .get(format!("{}/_admin/acme/root.pem", server.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.status(), 200);
    let root = pem_chain(&rsp.text().await.unwrap());
    assert_eq!(root.len(), 1);
    for chain in &chains {
        assert_eq!(chain.last(), root.first(), "every chain ends in root.pem");
    }

    // Every account's orders in creation order, two per page.
    let (status, first) = send(
        &server,
        reqwest::Method::GET,
        "/_admin/acme/orders?limit=2",
        None,
    )
    .await;
    assert_eq!(status, 200, "{first:#}");
    let next = first["next"].as_str().expect("a next page").to_string();
    let rsp = server.http.get(&next).send().await.unwrap();
    let second: Value = rsp.json().await.unwrap();
    assert!(second.get("next").is_none(), "{second:#}");
    let orders: Vec<Value> = first["orders"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["orders"].as_array().unwrap())
        .cloned()
        .collect();
    let summary: Vec<(String, String, String)> = orders
        .iter()
        .map(|o| {
            (
                o["identifiers"][0]["value"].as_str().unwrap().to_string(),
                o["status"].as_str().unwrap().to_string(),
                o["profile"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |n: &str, s: &str, p: &str| (n.to_string(), s.to_string(), p.to_string());
    assert_eq!(
        summary,
        [
            expect("a1.example.test", "valid", "local"),
            expect("a2.example.test", "valid", "shortlived"),
            expect("a3.example.test", "valid", "local"),
            expect("b1.example.test", "pending", "local"),
        ]
    );
    for o in &orders {
        for field in ["id", "url", "account", "created", "updated", "expires"] {
            assert!(o[field].is_string(), "{field} in {o:#}");
        }
    }
    assert_eq!(orders[0]["account"], busy.id());
    assert_eq!(orders[3]["account"], idle.id());
    assert_eq!(orders[3]["url"], pending_order.url());
    assert!(orders[0]["certificate"].is_string());

    // Filtered by account (its id, the account URL's last segment).
    let idle_id = idle.id().rsplit('/').next().unwrap();
    let (_, only) = send(
        &server,
        reqwest::Method::GET,
        &format!("/_admin/acme/orders?account={idle_id}"),
        None,
    )
    .await;
    assert_eq!(only["orders"].as_array().unwrap().len(), 1, "{only:#}");
    for bad in [
        "/_admin/acme/orders?limit=0",
        "/_admin/acme/orders?colour=red",
    ] {
        let (status, body) = send(&server, reqwest::Method::GET, bad, None).await;
        assert_eq!(status, 400, "{bad}: {body:#}");
    }

    // Counters.
    let text = server
        .http
        .get(format!("{}/metrics", server.base()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "vault_acme_orders{status=\"valid\"} 3",
        "vault_acme_orders{status=\"pending\"} 1",
        "vault_acme_request_duration_seconds_count{endpoint=\"new-order\",status=\"201\"} 4",
        "vault_acme_request_duration_seconds_count{endpoint=\"new-account\",status=\"201\"} 2",
        "vault_acme_validation_duration_seconds_count{challenge=\"http-01\",outcome=\"valid\"} 3",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    server.stop().await;
}
