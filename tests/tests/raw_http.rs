//! Wire-level checks with raw HTTP (reqwest): the auth challenge, api-version, error shape,
//! hostile input, encodings, ids, GET forms, paging, the pending operation and admin routes.

use std::collections::HashMap;

use e2e::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use x509_parser::prelude::FromDer as _;

const ALL_VERSIONS: &[&str] = &[
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
    "7.6",
    "7.6-preview.2",
    "2025-07-01",
    "2026-03-01-preview",
    "2026-04-01",
];

/// Parses `Bearer k="v", k2="v2"` into a map, asserting every value is double-quoted.
fn parse_challenge(header: &str) -> HashMap<String, String> {
    let rest = header
        .strip_prefix("Bearer ")
        .unwrap_or_else(|| panic!("challenge must use the Bearer scheme: {header:?}"));
    rest.split(", ")
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .unwrap_or_else(|| panic!("challenge parameter without '=': {pair:?}"));
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or_else(|| panic!("challenge value must be double-quoted: {pair:?}"));
            assert!(
                !v.contains(',') && !v.contains('='),
                "no ',' or '=' inside challenge values: {pair:?}"
            );
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

fn assert_challenge(rsp: &RawResponse) {
    assert_eq!(rsp.status, StatusCode::UNAUTHORIZED, "body: {}", rsp.text);
    let header = rsp
        .header("www-authenticate")
        .expect("every 401 carries WWW-Authenticate");
    assert!(header.contains("authorization=\""), "{header}");
    assert!(header.contains("resource=\""), "{header}");
    let params = parse_challenge(&header);
    let resource = &params["resource"];
    assert!(
        resource.starts_with("https://"),
        "resource is an https URL: {resource}"
    );
    assert!(params["authorization"].starts_with("https://"));
    let error = rsp.assert_kv_error();
    assert_eq!(error["code"], "Unauthorized");
}

async fn unauthenticated(
    vault: &TestVault,
    method: Method,
    url: &str,
    body: Option<&str>,
) -> RawResponse {
    let mut req = vault.http().request(method, url);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    Raw::send_built(req).await
}

fn assert_int(value: &Value, what: &str) {
    assert!(
        value.is_i64() || value.is_u64(),
        "{what} must be a JSON integer, got {value}"
    );
}

fn assert_cer_encoding(cer: &str) {
    assert!(
        !cer.contains('-') && !cer.contains('_'),
        "cer uses the standard alphabet"
    );
    assert_eq!(cer.len() % 4, 0, "cer is padded");
    parse_cert(&decode_b64_std_strict(cer));
}

fn unknown_issuer_policy(subject: &str) -> Value {
    json!({
        "key_props": { "kty": "EC", "crv": "P-256" },
        "x509_props": { "subject": subject },
        "issuer": { "name": "Unknown" }
    })
}

// ------------------------------------------------------------------------------------------------
// Authentication
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_bearer_gets_challenge_before_anything_else() {
    let vault = TestVault::start().await;
    let base = vault.base_url();
    let api = api();
    let cases: Vec<(Method, String, Option<&str>)> = vec![
        (
            Method::GET,
            format!("{base}/certificates?api-version={api}"),
            None,
        ),
        // Malformed body: still 401, not 400.
        (
            Method::POST,
            format!("{base}/certificates/x/create?api-version={api}"),
            Some("{{{not json"),
        ),
        // The Rust SDK's first request: POST without any body.
        (
            Method::POST,
            format!("{base}/certificates/x/create?api-version={api}"),
            None,
        ),
        // Unknown route, missing api-version, invalid name: still 401.
        (Method::GET, format!("{base}/no/such/route"), None),
        (Method::GET, format!("{base}/certificates"), None),
        (
            Method::GET,
            format!("{base}/certificates/bad_name%21?api-version={api}"),
            None,
        ),
        (
            Method::PUT,
            format!("{base}/certificates/contacts?api-version={api}"),
            Some("[]"),
        ),
        (
            Method::GET,
            format!("{base}/keys/x/0123?api-version={api}"),
            None,
        ),
        (
            Method::GET,
            format!("{base}/secrets/x?api-version={api}"),
            None,
        ),
    ];
    for (method, url, body) in cases {
        let rsp = unauthenticated(&vault, method.clone(), &url, body).await;
        assert_eq!(
            rsp.status,
            StatusCode::UNAUTHORIZED,
            "{method} {url}: {}",
            rsp.text
        );
        assert_challenge(&rsp);
    }

    // Non-Bearer schemes are challenged too.
    let rsp = Raw::send_built(
        vault
            .http()
            .get(format!("{base}/certificates?api-version={api}"))
            .header("authorization", "Basic dXNlcjpwYXNz"),
    )
    .await;
    assert_challenge(&rsp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_bearer_token_is_accepted() {
    let vault = TestVault::start().await;
    let url = format!("{}/certificates?api-version={}", vault.base_url(), api());
    for token in [
        "x",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2ln",
        "00000000-0000-0000-0000-000000000000",
    ] {
        let rsp = Raw::send_built(vault.http().get(&url).bearer_auth(token)).await;
        assert_eq!(rsp.status, StatusCode::OK, "token {token:?}: {}", rsp.text);
        assert!(rsp.json()["value"].is_array());
    }
}

// ------------------------------------------------------------------------------------------------
// api-version
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_version_is_required_and_checked() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let base = vault.base_url();

    let rsp = raw.get_absolute(&format!("{base}/certificates")).await;
    rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    let rsp = raw
        .get_absolute(&format!("{base}/certificates?api-version="))
        .await;
    rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    let rsp = raw
        .get_absolute(&format!("{base}/certificates?api-version=1999-01-01"))
        .await;
    let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    assert!(
        error["message"].as_str().unwrap().contains("1999-01-01"),
        "message names the rejected version: {error}"
    );
    // Missing api-version on a write is also 400 (after auth), not 202.
    let rsp = Raw::send_built(
        raw.client
            .post(format!("{base}/certificates/noversion/create"))
            .bearer_auth("t")
            .json(&json!({ "policy": self_signed_ec_policy_json("CN=noversion") })),
    )
    .await;
    rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");

    for version in ALL_VERSIONS {
        let rsp = raw
            .get_absolute(&format!("{base}/certificates?api-version={version}"))
            .await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "api-version {version}: {}",
            rsp.text
        );
    }
    // JS sends the dash percent-encoded.
    let rsp = raw
        .get_absolute(&format!("{base}/certificates?api%2Dversion=7.5"))
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "api%2Dversion: {}", rsp.text);
}

