//! End-to-end test harness: real vault servers (in-process or the real binary) driven by the real
//! Azure SDK for Rust and by raw HTTP.
//!
//! - [`TestVault`]: an in-process vault on `127.0.0.1:0` with a throwaway data dir; restartable on
//!   the same data dir; builds SDK clients and a raw HTTP client that trust its dev CA.
//! - [`VaultProcess`]: the real `vault` binary, spawned on port 0 and killed on drop.
//! - [`Raw`] / [`RawResponse`]: authorised raw HTTP with Key Vault error helpers.
//! - [`FakeCredential`]: a `TokenCredential` that hands out a far-future token.
//! - Crypto helpers: SPKI/JWK comparison, PKCS#8 ↔ certificate matching, PEM blocks, signature
//!   verification with the certificate's public key.
//! - [`eventually`]: poll with a deadline instead of sleeping for state.

use std::{
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use azure_core::{
    credentials::{AccessToken, TokenCredential, TokenRequestOptions},
    http::{ClientOptions, RetryOptions, Transport},
    time::OffsetDateTime,
};
use azure_security_keyvault_certificates::{
    models::{
        Certificate, CertificateClientCreateCertificateOptions, CertificatePolicy,
        CreateCertificateParameters, CurveName, IssuerParameters, KeyProperties, KeyType,
        X509CertificateProperties,
    },
    CertificateClient, CertificateClientOptions,
};
use azure_security_keyvault_keys::{KeyClient, KeyClientOptions};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use base64::Engine as _;
use reqwest::{header::HeaderMap, Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio_util::sync::CancellationToken;
use x509_parser::prelude::*;

pub use serde_json::json;

/// The api-version the Rust SDK 1.0.0 sends, used for raw HTTP too.
pub const API_VERSION: &str = "2025-07-01";

/// The api-version raw requests use (the Rust SDK's default).
pub fn api() -> &'static str {
    API_VERSION
}

/// Generous upper bound for any single wait in these tests.
pub const DEADLINE: Duration = Duration::from_secs(30);

// ------------------------------------------------------------------------------------------------
// In-process vault
// ------------------------------------------------------------------------------------------------

type Configure = Arc<dyn Fn(&mut vault::Config) + Send + Sync>;

/// An in-process vault serving HTTPS on `127.0.0.1`, with its own temporary data dir.
pub struct TestVault {
    data_dir: TempDir,
    configure: Configure,
    addr: SocketAddr,
    ca_pem: String,
    ca_path: PathBuf,
    shutdown: CancellationToken,
    handle: Option<vault::Handle>,
}

impl TestVault {
    /// Starts a vault with default configuration.
    pub async fn start() -> TestVault {
        Self::start_with(|_| {}).await
    }

    /// Starts a vault after `configure` adjusted its [`vault::Config`]. The same adjustment is
    /// applied again on [`TestVault::restart`].
    pub async fn start_with(
        configure: impl Fn(&mut vault::Config) + Send + Sync + 'static,
    ) -> TestVault {
        let data_dir = tempfile::Builder::new()
            .prefix("e2e-vault-")
            .tempdir()
            .expect("create temp data dir");
        let configure: Configure = Arc::new(configure);
        let (handle, shutdown) = serve_on(data_dir.path(), &configure, 0).await;
        TestVault {
            data_dir,
            configure,
            addr: handle.addr,
            ca_pem: handle.ca_pem.clone(),
            ca_path: handle.ca_path.clone(),
            shutdown,
            handle: Some(handle),
        }
    }

    /// Shuts the server down, waits until it stopped, and serves again on the same data dir
    /// (the same port when it can be bound again, otherwise a new one).
    pub async fn restart(mut self) -> TestVault {
        self.stop_server().await;
        let port = self.addr.port();
        let (handle, shutdown) = serve_on(self.data_dir.path(), &self.configure, port).await;
        self.addr = handle.addr;
        self.ca_pem = handle.ca_pem.clone();
        self.ca_path = handle.ca_path.clone();
        self.shutdown = shutdown;
        self.handle = Some(handle);
        self
    }

    /// Shuts the server down and waits until it has stopped; the data dir stays until drop.
    pub async fn stop_server(&mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            tokio::time::timeout(DEADLINE, handle.stopped())
                .await
                .expect("vault did not stop within the deadline after cancellation");
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://127.0.0.1:{port}` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// `https://localhost:{port}`; use with [`TestVault::http_for_host`]`("localhost")`.
    pub fn localhost_url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// A reqwest client that trusts only the vault's dev CA (no Authorization header).
    pub fn http(&self) -> reqwest::Client {
        trusting_client(&self.ca_pem, None)
    }

    /// Like [`TestVault::http`], but `host` resolves to this vault's `127.0.0.1` address, so
    /// requests carry `Host: {host}:{port}`.
    pub fn http_for_host(&self, host: &str) -> reqwest::Client {
        trusting_client(&self.ca_pem, Some((host, self.addr)))
    }

    /// Authorised raw HTTP against `https://127.0.0.1:{port}`.
    pub fn raw(&self) -> Raw {
        Raw::new(self.http(), self.base_url())
    }

    pub fn certificate_client(&self) -> CertificateClient {
        certificate_client(&self.base_url(), &self.ca_pem)
    }

    pub fn key_client(&self) -> KeyClient {
        key_client(&self.base_url(), &self.ca_pem)
    }

    pub fn secret_client(&self) -> SecretClient {
        secret_client(&self.base_url(), &self.ca_pem)
    }
}

impl Drop for TestVault {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn serve_on(
    data_dir: &Path,
    configure: &Configure,
    port: u16,
) -> (vault::Handle, CancellationToken) {
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(_) if port != 0 => tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind 127.0.0.1:0"),
        Err(err) => panic!("bind 127.0.0.1:0: {err}"),
    };
    let mut config = vault::Config::new(data_dir);
    configure(&mut config);
    let shutdown = CancellationToken::new();
    let handle = vault::serve(listener, config, shutdown.clone())
        .await
        .unwrap_or_else(|err| panic!("vault::serve failed: {err:?}"));
    (handle, shutdown)
}

// ------------------------------------------------------------------------------------------------
// In-process ca-sim (partner CA simulator)
// ------------------------------------------------------------------------------------------------

type ConfigureCaSim = Arc<dyn Fn(&mut ca_sim::Config) + Send + Sync>;

/// An in-process ca-sim serving HTTPS on `127.0.0.1`, with its own temporary data dir. It can be
/// stopped and served again on the same data dir and the same port (a CA that goes away for a
/// while and comes back).
pub struct TestCaSim {
    data_dir: TempDir,
    configure: ConfigureCaSim,
    addr: SocketAddr,
    ca_pem: String,
    ca_path: PathBuf,
    shutdown: CancellationToken,
    handle: Option<ca_sim::Handle>,
}

impl TestCaSim {
    /// Starts ca-sim with its default configuration (built-in accounts, `fixed:2s`, seed 1).
    pub async fn start() -> TestCaSim {
        Self::start_with(|_| {}).await
    }

    /// Starts ca-sim after `configure` adjusted its [`ca_sim::Config`]; the same adjustment is
    /// applied again by [`TestCaSim::serve_again`].
    pub async fn start_with(
        configure: impl Fn(&mut ca_sim::Config) + Send + Sync + 'static,
    ) -> TestCaSim {
        let data_dir = tempfile::Builder::new()
            .prefix("e2e-ca-sim-")
            .tempdir()
            .expect("create temp data dir");
        let configure: ConfigureCaSim = Arc::new(configure);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind 127.0.0.1:0");
        let (handle, shutdown) = serve_ca_sim(listener, data_dir.path(), &configure).await;
        TestCaSim {
            data_dir,
            configure,
            addr: handle.addr,
            ca_pem: handle.ca_pem.clone(),
            ca_path: handle.ca_path.clone(),
            shutdown,
            handle: Some(handle),
        }
    }

    /// Shuts ca-sim down and waits until it stopped (the port is free again afterwards).
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            tokio::time::timeout(DEADLINE, handle.stopped())
                .await
                .expect("ca-sim did not stop within the deadline after cancellation");
        }
    }

    /// Serves again on the same data dir and the same port (retries binding until
    /// [`DEADLINE`]); panics if it is still running.
    pub async fn serve_again(&mut self) {
        assert!(self.handle.is_none(), "ca-sim is still running");
        let port = self.addr.port();
        let listener = eventually(
            DEADLINE,
            &format!("127.0.0.1:{port} to be free"),
            || async {
                tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .ok()
            },
        )
        .await;
        let (handle, shutdown) =
            serve_ca_sim(listener, self.data_dir.path(), &self.configure).await;
        assert_eq!(handle.addr, self.addr, "served again on the same address");
        self.ca_pem = handle.ca_pem.clone();
        self.ca_path = handle.ca_path.clone();
        self.shutdown = shutdown;
        self.handle = Some(handle);
    }

    pub fn is_running(&self) -> bool {
        self.handle.is_some()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:{port}` (no trailing slash).
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The TLS CA (PEM) clients must trust; stable across [`TestCaSim::serve_again`].
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Where the TLS CA lives on disk (for vault's `provider_ca` / `--provider-ca`).
    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// The running simulator's shared state (`None` while stopped).
    pub fn app(&self) -> Option<&Arc<ca_sim::App>> {
        self.handle.as_ref().map(|h| &h.app)
    }

    /// The three dialects' base URLs, as vault's `provider_endpoints` expects them.
    pub fn provider_endpoints(&self) -> Vec<(shared::models::ProviderKind, url::Url)> {
        use shared::models::ProviderKind;
        [
            (ProviderKind::DigiCert, "services/v2"),
            (ProviderKind::GlobalSign, "kb/ws/v1"),
            (ProviderKind::WoSign, "api/v1"),
        ]
        .into_iter()
        .map(|(kind, path)| {
            let url = url::Url::parse(&format!("{}/{path}", self.url())).expect("endpoint URL");
            (kind, url)
        })
        .collect()
    }

    /// A client for the `/admin/` API; keeps working across [`TestCaSim::serve_again`].
    pub fn admin(&self) -> CaSimAdmin {
        CaSimAdmin {
            client: trusting_client(&self.ca_pem, None),
            base: self.url(),
        }
    }
}

impl Drop for TestCaSim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn serve_ca_sim(
    listener: tokio::net::TcpListener,
    data_dir: &Path,
    configure: &ConfigureCaSim,
) -> (ca_sim::Handle, CancellationToken) {
    let mut config = ca_sim::Config::new(data_dir);
    configure(&mut config);
    let shutdown = CancellationToken::new();
    let handle = ca_sim::serve(listener, config, shutdown.clone())
        .await
        .unwrap_or_else(|err| panic!("ca_sim::serve failed: {err:?}"));
    (handle, shutdown)
}

/// ca-sim's admin API (`/admin/...`, no auth), over HTTPS trusting only ca-sim's TLS CA.
#[derive(Clone)]
pub struct CaSimAdmin {
    pub client: reqwest::Client,
    pub base: String,
}

impl CaSimAdmin {
    /// `method {base}/admin/{path}` with an optional JSON body.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> RawResponse {
        let url = format!("{}/admin/{}", self.base, path.trim_start_matches('/'));
        let mut req = self.client.request(method, url);
        if let Some(body) = body {
            req = req.json(body);
        }
        Raw::send_built(req).await
    }

    /// GET, asserting 200; the body as JSON.
    pub async fn get(&self, path: &str) -> Value {
        let rsp = self.send(Method::GET, path, None).await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "GET /admin/{path}: {}",
            rsp.text
        );
        rsp.json()
    }

    /// POST with a JSON body, asserting 200; the body as JSON.
    pub async fn post(&self, path: &str, body: &Value) -> Value {
        let rsp = self.send(Method::POST, path, Some(body)).await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "POST /admin/{path}: {}",
            rsp.text
        );
        rsp.json()
    }

    /// Replaces the fault rules (`PUT /admin/faults`); returns the new list.
    pub async fn set_faults(&self, rules: &Value) -> Value {
        let rsp = self.send(Method::PUT, "faults", Some(rules)).await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "PUT /admin/faults: {}",
            rsp.text
        );
        rsp.json()
    }

    /// Every order of every dialect (`GET /admin/orders`).
    pub async fn orders(&self) -> Vec<Value> {
        let body = self.get("orders").await;
        body["orders"].as_array().cloned().unwrap_or_default()
    }

    /// The orders whose common name is `cn`.
    pub async fn orders_for(&self, cn: &str) -> Vec<Value> {
        self.orders()
            .await
            .into_iter()
            .filter(|o| o["common_name"] == cn)
            .collect()
    }

    /// The request history (`GET /admin/requests?dialect=&operation=`), oldest first.
    pub async fn requests(&self, dialect: Option<&str>, operation: Option<&str>) -> Vec<Value> {
        let mut query = Vec::new();
        if let Some(d) = dialect {
            query.push(format!("dialect={d}"));
        }
        if let Some(o) = operation {
            query.push(format!("operation={o}"));
        }
        let path = if query.is_empty() {
            "requests".to_string()
        } else {
            format!("requests?{}", query.join("&"))
        };
        let body = self.get(&path).await;
        body["requests"].as_array().cloned().unwrap_or_default()
    }
}

// ------------------------------------------------------------------------------------------------
// Clients
// ------------------------------------------------------------------------------------------------

/// A reqwest client that trusts only `ca_pem`; optionally resolves `host` to `addr`.
pub fn trusting_client(ca_pem: &str, resolve: Option<(&str, SocketAddr)>) -> reqwest::Client {
    let certs = reqwest::Certificate::from_pem_bundle(ca_pem.as_bytes()).expect("parse dev CA PEM");
    assert!(!certs.is_empty(), "dev CA PEM holds no certificate");
    let mut builder = reqwest::Client::builder()
        .tls_certs_only(certs)
        .timeout(DEADLINE)
        .no_proxy();
    if let Some((host, addr)) = resolve {
        builder = builder.resolve(host, addr);
    }
    builder.build().expect("build reqwest client")
}

/// A fake Entra ID credential: any token is accepted by the emulator.
#[derive(Debug, Default)]
pub struct FakeCredential;

#[async_trait::async_trait]
impl TokenCredential for FakeCredential {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            "e2e-fake-token",
            OffsetDateTime::now_utc() + ::time::Duration::hours(24),
        ))
    }
}

pub fn credential() -> Arc<dyn TokenCredential> {
    Arc::new(FakeCredential)
}

/// SDK client options: a transport trusting the dev CA and no retries (failures surface at once).
pub fn sdk_client_options(ca_pem: &str) -> ClientOptions {
    ClientOptions {
        transport: Some(Transport::new(Arc::new(trusting_client(ca_pem, None)))),
        retry: RetryOptions::none(),
        ..Default::default()
    }
}

pub fn certificate_client(endpoint: &str, ca_pem: &str) -> CertificateClient {
    CertificateClient::new(
        endpoint,
        credential(),
        Some(CertificateClientOptions {
            verify_challenge_resource: Some(false),
            client_options: sdk_client_options(ca_pem),
            ..Default::default()
        }),
    )
    .expect("build CertificateClient")
}

pub fn key_client(endpoint: &str, ca_pem: &str) -> KeyClient {
    KeyClient::new(
        endpoint,
        credential(),
        Some(KeyClientOptions {
            verify_challenge_resource: Some(false),
            client_options: sdk_client_options(ca_pem),
            ..Default::default()
        }),
    )
    .expect("build KeyClient")
}

pub fn secret_client(endpoint: &str, ca_pem: &str) -> SecretClient {
    SecretClient::new(
        endpoint,
        credential(),
        Some(SecretClientOptions {
            verify_challenge_resource: Some(false),
            client_options: sdk_client_options(ca_pem),
            ..Default::default()
        }),
    )
    .expect("build SecretClient")
}

// ------------------------------------------------------------------------------------------------
// SDK helpers
// ------------------------------------------------------------------------------------------------

/// A self-signed EC P-256 policy with the given subject.
pub fn ec_policy(subject: &str) -> CertificatePolicy {
    policy_with_key(
        subject,
        KeyProperties {
            key_type: Some(KeyType::Ec),
            curve: Some(CurveName::P256),
            ..Default::default()
        },
    )
}

/// A self-signed RSA policy with the given subject and key size.
pub fn rsa_policy(subject: &str, key_size: i32) -> CertificatePolicy {
    policy_with_key(
        subject,
        KeyProperties {
            key_type: Some(KeyType::Rsa),
            key_size: Some(key_size),
            ..Default::default()
        },
    )
}

pub fn policy_with_key(subject: &str, key: KeyProperties) -> CertificatePolicy {
    CertificatePolicy {
        key_properties: Some(key),
        x509_certificate_properties: Some(X509CertificateProperties {
            subject: Some(subject.into()),
            ..Default::default()
        }),
        issuer_parameters: Some(IssuerParameters {
            name: Some("Self".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Poller options that poll at least once a second when the server sends no Retry-After.
pub fn fast_poller() -> Option<CertificateClientCreateCertificateOptions<'static>> {
    Some(CertificateClientCreateCertificateOptions {
        method_options: azure_core::http::poller::PollerOptions {
            frequency: azure_core::time::Duration::seconds(1),
            ..Default::default()
        },
    })
}

/// Creates a certificate through the SDK poller and returns the final certificate.
pub async fn create_certificate(
    client: &CertificateClient,
    name: &str,
    policy: CertificatePolicy,
) -> Certificate {
    create_certificate_with(
        client,
        name,
        CreateCertificateParameters {
            certificate_policy: Some(policy),
            ..Default::default()
        },
    )
    .await
}

pub async fn create_certificate_with(
    client: &CertificateClient,
    name: &str,
    parameters: CreateCertificateParameters,
) -> Certificate {
    let poller = client
        .begin_create_certificate(
            name,
            parameters.try_into().expect("serialize"),
            fast_poller(),
        )
        .unwrap_or_else(|err| panic!("begin_create_certificate({name}): {err}"));
    tokio::time::timeout(DEADLINE, poller)
        .await
        .unwrap_or_else(|_| panic!("create {name}: poller did not finish within {DEADLINE:?}"))
        .unwrap_or_else(|err| panic!("create {name}: {err}"))
        .into_model()
        .unwrap_or_else(|err| panic!("create {name}: decode certificate: {err}"))
}

/// The HTTP status of an SDK error (panics with the error when there is none).
pub fn http_status(err: &azure_core::Error) -> StatusCode {
    let status = err
        .http_status()
        .unwrap_or_else(|| panic!("expected an HTTP error, got: {err}"));
    StatusCode::from_u16(u16::from(status)).expect("valid status")
}

/// The Key Vault error code of an SDK error, if the body carried one.
pub fn error_code(err: &azure_core::Error) -> Option<String> {
    match err.kind() {
        azure_core::error::ErrorKind::HttpResponse { error_code, .. } => error_code.clone(),
        _ => None,
    }
}

/// Last path segments of a Key Vault id: `(collection, name, version)`.
pub fn split_id(id: &str) -> (String, String, Option<String>) {
    let url = url::Url::parse(id).unwrap_or_else(|err| panic!("id {id:?} is not a URL: {err}"));
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    assert!(
        segments.len() == 2 || segments.len() == 3,
        "id {id:?} must have 2 or 3 path segments"
    );
    (
        segments[0].to_string(),
        segments[1].to_string(),
        segments.get(2).map(|s| s.to_string()),
    )
}

/// The version of a certificate/key/secret id (panics if the id has none).
pub fn version_of(id: &str) -> String {
    let (_, _, version) = split_id(id);
    let version = version.unwrap_or_else(|| panic!("id {id:?} has no version"));
    assert!(
        is_version(&version),
        "version {version:?} is not 32 lowercase hex digits"
    );
    version
}

pub fn is_version(v: &str) -> bool {
    v.len() == 32
        && v.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// ------------------------------------------------------------------------------------------------
// Raw HTTP
// ------------------------------------------------------------------------------------------------

/// Authorised raw HTTP against one base URL. Paths without `api-version` get `?api-version=`.
#[derive(Clone)]
pub struct Raw {
    pub client: reqwest::Client,
    pub base: String,
}

/// A buffered response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Raw {
    pub fn new(client: reqwest::Client, base: impl Into<String>) -> Raw {
        Raw {
            client,
            base: base.into(),
        }
    }

    /// `base + path`, with `api-version` appended when the path has none.
    pub fn url(&self, path: &str) -> String {
        with_api_version(&format!("{}{}", self.base, path))
    }

    pub async fn get(&self, path: &str) -> RawResponse {
        self.send(Method::GET, path, None).await
    }

    pub async fn delete(&self, path: &str) -> RawResponse {
        self.send(Method::DELETE, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> RawResponse {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> RawResponse {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> RawResponse {
        self.send(Method::PATCH, path, Some(body)).await
    }

    /// Sends an authorised request; the body (if any) as JSON.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> RawResponse {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth("e2e-raw-token");
        if let Some(body) = body {
            req = req.json(body);
        }
        RawResponse::read(req.send().await.expect("send request")).await
    }

    /// Sends exactly what the builder says (no api-version or auth added).
    pub async fn send_built(req: reqwest::RequestBuilder) -> RawResponse {
        RawResponse::read(req.send().await.expect("send request")).await
    }

    /// Follows an absolute URL (e.g. a `nextLink`) verbatim, authorised.
    pub async fn get_absolute(&self, url: &str) -> RawResponse {
        let req = self.client.get(url).bearer_auth("e2e-raw-token");
        RawResponse::read(req.send().await.expect("send request")).await
    }

    /// Creates a certificate and waits for its pending operation to leave `inProgress`; returns
    /// the final operation JSON.
    pub async fn create_and_wait(&self, name: &str, policy: Value) -> Value {
        let rsp = self
            .post(
                &format!("/certificates/{name}/create"),
                &json!({ "policy": policy }),
            )
            .await;
        assert_eq!(
            rsp.status,
            StatusCode::ACCEPTED,
            "create {name}: {}",
            rsp.text
        );
        let op = rsp.json();
        if op["status"] != "inProgress" {
            return op;
        }
        eventually(
            DEADLINE,
            &format!("operation of {name} to finish"),
            || async {
                let rsp = self.get(&format!("/certificates/{name}/pending")).await;
                assert_eq!(
                    rsp.status,
                    StatusCode::OK,
                    "GET pending {name}: {}",
                    rsp.text
                );
                let op = rsp.json();
                (op["status"] != "inProgress").then_some(op)
            },
        )
        .await
    }

    /// Creates a completed self-signed EC P-256 certificate; returns the latest bundle JSON.
    pub async fn create_ec_certificate(&self, name: &str) -> Value {
        let op = self
            .create_and_wait(name, self_signed_ec_policy_json(&format!("CN={name}")))
            .await;
        assert_eq!(op["status"], "completed", "create {name}: {op}");
        let rsp = self.get(&format!("/certificates/{name}")).await;
        assert_eq!(rsp.status, StatusCode::OK, "GET {name}: {}", rsp.text);
        rsp.json()
    }
}

/// A minimal self-signed EC P-256 policy as wire JSON.
pub fn self_signed_ec_policy_json(subject: &str) -> Value {
    json!({
        "key_props": { "kty": "EC", "crv": "P-256", "exportable": true, "reuse_key": false },
        "secret_props": { "contentType": "application/x-pkcs12" },
        "x509_props": { "subject": subject, "validity_months": 12 },
        "issuer": { "name": "Self" }
    })
}

/// Appends `api-version={API_VERSION}` unless the URL already carries one.
pub fn with_api_version(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    if lower.contains("api-version=") || lower.contains("api%2dversion=") {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}api-version={API_VERSION}")
}

impl RawResponse {
    pub async fn read(rsp: reqwest::Response) -> RawResponse {
        let status = rsp.status();
        let headers = rsp.headers().clone();
        let text = rsp.text().await.expect("read body");
        RawResponse {
            status,
            headers,
            text,
        }
    }

    /// The body as JSON (panics with the body text otherwise).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|err| {
            panic!(
                "status {}: body is not JSON ({err}): {:?}",
                self.status, self.text
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_string())
    }

    /// `Content-Type` normalised: lowercase without spaces.
    pub fn content_type(&self) -> String {
        self.header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .replace(' ', "")
    }

    /// Asserts the Key Vault error shape and content type; returns the `error` object.
    pub fn assert_kv_error(&self) -> Value {
        assert!(
            !self.status.is_success(),
            "expected an error status, got {}: {}",
            self.status,
            self.text
        );
        assert_eq!(
            self.content_type(),
            "application/json;charset=utf-8",
            "error content type (status {}, body {:?})",
            self.status,
            self.text
        );
        let body = self.json();
        let error = body
            .get("error")
            .unwrap_or_else(|| panic!("no `error` member in {body}"))
            .clone();
        assert!(
            error
                .get("code")
                .and_then(Value::as_str)
                .is_some_and(|c| !c.is_empty()),
            "error.code must be a non-empty string: {body}"
        );
        assert!(
            error
                .get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| !m.is_empty()),
            "error.message must be a non-empty string: {body}"
        );
        error
    }

    /// Asserts status and Key Vault error code; returns the `error` object.
    pub fn assert_error(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "status; body: {}", self.text);
        let error = self.assert_kv_error();
        assert_eq!(error["code"], code, "error code; body: {}", self.text);
        error
    }

    /// Asserts a 4xx with the Key Vault error shape (never 5xx).
    pub fn assert_client_error(&self) -> Value {
        assert!(
            self.status.is_client_error(),
            "expected 4xx, got {}: {}",
            self.status,
            self.text
        );
        self.assert_kv_error()
    }
}

// ------------------------------------------------------------------------------------------------
// Polling
// ------------------------------------------------------------------------------------------------

/// Calls `check` until it returns `Some`, at most for `timeout` (short pauses in between).
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if start.elapsed() > timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

// ------------------------------------------------------------------------------------------------
// Crypto and encoding helpers
// ------------------------------------------------------------------------------------------------

pub fn b64_std(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict standard base64 with padding (what `cer` must be).
pub fn decode_b64_std_strict(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_else(|err| panic!("not standard padded base64 ({err}): {s:?}"))
}

/// Strict base64url without padding (what `x5t` must be).
pub fn decode_b64url_strict(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap_or_else(|err| panic!("not base64url without padding ({err}): {s:?}"))
}

pub fn sha1(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
        .as_ref()
        .to_vec()
}

pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// Parses a DER certificate (panics on failure).
pub fn parse_cert(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = parse_x509_certificate(der).expect("parse X.509 certificate");
    assert!(rest.is_empty(), "trailing bytes after certificate DER");
    cert
}

/// The SPKI public key material of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpkiKey {
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// Curve OID (dotted) and the uncompressed point `04 || x || y`.
    Ec { curve_oid: String, point: Vec<u8> },
}

pub const OID_P256: &str = "1.2.840.10045.3.1.7";
pub const OID_P384: &str = "1.3.132.0.34";
pub const OID_P521: &str = "1.3.132.0.35";

pub fn strip_leading_zeros(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

pub fn spki_key(cert_der: &[u8]) -> SpkiKey {
    let cert = parse_cert(cert_der);
    let spki = cert.public_key();
    match spki.parsed().expect("parse SPKI") {
        x509_parser::public_key::PublicKey::RSA(rsa) => SpkiKey::Rsa {
            n: strip_leading_zeros(rsa.modulus),
            e: strip_leading_zeros(rsa.exponent),
        },
        x509_parser::public_key::PublicKey::EC(point) => {
            let curve_oid = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .expect("EC SPKI without named curve");
            SpkiKey::Ec {
                curve_oid,
                point: point.data().to_vec(),
            }
        }
        other => panic!("unexpected public key type in certificate: {other:?}"),
    }
}

/// Does the PKCS#8 private key belong to the certificate's public key?
pub fn private_key_matches_cert(pkcs8: &[u8], cert_der: &[u8]) -> bool {
    use aws_lc_rs::signature::{self, KeyPair as _};
    let cert = parse_cert(cert_der);
    let spki_bits = cert.public_key().subject_public_key.data.to_vec();
    match spki_key(cert_der) {
        SpkiKey::Rsa { .. } => {
            let key = signature::RsaKeyPair::from_pkcs8(pkcs8).expect("RSA PKCS#8");
            key.public_key().as_ref() == spki_bits.as_slice()
        }
        SpkiKey::Ec { curve_oid, .. } => {
            let alg = match curve_oid.as_str() {
                OID_P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                OID_P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                OID_P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
                other => panic!("unsupported curve {other}"),
            };
            let key = signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8).expect("EC PKCS#8");
            key.public_key().as_ref() == spki_bits.as_slice()
        }
    }
}

/// Verifies a JWS-style signature (`ES256` raw r||s, `RS256`, `PS256`, ...) over `message` with
/// the certificate's public key.
pub fn verify_with_cert(cert_der: &[u8], alg: &str, message: &[u8], signature: &[u8]) -> bool {
    use aws_lc_rs::signature as sig;
    let cert = parse_cert(cert_der);
    let spki_bits = cert.public_key().subject_public_key.data.to_vec();
    let algorithm: &dyn sig::VerificationAlgorithm = match alg {
        "ES256" => &sig::ECDSA_P256_SHA256_FIXED,
        "ES384" => &sig::ECDSA_P384_SHA384_FIXED,
        "ES512" => &sig::ECDSA_P521_SHA512_FIXED,
        "RS256" => &sig::RSA_PKCS1_2048_8192_SHA256,
        "RS384" => &sig::RSA_PKCS1_2048_8192_SHA384,
        "RS512" => &sig::RSA_PKCS1_2048_8192_SHA512,
        "PS256" => &sig::RSA_PSS_2048_8192_SHA256,
        "PS384" => &sig::RSA_PSS_2048_8192_SHA384,
        "PS512" => &sig::RSA_PSS_2048_8192_SHA512,
        other => panic!("unsupported algorithm {other}"),
    };
    sig::UnparsedPublicKey::new(algorithm, &spki_bits)
        .verify(message, signature)
        .is_ok()
}

/// Verifies `cert_der`'s signature with `issuer_der`'s public key (aws-lc-rs; unlike
/// x509-parser's verifier this covers P-521 and ecdsa-with-SHA512).
pub fn verify_cert_signed_by(cert_der: &[u8], issuer_der: &[u8]) -> Result<(), String> {
    use aws_lc_rs::signature as sig;
    let cert = parse_cert(cert_der);
    let issuer = parse_cert(issuer_der);
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    let issuer_key = spki_key(issuer_der);
    let curve = match &issuer_key {
        SpkiKey::Ec { curve_oid, .. } => curve_oid.as_str(),
        SpkiKey::Rsa { .. } => "rsa",
    };
    let alg: &dyn sig::VerificationAlgorithm = match (sig_oid.as_str(), curve) {
        ("1.2.840.113549.1.1.11", "rsa") => &sig::RSA_PKCS1_2048_8192_SHA256,
        ("1.2.840.113549.1.1.12", "rsa") => &sig::RSA_PKCS1_2048_8192_SHA384,
        ("1.2.840.113549.1.1.13", "rsa") => &sig::RSA_PKCS1_2048_8192_SHA512,
        ("1.2.840.10045.4.3.2", OID_P256) => &sig::ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", OID_P256) => &sig::ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.4.3.2", OID_P384) => &sig::ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", OID_P384) => &sig::ECDSA_P384_SHA384_ASN1,
        ("1.2.840.10045.4.3.2", OID_P521) => &sig::ECDSA_P521_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", OID_P521) => &sig::ECDSA_P521_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", OID_P521) => &sig::ECDSA_P521_SHA512_ASN1,
        (oid, key) => return Err(format!("unsupported signature {oid} with key {key}")),
    };
    sig::UnparsedPublicKey::new(alg, &issuer.public_key().subject_public_key.data)
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .map_err(|_| format!("signature {sig_oid} does not verify"))
}

/// PEM blocks in order: `(label, der)`.
pub fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            current = Some((label.to_string(), String::new()));
        } else if let Some(label) = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            let (begin, body) = current.take().expect("END without BEGIN");
            assert_eq!(begin, label, "mismatched PEM labels");
            blocks.push((label.to_string(), decode_b64_std_strict(&body)));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    assert!(current.is_none(), "unterminated PEM block");
    blocks
}

/// Extracts the raw private scalar `d` from an EC PKCS#8 key (SEC1 `ECPrivateKey`).
pub fn ec_private_scalar(pkcs8: &[u8]) -> Vec<u8> {
    // ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING, ... }
    let marker = [0x02, 0x01, 0x01, 0x04];
    let pos = pkcs8
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("ECPrivateKey version + OCTET STRING in PKCS#8");
    let len = pkcs8[pos + marker.len()] as usize;
    let start = pos + marker.len() + 1;
    pkcs8[start..start + len].to_vec()
}

/// Does `haystack` contain `needle`?
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// All regular files below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let entry = entry.expect("dir entry");
            let ft = entry.file_type().expect("file type");
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

// ------------------------------------------------------------------------------------------------
// The real binary
// ------------------------------------------------------------------------------------------------

/// The `vault` binary next to the test executable (`target/<profile>/vault`). Built once per
/// test process with `cargo build -p vault --bin vault` when cargo is available, so a plain
/// `cargo test -p e2e` does not run a stale or missing binary.
pub fn vault_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("current exe");
            // target/<profile>/deps/<test> -> target/<profile>
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("test executable lives in target/<profile>/deps")
                .to_path_buf();
            let bin = profile_dir.join(format!("vault{}", std::env::consts::EXE_SUFFIX));
            // `cargo test --workspace` (CI) has already built the binary with the tests; a
            // plain `cargo test -p e2e` may hold a stale one, so rebuild it then.
            let prebuilt = std::env::var_os("E2E_NO_BUILD").is_some()
                || std::env::var_os("CI").is_some_and(|v| v == "true" || v == "1");
            if !prebuilt {
                if let Some(cargo) = std::env::var_os("CARGO") {
                    let mut cmd = std::process::Command::new(cargo);
                    cmd.args(["build", "--quiet", "-p", "vault", "--bin", "vault"]);
                    if profile_dir.file_name().is_some_and(|n| n == "release") {
                        cmd.arg("--release");
                    }
                    if let Some(target_dir) = profile_dir.parent() {
                        cmd.arg("--target-dir").arg(target_dir);
                    }
                    let status = cmd.status().expect("run cargo build for the vault binary");
                    assert!(status.success(), "cargo build -p vault --bin vault failed");
                }
            }
            assert!(
                bin.is_file(),
                "vault binary not found at {}; run `cargo build -p vault` first",
                bin.display()
            );
            bin
        })
        .clone()
}

/// The real `vault` binary listening on `127.0.0.1:0`; killed on drop.
pub struct VaultProcess {
    child: tokio::process::Child,
    addr: SocketAddr,
    ca_pem: String,
    output: Arc<Mutex<String>>,
}

impl VaultProcess {
    /// Spawns `vault --listen 127.0.0.1:0 --data-dir DIR`, waits for the bound address on its
    /// output and for `/_admin/health` to answer 200, then fetches the dev CA.
    pub async fn spawn(data_dir: &Path) -> VaultProcess {
        Self::spawn_with_args::<&str>(data_dir, &[]).await
    }

    /// Like [`VaultProcess::spawn`], with extra command-line arguments appended (e.g.
    /// `--provider-endpoint DigiCert=URL`).
    pub async fn spawn_with_args<S: AsRef<std::ffi::OsStr>>(
        data_dir: &Path,
        extra_args: &[S],
    ) -> VaultProcess {
        let bin = tokio::task::spawn_blocking(vault_binary)
            .await
            .expect("locate vault binary");
        let mut child = tokio::process::Command::new(&bin)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra_args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("spawn {}: {err}", bin.display()));

        let output = Arc::new(Mutex::new(String::new()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u16>();
        drain(
            child.stdout.take().expect("stdout"),
            output.clone(),
            tx.clone(),
        );
        drain(child.stderr.take().expect("stderr"), output.clone(), tx);

        // Ports that appear in the arguments (e.g. a provider endpoint) are echoed by the
        // start-up log line; they are not the vault's own port.
        let arg_ports: Vec<u16> = extra_args
            .iter()
            .filter_map(|a| find_loopback_port(&a.as_ref().to_string_lossy()))
            .collect();
        let wait_port = async {
            loop {
                match rx.recv().await {
                    Some(port) if arg_ports.contains(&port) => continue,
                    other => return other,
                }
            }
        };
        let port = match tokio::time::timeout(DEADLINE, wait_port).await {
            Ok(Some(port)) => port,
            _ => {
                let status = child.try_wait().ok().flatten();
                panic!(
                    "vault binary printed no 127.0.0.1:PORT address (exit: {status:?}); output:\n{}",
                    output.lock().unwrap()
                );
            }
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let base = format!("https://127.0.0.1:{port}");

        // Bootstrap trust: the CA comes from the server itself, then is used strictly.
        let insecure = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(5))
            .no_proxy()
            .build()
            .expect("client");
        let ca_pem = eventually(DEADLINE, "the vault binary to become healthy", || {
            let insecure = insecure.clone();
            let base = base.clone();
            async move {
                let health = insecure
                    .get(format!("{base}/_admin/health"))
                    .send()
                    .await
                    .ok()?;
                if health.status() != StatusCode::OK {
                    return None;
                }
                let ca = insecure
                    .get(format!("{base}/_admin/ca.pem"))
                    .send()
                    .await
                    .ok()?;
                if ca.status() != StatusCode::OK {
                    return None;
                }
                ca.text().await.ok()
            }
        })
        .await;
        let this = VaultProcess {
            child,
            addr,
            ca_pem,
            output,
        };
        let rsp = this
            .http()
            .get(format!("{base}/_admin/health"))
            .send()
            .await
            .expect("health through a client that trusts only the served CA");
        assert_eq!(rsp.status(), StatusCode::OK);
        this
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn http(&self) -> reqwest::Client {
        trusting_client(&self.ca_pem, None)
    }

    pub fn raw(&self) -> Raw {
        Raw::new(self.http(), self.base_url())
    }

    pub fn certificate_client(&self) -> CertificateClient {
        certificate_client(&self.base_url(), &self.ca_pem)
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// SIGKILL (no graceful shutdown) and wait for the exit.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("kill vault process");
    }
}

fn drain(
    stream: impl AsyncRead + Unpin + Send + 'static,
    output: Arc<Mutex<String>>,
    port_tx: tokio::sync::mpsc::UnboundedSender<u16>,
) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(port) = find_loopback_port(&line) {
                let _ = port_tx.send(port);
            }
            let mut out = output.lock().unwrap();
            out.push_str(&line);
            out.push('\n');
        }
    });
}

/// Finds `127.0.0.1:PORT` (with or without `https://`) in a line of output.
pub fn find_loopback_port(line: &str) -> Option<u16> {
    let mut rest = line;
    while let Some(pos) = rest.find("127.0.0.1:") {
        let after = &rest[pos + "127.0.0.1:".len()..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(port) = digits.parse::<u16>() {
            if port != 0 {
                return Some(port);
            }
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ports_in_various_wordings() {
        assert_eq!(
            find_loopback_port("listening on https://127.0.0.1:43210"),
            Some(43210)
        );
        assert_eq!(find_loopback_port("addr=127.0.0.1:8443 ready"), Some(8443));
        assert_eq!(
            find_loopback_port("--listen 127.0.0.1:0 then 127.0.0.1:5"),
            Some(5)
        );
        assert_eq!(find_loopback_port("nothing here"), None);
    }

    #[test]
    fn api_version_is_appended_once() {
        assert_eq!(
            with_api_version("https://h/c"),
            format!("https://h/c?api-version={API_VERSION}")
        );
        assert_eq!(
            with_api_version("https://h/c?maxresults=1"),
            format!("https://h/c?maxresults=1&api-version={API_VERSION}")
        );
        assert_eq!(
            with_api_version("https://h/c?api%2Dversion=7.5"),
            "https://h/c?api%2Dversion=7.5"
        );
    }

    #[test]
    fn pem_blocks_round_trip() {
        let text = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            b64_std(b"key"),
            b64_std(b"cert")
        );
        let blocks = pem_blocks(&text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0], ("PRIVATE KEY".to_string(), b"key".to_vec()));
        assert_eq!(blocks[1], ("CERTIFICATE".to_string(), b"cert".to_vec()));
    }
}
