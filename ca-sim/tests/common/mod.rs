//! Test harness: ca-sim in-process on 127.0.0.1:0, a client trusting its TLS CA, CSRs, chain
//! verification with rustls-webpki, and polling with a deadline. Nothing here shares wire types
//! with the server: every dialect test speaks raw JSON or XML written from the vendor shapes,
//! through one client per dialect here (`digicert`, `globalsign`, `wosign`, `acme`) that every
//! test file ordering through that dialect shares.
#![allow(dead_code)]

pub mod acme;
pub mod digicert;
pub mod globalsign;
pub mod wosign;

use ca_sim::config::Config;
use rustls::pki_types::{CertificateDer, UnixTime};
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{CurveName, SubjectAlternativeNames};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct Sim {
    pub handle: ca_sim::Handle,
    pub client: reqwest::Client,
    pub url: String,
    shutdown: CancellationToken,
    _dir: Option<tempfile::TempDir>,
}

impl Sim {
    /// Ephemeral, fast: every account `instant` unless `tweak` says otherwise.
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> Sim {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(dir.path());
        config.ephemeral = true;
        set_profile(&mut config, "instant");
        tweak(&mut config);
        let mut sim = Self::start_config(config).await;
        sim._dir = Some(dir);
        sim
    }

    /// [`Sim::start`] with every account on the timing `profile` (`stuck`, `fixed:1h`, …).
    pub async fn start_profiled(profile: &str) -> Sim {
        Self::start(|c| set_profile(c, profile)).await
    }

    /// Persistent, in `dir`.
    pub async fn start_in(dir: &Path, tweak: impl FnOnce(&mut Config)) -> Sim {
        let mut config = Config::new(dir);
        tweak(&mut config);
        Self::start_config(config).await
    }

    /// Ephemeral or not as `config` says, on any free port.
    pub async fn start_config(config: Config) -> Sim {
        Self::start_config_at(config, 0).await
    }

    /// [`Sim::start_config`] on `port` (0: any free one), to restart where a client expects it.
    pub async fn start_config_at(config: Config, port: u16) -> Sim {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let shutdown = CancellationToken::new();
        let handle = ca_sim::serve(listener, config, shutdown.clone())
            .await
            .unwrap();
        let client = client(&handle.ca_pem);
        Sim {
            url: handle.url(),
            handle,
            client,
            shutdown,
            _dir: None,
        }
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.handle.stopped().await;
    }

    pub fn root_pem(&self, dialect: &str) -> String {
        self.handle
            .roots
            .iter()
            .find(|(d, _, _)| d.as_str() == dialect)
            .map(|(_, p, _)| p.clone())
            .unwrap()
    }