// ------------------------------------------------------------------------------------------------
// Errors and hostile input
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_has_key_vault_error_shape() {
    let vault = TestVault::start().await;
    let rsp = vault.raw().get("/certificates/does-not-exist").await;
    let error = rsp.assert_error(StatusCode::NOT_FOUND, "CertificateNotFound");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("does-not-exist"));
    let rsp = vault.raw().get("/deletedcertificates/does-not-exist").await;
    rsp.assert_error(StatusCode::NOT_FOUND, "CertificateNotFound");
    let rsp = vault
        .raw()
        .delete("/deletedcertificates/does-not-exist")
        .await;
    rsp.assert_error(StatusCode::NOT_FOUND, "CertificateNotFound");
    let rsp = vault
        .raw()
        .post("/deletedcertificates/does-not-exist/recover", &json!({}))
        .await;
    rsp.assert_error(StatusCode::NOT_FOUND, "CertificateNotFound");
    let rsp = vault
        .raw()
        .get("/certificates/does-not-exist/pending")
        .await;
    assert_eq!(rsp.status, StatusCode::NOT_FOUND);
    rsp.assert_kv_error();
    let rsp = vault
        .raw()
        .get("/certificates/issuers/does-not-exist")
        .await;
    assert_eq!(rsp.status, StatusCode::NOT_FOUND);
    rsp.assert_kv_error();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_bodies_are_client_errors() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let create = raw.url("/certificates/hostile/create");

    let bodies: Vec<(&str, String, bool)> = vec![
        ("malformed JSON", "{\"policy\": {".to_string(), true),
        ("not an object", "[1,2,3]".to_string(), true),
        ("policy is a string", "{\"policy\": \"yes\"}".to_string(), true),
        (
            "key_size is a string",
            json!({ "policy": { "key_props": { "kty": "RSA", "key_size": "big" },
                                "x509_props": { "subject": "CN=x" }, "issuer": { "name": "Self" } } })
            .to_string(),
            true,
        ),
        (
            "tags values are numbers",
            json!({ "policy": self_signed_ec_policy_json("CN=x"), "tags": { "a": 1 } }).to_string(),
            true,
        ),
        ("empty body", String::new(), false),
        (
            "2 MiB body",
            json!({ "policy": self_signed_ec_policy_json("CN=x"), "tags": { "big": "x".repeat(2 * 1024 * 1024) } })
                .to_string(),
            false,
        ),
    ];
    for (what, body, bad_parameter) in bodies {
        let rsp = Raw::send_built(
            raw.client
                .post(&create)
                .bearer_auth("t")
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
        let error = rsp.assert_client_error();
        if bad_parameter {
            assert_eq!(rsp.status, StatusCode::BAD_REQUEST, "{what}: {}", rsp.text);
            assert_eq!(error["code"], "BadParameter", "{what}");
        }
    }
    // Nothing was created by any of these.
    let rsp = raw.get("/certificates/hostile").await;
    assert_eq!(rsp.status, StatusCode::NOT_FOUND, "{}", rsp.text);

    // Other write routes reject wrong types too.
    raw.create_ec_certificate("target").await;
    for (method, path, body) in [
        (
            Method::PATCH,
            "/certificates/target/policy",
            json!({ "key_props": "nope" }),
        ),
        (
            Method::PATCH,
            "/certificates/target",
            json!({ "attributes": { "enabled": "yes" } }),
        ),
        (
            Method::PUT,
            "/certificates/contacts",
            json!({ "contacts": "nobody" }),
        ),
        (
            Method::PUT,
            "/certificates/issuers/no-provider",
            json!({ "credentials": { "account_id": "a" } }),
        ),
        (
            Method::PATCH,
            "/certificates/target/pending",
            json!({ "cancellation_requested": "maybe" }),
        ),
    ] {
        let rsp = raw.send(method.clone(), path, Some(&body)).await;
        let error = rsp.assert_client_error();
        assert_eq!(
            rsp.status,
            StatusCode::BAD_REQUEST,
            "{method} {path}: {}",
            rsp.text
        );
        assert_eq!(error["code"], "BadParameter", "{method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_names_are_bad_requests() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let body = json!({ "policy": self_signed_ec_policy_json("CN=name-test") });
    let too_long = "a".repeat(128);
    for name in [
        "bad_name%21",
        "bad_name",
        "has.dot",
        "caf%C3%A9",
        "sp%20ace",
        too_long.as_str(),
    ] {
        let rsp = raw
            .post(&format!("/certificates/{name}/create"), &body)
            .await;
        rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    }
    // 127 characters is the longest valid name.
    let longest = "b".repeat(127);
    let rsp = raw
        .post(&format!("/certificates/{longest}/create"), &body)
        .await;
    assert_eq!(
        rsp.status,
        StatusCode::ACCEPTED,
        "127-character name: {}",
        rsp.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_wrong_methods_are_client_errors() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    raw.create_ec_certificate("routed").await;
    for (method, path) in [
        (Method::GET, "/nope"),
        (Method::GET, "/"),
        (Method::GET, "/certificates/routed/a/b/c"),
        (Method::PUT, "/certificates/routed/create"),
        (Method::DELETE, "/certificates"),
        (Method::POST, "/certificates/routed"),
        (Method::PUT, "/certificates/routed/policy"),
        (Method::GET, "/certificates/routed/create"),
        (Method::PATCH, "/deletedcertificates/routed"),
    ] {
        let rsp = raw.send(method.clone(), path, None).await;
        assert!(
            rsp.status.is_client_error(),
            "{method} {path}: expected 4xx, got {}: {}",
            rsp.status,
            rsp.text
        );
        rsp.assert_kv_error();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_validation_rejects_bad_policies() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let with = |patch: Value| {
        let mut policy = json!({
            "key_props": { "kty": "EC", "crv": "P-256", "exportable": true },
            "x509_props": { "subject": "CN=valid", "validity_months": 12 },
            "issuer": { "name": "Self" }
        });
        merge(&mut policy, patch);
        json!({ "policy": policy })
    };
    let cases = vec![
        (
            "oct key",
            with(json!({ "key_props": { "kty": "oct", "crv": null } })),
        ),
        (
            "RSA 1024",
            with(json!({ "key_props": { "kty": "RSA", "key_size": 1024, "crv": null } })),
        ),
        (
            "RSA with crv",
            with(json!({ "key_props": { "kty": "RSA", "key_size": 2048, "crv": "P-256" } })),
        ),
        (
            "unknown curve",
            with(json!({ "key_props": { "crv": "P-999" } })),
        ),
        (
            "size contradicts curve",
            with(json!({ "key_props": { "crv": "P-256", "key_size": 384 } })),
        ),
        (
            "HSM exportable",
            with(json!({ "key_props": { "kty": "EC-HSM", "exportable": true } })),
        ),
        (
            "no subject and no SANs",
            with(json!({ "x509_props": { "subject": null } })),
        ),
        (
            "subject is not a DN",
            with(json!({ "x509_props": { "subject": "not a dn" } })),
        ),
        (
            "validity 0",
            with(json!({ "x509_props": { "validity_months": 0 } })),
        ),
        (
            "validity negative",
            with(json!({ "x509_props": { "validity_months": -1 } })),
        ),
        (
            "unknown key usage",
            with(json!({ "x509_props": { "key_usage": ["fly"] } })),
        ),
        (
            "bad content type",
            with(json!({ "secret_props": { "contentType": "text/plain" } })),
        ),
        (
            "percentage 0",
            with(
                json!({ "lifetime_actions": [ { "trigger": { "lifetime_percentage": 0 }, "action": { "action_type": "AutoRenew" } } ] }),
            ),
        ),
        (
            "percentage 100",
            with(
                json!({ "lifetime_actions": [ { "trigger": { "lifetime_percentage": 100 }, "action": { "action_type": "AutoRenew" } } ] }),
            ),
        ),
        (
            "both triggers",
            with(
                json!({ "lifetime_actions": [ { "trigger": { "lifetime_percentage": 50, "days_before_expiry": 10 }, "action": { "action_type": "EmailContacts" } } ] }),
            ),
        ),
        (
            "days beyond 27 x months",
            with(
                json!({ "lifetime_actions": [ { "trigger": { "days_before_expiry": 12 * 27 + 1 }, "action": { "action_type": "EmailContacts" } } ] }),
            ),
        ),
        (
            "unknown action",
            with(
                json!({ "lifetime_actions": [ { "trigger": { "lifetime_percentage": 50 }, "action": { "action_type": "Explode" } } ] }),
            ),
        ),
        (
            "AutoRenew with Unknown issuer",
            with(
                json!({ "issuer": { "name": "Unknown" }, "lifetime_actions": [ { "trigger": { "lifetime_percentage": 80 }, "action": { "action_type": "AutoRenew" } } ] }),
            ),
        ),
    ];
    for (i, (what, body)) in cases.into_iter().enumerate() {
        let rsp = raw
            .post(&format!("/certificates/invalid-{i}/create"), &body)
            .await;
        assert_eq!(
            rsp.status,
            StatusCode::BAD_REQUEST,
            "{what}: {body} -> {}",
            rsp.text
        );
        let error = rsp.assert_kv_error();
        assert_eq!(error["code"], "BadParameter", "{what}");
    }
    // Sanity: the base policy is valid, and EmailContacts with Self is fine.
    let rsp = raw
        .post(
            "/certificates/valid-one/create",
            &with(json!({ "lifetime_actions": [ { "trigger": { "lifetime_percentage": 98 }, "action": { "action_type": "EmailContacts" } } ] })),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED, "{}", rsp.text);
}

/// Recursive JSON merge: objects merge, `null` removes, anything else replaces.
fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(&k);
                } else {
                    merge(t.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p,
    }
}

// ------------------------------------------------------------------------------------------------
// Encodings, ids and GET forms
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundle_encodings_are_what_the_sdks_expect() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let rsp = raw
        .post(
            "/certificates/encoded/create",
            &json!({ "policy": self_signed_ec_policy_json("CN=encoded") }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED);
    assert_eq!(rsp.content_type(), "application/json;charset=utf-8");
    let bundle = raw.create_ec_certificate("encoded2").await;

    for b in [bundle, raw.get("/certificates/encoded").await.json()] {
        let cer = b["cer"].as_str().expect("cer string");
        assert_cer_encoding(cer);
        let der = decode_b64_std_strict(cer);
        let x5t = b["x5t"].as_str().expect("x5t string");
        assert_eq!(x5t.len(), 27, "x5t is 27 base64url characters: {x5t}");
        assert!(!x5t.contains('+') && !x5t.contains('/') && !x5t.contains('='));
        assert_eq!(decode_b64url_strict(x5t), sha1(&der));
        for field in ["nbf", "exp", "created", "updated", "recoverableDays"] {
            assert_int(&b["attributes"][field], &format!("attributes.{field}"));
        }
        assert_eq!(b["attributes"]["enabled"], true);
        assert!(b["attributes"]["recoveryLevel"].is_string());
        assert_int(
            &b["policy"]["attributes"]["created"],
            "policy.attributes.created",
        );
        assert_int(
            &b["policy"]["attributes"]["updated"],
            "policy.attributes.updated",
        );
        assert_eq!(b["contentType"], "application/x-pkcs12");
        assert_eq!(b["policy"]["key_props"]["kty"], "EC");
        assert_eq!(b["policy"]["key_props"]["crv"], "P-256");
        assert_eq!(b["policy"]["issuer"]["name"], "Self");
    }

    // List items: no recoverableDays/recoveryLevel, integer timestamps.
    let list = raw.get("/certificates").await.json();
    for item in list["value"].as_array().unwrap() {
        assert_int(&item["attributes"]["created"], "item created");
        assert!(
            item["attributes"].get("recoverableDays").is_none(),
            "list items omit recoverableDays: {item}"
        );
        assert!(
            item["attributes"].get("recoveryLevel").is_none(),
            "list items omit recoveryLevel: {item}"
        );
        assert_eq!(item["x5t"].as_str().unwrap().len(), 27);
    }

    // Deleted bundle dates are integers.
    let deleted = raw.delete("/certificates/encoded").await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    let deleted = deleted.json();
    assert_int(&deleted["deletedDate"], "deletedDate");
    assert_int(&deleted["scheduledPurgeDate"], "scheduledPurgeDate");
    assert_cer_encoding(deleted["cer"].as_str().unwrap());
    let listed = raw.get("/deletedcertificates").await.json();
    let item = &listed["value"][0];
    assert_int(&item["deletedDate"], "deleted item deletedDate");
    assert_eq!(
        item["recoveryId"],
        format!("{}/deletedcertificates/encoded", vault.base_url())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_built_from_the_host_header() {
    let vault = TestVault::start().await;
    let by_ip = vault.raw();
    let by_name = Raw::new(vault.http_for_host("localhost"), vault.localhost_url());
    let host = vault.localhost_url();

    let rsp = by_name
        .post(
            "/certificates/hosted/create",
            &json!({ "policy": self_signed_ec_policy_json("CN=hosted") }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED, "{}", rsp.text);
    let op = rsp.json();
    assert_eq!(op["id"], format!("{host}/certificates/hosted/pending"));
    let op = by_name
        .create_and_wait("hosted2", self_signed_ec_policy_json("CN=hosted2"))
        .await;
    assert_eq!(op["status"], "completed", "{op}");
    assert_eq!(
        op["target"],
        format!("{host}/certificates/hosted2"),
        "target: no version, no query"
    );

    let bundle = by_name.get("/certificates/hosted2").await.json();
    let version = version_of(bundle["id"].as_str().unwrap());
    assert_eq!(
        bundle["id"],
        format!("{host}/certificates/hosted2/{version}")
    );
    assert_eq!(bundle["kid"], format!("{host}/keys/hosted2/{version}"));
    assert_eq!(bundle["sid"], format!("{host}/secrets/hosted2/{version}"));
    assert_eq!(
        bundle["policy"]["id"],
        format!("{host}/certificates/hosted2/policy")
    );

    // The same certificate seen through 127.0.0.1 carries that host instead.
    let ip = vault.base_url();
    let bundle = by_ip.get("/certificates/hosted2").await.json();
    assert_eq!(bundle["id"], format!("{ip}/certificates/hosted2/{version}"));
    assert_eq!(bundle["kid"], format!("{ip}/keys/hosted2/{version}"));

    // nextLink follows the Host too.
    let page = by_name.get("/certificates?maxresults=1").await.json();
    let next = page["nextLink"]
        .as_str()
        .expect("nextLink with 2 certificates and maxresults=1");
    assert!(
        next.starts_with(&format!("{host}/certificates?")),
        "nextLink {next}"
    );
    // Item ids in lists too.
    assert!(page["value"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{host}/certificates/")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_follow_a_configured_hostname() {
    // `*.localhost` in the dev certificate does not help rustls or OpenSSL clients (a wildcard
    // needs two labels after it), so extra names go through `Config::hostnames` (`--hostname`).
    let vault =
        TestVault::start_with(|config| config.hostnames.push("myvault.localhost".into())).await;
    let base = format!("https://myvault.localhost:{}", vault.port());
    let raw = Raw::new(vault.http_for_host("myvault.localhost"), base.clone());
    let bundle = raw.create_ec_certificate("subdomain").await;
    assert!(
        bundle["id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{base}/certificates/subdomain/")),
        "{bundle}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_get_forms_and_case_insensitive_names() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let bundle = raw.create_ec_certificate("MixedCase").await;
    let id = bundle["id"].as_str().unwrap().to_string();
    let version = version_of(&id);
    assert!(
        id.contains("/certificates/MixedCase/"),
        "the name echoes its first spelling: {id}"
    );

    for path in [
        "/certificates/MixedCase".to_string(),
        "/certificates/MixedCase/".to_string(),
        format!("/certificates/MixedCase/{version}"),
        "/certificates/mixedcase".to_string(),
        "/certificates/MIXEDCASE/".to_string(),
    ] {
        let rsp = raw.get(&path).await;
        assert_eq!(rsp.status, StatusCode::OK, "GET {path}: {}", rsp.text);
        let b = rsp.json();
        assert_eq!(b["id"], id, "GET {path}");
        assert_eq!(b["cer"], bundle["cer"], "GET {path}");
    }

    // A second create under another spelling adds a version to the same certificate.
    let op = raw
        .create_and_wait("mixedCASE", self_signed_ec_policy_json("CN=again"))
        .await;
    assert_eq!(op["status"], "completed");
    let versions = raw.get("/certificates/MixedCase/versions").await.json();
    assert_eq!(versions["value"].as_array().unwrap().len(), 2, "{versions}");
    let latest = raw.get("/certificates/MixedCase/").await.json();
    assert!(latest["id"]
        .as_str()
        .unwrap()
        .contains("/certificates/MixedCase/"));
    assert_ne!(latest["id"], id);
}

// ------------------------------------------------------------------------------------------------
// Paging
// ------------------------------------------------------------------------------------------------

/// Walks a collection page by page, following nextLink with `follow`; returns the item ids.
async fn walk(raw: &Raw, first: &str, follow: impl Fn(&str) -> String) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut rsp = raw.get(first).await;
    loop {
        assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
        let page = rsp.json();
        pages += 1;
        for item in page["value"].as_array().expect("value array") {
            ids.push(item["id"].as_str().unwrap().to_string());
        }
        match page.get("nextLink").and_then(Value::as_str) {
            Some(next) if !next.is_empty() => rsp = raw.get_absolute(&follow(next)).await,
            _ => break,
        }
        assert!(pages < 100, "paging does not end");
    }
    (ids, pages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_next_link_is_absolute_and_followable() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let base = vault.base_url();
    let names: Vec<String> = (0..5).map(|i| format!("paged-{i}")).collect();
    for name in &names {
        raw.create_ec_certificate(name).await;
    }

    let page = raw.get("/certificates?maxresults=2").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let page = page.json();
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
    let next = page["nextLink"].as_str().expect("nextLink");
    assert!(
        next.starts_with(&format!("{base}/certificates?")),
        "absolute: {next}"
    );
    let url = url::Url::parse(next).unwrap();
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(
        query.get("api-version").map(String::as_str),
        Some(api()),
        "{next}"
    );
    assert_eq!(
        query.get("maxresults").map(String::as_str),
        Some("2"),
        "{next}"
    );
    assert!(
        query.get("$skiptoken").is_some_and(|t| !t.is_empty()),
        "$skiptoken in {next}"
    );

    let expected: Vec<String> = names
        .iter()
        .map(|n| format!("{base}/certificates/{n}"))
        .collect();
    let check = |ids: Vec<String>, how: &str| {
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, expected, "{how}: every certificate exactly once");
    };

    // Verbatim (JS), with `$` percent-encoded (Python re-quotes), and Rust-style (api-version re-set).
    let (ids, pages) = walk(&raw, "/certificates?maxresults=2", |n| n.to_string()).await;
    assert_eq!(pages, 3);
    check(ids, "verbatim");
    let (ids, _) = walk(&raw, "/certificates?maxresults=2", |n| {
        n.replace("$skiptoken", "%24skiptoken")
    })
    .await;
    check(ids, "%24skiptoken");
    let (ids, _) = walk(&raw, "/certificates?maxresults=2", |n| {
        let mut url = url::Url::parse(n).unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "api-version")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(pairs)
            .append_pair("api-version", "7.5");
        url.to_string()
    })
    .await;
    check(ids, "api-version replaced");

    // Default page size holds all five; the last page has no usable nextLink.
    let all = raw.get("/certificates").await.json();
    assert_eq!(all["value"].as_array().unwrap().len(), 5);
    assert!(
        all.get("nextLink").is_none_or(|n| n.is_null() || n == ""),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_of_versions_deleted_and_issuers() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let base = vault.base_url();
    for _ in 0..3 {
        let op = raw
            .create_and_wait("multi", self_signed_ec_policy_json("CN=multi"))
            .await;
        assert_eq!(op["status"], "completed");
    }
    let (ids, pages) = walk(&raw, "/certificates/multi/versions?maxresults=1", |n| {
        n.to_string()
    })
    .await;
    assert_eq!(pages, 3);
    assert_eq!(ids.len(), 3);
    for id in &ids {
        assert!(id.starts_with(&format!("{base}/certificates/multi/")));
        version_of(id);
    }
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), 3);

    for name in ["gone-a", "gone-b", "gone-c"] {
        raw.create_ec_certificate(name).await;
        assert_eq!(
            raw.delete(&format!("/certificates/{name}")).await.status,
            StatusCode::OK
        );
    }
    let mut seen = Vec::new();
    let mut rsp = raw.get("/deletedcertificates?maxresults=2").await;
    loop {
        let page = rsp.json();
        for item in page["value"].as_array().unwrap() {
            seen.push(item["recoveryId"].as_str().unwrap().to_string());
        }
        match page["nextLink"].as_str() {
            Some(next) if !next.is_empty() => rsp = raw.get_absolute(next).await,
            _ => break,
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        ["gone-a", "gone-b", "gone-c"].map(|n| format!("{base}/deletedcertificates/{n}"))
    );

    for name in ["iss-a", "iss-b", "iss-c"] {
        let rsp = raw
            .put(
                &format!("/certificates/issuers/{name}"),
                &json!({ "provider": "DigiCert" }),
            )
            .await;
        assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    }
    let (mut ids, pages) = walk(&raw, "/certificates/issuers?maxresults=1", |n| {
        n.to_string()
    })
    .await;
    assert_eq!(pages, 3);
    ids.sort();
    assert_eq!(
        ids,
        ["iss-a", "iss-b", "iss-c"].map(|n| format!("{base}/certificates/issuers/{n}"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maxresults_out_of_range_is_bad_parameter() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    raw.create_ec_certificate("bounded").await;
    for collection in [
        "/certificates",
        "/certificates/bounded/versions",
        "/deletedcertificates",
        "/certificates/issuers",
    ] {
        for bad in ["0", "26", "-1", "abc"] {
            let rsp = raw.get(&format!("{collection}?maxresults={bad}")).await;
            assert_eq!(
                rsp.status,
                StatusCode::BAD_REQUEST,
                "{collection} maxresults={bad}: {}",
                rsp.text
            );
            assert_eq!(rsp.assert_kv_error()["code"], "BadParameter");
        }
        for good in ["1", "25"] {
            let rsp = raw.get(&format!("{collection}?maxresults={good}")).await;
            assert_eq!(
                rsp.status,
                StatusCode::OK,
                "{collection} maxresults={good}: {}",
                rsp.text
            );
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The pending operation
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_operation_of_unknown_issuer() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let base = vault.base_url();
    raw.create_ec_certificate("done").await;

    let rsp = raw
        .post(
            "/certificates/manual/create",
            &json!({ "policy": unknown_issuer_policy("CN=manual") }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED, "{}", rsp.text);
    assert!(
        rsp.header("retry-after").is_some(),
        "202 while inProgress carries Retry-After"
    );
    let op = rsp.json();
    assert_eq!(op["id"], format!("{base}/certificates/manual/pending"));
    assert_eq!(op["status"], "inProgress");
    assert_eq!(op["issuer"]["name"], "Unknown");
    assert_eq!(op["cancellation_requested"], false);
    assert!(op["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(
        op.get("target").is_none_or(Value::is_null),
        "no target while pending: {op}"
    );
    let csr = op["csr"].as_str().expect("csr on the 202 body");
    assert!(
        !csr.contains('-') && !csr.contains('_') && csr.len() % 4 == 0,
        "csr is standard padded base64"
    );
    let der = decode_b64_std_strict(csr);
    let (_, req) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&der).expect("CSR");
    req.verify_signature().expect("CSR signature");

    let rsp = raw.get("/certificates/manual/pending").await;
    assert_eq!(rsp.status, StatusCode::OK);
    assert!(
        rsp.header("retry-after").is_some(),
        "GET pending while inProgress carries Retry-After"
    );
    assert_eq!(rsp.json()["csr"], op["csr"]);

    // A create while inProgress is refused with 409 (code "Forbidden", sic).
    let rsp = raw
        .post(
            "/certificates/manual/create",
            &json!({ "policy": self_signed_ec_policy_json("CN=manual") }),
        )
        .await;
    rsp.assert_error(StatusCode::CONFLICT, "Forbidden");

    // includePending shows the pending certificate.
    let plain = raw.get("/certificates").await.json();
    let names = |list: &Value| -> Vec<String> {
        list["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                i["id"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(names(&plain), ["done"]);
    let with_pending = raw.get("/certificates?includePending=true").await.json();
    let mut all = names(&with_pending);
    all.sort();
    assert_eq!(all, ["done", "manual"]);

    // DELETE the operation: returns it, then it is gone.
    let rsp = raw.delete("/certificates/manual/pending").await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    assert_eq!(
        rsp.json()["id"],
        format!("{base}/certificates/manual/pending")
    );
    let rsp = raw.get("/certificates/manual/pending").await;
    let error = rsp.assert_error(StatusCode::NOT_FOUND, "PendingCertificateNotFound");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completed_operation_has_target_and_no_retry_after() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let op = raw
        .create_and_wait("finished", self_signed_ec_policy_json("CN=finished"))
        .await;
    assert_eq!(op["status"], "completed");
    let rsp = raw.get("/certificates/finished/pending").await;
    assert_eq!(rsp.status, StatusCode::OK);
    let op = rsp.json();
    assert_eq!(op["status"], "completed");
    assert_eq!(
        op["target"],
        format!("{}/certificates/finished", vault.base_url())
    );
    assert!(
        op.get("status_details").is_none_or(Value::is_null),
        "status_details dropped: {op}"
    );
    assert!(op.get("error").is_none_or(Value::is_null));
    // Following target as the Rust poller does (api-version appended) returns the certificate.
    let bundle = raw
        .get_absolute(&with_api_version(op["target"].as_str().unwrap()))
        .await;
    assert_eq!(bundle.status, StatusCode::OK, "{}", bundle.text);
    assert!(bundle.json()["cer"].is_string());
    // Cancelling a completed operation is a bad request.
    let rsp = raw
        .patch(
            "/certificates/finished/pending",
            &json!({ "cancellation_requested": true }),
        )
        .await;
    rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_an_in_progress_operation() {
    let vault = TestVault::start_with(|config| {
        config.self_signed_delay = std::time::Duration::from_secs(5);
    })
    .await;
    let raw = vault.raw();
    let rsp = raw
        .post(
            "/certificates/cancelme/create",
            &json!({ "policy": self_signed_ec_policy_json("CN=cancelme") }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED);
    assert_eq!(rsp.json()["status"], "inProgress");

    let rsp = raw
        .patch(
            "/certificates/cancelme/pending",
            &json!({ "cancellation_requested": true }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    assert_eq!(rsp.json()["cancellation_requested"], true);

    let op = raw.wait_finished("cancelme").await;
    assert_eq!(op["status"], "cancelled", "{op}");
    assert_eq!(op["cancellation_requested"], true);

    // The certificate object still exists and can be deleted.
    let rsp = raw.delete("/certificates/cancelme").await;
    assert_eq!(
        rsp.status,
        StatusCode::OK,
        "delete after cancel: {}",
        rsp.text
    );
}

// ------------------------------------------------------------------------------------------------
// Admin routes
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_need_no_auth() {
    let vault = TestVault::start().await;
    let base = vault.base_url();
    let rsp = Raw::send_built(vault.http().get(format!("{base}/_admin/health"))).await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);

    let rsp = Raw::send_built(vault.http().get(format!("{base}/_admin/ca.pem"))).await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    assert_eq!(
        rsp.text.trim(),
        vault.ca_pem().trim(),
        "served CA equals Handle::ca_pem"
    );
    let blocks = pem_blocks(&rsp.text);
    assert_eq!(blocks[0].0, "CERTIFICATE");
    let ca = parse_cert(&blocks[0].1);
    let bc = ca
        .basic_constraints()
        .unwrap()
        .expect("basic constraints")
        .value;
    assert!(bc.ca, "the dev CA is a CA");

    // The CA file on disk is the same PEM.
    let on_disk = std::fs::read_to_string(vault.ca_path()).expect("read ca_path");
    assert_eq!(on_disk.trim(), vault.ca_pem().trim());
    assert!(
        vault.ca_path().starts_with(vault.data_dir()),
        "CA lives in the data dir"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_url_overrides_the_host_header() {
    let vault = TestVault::start_with(|config| {
        config.public_url = Some("https://vault.example.test:9443".parse().unwrap());
    })
    .await;
    let raw = vault.raw();
    let bundle = raw.create_ec_certificate("public").await;
    let version = version_of(bundle["id"].as_str().unwrap());
    assert_eq!(
        bundle["id"],
        format!("https://vault.example.test:9443/certificates/public/{version}")
    );
    assert_eq!(
        bundle["kid"],
        format!("https://vault.example.test:9443/keys/public/{version}")
    );
    let op = raw.get("/certificates/public/pending").await.json();
    assert_eq!(
        op["target"],
        "https://vault.example.test:9443/certificates/public"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_and_http2_clients_both_work() {
    let vault = TestVault::start().await;
    let certs = reqwest::Certificate::from_pem_bundle(vault.ca_pem().as_bytes()).unwrap();
    let h1 = reqwest::Client::builder()
        .tls_certs_only(certs)
        .http1_only()
        .build()
        .unwrap();
    let raw1 = Raw::new(h1, vault.base_url());
    let bundle = raw1.create_ec_certificate("over-h1").await;
    assert!(bundle["cer"].is_string());
    let rsp = raw1
        .client
        .get(raw1.url("/certificates/over-h1"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.version(), reqwest::Version::HTTP_11);
    assert_eq!(rsp.status(), StatusCode::OK);

    let rsp = vault
        .http()
        .get(vault.raw().url("/certificates/over-h1"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.status(), StatusCode::OK);
    assert_eq!(
        rsp.version(),
        reqwest::Version::HTTP_2,
        "ALPN negotiates h2 with an h2-capable client"
    );
}

// ------------------------------------------------------------------------------------------------
// Client dialects seen on the wire (spec §11) and list/GET consistency (spec §3.4)
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_dialects_from_other_sdks() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let base = vault.base_url();
    let mut policy = self_signed_ec_policy_json("CN=dialects");
    policy["x509_props"]["sans"] = json!({ "dns_names": ["a.example.com", "b.example.com"] });
    let op = raw.create_and_wait("dialects", policy).await;
    assert_eq!(op["status"], "completed");

    // Python sends partial policies with empty objects: an empty `sans` means "unchanged".
    let rsp = raw
        .patch(
            "/certificates/dialects/policy",
            &json!({ "x509_props": { "sans": {}, "validity_months": 36 } }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let patched = rsp.json();
    assert_eq!(patched["x509_props"]["validity_months"], 36);
    assert_eq!(patched["x509_props"]["subject"], "CN=dialects");
    let mut dns: Vec<String> = patched["x509_props"]["sans"]["dns_names"]
        .as_array()
        .unwrap_or_else(|| panic!("SANs kept after an empty `sans` patch: {patched}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    dns.sort();
    assert_eq!(dns, ["a.example.com", "b.example.com"]);

    // JS: PATCH /certificates/{name}/ with api%2Dversion.
    let rsp = Raw::send_built(
        raw.client
            .patch(format!("{base}/certificates/dialects/?api%2Dversion=7.6"))
            .bearer_auth("t")
            .json(&json!({ "tags": { "from": "js" } })),
    )
    .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    assert_eq!(rsp.json()["tags"]["from"], "js");

    // A password-less PFX imports with pwd absent, null or "".
    let pfx = b64_std(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/tests/fixtures/rsa-chain-nopass.pfx"
        ))
        .unwrap(),
    );
    for (i, body) in [
        json!({ "value": pfx }),
        json!({ "value": pfx, "pwd": null }),
        json!({ "value": pfx, "pwd": "" }),
    ]
    .iter()
    .enumerate()
    {
        let rsp = raw
            .post(&format!("/certificates/nopass-{i}/import"), body)
            .await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "import variant {i}: {}",
            rsp.text
        );
        assert!(
            rsp.json()["policy"].is_object(),
            "import returns the policy"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_list_items_match_get_of_each_version() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    for i in 0..3 {
        let op = raw
            .create_and_wait("consistent", self_signed_ec_policy_json("CN=consistent"))
            .await;
        assert_eq!(op["status"], "completed");
        let rsp = raw
            .patch(
                "/certificates/consistent/",
                &json!({ "tags": { "round": i.to_string() } }),
            )
            .await;
        assert_eq!(rsp.status, StatusCode::OK);
        assert_eq!(
            rsp.content_type(),
            "application/json;charset=utf-8",
            "success responses too"
        );
    }
    let list = raw.get("/certificates/consistent/versions").await.json();
    let items = list["value"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        let id = item["id"].as_str().unwrap();
        let version = version_of(id);
        let b = raw
            .get(&format!("/certificates/consistent/{version}"))
            .await
            .json();
        assert_eq!(b["id"], item["id"]);
        assert_eq!(b["x5t"], item["x5t"], "{id}");
        assert_eq!(b["tags"], item["tags"], "{id}");
        for field in ["enabled", "nbf", "exp", "created", "updated"] {
            assert_eq!(
                b["attributes"][field], item["attributes"][field],
                "{id}: attributes.{field}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_pending_is_carried_through_next_link() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    for i in 0..3 {
        let rsp = raw
            .post(
                &format!("/certificates/pend-{i}/create"),
                &json!({ "policy": unknown_issuer_policy(&format!("CN=pend-{i}")) }),
            )
            .await;
        assert_eq!(rsp.status, StatusCode::ACCEPTED, "{}", rsp.text);
    }
    raw.create_ec_certificate("complete").await;

    let first = raw
        .get("/certificates?includePending=true&maxresults=1")
        .await
        .json();
    let next = first["nextLink"].as_str().expect("nextLink");
    let query: HashMap<String, String> = url::Url::parse(next)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(
        query.get("includePending").map(String::as_str),
        Some("true"),
        "{next}"
    );
    let (ids, _) = walk(
        &raw,
        "/certificates?includePending=true&maxresults=1",
        |n| n.to_string(),
    )
    .await;
    let mut names: Vec<&str> = ids
        .iter()
        .map(|id| id.rsplit('/').next().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["complete", "pend-0", "pend-1", "pend-2"]);
    let (ids, _) = walk(&raw, "/certificates?maxresults=1", |n| n.to_string()).await;
    assert_eq!(
        ids.len(),
        1,
        "pending certificates are hidden without includePending"
    );
}
