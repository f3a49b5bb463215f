//! [`TestVault`]: an in-process vault on `127.0.0.1:0` with a throwaway data dir, restartable on
//! the same data dir, handing out SDK clients and raw HTTP that trust its dev CA.

use std::{net::SocketAddr, path::Path};

use azure_security_keyvault_certificates::CertificateClient;
use azure_security_keyvault_keys::KeyClient;
use azure_security_keyvault_secrets::SecretClient;
use tokio::net::TcpListener;

use crate::{
    in_process::InProcess,
    raw_http::{trusting_client, Raw},
    sdk::{certificate_client, key_client, secret_client},
};

/// An in-process vault serving HTTPS on `127.0.0.1`, with its own temporary data dir.
pub struct TestVault {
    server: InProcess<vault::Handle>,
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
        TestVault {
            server: InProcess::start(configure).await,
        }
    }

    /// Shuts the server down, waits until it stopped, and serves again on the same data dir
    /// (the same port when it can be bound again, otherwise a new one).
    pub async fn restart(mut self) -> TestVault {
        self.stop_server().await;
        let listener = match TcpListener::bind(("127.0.0.1", self.port())).await {
            Ok(listener) => listener,
            Err(_) => TcpListener::bind(("127.0.0.1", 0))
                .await
                .expect("bind 127.0.0.1:0"),
        };
        self.server.serve_again(listener).await;
        self
    }

    /// Shuts the server down and waits until it has stopped; the data dir stays until drop.
    pub async fn stop_server(&mut self) {
        self.server.stop().await;
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    pub fn port(&self) -> u16 {
        self.addr().port()
    }

    /// `https://127.0.0.1:{port}` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.server.url()
    }

    /// `https://localhost:{port}`; use with [`TestVault::http_for_host`]`("localhost")`.
    pub fn localhost_url(&self) -> String {
        format!("https://localhost:{}", self.port())
    }

    /// The running server's handle (its proxy and identity listeners, its HTTP state).
    pub fn handle(&self) -> &vault::Handle {
        self.server.handle().expect("the vault is running")
    }

    pub fn data_dir(&self) -> &Path {
        self.server.data_dir()
    }

    pub fn ca_pem(&self) -> &str {
        self.server.ca_pem()
    }

    pub fn ca_path(&self) -> &Path {
        self.server.ca_path()
    }

    /// A reqwest client that trusts only the vault's dev CA (no Authorization header).
    pub fn http(&self) -> reqwest::Client {
        trusting_client(self.ca_pem(), None)
    }

    /// Like [`TestVault::http`], but `host` resolves to this vault's `127.0.0.1` address, so
    /// requests carry `Host: {host}:{port}`.
    pub fn http_for_host(&self, host: &str) -> reqwest::Client {
        trusting_client(self.ca_pem(), Some((host, self.addr())))
    }

    /// Authorised raw HTTP against `https://127.0.0.1:{port}`.
    pub fn raw(&self) -> Raw {
        Raw::new(self.http(), self.base_url())
    }

    pub fn certificate_client(&self) -> CertificateClient {
        certificate_client(&self.base_url(), self.ca_pem())
    }

    pub fn key_client(&self) -> KeyClient {
        key_client(&self.base_url(), self.ca_pem())
    }

    pub fn secret_client(&self) -> SecretClient {
        secret_client(&self.base_url(), self.ca_pem())
    }
}
