//! An in-process vault on port 0 with the ACME gateway (`always-valid` unless a test asks
//! otherwise), a reqwest client that trusts its TLS CA, and an `instant-acme` account builder
//! pointed at it.

use std::path::Path;
use tokio_util::sync::CancellationToken;
use vault::config::AcmeValidation;

/// A running vault and what tests need to reach it.
pub struct Server {
    pub handle: vault::Handle,
    pub token: CancellationToken,
    pub http: reqwest::Client,
}

impl Server {
    /// Starts vault on `dir` with `always-valid` validation.
    pub async fn start(dir: &Path) -> Server {
        Self::start_with(dir, |c| c.acme.validation = AcmeValidation::AlwaysValid).await
    }

    /// Starts vault on `dir` after `tweak` adjusted its configuration.
    pub async fn start_with(dir: &Path, tweak: impl FnOnce(&mut vault::Config)) -> Server {
        let mut config = vault::Config::new(dir);
        tweak(&mut config);
        let (handle, token) = crate::common::serve(config).await.unwrap();
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(handle.ca_pem.as_bytes()).unwrap())
            .build()
            .unwrap();
        Server {
            handle,
            token,
            http,
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        self.handle.url()
    }

    /// The default vault's ACME directory URL.
    pub fn directory(&self) -> String {
        format!("{}/acme/directory", self.base())
    }

    /// An `instant-acme` account builder whose client trusts vault's TLS CA.
    pub fn acme_builder(&self) -> instant_acme::AccountBuilder {
        instant_acme::Account::builder_with_root(&self.handle.ca_path).unwrap()
    }

    /// `GET {path}`: the status and the JSON body (`null` when the body is no JSON).
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let rsp = self
            .http
            .get(format!("{}{path}", self.base()))
            .send()
            .await
            .unwrap();
        let status = rsp.status().as_u16();
        (status, rsp.json().await.unwrap_or_default())
    }

    /// `POST /_admin/clock/advance` by `seconds`: moves the vault clock on; asserts 200.
    pub async fn advance_clock(&self, seconds: i64) {
        let resp = self
            .http
            .post(format!("{}/_admin/clock/advance", self.base()))
            .json(&serde_json::json!({ "seconds": seconds }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "advance the clock by {seconds} s");
    }

    /// Stops the server and waits until it released the data dir.
    pub async fn stop(self) {
        self.token.cancel();
        self.handle.stopped().await;
    }
}
