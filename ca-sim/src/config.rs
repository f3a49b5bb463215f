//! Typed configuration, read once. [`Cli`] holds the flags (each with a `CASIM_*` environment
//! equivalent); an optional TOML file ([`FileConfig`]) adds accounts, timing profiles, fault
//! rules, CA shape and rate limits. Invalid values stop start-up with a clear message.

use crate::domain::Dialect;
use crate::error::{Error, Result};
use crate::faults::FaultRule;
use clap::Parser;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The domain types a config file holds, under the names config files and tests know.
pub use crate::domain::{Account, Organization, RateWindow};

/// The accounts that exist with no configuration (documented in the README).
pub fn builtin_accounts() -> Vec<Account> {
    vec![
        Account {
            dialect: Dialect::Digicert,
            id: "sim-dc-account".into(),
            secret: "sim-dc-key".into(),
            organizations: vec![
                Organization {
                    id: 100001,
                    name: "ca-sim Validated Org".into(),
                    validated: true,
                },
                Organization {
                    id: 100002,
                    name: "ca-sim Unvalidated Org".into(),
                    validated: false,
                },
            ],
            cert_type: None,
            profile: None,
            product_profiles: BTreeMap::new(),
            disabled: false,
        },
        Account {
            dialect: Dialect::Globalsign,
            id: "PAR_SIM_API".into(),
            secret: "sim-gs-pass".into(),
            organizations: Vec::new(),
            cert_type: None,
            profile: None,
            product_profiles: BTreeMap::new(),
            disabled: false,
        },
        Account {
            dialect: Dialect::Wosign,
            id: "ws-sim-001".into(),
            secret: "sim-ws-key".into(),
            organizations: Vec::new(),
            cert_type: Some("OV".into()),
            profile: None,
            product_profiles: BTreeMap::new(),
            disabled: false,
        },
    ]
}

/// Key algorithm of the simulated CA hierarchies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CaKeyType {
    #[default]
    EcP256,
    EcP384,
    Rsa2048,
    Rsa3072,
}

/// Shape of each dialect's hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaConfig {
    /// Intermediates under the root (1..=3); the leaf is issued by the lowest.
    #[serde(default = "one")]
    pub intermediates: u8,
    #[serde(default)]
    pub key_type: CaKeyType,
}

fn one() -> u8 {
    1
}

impl Default for CaConfig {
    fn default() -> Self {
        Self {
            intermediates: 1,
            key_type: CaKeyType::EcP256,
        }
    }
}

/// How ca-sim's ACME dialect validates challenges (Pebble: `PEBBLE_VA_ALWAYS_VALID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum AcmeValidation {
    /// Fetch http-01 responses from the identifier (`.localhost` names resolve to loopback).
    #[default]
    Real,
    /// Every challenge the client answers is valid at once, nothing is fetched.
    AlwaysValid,
}

/// The ACME dialect's knobs (`[acme]` in the config file, `--acme-*` flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AcmeConfig {
    pub validation: AcmeValidation,
    /// Port http-01 responses are fetched from (Pebble's `httpPort`, default 5002).
    pub http01_port: u16,
    /// Port tls-alpn-01 handshakes go to (Pebble's `tlsPort`, default 5001).
    pub tlsalpn01_port: u16,
    /// DNS server dns-01 TXT records are asked of (Pebble's `-dnsserver`); none: dns-01
    /// passes only under `always-valid`.
    pub dns_resolver: Option<SocketAddr>,
    /// Timing profile of ACME orders after finalize (`instant`, `fixed:5s`, `stuck`, ...).
    pub timing: String,
    /// ACME profiles (draft-aaron-acme-profiles) offered in the directory: name → timing
    /// profile of orders that name it.
    pub profiles: BTreeMap<String, String>,
    /// External account binding keys: key id → base64url HMAC key.
    pub eab_keys: BTreeMap<String, String>,
    /// newAccount without a valid external account binding is refused.
    pub eab_required: bool,
    /// Validity of issued certificates.
    pub validity_days: u32,
    /// Share (0..=1) of new orders' identifiers that reuse the account's valid authorization
    /// for the same name instead of a new one (Pebble's `PEBBLE_AUTHZREUSE`, a percentage);
    /// drawn from the seeded generator.
    pub authz_reuse: f64,
    /// Alternate chains (0..=3): more roots cross-signing the issuing intermediate (Pebble's
    /// `PEBBLE_ALTERNATE_ROOTS`).
    pub alternate_roots: u8,
    /// Upper bound of a random wait (seeded, real time) before each challenge is validated,
    /// like Pebble's 0–15 s sleep (which `PEBBLE_VA_NOSLEEP=1` turns off). 0, the default:
    /// validated within the challenge request. Above 0 the challenge answers `processing`
    /// and the client polls.
    pub validation_delay: shared::duration::Dur,
}

