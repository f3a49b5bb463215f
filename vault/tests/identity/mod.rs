//! The Entra-shaped token service of `--auth entra` (issue 14 §1), over real HTTPS with the dev
//! CA: tokens by client secret and by certificate-signed client assertion, Entra's error JSON
//! for each refusal, the discovery documents and the JWKS (which verifies the tokens), managed
//! identity in both styles (plain-HTTP `--identity-listen` and the TLS port), the admin-token
//! gate, and the 401 + challenge for every kind of unacceptable token; a minted token creates a
//! certificate.

mod env;

use crate::common::{self, Served};

use aws_lc_rs::signature::{RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use env::{
    assert_entra_error, assertion, b64, client_certificate, credentials, good_claims, msi_get, now,
    segment, sign, Env, APP, CERT_APP, MI, MI_HEADER, POLICY, TENANT,
};
use serde_json::{json, Value};
use shared::crypto;
use shared::models::SignatureAlgorithm;

#[tokio::test]
async fn tokens_by_secret_and_by_client_assertion_work_on_key_vault() {
    let env = Env::start(|_| {}).await;
    let base = env.base();

    // What MSAL fetches first.
    let (status, oidc) = env
        .get_json(&format!("/{TENANT}/v2.0/.well-known/openid-configuration"))
        .await;
    assert_eq!(status, 200);
    let token_endpoint = format!("{base}/{TENANT}/oauth2/v2.0/token");
    assert_eq!(oidc["token_endpoint"], token_endpoint.as_str());
    assert_eq!(oidc["issuer"], format!("{base}/{TENANT}/v2.0"));
    assert_eq!(
        oidc["jwks_uri"],
        format!("{base}/{TENANT}/discovery/v2.0/keys")
    );
    assert!(oidc["authorization_endpoint"].is_string());

    // Client secret, v2.
    let token = env.secret_token("https://vault.azure.net/.default").await;
    let header = segment(&token, 0);
    let claims = segment(&token, 1);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["kid"], header["x5t"]);
    assert_eq!(claims["aud"], "https://vault.azure.net");
    assert_eq!(claims["iss"], format!("https://sts.windows.net/{TENANT}/"));
    assert_eq!(claims["tid"], TENANT);
    assert_eq!(claims["appid"], APP);
    assert_eq!(claims["appidacr"], "1");
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["ver"], "1.0");
    assert_eq!(claims["sub"], claims["oid"]);
    let exp = claims["exp"].as_i64().unwrap();
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(exp - iat, 3599);
    assert!((iat - now()).abs() < 60);
    // The derived object id is the access document's (stable, UUID-shaped).
    let principal = vault::access::Principal {
        client_id: APP.into(),
        ..Default::default()
    };
    assert_eq!(claims["oid"], principal.object_id_or_derived(TENANT));

    // The JWKS verifies it.
    let (status, jwks) = env
        .get_json(&format!("/{TENANT}/discovery/v2.0/keys"))
        .await;
    assert_eq!(status, 200);
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], header["kid"]);
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    let (signed, sig) = token.rsplit_once('.').unwrap();
    RsaPublicKeyComponents { n: &n, e: &e }
        .verify(
            &RSA_PKCS1_2048_8192_SHA256,
            signed.as_bytes(),
            &URL_SAFE_NO_PAD.decode(sig).unwrap(),
        )
        .expect("the JWKS key verifies the token");
    // x5c is the certificate whose thumbprint is the kid.
    let x5c = base64::engine::general_purpose::STANDARD
        .decode(key["x5c"][0].as_str().unwrap())
        .unwrap();
    assert_eq!(crypto::x5t(&x5c), key["kid"].as_str().unwrap());
    let (status, v1_keys) = env.get_json("/common/discovery/keys").await;
    assert_eq!(status, 200);
    assert_eq!(v1_keys["keys"][0]["kid"], key["kid"]);

    // A real Key Vault call: first without a token (the challenge), then with it.
    let challenged = env.create("c1", None).await;
    assert_eq!(challenged.status(), 401);
    let challenge = challenged.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains(&format!(
            "authorization=\"https://login.microsoftonline.com/{TENANT}\""
        )),
        "{challenge}"
    );
    let created = env.create("c1", Some(&token)).await;
    assert_eq!(created.status(), 202, "{:?}", created.text().await);

    // v1 endpoint: resource=, string fields, the audience as requested.
    let (status, v1) = env
        .token_request(
            &format!("/{TENANT}/oauth2/token"),
            &credentials(APP, &[("client_secret", "app-secret"), ("resource", &base)]),
        )
        .await;
    assert_eq!(status, 200, "{v1}");
    assert_eq!(v1["token_type"], "Bearer");
    assert_eq!(v1["expires_in"], "3599");
    assert_eq!(v1["resource"], base.as_str());
    assert!(v1["expires_on"].as_str().unwrap().parse::<i64>().is_ok());
    assert!(v1["not_before"].as_str().unwrap().parse::<i64>().is_ok());
    let v1_token = v1["access_token"].as_str().unwrap();
    assert_eq!(segment(v1_token, 1)["aud"], base.as_str());
    // client_secret_basic: the credentials in the Authorization header.
    let basic = env
        .client
        .post(format!("{base}/{TENANT}/oauth2/v2.0/token"))
        .basic_auth(APP, Some("app-secret"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&scope=https%3A%2F%2Fvault.azure.net%2F.default")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200);
    // A token for https://127.0.0.1:PORT is good on that host.
    assert_eq!(env.create("c2", Some(v1_token)).await.status(), 202);

    // Client assertions, RS256 and PS256, with and without x5t.
    // MSAL Python sends x5t base64url *with* padding.
    let x5t = format!("{}=", crypto::x5t(&env.cert_der));
    for (alg, x5t) in [
        (SignatureAlgorithm::Rs256, Some(x5t.as_str())),
        (SignatureAlgorithm::Ps256, None),
    ] {
        let jwt = assertion(&env, alg, &token_endpoint, now() + 600, x5t);
        let (status, body) = env.assertion_request(&jwt).await;
        assert_eq!(status, 200, "{alg:?}: {body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3599);
        assert_eq!(body["ext_expires_in"], 3599);
        let claims = segment(body["access_token"].as_str().unwrap(), 1);
        assert_eq!(claims["appid"], CERT_APP);
        assert_eq!(claims["appidacr"], "2");
    }

    // Bad assertions: another key, wrong audience, expired, wrong thumbprint.
    let (other_key, other_der) = client_certificate("CN=intruder");
    let header = json!({"alg": "RS256", "typ": "JWT"});
    let claims =
        json!({"aud": token_endpoint, "iss": CERT_APP, "sub": CERT_APP, "exp": now() + 600});
    let foreign = sign(&other_key, SignatureAlgorithm::Rs256, &header, &claims);
    let rs256 = |aud: &str, exp: i64, x5t: Option<&str>| {
        assertion(&env, SignatureAlgorithm::Rs256, aud, exp, x5t)
    };
    let cases = [
        (foreign, 700027),
        (rs256("https://elsewhere/token", now() + 600, None), 700027),
        (rs256(&token_endpoint, now() - 3600, None), 700024),
        (
            rs256(&token_endpoint, now() + 600, Some(&crypto::x5t(&other_der))),
            700027,
        ),
    ];
    for (jwt, code) in cases {
        let (status, body) = env.assertion_request(&jwt).await;
        assert_eq!(status, 401, "{body}");
        assert_entra_error(&body, "invalid_client", code);
    }
    env.stop().await;
}

#[tokio::test]
async fn refusals_are_entras_error_json() {
    let env = Env::start(|_| {}).await;
    let v2 = format!("/{TENANT}/oauth2/v2.0/token");
    let scope = ("scope", "https://vault.azure.net/.default");
    let secret = ("client_secret", "app-secret");
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, u16, &'a str, u64);
    let cases: Vec<Case> = vec![
        (
            v2.clone(),
            credentials(APP, &[("client_secret", "wrong"), scope]),
            401,
            "invalid_client",
            7000215,
        ),
        (
            v2.clone(),
            credentials(
                APP,
                &[secret, ("scope", "https://management.azure.com/.default")],
            ),
            400,
            "invalid_scope",
            70011,
        ),
        (
            v2.clone(),
            credentials(APP, &[secret]),
            400,
            "invalid_scope",
            70011,
        ),
        (
            v2.clone(),
            credentials("99999999-9999-9999-9999-999999999999", &[secret, scope]),
            400,
            "unauthorized_client",
            700016,
        ),
        (
            "/99999999-0000-0000-0000-000000000000/oauth2/v2.0/token".into(),
            credentials(APP, &[secret, scope]),
            400,
            "invalid_request",
            90002,
        ),
        (
            v2.clone(),
            vec![
                ("grant_type", "password"),
                ("client_id", APP),
                secret,
                scope,
            ],
            400,
            "unsupported_grant_type",
            70003,
        ),
        (
            v2.clone(),
            credentials(APP, &[scope]),
            401,
            "invalid_client",
            7000218,
        ),
        (
            format!("/{TENANT}/oauth2/token"),
            credentials(APP, &[secret, ("resource", "https://graph.microsoft.com")]),
            400,
            "invalid_resource",
            500011,
        ),
        (
            "/common/oauth2/v2.0/token".into(),
            credentials(APP, &[secret, scope]),
            400,
            "invalid_request",
            50059,
        ),
    ];
    for (path, form, status, error, code) in cases {
        let (got, body) = env.token_request(&path, &form).await;
        assert_eq!(got, status, "{path} {form:?}: {body}");
        assert_entra_error(&body, error, code);
        // The client's request id comes back as the correlation id.
        assert_eq!(body["correlation_id"], "corr-1234");
    }
    // The token endpoint takes POST only.
    let (status, body) = env.get_json(&v2).await;
    assert_eq!(status, 400);
    assert_entra_error(&body, "invalid_request", 900561);
    // The managed identity has no secret: it cannot use client credentials.
    let (status, body) = env
        .token_request(
            &v2,
            &credentials(MI, &[("client_secret", "anything"), scope]),
        )
        .await;
    assert_eq!(status, 401);
    assert_entra_error(&body, "invalid_client", 7000215);
    env.stop().await;
}

#[tokio::test]
async fn discovery_documents_use_the_requests_host() {
    let env = Env::start(|_| {}).await;
    let base = env.base();
    let (status, v1) = env
        .get_json(&format!("/{TENANT}/.well-known/openid-configuration"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        v1["token_endpoint"],
        format!("{base}/{TENANT}/oauth2/token")
    );
    assert_eq!(v1["issuer"], format!("https://sts.windows.net/{TENANT}/"));
    let (status, common) = env
        .get_json("/common/v2.0/.well-known/openid-configuration")
        .await;
    assert_eq!(status, 200);
    assert_eq!(common["issuer"], format!("{base}/{{tenantid}}/v2.0"));
    assert_eq!(
        common["token_endpoint"],
        format!("{base}/common/oauth2/v2.0/token")
    );
    let (status, unknown) = env
        .get_json("/not-a-tenant/v2.0/.well-known/openid-configuration")
        .await;
    assert_eq!(status, 400);
    assert_entra_error(&unknown, "invalid_tenant", 90002);

    // Instance discovery points at the authority's own host.
    let (status, instance) = env
        .get_json(&format!(
            "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/authorize"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        instance["tenant_discovery_endpoint"],
        format!("https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration")
    );
    assert_eq!(instance["api-version"], "1.1");
    assert!(instance["metadata"][0]["aliases"].is_array());
    let (status, own) = env.get_json("/common/discovery/instance").await;
    assert_eq!(status, 200);
    assert_eq!(
        own["tenant_discovery_endpoint"],
        format!("{base}/common/v2.0/.well-known/openid-configuration")
    );
    // A Key Vault path word is never a tenant: this is Key Vault's 401.
    let resp = env
        .client
        .get(format!("{base}/certificates/oauth2/token?api-version=7.5"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "Unauthorized");
    env.stop().await;
}

#[tokio::test]
async fn managed_identity_in_both_styles() {
    let env = Env::start(|c| {
        c.identity_listen = Some("127.0.0.1:0".parse().unwrap());
        c.identity_header = Some(MI_HEADER.into());
    })
    .await;
    let plain = format!("http://{}", env.handle.identity_addr.unwrap());
    let http = reqwest::Client::new();

    // App Service style, on the plain-HTTP listener.
    let url = format!("{plain}/msi/token?resource=https://vault.azure.net&api-version=2019-08-01");
    let resp = msi_get(&http, &url, Some(MI_HEADER)).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["resource"], "https://vault.azure.net");
    assert_eq!(body["client_id"], MI);
    let expires_on: i64 = body["expires_on"].as_str().unwrap().parse().unwrap();
    assert!((expires_on - now() - 3599).abs() < 60);
    let token = body["access_token"].as_str().unwrap().to_string();
    let claims = segment(&token, 1);
    assert_eq!(claims["appid"], MI);
    assert_eq!(claims["aud"], "https://vault.azure.net");
    assert_eq!(env.create("mi1", Some(&token)).await.status(), 202);
    // Named by client_id; an unknown one is not found.
    for (url, header, status) in [
        (format!("{url}&client_id={MI}"), Some(MI_HEADER), 200),
        (format!("{url}&client_id={APP}"), Some(MI_HEADER), 400),
        // Missing or wrong header.
        (url.clone(), None, 400),
        (url.clone(), Some("nope"), 401),
    ] {
        let resp = msi_get(&http, &url, header).await;
        assert_eq!(resp.status(), status, "{url} with {header:?}");
    }
    // The listener serves nothing else.
    let other = http
        .get(format!("{plain}/certificates?api-version=7.5"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);

    // IMDS style, on the plain listener and on the TLS port.
    let imds_path =
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net";
    for (client, base) in [(&http, plain.clone()), (&env.client, env.base())] {
        let url = format!("{base}{imds_path}");
        let resp = client.get(&url).header("Metadata", "true").send();
        let resp = resp.await.unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["expires_in"], "3599");
        assert_eq!(body["client_id"], MI);
        assert_eq!(body["resource"], "https://vault.azure.net");
        assert!(body["expires_on"].as_str().unwrap().parse::<i64>().is_ok());
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(segment(token, 1)["appid"], MI);
    }
    let no_metadata = http
        .get(format!("{plain}{imds_path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_metadata.status(), 400);
    let body: Value = no_metadata.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        body["error_description"],
        "Required metadata header not specified"
    );
    let dir = env.stop().await;

    // The listener is loopback only.
    let mut config = vault::Config::new(dir.path().join("data"));
    config.auth = vault::config::AuthMode::Entra;
    config.identity_listen = Some("0.0.0.0:0".parse().unwrap());
    let refused = common::serve(config).await;
    assert!(
        matches!(refused, Err(vault::Error::Config(ref m)) if m.contains("loopback")),
        "{:?}",
        refused.err()
    );
}

#[tokio::test]
async fn a_generated_identity_header_and_admin_token_are_kept_in_the_data_dir() {
    let env = Env::start(|_| {}).await;
    let header_file = env.data().join("identity/identity-header");
    let header = std::fs::read_to_string(&header_file).unwrap();
    let admin_file = env.data().join("admin.token");
    let admin = std::fs::read_to_string(&admin_file).unwrap();
    #[cfg(unix)]
    for file in [
        &header_file,
        &admin_file,
        &env.data().join("identity/signing-key.pem"),
    ] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    let url = format!(
        "{}/msi/token?resource=https://vault.azure.net&api-version=2019-08-01",
        env.base()
    );
    let resp = msi_get(&env.client, &url, Some(header.trim())).await;
    assert_eq!(resp.status(), 200);

    // The admin gate: health and ca.pem open, the rest needs the token.
    let base = env.base();
    for open in ["/_admin/health", "/_admin/ca.pem"] {
        let resp = env
            .client
            .get(format!("{base}{open}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{open}");
    }
    // A Key Vault access token is not the admin token either.
    let kv_token = env.secret_token("https://vault.azure.net/.default").await;
    for (token, status) in [
        (None, 401),
        (Some("wrong"), 401),
        (Some(kv_token.as_str()), 401),
        (Some(admin.trim()), 200),
    ] {
        let mut req = env.client.get(format!("{base}/_admin/clock"));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), status, "{token:?}");
    }

    // A restart keeps the signing key: the old token still works, the kid is the same.
    let kid = segment(&kv_token, 0)["kid"].clone();
    let dir = env.stop().await;
    let again = Served::start(common::entra_config(dir.path())).await;
    let jwks: Value = again
        .client
        .get(format!(
            "{}/{TENANT}/discovery/v2.0/keys",
            again.handle.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], kid);
    let resp = again
        .client
        .get(format!(
            "{}/certificates?api-version=7.5",
            again.handle.url()
        ))
        .bearer_auth(&kv_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("data/admin.token")).unwrap(),
        admin
    );
    again.stop().await;
}

#[tokio::test]
async fn unacceptable_tokens_get_401_with_the_challenge() {
    let env = Env::start(|c| c.vaults = vec!["myvault".into()]).await;
    let base = env.base();
    let key = env.signing_key();
    let kid = segment(
        &env.secret_token("https://vault.azure.net/.default").await,
        0,
    )["kid"]
        .as_str()
        .unwrap()
        .to_string();
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": kid, "x5t": kid});
    let mint = |claims: &Value| sign(&key, SignatureAlgorithm::Rs256, &header, claims);

    // The control: our own minting with these claims is accepted.
    let good = mint(&good_claims("https://vault.azure.net"));
    assert_eq!(env.create("ok", Some(&good)).await.status(), 202);

    let spoil = |field: &str, value: Value| {
        let mut claims = good_claims("https://vault.azure.net");
        claims[field] = value;
        claims
    };
    let (foreign_key, _) = client_certificate("CN=foreign");
    let mut tampered = good.clone();
    tampered.replace_range(
        tampered.find('.').unwrap() + 1..tampered.rfind('.').unwrap(),
        &b64(&spoil("appid", json!("someone-else"))),
    );
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no token", None, "missing a Bearer or PoP token"),
        ("malformed", Some("not-a-jwt".into()), "AKV10000"),
        ("bad signature", Some(tampered), "signature"),
        (
            "foreign-signed, same kid",
            Some(sign(
                &foreign_key,
                SignatureAlgorithm::Rs256,
                &header,
                &good_claims("https://vault.azure.net"),
            )),
            "signature",
        ),
        (
            "unknown kid",
            Some(sign(
                &key,
                SignatureAlgorithm::Rs256,
                &json!({"typ": "JWT", "alg": "RS256", "kid": "other"}),
                &good_claims("https://vault.azure.net"),
            )),
            "AKV10046",
        ),
        (
            "expired",
            Some(mint(&spoil("exp", json!(now() - 3600)))),
            "expired",
        ),
        (
            "not yet valid",
            Some(mint(&spoil("nbf", json!(now() + 3600)))),
            "not yet valid",
        ),
        (
            "wrong audience",
            Some(mint(&spoil("aud", json!("https://management.azure.com")))),
            "AKV10022",
        ),
        (
            "wrong issuer",
            Some(mint(&spoil(
                "iss",
                json!("https://sts.windows.net/99999999-0000-0000-0000-000000000000/"),
            ))),
            "AKV10032",
        ),
        (
            "wrong tenant",
            Some(mint(&spoil(
                "tid",
                json!("99999999-0000-0000-0000-000000000000"),
            ))),
            "AKV10032",
        ),
    ];
    for (what, token, text) in cases {
        let resp = env.create("refused", token.as_deref()).await;
        assert_eq!(resp.status(), 401, "{what}");
        let challenge = resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(
            challenge,
            format!(
                "Bearer authorization=\"https://login.microsoftonline.com/{TENANT}\", resource=\"{base}\""
            ),
            "{what}"
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "Unauthorized", "{what}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(text), "{what}: {message}");
    }
    // Nothing refused was created.
    let resp = env
        .client
        .get(format!(
            "{base}/certificates/refused/pending?api-version=7.5"
        ))
        .bearer_auth(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // A token for another host's resource is refused here.
    let local = format!("https://vault.localhost:{}", env.handle.addr.port());
    let local_token = mint(&good_claims(&local));
    assert_eq!(env.create("local", Some(&local_token)).await.status(), 401);
    // … and accepted on a host of that resource, whose challenge names it.
    let port = env.handle.addr.port();
    let named = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(env.handle.ca_pem.as_bytes()).unwrap()])
        .resolve("myvault.vault.localhost", env.handle.addr)
        .build()
        .unwrap();
    let url =
        format!("https://myvault.vault.localhost:{port}/certificates/local/create?api-version=7.5");
    let challenged = named.post(&url).send().await.unwrap();
    assert_eq!(challenged.status(), 401);
    let challenge = challenged.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.ends_with(&format!("resource=\"{local}\"")),
        "{challenge}"
    );
    let created = named
        .post(&url)
        .bearer_auth(&local_token)
        .header("content-type", "application/json")
        .body(POLICY)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 202, "{:?}", created.text().await);
    // A token for https://vault.azure.net is good on any host.
    let created = named
        .post(url.replace("/local/", "/azure/"))
        .bearer_auth(&good)
        .header("content-type", "application/json")
        .body(POLICY)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 202);
    env.stop().await;
}

/// The access document may be replaced at runtime: a principal added later gets tokens.
#[tokio::test]
async fn principals_are_read_at_each_request() {
    let env = Env::start(|_| {}).await;
    let mut doc = (*env.handle.app.access.doc()).clone();
    doc.principals.push(vault::access::Principal {
        name: "late".into(),
        client_id: "44444444-4444-4444-4444-444444444444".into(),
        client_secret: Some("late-secret".into()),
        ..Default::default()
    });
    env.handle.app.access.replace(doc);
    let (status, body) = env
        .token_v2(&credentials(
            "44444444-4444-4444-4444-444444444444",
            &[
                ("client_secret", "late-secret"),
                ("scope", "https://vault.azure.net/.default"),
            ],
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    env.stop().await;
}
