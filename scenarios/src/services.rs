//! The services a run talks to: started in-process on free ports with temporary data dirs
//! ([`LocalServices::start`]), or already running somewhere ([`Endpoints`] from URLs and CA files).
//! Started services come with the runner's http-01 responder ([`Http01`]), which the vault is
//! pointed at; that vault skips ACME validation unless [`LocalOptions::acme_validation`] says
//! `Real`. The started vault also issues through ca-sim's ACME dialect (provider `ACME`):
//! ca-sim validates http-01 for real against vault's own responder (names under `.localhost`),
//! and its ACME profile `manual` holds finalized orders for the admin (`stuck`).

use crate::dashboard::DashboardUrls;
use crate::error::Error;
use crate::http01::Http01;
use shared::models::ProviderKind;
use std::path::PathBuf;
use std::time::Duration;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// Where vault and ca-sim are, and which CA each one's TLS certificate chains to.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `https://127.0.0.1:PORT`, no trailing slash.
    pub vault_url: String,
    pub vault_ca_pem: String,
    pub vault_ca_path: Option<PathBuf>,
    /// `https://127.0.0.1:PORT`, no trailing slash.
    pub ca_sim_url: String,
    pub ca_sim_ca_pem: String,
    pub ca_sim_ca_path: Option<PathBuf>,
    /// The runner's http-01 responder vault validates against (started services only).
    pub http01: Option<Http01>,
}

impl Endpoints {
    /// Endpoints of services someone else runs; the CA files are read now.
    pub fn external(
        vault_url: &str,
        vault_ca: &std::path::Path,
        ca_sim_url: &str,
        ca_sim_ca: &std::path::Path,
    ) -> Result<Self, Error> {
        let read = |p: &std::path::Path| {
            std::fs::read_to_string(p).map_err(|e| Error::Io {
                path: p.to_path_buf(),
                source: e,
            })
        };
        Ok(Self {
            vault_url: vault_url.trim_end_matches('/').to_string(),
            vault_ca_pem: read(vault_ca)?,
            vault_ca_path: Some(vault_ca.to_path_buf()),
            ca_sim_url: ca_sim_url.trim_end_matches('/').to_string(),
            ca_sim_ca_pem: read(ca_sim_ca)?,
            ca_sim_ca_path: Some(ca_sim_ca.to_path_buf()),
            http01: None,
        })
    }
}

/// Knobs of the in-process services.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// ca-sim simulated seconds per real second.
    pub time_scale: f64,
    /// ca-sim seed.
    pub seed: u64,
    /// Timing profile of ca-sim's built-in accounts (ca-sim's default is `fixed:2s`).
    pub builtin_profile: Option<String>,
    /// vault's first wait between polls of a CA order.
    pub provider_poll_interval: Duration,
    /// vault's retry budget for transient CA failures.
    pub provider_deadline: Duration,
    /// vault's timeout of one CA call.
    pub provider_timeout: Duration,
    /// vault's self-signed issuance delay.
    pub self_signed_delay: Duration,
    /// Keep data here instead of a temporary directory.
    pub data_dir: Option<PathBuf>,
    /// `Retry-After` vault advertises while an operation is in progress.
    pub retry_after: Duration,
    /// vault's Key Vault service-limit emulation (429 over budget); `None` = off.
    pub throttle: Option<vault::http::throttle::Limits>,
    /// Keep ca-sim's default DigiCert rate limits (off by default so they never dominate).
    pub digicert_rate_limits: bool,
    /// vault's ACME challenge validation: `AlwaysValid` (default, Pebble's
    /// `PEBBLE_VA_ALWAYS_VALID`: every challenge type passes) or `Real` (http-01 against the
    /// runner's responder, for names under `.localhost`).
    pub acme_validation: vault::config::AcmeValidation,
}

impl Default for LocalOptions {
    /// Fast settings for conformance runs: quick polls, short retry budgets.
    fn default() -> Self {
        Self {
            time_scale: 1.0,
            seed: 1,
            builtin_profile: Some("fixed:300ms".into()),
            provider_poll_interval: Duration::from_millis(150),
            provider_deadline: Duration::from_secs(20),
            provider_timeout: Duration::from_secs(3),
            self_signed_delay: Duration::ZERO,
            data_dir: None,
            retry_after: Duration::from_secs(1),
            throttle: None,
            digicert_rate_limits: false,
            acme_validation: vault::config::AcmeValidation::AlwaysValid,
        }
    }
}

/// The ACME profile of ca-sim whose finalized orders wait for its admin (`approve` / `reject`);
/// an ACME issuer names it in `org_details.id`.
pub const ACME_MANUAL_PROFILE: &str = "manual";

/// A port free right now on loopback (bound, then released).
fn free_port() -> Result<u16, Error> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| Error::Start {
            service: "vault's ACME http-01 responder",
            message: format!("bind 127.0.0.1:0: {e}"),
        })
}

/// Writes ca-sim's ACME root next to the services' data, for vault's `--provider-ca`.
fn acme_root_file(ca: &ca_sim::Handle, root: &std::path::Path) -> Result<PathBuf, Error> {
    let pem = ca
        .roots
        .iter()
        .find(|(d, _, _)| *d == ca_sim::Dialect::Acme)
        .map(|(_, pem, _)| pem.clone())
        .ok_or_else(|| Error::Start {
            service: "ca-sim",
            message: "no ACME root".into(),
        })?;
    let path = root.join("ca-sim-acme-root.pem");
    std::fs::create_dir_all(root)
        .and_then(|()| std::fs::write(&path, pem))
        .map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })?;
    Ok(path)
}