impl Default for AcmeConfig {
    fn default() -> Self {
        Self {
            validation: AcmeValidation::Real,
            http01_port: 5002,
            tlsalpn01_port: 5001,
            dns_resolver: None,
            timing: "instant".into(),
            validation_delay: shared::duration::Dur::default(),
            profiles: BTreeMap::new(),
            eab_keys: BTreeMap::new(),
            eab_required: false,
            validity_days: 90,
            authz_reuse: 0.0,
            alternate_roots: 0,
        }
    }
}

/// DigiCert's documented limits: 1000 requests / 5 min and 100 / 5 s per API key.
pub fn default_digicert_limits() -> Vec<RateWindow> {
    vec![
        RateWindow {
            requests: 1000,
            seconds: 300.0,
        },
        RateWindow {
            requests: 100,
            seconds: 5.0,
        },
    ]
}

/// DigiCert's page size cap on the order list ("limit: max 1000").
pub const DIGICERT_PAGE_LIMIT: usize = 1000;

/// The optional TOML file. Every field may be omitted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub seed: Option<u64>,
    pub time_scale: Option<f64>,
    /// Replace the built-in accounts instead of adding to them.
    #[serde(default)]
    pub replace_builtin_accounts: bool,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub faults: Vec<FaultRule>,
    #[serde(default)]
    pub ca: BTreeMap<Dialect, CaConfig>,
    /// DigiCert rate-limit windows per API key (real time). An empty list disables limiting.
    pub digicert_rate_limits: Option<Vec<RateWindow>>,
    /// The most orders one page of DigiCert's order list holds (default the vendor's 1000);
    /// lower it to make clients page with few orders.
    pub digicert_page_limit: Option<usize>,
    /// The ACME dialect's knobs.
    pub acme: Option<AcmeConfig>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("--config {}: {e}", path.display())))?;
        toml::from_str(&text)
            .map_err(|e| Error::Config(format!("--config {}: {e}", path.display())))
    }
}

