//! The flags `run` and `load` share to use services someone else runs instead of starting
//! their own: both URLs and both CA files, all four together.

use scenarios::services::Endpoints;
use std::path::PathBuf;

/// `--vault`, `--ca-sim`, `--vault-ca` and `--ca-sim-ca`.
#[derive(Debug, clap::Args)]
pub struct Running {
    /// Use a running vault at this URL instead of starting one (needs --ca-sim and both CA
    /// files).
    #[arg(long, requires_all = ["ca_sim", "vault_ca", "ca_sim_ca"])]
    pub vault: Option<String>,
    /// Use a running ca-sim at this URL (the one vault's provider endpoints point at).
    #[arg(long = "ca-sim", requires_all = ["vault", "vault_ca", "ca_sim_ca"])]
    pub ca_sim: Option<String>,
    /// PEM file of the CA that vault's TLS certificate chains to.
    #[arg(long = "vault-ca", requires = "vault")]
    pub vault_ca: Option<PathBuf>,
    /// PEM file of the CA that ca-sim's TLS certificate chains to.
    #[arg(long = "ca-sim-ca", requires = "ca_sim")]
    pub ca_sim_ca: Option<PathBuf>,
}

impl Running {
    /// The running services' endpoints (their CA files read now), or `None` without the flags.
    pub fn endpoints(&self) -> anyhow::Result<Option<Endpoints>> {
        match (&self.vault, &self.ca_sim, &self.vault_ca, &self.ca_sim_ca) {
            (Some(v), Some(c), Some(vca), Some(cca)) => {
                Ok(Some(Endpoints::external(v, vca, c, cca)?))
            }
            _ => Ok(None),
        }
    }
}
