//! [`Env`]: the clients every scenario runs against (vault, ca-sim's admin API, the runner's
//! own CA) and what ACME steps need ([`AcmeEnv`]).

use crate::client::{CaSimClient, VaultClient};
use crate::error::Error;
use crate::extca::ExternalCa;
use crate::http01::Http01;
use crate::services::Endpoints;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

/// What every scenario runs against.
#[derive(Clone)]
pub struct Env {
    pub vault: VaultClient,
    pub ca_sim: CaSimClient,
    pub external_ca: Arc<ExternalCa>,
    pub acme: AcmeEnv,
}

/// Where ACME steps find vault's gateway and how their client trusts it.
#[derive(Clone)]
pub struct AcmeEnv {
    /// `https://HOST:PORT/acme` of the default vault.
    pub root: String,
    /// vault's TLS CA as a file: `instant-acme` reads the root it trusts from a file.
    pub ca_path: PathBuf,
    /// The runner's http-01 responder, when the runner started vault.
    pub http01: Option<Http01>,
    /// Keeps the CA file written for endpoints that came without one.
    _ca_file: Option<Arc<tempfile::TempPath>>,
}

impl AcmeEnv {
    /// The directory URL, or the one pinned to `profile` (`/acme/{profile}/directory`).
    pub fn directory(&self, profile: Option<&str>) -> String {
        match profile {
            Some(p) => format!("{}/{p}/directory", self.root),
            None => format!("{}/directory", self.root),
        }
    }
}

impl Env {
    pub fn new(endpoints: &Endpoints) -> Result<Self, Error> {
        let (ca_path, ca_file) = match &endpoints.vault_ca_path {
            Some(p) => (p.clone(), None),
            None => {
                let file = write_temp(&endpoints.vault_ca_pem)?;
                (file.to_path_buf(), Some(Arc::new(file)))
            }
        };
        Ok(Self {
            vault: VaultClient::new(&endpoints.vault_url, &endpoints.vault_ca_pem)?,
            ca_sim: CaSimClient::new(&endpoints.ca_sim_url, &endpoints.ca_sim_ca_pem)?,
            external_ca: Arc::new(ExternalCa::new()?),
            acme: AcmeEnv {
                root: format!("{}/acme", endpoints.vault_url.trim_end_matches('/')),
                ca_path,
                http01: endpoints.http01.clone(),
                _ca_file: ca_file,
            },
        })
    }
}

/// `pem` in a temporary file, removed when the returned path is dropped.
fn write_temp(pem: &str) -> Result<tempfile::TempPath, Error> {
    let io = |e: std::io::Error| Error::Io {
        path: std::env::temp_dir(),
        source: e,
    };
    let mut file = tempfile::NamedTempFile::new().map_err(io)?;
    file.write_all(pem.as_bytes()).map_err(io)?;
    Ok(file.into_temp_path())
}