/// Everything `serve` needs. Build with [`Config::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// In memory only: no database file, fresh CAs each start.
    pub ephemeral: bool,
    /// Seed of every random choice that shapes outcomes (fault probabilities, uniform delays).
    pub seed: u64,
    /// Simulated seconds per real second.
    pub time_scale: f64,
    /// Accounts in effect (built-ins plus the config file's).
    pub accounts: Vec<Account>,
    pub faults: Vec<FaultRule>,
    pub ca: BTreeMap<Dialect, CaConfig>,
    pub digicert_rate_limits: Vec<RateWindow>,
    /// Page size cap of DigiCert's order list (`GET order/certificate`).
    pub digicert_page_limit: usize,
    /// Base URL written into AIA/CRL distribution points and WSDL addresses when set (else
    /// `https://` + the bound address).
    pub public_url: Option<String>,
    /// The ACME dialect's knobs.
    pub acme: AcmeConfig,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            ephemeral: false,
            seed: 1,
            time_scale: 1.0,
            accounts: builtin_accounts(),
            faults: Vec::new(),
            ca: BTreeMap::new(),
            digicert_rate_limits: default_digicert_limits(),
            digicert_page_limit: DIGICERT_PAGE_LIMIT,
            public_url: None,
            acme: AcmeConfig::default(),
        }
    }

    /// Applies a config file on top of this config.
    pub fn apply_file(&mut self, file: FileConfig) {
        if let Some(seed) = file.seed {
            self.seed = seed;
        }
        if let Some(scale) = file.time_scale {
            self.time_scale = scale;
        }
        if file.replace_builtin_accounts {
            self.accounts.clear();
        }
        for account in file.accounts {
            self.accounts
                .retain(|a| !(a.dialect == account.dialect && a.id == account.id));
            self.accounts.push(account);
        }
        self.faults.extend(file.faults);
        self.ca.extend(file.ca);
        if let Some(limits) = file.digicert_rate_limits {
            self.digicert_rate_limits = limits;
        }
        if let Some(limit) = file.digicert_page_limit {
            self.digicert_page_limit = limit;
        }
        if let Some(acme) = file.acme {
            self.acme = acme;
        }
    }

    pub fn ca_for(&self, dialect: Dialect) -> CaConfig {
        self.ca.get(&dialect).cloned().unwrap_or_default()
    }

    /// Fails fast on values that make no sense.
    pub fn validate(&self) -> Result<()> {
        if !self.time_scale.is_finite() || self.time_scale <= 0.0 {
            return Err(Error::Config(format!(
                "time scale must be a positive number, got {}",
                self.time_scale
            )));
        }
        for a in &self.accounts {
            a.validate().map_err(Error::Config)?;
        }
        for r in &self.faults {
            r.validate().map_err(Error::Config)?;
        }
        for (d, ca) in &self.ca {
            if !(1..=3).contains(&ca.intermediates) {
                return Err(Error::Config(format!("ca.{d}.intermediates must be 1..=3")));
            }
        }
        crate::domain::TimingProfile::parse(&self.acme.timing)
            .map_err(|e| Error::Config(format!("acme.timing: {e}")))?;
        for (name, t) in &self.acme.profiles {
            crate::domain::TimingProfile::parse(t)
                .map_err(|e| Error::Config(format!("acme.profiles.{name}: {e}")))?;
        }
        for (kid, key) in &self.acme.eab_keys {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(key.trim_end_matches('='))
                .map_err(|_| Error::Config(format!("acme.eab_keys.{kid}: not base64url")))?;
        }
        if self.acme.alternate_roots > 3 {
            return Err(Error::Config("acme.alternate_roots must be 0..=3".into()));
        }
        if !(0.0..=1.0).contains(&self.acme.authz_reuse) {
            return Err(Error::Config(
                "acme.authz_reuse must be within 0..=1".into(),
            ));
        }
        if !(1..=3650).contains(&self.acme.validity_days) {
            return Err(Error::Config("acme.validity_days must be 1..=3650".into()));
        }
        if self.digicert_page_limit == 0 {
            return Err(Error::Config(
                "digicert_page_limit must be at least 1".into(),
            ));
        }
        for w in &self.digicert_rate_limits {
            if w.requests == 0 || w.seconds.is_nan() || w.seconds <= 0.0 {
                return Err(Error::Config(
                    "rate-limit windows need requests > 0 and seconds > 0".into(),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A partner-CA simulator: DigiCert CertCentral, GlobalSign GCC SOAP and WoSign on one listener.
#[derive(Debug, Parser)]
#[command(name = "ca-sim", version)]
pub struct Cli {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, env = "CASIM_LISTEN", default_value = "127.0.0.1:9443")]
    pub listen: SocketAddr,
    /// Where the database, TLS material and CA hierarchies live.
    #[arg(long, env = "CASIM_DATA_DIR", default_value = "data/ca-sim")]
    pub data_dir: PathBuf,
    /// TOML file with accounts, timing profiles, fault rules, CA shape and rate limits.
    #[arg(long, env = "CASIM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Seed for every random choice that shapes outcomes (overrides the file's `seed`).
    #[arg(long, env = "CASIM_SEED")]
    pub seed: Option<u64>,
    /// Simulated seconds per real second (overrides the file's `time_scale`; default 1).
    #[arg(long, env = "CASIM_TIME_SCALE")]
    pub time_scale: Option<f64>,
    /// Keep everything in memory and make fresh CAs on every start.
    #[arg(long, env = "CASIM_EPHEMERAL")]
    pub ephemeral: bool,
    /// Base URL for AIA, CRL and WSDL addresses (default: https:// plus the bound address).
    #[arg(long, env = "CASIM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// ACME challenge validation: `real` (fetch http-01) or `always-valid` (Pebble's
    /// `PEBBLE_VA_ALWAYS_VALID=1`). Overrides the file's `acme.validation`.
    #[arg(long, env = "CASIM_ACME_VALIDATION", value_enum)]
    pub acme_validation: Option<AcmeValidation>,
    /// Port http-01 responses are fetched from (Pebble's `httpPort`; default 5002).
    #[arg(long, env = "CASIM_ACME_HTTP01_PORT")]
    pub acme_http01_port: Option<u16>,
    /// Port tls-alpn-01 handshakes go to (Pebble's `tlsPort`; default 5001).
    #[arg(long, env = "CASIM_ACME_TLSALPN01_PORT")]
    pub acme_tlsalpn01_port: Option<u16>,
    /// Alternate chains, 0..=3 (Pebble's `PEBBLE_ALTERNATE_ROOTS`).
    #[arg(long, env = "CASIM_ACME_ALTERNATE_ROOTS")]
    pub acme_alternate_roots: Option<u8>,
    /// DNS server (`IP:PORT`) asked for dns-01 TXT records (Pebble's `-dnsserver`).
    #[arg(long, env = "CASIM_ACME_DNS_RESOLVER")]
    pub acme_dns_resolver: Option<SocketAddr>,
    /// Timing profile of ACME orders after finalize (default `instant`; `stuck` waits for an
    /// admin approve).
    #[arg(long, env = "CASIM_ACME_TIMING")]
    pub acme_timing: Option<String>,
    /// Wait a random time up to this (seeded) before validating each ACME challenge, which
    /// then answers `processing` (Pebble sleeps 0-15 s unless `PEBBLE_VA_NOSLEEP=1`; ca-sim
    /// does not unless asked). Default 0: validated at once.
    #[arg(long, env = "CASIM_ACME_VALIDATION_DELAY", value_parser = shared::duration::parse)]
    pub acme_validation_delay: Option<std::time::Duration>,
    /// Log output format.
    #[arg(long, env = "CASIM_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

impl Cli {
    pub fn config(&self) -> Result<Config> {
        let mut config = Config::new(&self.data_dir);
        if let Some(path) = &self.config {
            config.apply_file(FileConfig::load(path)?);
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        if let Some(scale) = self.time_scale {
            config.time_scale = scale;
        }
        if let Some(v) = self.acme_validation {
            config.acme.validation = v;
        }
        if let Some(d) = self.acme_validation_delay {
            config.acme.validation_delay = shared::duration::Dur(d);
        }
        if let Some(port) = self.acme_http01_port {
            config.acme.http01_port = port;
        }
        if let Some(port) = self.acme_tlsalpn01_port {
            config.acme.tlsalpn01_port = port;
        }
        if let Some(n) = self.acme_alternate_roots {
            config.acme.alternate_roots = n;
        }
        if let Some(server) = self.acme_dns_resolver {
            config.acme.dns_resolver = Some(server);
        }
        if let Some(t) = &self.acme_timing {
            config.acme.timing = t.clone();
        }
        config.ephemeral = self.ephemeral;
        config.public_url = self
            .public_url
            .as_ref()
            .map(|u| u.trim_end_matches('/').to_string());
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_match_the_documented_interface() {
        let cli = Cli::try_parse_from(["ca-sim"]).unwrap();
        assert_eq!(cli.listen.to_string(), "127.0.0.1:9443");
        assert_eq!(cli.data_dir, PathBuf::from("data/ca-sim"));
        let config = cli.config().unwrap();
        assert_eq!(config.time_scale, 1.0);
        assert_eq!(config.accounts.len(), 3);
    }

    #[test]
    fn file_rules_take_a_phase_and_pages_a_cap() {
        let file: FileConfig = toml::from_str(
            r#"
            digicert_page_limit = 50

            [[faults]]
            name = "lost-orders"
            operation = "order"
            phase = "after"
            probability = 0.2
            action = { kind = "server_error", status = 502 }

            [[faults]]
            operation = "poll"
            action = { kind = "drop" }
            "#,
        )
        .unwrap();
        let mut config = Config::new("unused");
        config.apply_file(file);
        assert_eq!(config.digicert_page_limit, 50);
        assert_eq!(config.faults[0].phase, crate::domain::FaultPhase::After);
        assert_eq!(config.faults[1].phase, crate::domain::FaultPhase::Before);
        config.validate().unwrap();
        config.digicert_page_limit = 0;
        assert!(config.validate().is_err());
    }

    #[test]
    fn bad_time_scale_fails_fast() {
        let cli = Cli::try_parse_from(["ca-sim", "--time-scale", "0"]).unwrap();
        assert!(cli.config().is_err());
    }
}
