//! [`Env`]: the clients every scenario runs against (vault, ca-sim's admin API, the runner's
//! own CA).

use crate::client::{CaSimClient, VaultClient};
use crate::error::Error;
use crate::extca::ExternalCa;
use crate::services::Endpoints;
use std::sync::Arc;

/// What every scenario runs against.
#[derive(Clone)]
pub struct Env {
    pub vault: VaultClient,
    pub ca_sim: CaSimClient,
    pub external_ca: Arc<ExternalCa>,
}

impl Env {
    pub fn new(endpoints: &Endpoints) -> Result<Self, Error> {
        Ok(Self {
            vault: VaultClient::new(&endpoints.vault_url, &endpoints.vault_ca_pem)?,
            ca_sim: CaSimClient::new(&endpoints.ca_sim_url, &endpoints.ca_sim_ca_pem)?,
            external_ca: Arc::new(ExternalCa::new()?),
        })
    }
}
