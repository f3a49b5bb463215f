//! Many vaults picked by host name (issue 14 §3), over real HTTPS with the dev CA: `--vault`
//! vaults and one opened on first use (`--auth dev`) are isolated for certificates, issuers,
//! contacts and deleted certificates; ids carry the host the client used; the default vault
//! (127.0.0.1) keeps its own data; a restart keeps every vault's data; an invalid name is 400;
//! a Key Vault path on the login host is 404; the challenge's `resource` for
//! `NAME.vault.localhost:PORT` is `https://vault.localhost:PORT`; concurrent first uses open a
//! vault once; in `--auth entra` an undeclared name is 404 `VaultNotFound`.

use crate::common::{self, Served};
use crate::entra_support;

use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Vault names the tests use besides the default (127.0.0.1): `alpha` and `bravo` (declared),
/// `charlie` (opened on first use), `x1` (an invalid name: two characters).
const HOSTS: [&str; 4] = ["alpha", "bravo", "charlie", "x1"];
/// Entra ID's host: vault answers its identity endpoints there, and nothing of Key Vault.
const LOGIN_HOST: &str = "login.microsoftonline.com";

struct Vault {
    handle: vault::Handle,
    shutdown: CancellationToken,
    client: reqwest::Client,
}

impl Vault {
    async fn start(dir: &Path) -> Vault {
        let mut config = vault::Config::new(dir);
        config.vaults = vec!["alpha".into(), "Bravo".into()];
        let Served {
            handle,
            shutdown,
            client,
        } = Served::start_with(config, |builder, handle| {
            HOSTS
                .iter()
                .fold(builder, |b, name| {
                    b.resolve(&format!("{name}.vault.localhost"), handle.addr)
                })
                .resolve(LOGIN_HOST, handle.addr)
        })
        .await;
        Vault {
            client,
            handle,
            shutdown,
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.handle.stopped().await;
    }

    /// The base URL of vault `name` (`None`: the default vault by IP address).
    fn base(&self, name: Option<&str>) -> String {
        match name {
            Some(name) => format!("https://{name}.vault.localhost:{}", self.handle.addr.port()),
            None => self.handle.url(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        vault: Option<&str>,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{}{path}{sep}api-version=7.6", self.base(vault));
        let mut req = self.client.request(method, url).bearer_auth("dev");
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, vault: Option<&str>, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, vault, path, None).await
    }

    /// Creates a self-signed certificate and waits (polling, with a deadline) until it is
    /// issued; returns the certificate bundle.
    async fn issue(&self, vault: Option<&str>, name: &str, subject: &str) -> Value {
        let policy = json!({"policy": {
            "key_props": {"kty": "EC", "crv": "P-256"},
            "x509_props": {"subject": subject},
            "issuer": {"name": "Self"}
        }});
        let path = format!("/certificates/{name}/create");
        let (status, op) = self
            .call(reqwest::Method::POST, vault, &path, Some(policy))
            .await;
        assert_eq!(status, 202, "{op}");
        let started = Instant::now();
        loop {
            let (_, op) = self
                .get(vault, &format!("/certificates/{name}/pending"))
                .await;
            if op["status"] == "completed" {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{name} was not issued: {op}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (status, cert) = self.get(vault, &format!("/certificates/{name}")).await;
        assert_eq!(status, 200, "{cert}");
        cert
    }
}

/// The subject of a certificate bundle, read from the certificate itself.
fn subject(cert: &Value) -> String {
    let der = shared::b64::decode_lenient(cert["cer"].as_str().unwrap()).unwrap();
    let (_, parsed) = x509_parser::parse_x509_certificate(&der).unwrap();
    parsed.subject().to_string()
}

/// Each vault's own data, written once and checked before and after a restart.
async fn check_own_data(v: &Vault) {
    let port = v.handle.addr.port();
    for (vault, cn) in [
        (Some("alpha"), "CN=a"),
        (Some("bravo"), "CN=b"),
        (None, "CN=default"),
    ] {
        let (status, cert) = v.get(vault, "/certificates/web").await;
        assert_eq!(status, 200, "{vault:?}: {cert}");
        assert_eq!(subject(&cert), cn, "{vault:?}");
        // Ids use the host the client used.
        let id = cert["id"].as_str().unwrap();
        let expected = match vault {
            Some(name) => format!("https://{name}.vault.localhost:{port}/certificates/web/"),
            None => format!("https://127.0.0.1:{port}/certificates/web/"),
        };
        assert!(id.starts_with(&expected), "{id} vs {expected}");
    }
    // Only `alpha` has the issuer and contacts; only `bravo` deleted its `old`; `charlie` has
    // `solo` alone.
    let (status, issuer) = v.get(Some("alpha"), "/certificates/issuers/partner").await;
    assert_eq!(status, 200, "{issuer}");
    assert_eq!(
        issuer["id"],
        format!("https://alpha.vault.localhost:{port}/certificates/issuers/partner")
    );
    let (status, contacts) = v.get(Some("alpha"), "/certificates/contacts").await;
    assert_eq!(status, 200, "{contacts}");
    assert_eq!(contacts["contacts"][0]["email"], "ops@alpha.example");
    for vault in [Some("bravo"), Some("charlie"), None] {
        let (status, body) = v.get(vault, "/certificates/issuers/partner").await;
        assert_eq!(status, 404, "{vault:?}: {body}");
        let (status, body) = v.get(vault, "/certificates/contacts").await;
        assert_eq!(status, 404, "{vault:?}: {body}");
    }
    let (status, deleted) = v.get(Some("bravo"), "/deletedcertificates/old").await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(
        deleted["recoveryId"],
        format!("https://bravo.vault.localhost:{port}/deletedcertificates/old")
    );
    for vault in [Some("alpha"), Some("charlie"), None] {
        let (_, list) = v.get(vault, "/deletedcertificates").await;
        assert_eq!(list["value"], json!([]), "{vault:?}");
    }
    let (_, list) = v.get(Some("charlie"), "/certificates").await;
    let names: Vec<_> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().rsplit('/').next().unwrap())
        .collect();
    assert_eq!(names, ["solo"]);
    assert_eq!(
        subject(&v.get(Some("charlie"), "/certificates/solo").await.1),
        "CN=c"
    );
    for vault in [Some("alpha"), Some("bravo"), None] {
        let (status, _) = v.get(vault, "/certificates/solo").await;
        assert_eq!(status, 404, "{vault:?}");
    }
}

#[tokio::test]
async fn vaults_by_host_name_are_isolated_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::start(dir.path()).await;

    // The same certificate name in three vaults: three certificates.
    v.issue(Some("alpha"), "web", "CN=a").await;
    v.issue(Some("bravo"), "web", "CN=b").await;
    v.issue(None, "web", "CN=default").await;
    // `charlie` was never declared: `--auth dev` opens it on first use.
    v.issue(Some("charlie"), "solo", "CN=c").await;
    assert!(dir.path().join("vaults").join("charlie").is_dir());
    // An issuer and contacts in `alpha` only.
    let put = reqwest::Method::PUT;
    let (status, body) = v
        .call(
            put.clone(),
            Some("alpha"),
            "/certificates/issuers/partner",
            Some(json!({"provider": "DigiCert"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let contacts = json!({"contacts": [{"email": "ops@alpha.example"}]});
    let (status, body) = v
        .call(put, Some("alpha"), "/certificates/contacts", Some(contacts))
        .await;
    assert_eq!(status, 200, "{body}");
    // A deleted certificate in `bravo` only.
    v.issue(Some("bravo"), "old", "CN=old").await;
    let (status, body) = v
        .call(
            reqwest::Method::DELETE,
            Some("bravo"),
            "/certificates/old",
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    check_own_data(&v).await;

    // Notifications are per vault: `?vault=` picks one, an unknown name is 404.
    let admin = |q: &str| {
        let url = format!("{}/_admin/notifications{q}", v.handle.url());
        let client = v.client.clone();
        async move {
            let resp = client.get(url).send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = admin("?vault=alpha").await;
    assert_eq!((status, &body["vault"]), (200, &json!("alpha")), "{body}");
    let (status, body) = admin("").await;
    assert_eq!((status, &body["vault"]), (200, &json!("default")), "{body}");
    let (status, body) = admin("?vault=nowhere").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "VaultNotFound");

    // Restart on the same data dir: every vault comes back with its data (a new port).
    v.stop().await;
    let v = Vault::start(dir.path()).await;
    check_own_data(&v).await;
    v.stop().await;
}

#[tokio::test]
async fn bad_names_the_login_host_and_the_local_challenge() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vault::start(dir.path()).await;
    let (status, body) = v.get(Some("x1"), "/certificates").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "BadParameter");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("3-24 characters"), "{message}");
    assert!(!dir.path().join("vaults").join("x1").exists());

    // A Key Vault path on the login host is no vault's.
    let resp = v
        .client
        .get(format!(
            "https://{LOGIN_HOST}:{}/certificates?api-version=7.6",
            v.handle.addr.port()
        ))
        .bearer_auth("dev")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NotFound", "{body}");

    // No token: the challenge's resource is one the SDKs' own check accepts for the host.
    let port = v.handle.addr.port();
    let url = format!("{}/certificates?api-version=7.6", v.base(Some("alpha")));
    let challenge = common::challenge(&v.client, &url).await;
    assert!(
        challenge.contains(&format!("resource=\"https://vault.localhost:{port}\"")),
        "{challenge}"
    );
    v.stop().await;
}

/// A registry on `dir` as `serve` builds it, without the HTTP front end.
async fn registry(
    dir: &Path,
    auth: vault::config::AuthMode,
    declared: &[String],
) -> (Arc<vault::vaults::Vaults>, TaskTracker, CancellationToken) {
    use vault::vaults::{open::open_store, Shared, Vaults};
    let mut config = vault::Config::new(dir);
    config.auth = auth;
    let db = open_store(dir, None, dir).await.unwrap();
    let clock = Arc::new(
        vault::clock::ClockControl::restore(db.clone(), None)
            .await
            .unwrap(),
    );
    let (tracker, shutdown) = (TaskTracker::new(), CancellationToken::new());
    let addr = "127.0.0.1:8443".parse().unwrap();
    let acme = vault::acme::gateway::Acme::start(
        &config,
        clock.clock(),
        Default::default(),
        tracker.clone(),
    )
    .await
    .unwrap();
    let parts = Shared::new(
        &config,
        addr,
        clock,
        Default::default(),
        Arc::new(acme),
        &tracker,
        &shutdown,
    );
    let access = Arc::new(vault::access::Access::new(Default::default()));
    let vaults = Vaults::start(parts, db, declared, access, auth)
        .await
        .unwrap();
    (Arc::new(vaults), tracker, shutdown)
}

async fn stop(tracker: TaskTracker, shutdown: CancellationToken) {
    shutdown.cancel();
    tracker.close();
    tracker.wait().await;
}

/// The registry's decisions in `--auth entra`, without tokens: a declared name opens, an
/// undeclared one is 404 `VaultNotFound` naming how to declare it, an invalid one is 400.
#[tokio::test]
async fn entra_mode_knows_only_declared_vaults() {
    let dir = tempfile::tempdir().unwrap();
    let declared = ["kept".to_string()];
    let (vaults, tracker, shutdown) =
        registry(dir.path(), vault::config::AuthMode::Entra, &declared).await;

    assert_eq!(vaults.resolve("kept").await.unwrap().name, "kept");
    assert_eq!(vaults.resolve("default").await.unwrap().name, "default");
    match vaults.resolve("stranger").await {
        Err(vault::Error::NotFound { code, message }) => {
            assert_eq!(code, "VaultNotFound");
            assert!(message.contains("--vault stranger"), "{message}");
        }
        Err(other) => panic!("expected VaultNotFound, got {other}"),
        Ok(_) => panic!("an undeclared vault opened in entra mode"),
    }
    assert!(!dir.path().join("vaults").join("stranger").exists());
    assert!(matches!(
        vaults.resolve("-bad").await,
        Err(vault::Error::BadParameter(_))
    ));
    stop(tracker, shutdown).await;
}

/// Concurrent first uses of a name (`--auth dev`) open it once: every caller gets the same
/// vault.
#[tokio::test]
async fn concurrent_first_uses_open_a_vault_once() {
    let dir = tempfile::tempdir().unwrap();
    let (vaults, tracker, shutdown) = registry(dir.path(), vault::config::AuthMode::Dev, &[]).await;
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let vaults = vaults.clone();
            tokio::spawn(async move { vaults.resolve("delta").await.unwrap() })
        })
        .collect();
    let mut opened = Vec::new();
    for racer in racers {
        opened.push(racer.await.unwrap());
    }
    assert!(opened.iter().all(|v| Arc::ptr_eq(v, &opened[0])));
    assert_eq!(
        vaults
            .all()
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>(),
        ["default", "delta"]
    );
    stop(tracker, shutdown).await;
}

/// Over HTTPS in `--auth entra` with a token from vault's own token service: a vault the
/// access file declares answers (and sees only its own data), an undeclared name is 404
/// `VaultNotFound` and no store is made for it.
#[tokio::test]
async fn entra_mode_answers_declared_vaults_and_404s_the_rest() {
    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const APP: &str = "11111111-1111-1111-1111-111111111111";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        common::access_file(dir.path()),
        format!(
            r#"tenant_id = "{TENANT}"
[[principals]]
name = "app"
client_id = "{APP}"
client_secret = "app-secret"
[[vaults]]
name = "declared"
authorization = "access-policy"
[[vaults.access_policies]]
principal = "app"
certificates = ["get", "list", "create"]
"#
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let config = common::entra_config(dir.path());
    let Served {
        handle,
        shutdown,
        client,
    } = Served::start_with(config, |builder, handle| {
        builder
            .resolve("declared.vault.localhost", handle.addr)
            .resolve("stranger.vault.localhost", handle.addr)
    })
    .await;
    let token =
        entra_support::client_secret_token(&client, &handle.url(), TENANT, APP, "app-secret").await;

    let port = handle.addr.port();
    let list = |name: &str| {
        let url = format!("https://{name}.vault.localhost:{port}/certificates?api-version=7.6");
        let req = client.get(url).bearer_auth(&token);
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = list("declared").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"], json!([]));
    let (status, body) = list("stranger").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "VaultNotFound");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("--vault stranger"), "{message}");
    assert!(!data.join("vaults").join("stranger").exists());
    assert!(data.join("vaults").join("declared").is_dir());
    shutdown.cancel();
    handle.stopped().await;
}