/// vault and ca-sim running in this process. Dropping it stops both.
pub struct LocalServices {
    pub endpoints: Endpoints,
    shutdown: CancellationToken,
    vault: Option<vault::Handle>,
    ca_sim: Option<ca_sim::Handle>,
    _temp: Option<TempDir>,
}

impl LocalServices {
    /// Starts ca-sim, then vault pointed at it, each on `127.0.0.1:0`.
    pub async fn start(options: LocalOptions) -> Result<Self, Error> {
        let (root, temp) = match &options.data_dir {
            Some(d) => (d.clone(), None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("scenarios-")
                    .tempdir()
                    .map_err(|e| Error::Io {
                        path: std::env::temp_dir(),
                        source: e,
                    })?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let shutdown = CancellationToken::new();
        let bind = |service: &'static str| async move {
            tokio::net::TcpListener::bind(("127.0.0.1", 0))
                .await
                .map_err(|e| Error::Start {
                    service,
                    message: format!("bind 127.0.0.1:0: {e}"),
                })
        };

        let mut cfg = ca_sim::Config::new(root.join("ca-sim"));
        cfg.ephemeral = true;
        cfg.seed = options.seed;
        cfg.time_scale = options.time_scale;
        if !options.digicert_rate_limits {
            cfg.digicert_rate_limits = Vec::new();
        }
        if let Some(profile) = &options.builtin_profile {
            for a in &mut cfg.accounts {
                a.profile = Some(profile.clone());
            }
        }
        // vault's ACME client answers http-01 on this port and ca-sim fetches from it; the
        // port is picked before either starts, since ca-sim must know it first.
        let acme_http01 = free_port()?;
        cfg.acme.validation = ca_sim::config::AcmeValidation::Real;
        cfg.acme.http01_port = acme_http01;
        cfg.acme
            .profiles
            .insert(ACME_MANUAL_PROFILE.into(), "stuck".into());
        let ca = ca_sim::serve(bind("ca-sim").await?, cfg, shutdown.clone())
            .await
            .map_err(|e| Error::Start {
                service: "ca-sim",
                message: e.to_string(),
            })?;
        let ca_url = ca.url();

        let mut vcfg = vault::Config::new(root.join("vault"));
        let endpoint = |path: &str| {
            url::Url::parse(&format!("{ca_url}{path}")).map_err(|e| Error::Start {
                service: "vault",
                message: format!("provider endpoint: {e}"),
            })
        };
        vcfg.provider_endpoints = vec![
            (ProviderKind::DigiCert, endpoint("/services/v2")?),
            (ProviderKind::GlobalSign, endpoint("/kb/ws/v1")?),
            (ProviderKind::WoSign, endpoint("/api/v1")?),
            (
                ProviderKind::Acme("ACME".into()),
                endpoint("/acme/directory")?,
            ),
        ];
        // ACME CAs deliver chains without their root: vault takes it from --provider-ca.
        vcfg.provider_ca = vec![ca.ca_path.clone(), acme_root_file(&ca, &root)?];
        vcfg.acme_client_http01_listen =
            Some(std::net::SocketAddr::from(([127, 0, 0, 1], acme_http01)));
        vcfg.provider_poll_interval = options.provider_poll_interval;
        vcfg.provider_deadline = options.provider_deadline;
        vcfg.provider_timeout = options.provider_timeout;
        vcfg.retry_after = options.retry_after;
        vcfg.throttle = options.throttle;
        vcfg.self_signed_delay = options.self_signed_delay;
        let http01 = Http01::start(shutdown.clone())
            .await
            .map_err(|e| Error::Start {
                service: "http-01 responder",
                message: format!("bind 127.0.0.1:0: {e}"),
            })?;
        vcfg.acme.http01_port = http01.port();
        vcfg.acme.validation = options.acme_validation;
        let v = vault::serve(bind("vault").await?, vcfg, shutdown.clone())
            .await
            .map_err(|e| Error::Start {
                service: "vault",
                message: e.to_string(),
            })?;

        Ok(Self {
            endpoints: Endpoints {
                vault_url: v.url(),
                vault_ca_pem: v.ca_pem.clone(),
                vault_ca_path: Some(v.ca_path.clone()),
                ca_sim_url: ca_url,
                ca_sim_ca_pem: ca.ca_pem.clone(),
                ca_sim_ca_path: Some(ca.ca_path.clone()),
                http01: Some(http01),
            },
            shutdown,
            vault: Some(v),
            ca_sim: Some(ca),
            _temp: temp,
        })
    }

    /// Both dashboards' URLs; vault's carries the admin token when vault requires one (entra
    /// mode), so opening it logs the browser in.
    pub fn dashboard_urls(&self) -> DashboardUrls {
        let token = self
            .vault
            .as_ref()
            .filter(|v| v.app.auth == vault::config::AuthMode::Entra)
            .and_then(|v| v.app.admin_token.as_deref());
        DashboardUrls::new(&self.endpoints.vault_url, &self.endpoints.ca_sim_url, token)
    }

    /// The WoSign issuing root is flagged distrusted by ca-sim; this says so in words.
    pub fn ca_sim_roots(&self) -> Vec<(String, String)> {
        self.ca_sim
            .as_ref()
            .map(|h| {
                h.roots
                    .iter()
                    .map(|(d, pem, _)| (d.to_string(), pem.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Stops both services and waits (bounded) until they have.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        let grace = Duration::from_secs(15);
        if let Some(v) = self.vault.take() {
            let _ = tokio::time::timeout(grace, v.stopped()).await;
        }
        if let Some(c) = self.ca_sim.take() {
            let _ = tokio::time::timeout(grace, c.stopped()).await;
        }
    }
}

impl Drop for LocalServices {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
