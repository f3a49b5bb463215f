//! [`TestVault`]: an in-process vault on `127.0.0.1:0` with a throwaway data dir, restartable on
//! the same data dir, handing out SDK clients and raw HTTP that trust its dev CA.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use azure_security_keyvault_certificates::CertificateClient;
use azure_security_keyvault_keys::KeyClient;
use azure_security_keyvault_secrets::SecretClient;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

use crate::{
    raw_http::{trusting_client, Raw},
    sdk::{certificate_client, key_client, secret_client},
    wait::DEADLINE,
};

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

    /// The running server's handle (its proxy and identity listeners, its HTTP state).
    pub fn handle(&self) -> &vault::Handle {
        self.handle.as_ref().expect("the vault is running")
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