    pub async fn admin_get(&self, path: &str) -> serde_json::Value {
        let r = self
            .client
            .get(format!("{}/admin/{path}", self.url))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "GET /admin/{path}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn admin_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .request(method, format!("{}/admin/{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// The orders `/admin/orders` shows for `common_name`, oldest first.
    pub async fn orders_for(&self, common_name: &str) -> Vec<serde_json::Value> {
        let all = self.admin_get("orders").await;
        all["orders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["common_name"] == common_name)
            .cloned()
            .collect()
    }

    /// The request history's entries for `dialect` and `operation`, oldest first.
    pub async fn history(&self, dialect: &str, operation: &str) -> Vec<serde_json::Value> {
        let h = self
            .admin_get(&format!("requests?dialect={dialect}&operation={operation}"))
            .await;
        h["requests"].as_array().unwrap().clone()
    }

    /// `GET {url}{path}` with the test client and no vendor credentials.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// [`Sim::get`]'s body as text, whatever the status.
    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// Adds or replaces a vendor account through `PUT /admin/accounts`.
    pub async fn put_account(&self, account: serde_json::Value) {
        let r = self
            .admin_send(reqwest::Method::PUT, "accounts", account)
            .await;
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    }

    /// The one order `/admin/orders` shows for `common_name` (a lost answer must not make two).
    pub async fn only_order(&self, common_name: &str) -> serde_json::Value {
        let mut orders = self.orders_for(common_name).await;
        assert_eq!(
            orders.len(),
            1,
            "exactly one order for {common_name}: {orders:?}"
        );
        orders.remove(0)
    }

    pub async fn set_faults(&self, rules: serde_json::Value) {
        let r = self.admin_send(reqwest::Method::PUT, "faults", rules).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
}

/// Puts every configured account on the timing `profile`.
pub fn set_profile(config: &mut Config, profile: &str) {
    for a in &mut config.accounts {
        a.profile = Some(profile.into());
    }
}

/// A config tweak: every account on the timing `profile`, simulated time `time_scale` times
/// faster than the wall clock.
pub fn timed(profile: &'static str, time_scale: f64) -> impl Fn(&mut Config) + Copy {
    move |c| {
        c.time_scale = time_scale;
        set_profile(c, profile);
    }
}

/// A client trusting `ca_pem` (ca-sim's TLS CA), with the tests' deadline and no proxy.
pub fn client(ca_pem: &str) -> reqwest::Client {
    let certs = reqwest::Certificate::from_pem_bundle(ca_pem.as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only(certs)
        .timeout(DEADLINE)
        .no_proxy()
        .build()
        .unwrap()
}

/// A P-256 key and a PEM CSR for `cn` (+ `sans`).
pub fn csr(cn: &str, sans: &[&str]) -> (PrivateKey, String) {
    let dns = SubjectAlternativeNames {
        dns_names: Some(sans.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    };
    csr_for(&format!("CN={cn}"), dns)
}

/// A P-256 key and a PEM CSR with a full `subject` (e.g. `CN=a, O=b, C=US`) and `sans`.
pub fn csr_for(subject: &str, sans: SubjectAlternativeNames) -> (PrivateKey, String) {
    let key = PrivateKey::generate(KeySpec::Ec {
        curve: CurveName::P256,
    })
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let profile = CertProfile {
        subject: subject.to_string(),
        sans,
        ekus: vec![],
        key_usage: vec![],
        not_before: now,
        not_after: now,
        is_ca: false,
        path_len: None,
    };
    let der = crypto::build_csr(&key, &profile).unwrap();
    (key, crypto::pem_encode("CERTIFICATE REQUEST", &der))
}

pub fn ders(pem: &str) -> Vec<Vec<u8>> {
    crypto::pem_blocks(pem)
        .into_iter()
        .filter(|(l, _)| l == "CERTIFICATE")
        .map(|(_, d)| d)
        .collect()
}

/// Verifies `leaf` to `root` through `intermediates` with rustls-webpki (serverAuth, for
/// `name`) and checks the leaf certifies `key`.
pub fn verify_chain(
    leaf: &[u8],
    intermediates: &[Vec<u8>],
    root_pem: &str,
    key: &PrivateKey,
    name: &str,
) {
    let root = ders(root_pem).remove(0);
    let root = CertificateDer::from(root);
    let anchor = webpki::anchor_from_trusted_cert(&root).unwrap();
    let leaf_der = CertificateDer::from(leaf.to_vec());
    let ee = webpki::EndEntityCert::try_from(&leaf_der).unwrap();
    let inters: Vec<CertificateDer<'static>> = intermediates
        .iter()
        .map(|d| CertificateDer::from(d.clone()))
        .collect();
    let info = crypto::parse_certificate(leaf).unwrap();
    let at = UnixTime::since_unix_epoch(Duration::from_secs(info.not_before as u64 + 60));
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &[anchor],
        &inters,
        at,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .expect("chain verifies to the root");
    let sn = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
    ee.verify_is_valid_for_subject_name(&sn).unwrap();
    assert_eq!(info.spki_der, key.spki_der(), "leaf key == CSR key");
}

/// Polls `f` until it returns `Some`, or panics at the deadline.
pub async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn tempdir() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().to_path_buf();
    (d, p)
}
