//! Typed configuration, read once. [`Cli`] holds the flags (each with a `VAULT_*` environment
//! equivalent) and becomes a [`Config`]; invalid values stop start-up with a clear message.

use clap::Parser;
use shared::models::ProviderKind;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// Everything `serve` needs. Build with [`Config::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// Base of every id when set (else `https://` + the request's Host).
    pub public_url: Option<url::Url>,
    /// Extra names for the dev server certificate.
    pub hostnames: Vec<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Wait before a self-signed operation completes (0: as fast as key generation allows).
    pub self_signed_delay: Duration,
    /// `Retry-After` advertised while an operation is in progress.
    pub retry_after: Duration,
    /// `VAULT_MASTER_KEY`: 32 bytes, hex or base64; else `master.key` in the data dir.
    pub master_key: Option<String>,
    /// Base URL of each partner CA dialect (`--provider-endpoint DigiCert=URL`).
    pub provider_endpoints: Vec<(ProviderKind, url::Url)>,
    /// Extra trust anchors (PEM files) for the providers' TLS, e.g. ca-sim's CA.
    pub provider_ca: Vec<PathBuf>,
    /// `--acme-client-http01-listen`: where the ACME provider adapter answers http-01
    /// challenges (`GET /.well-known/acme-challenge/{token}`); `None` = no http-01 responder.
    pub acme_client_http01_listen: Option<SocketAddr>,
    /// `--acme-client-tlsalpn01-listen`: where the ACME provider adapter answers tls-alpn-01
    /// challenges (TLS, ALPN `acme-tls/1`); `None` = no tls-alpn-01 responder.
    pub acme_client_tlsalpn01_listen: Option<SocketAddr>,
    /// First wait between polls of a pending CA order.
    pub provider_poll_interval: Duration,
    /// How long transient CA failures are retried before an operation fails.
    pub provider_deadline: Duration,
    /// Timeout of one CA call.
    pub provider_timeout: Duration,
    /// Key Vault service-limit emulation (429 over budget); `None` = off.
    pub throttle: Option<Limits>,
    /// SMTP relay for notifications (`--smtp`); without it they are recorded as `not_sent`.
    pub smtp: Option<url::Url>,
    /// Sender of notification mails.
    pub smtp_from: String,
    /// First wait after a failed delivery (doubles per attempt, at most 10 minutes).
    pub smtp_retry: Duration,
    /// Clock offset in seconds to apply at start; `None` keeps the persisted offset.
    pub clock_offset: Option<i64>,
    /// Longest time between two scans of the certificates' lifetime triggers.
    pub lifetime_scan_interval: Duration,
    /// How bearer tokens are checked: `dev` accepts any, `entra` verifies vault-issued JWTs.
    pub auth: AuthMode,
    /// `--admin-token`: the bearer token `/_admin/*` requires in `entra` mode (health and
    /// ca.pem stay open); `None` there means one is generated into the data dir.
    pub admin_token: Option<String>,
    /// `--access FILE`: principals, vaults and their access models (TOML).
    pub access_file: Option<PathBuf>,
    /// `--vault NAME` (repeatable): vaults that exist besides those in the access file.
    pub vaults: Vec<String>,
    /// The vault that answers for `localhost` and IP addresses.
    pub default_vault: String,
    /// `--proxy-listen`: the drop-in CONNECT proxy's address.
    pub proxy_listen: Option<SocketAddr>,
    /// `--identity-listen`: plain-HTTP listener for managed-identity endpoints (loopback only).
    pub identity_listen: Option<SocketAddr>,
    /// `--identity-header`: the secret App Service-style managed identity callers send as
    /// `X-IDENTITY-HEADER`; `None` means one is generated into the data dir.
    pub identity_header: Option<String>,
    /// The ACME gateway's settings (`--acme-*`).
    pub acme: AcmeConfig,
}

/// The ACME gateway's settings: how challenges are validated, EAB, chaos.
#[derive(Debug, Clone)]
pub struct AcmeConfig {
    /// `--acme-http01-port`: the port http-01 validation connects to (RFC 8555: 80).
    pub http01_port: u16,
    /// `--acme-tlsalpn01-port`: the port tls-alpn-01 validation connects to (RFC 8737: 443).
    pub tlsalpn01_port: u16,
    /// `--acme-dns-resolver ADDR`: the DNS server dns-01 (and name lookups for the other
    /// challenges) ask; `None` = the system's resolver.
    pub dns_resolver: Option<SocketAddr>,
    /// `--acme-host NAME=IP` (repeatable): fixed addresses that win over DNS.
    pub hosts: Vec<(String, IpAddr)>,
    /// `--acme-validation`: `real` (default) or `always-valid` (Pebble's
    /// `PEBBLE_VA_ALWAYS_VALID`).
    pub validation: AcmeValidation,
    /// `--acme-eab-required`: newAccount needs an `externalAccountBinding`.
    pub eab_required: bool,
    /// `--acme-chaos FILE|JSON`: the chaos document in force at start (validated by
    /// `acme::chaos` when the gateway starts); `None` = no chaos.
    pub chaos: Option<serde_json::Value>,
}

impl Default for AcmeConfig {
    fn default() -> Self {
        Self {
            http01_port: 80,
            tlsalpn01_port: 443,
            dns_resolver: None,
            hosts: Vec::new(),
            validation: AcmeValidation::Real,
            eab_required: false,
            chaos: None,
        }
    }
}

/// Whether ACME challenges are validated for real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AcmeValidation {
    /// http-01, dns-01 and tls-alpn-01 are checked over the network.
    #[default]
    Real,
    /// Every challenge the client answers becomes valid without a check.
    AlwaysValid,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            public_url: None,
            hostnames: Vec::new(),
            tls_cert: None,
            tls_key: None,
            self_signed_delay: Duration::ZERO,
            retry_after: Duration::from_secs(1),
            master_key: None,
            provider_endpoints: Vec::new(),
            provider_ca: Vec::new(),
            acme_client_http01_listen: None,
            acme_client_tlsalpn01_listen: None,
            provider_poll_interval: Duration::from_secs(1),
            provider_deadline: Duration::from_secs(3600),
            provider_timeout: Duration::from_secs(15),
            throttle: None,
            smtp: None,
            smtp_from: DEFAULT_SMTP_FROM.into(),
            smtp_retry: Duration::from_secs(5),
            clock_offset: None,
            lifetime_scan_interval: Duration::from_secs(60),
            auth: AuthMode::Dev,
            admin_token: None,
            access_file: None,
            vaults: Vec::new(),
            default_vault: DEFAULT_VAULT.into(),
            proxy_listen: None,
            identity_listen: None,
            identity_header: None,
            acme: AcmeConfig::default(),
        }
    }
}

/// Name of the vault that answers for `localhost` and IP addresses unless `--default-vault`
/// names another.
pub const DEFAULT_VAULT: &str = "default";

/// How bearer tokens are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuthMode {
    /// Any non-empty bearer token is accepted (no identity, no access checks).
    #[default]
    Dev,
    /// Tokens must be RS256 JWTs this vault's Entra-shaped token service issued; access
    /// policies or RBAC from `--access` decide each call.
    Entra,
}

/// Throttling budgets per 10 s window (Key Vault's service limits; `http::throttle` enforces
/// them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Creates and imports.
    pub creates: usize,
    /// Every other operation.
    pub other: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            creates: 20,
            other: 4000,
        }
    }
}

const DEFAULT_SMTP_FROM: &str = "Key Vault emulator <vault@localhost>";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A local service that speaks the Azure Key Vault certificates REST API.
#[derive(Debug, Parser)]
#[command(name = "vault", version)]
pub struct Cli {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, env = "VAULT_LISTEN", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// Where the database, master key and TLS material live.
    #[arg(long, env = "VAULT_DATA_DIR", default_value = "data/vault")]
    pub data_dir: PathBuf,
    /// Base URL for ids in responses (default: https:// plus the request's Host header).
    #[arg(long, env = "VAULT_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Extra DNS name or IP for the dev server certificate (repeatable).
    #[arg(long = "hostname", env = "VAULT_HOSTNAMES", value_delimiter = ',')]
    pub hostnames: Vec<String>,
    /// PEM certificate chain to serve instead of the dev certificate (needs --tls-key).
    #[arg(long, env = "VAULT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "VAULT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Delay before self-signed issuance completes, e.g. 0, 500ms, 5s, 1m.
    #[arg(long, env = "VAULT_SELF_SIGNED_DELAY", default_value = "0", value_parser = shared::duration::parse)]
    pub self_signed_delay: Duration,
    /// Retry-After advertised to pollers while an operation is in progress, e.g. 1s, 250ms.
    #[arg(long, env = "VAULT_RETRY_AFTER", default_value = "1s", value_parser = shared::duration::parse)]
    pub retry_after: Duration,
    /// Partner CA endpoint, PROVIDER=URL (repeatable): DigiCert=https://127.0.0.1:9443/services/v2,
    /// GlobalSign=https://127.0.0.1:9443/kb/ws/v1, WoSign=https://127.0.0.1:9443/api/v1,
    /// ACME=<directory URL> (or ACME-<label>=<directory URL> for several ACME CAs).
    #[arg(long = "provider-endpoint", env = "VAULT_PROVIDER_ENDPOINTS", value_delimiter = ',', value_parser = parse_endpoint)]
    pub provider_endpoints: Vec<(ProviderKind, url::Url)>,
    /// Extra trust anchor (PEM) for the providers' TLS, e.g. ca-sim's /admin/ca.pem (repeatable).
    #[arg(long = "provider-ca", env = "VAULT_PROVIDER_CA", value_delimiter = ',')]
    pub provider_ca: Vec<PathBuf>,
    /// ACME provider issuers: the address vault answers http-01 challenges on (ADDR, e.g.
    /// 0.0.0.0:80 or 127.0.0.1:5002, the port the ACME CA's validation connects to).
    #[arg(long, env = "VAULT_ACME_CLIENT_HTTP01_LISTEN")]
    pub acme_client_http01_listen: Option<SocketAddr>,
    /// ACME provider issuers: the address vault answers tls-alpn-01 challenges on (ADDR, e.g.
    /// 0.0.0.0:443, the port the ACME CA's validation connects to); used when the CA offers
    /// tls-alpn-01 and no http-01 responder is configured (http-01 is preferred).
    #[arg(long, env = "VAULT_ACME_CLIENT_TLSALPN01_LISTEN")]
    pub acme_client_tlsalpn01_listen: Option<SocketAddr>,
    /// First wait between polls of a pending CA order (grows by half per poll, up to 60 s).
    #[arg(long, env = "VAULT_PROVIDER_POLL_INTERVAL", default_value = "1s", value_parser = shared::duration::parse)]
    pub provider_poll_interval: Duration,
    /// How long transient CA failures (5xx, 429, timeouts) are retried before an operation fails.
    #[arg(long, env = "VAULT_PROVIDER_DEADLINE", default_value = "1h", value_parser = shared::duration::parse)]
    pub provider_deadline: Duration,
    /// Timeout of one call to a CA.
    #[arg(long, env = "VAULT_PROVIDER_TIMEOUT", default_value = "15s", value_parser = shared::duration::parse)]
    pub provider_timeout: Duration,
    /// SMTP relay for lifetime-action notifications: smtp://HOST:PORT (plain), add ?tls=required
    /// for STARTTLS, or smtps://HOST:PORT; user:password@ authenticates. Without it,
    /// notifications are only recorded (GET /_admin/notifications shows them as not_sent).
    #[arg(long, env = "VAULT_SMTP")]
    pub smtp: Option<url::Url>,
    /// Sender address of notification mails.
    #[arg(long, env = "VAULT_SMTP_FROM", default_value = DEFAULT_SMTP_FROM)]
    pub smtp_from: String,
    /// First wait after a failed mail delivery; doubles per attempt (at most 10 min), 10 attempts.
    #[arg(long, env = "VAULT_SMTP_RETRY", default_value = "5s", value_parser = shared::duration::parse)]
    pub smtp_retry: Duration,
    /// Shift vault's clock by this much at start, e.g. 3600, 30d, -2h (seconds without a unit);
    /// replaces the offset persisted by POST /_admin/clock/advance.
    #[arg(long, env = "VAULT_CLOCK_OFFSET", value_parser = parse_offset, allow_hyphen_values = true)]
    pub clock_offset: Option<i64>,
    /// Longest time between two scans of the certificates' lifetime-action triggers.
    #[arg(long, env = "VAULT_LIFETIME_SCAN_INTERVAL", default_value = "1m", value_parser = shared::duration::parse)]
    pub lifetime_scan_interval: Duration,
    /// Emulate Key Vault's service limits: over budget, requests get 429 with Retry-After.
    #[arg(long, env = "VAULT_THROTTLE")]
    pub throttle: bool,
    /// Throttling budget for creates and imports per 10 s window.
    #[arg(long, env = "VAULT_THROTTLE_CREATES", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub throttle_creates: u32,
    /// Throttling budget for every other operation per 10 s window.
    #[arg(long, env = "VAULT_THROTTLE_OTHER", default_value_t = 4000, value_parser = clap::value_parser!(u32).range(1..))]
    pub throttle_other: u32,
    /// How bearer tokens are checked: dev (any token) or entra (vault-issued JWTs, access checks).
    #[arg(long, env = "VAULT_AUTH", value_enum, default_value = "dev")]
    pub auth: AuthMode,
    /// Bearer token /_admin/* requires with --auth entra (health and ca.pem stay open); without
    /// it one is generated into DATA_DIR/admin.token.
    #[arg(long, env = "VAULT_ADMIN_TOKEN")]
    pub admin_token: Option<String>,
    /// Principals, vaults and their access models (TOML; see docs/access.md). Reloaded on SIGHUP.
    #[arg(long = "access", env = "VAULT_ACCESS")]
    pub access_file: Option<PathBuf>,
    /// A vault to serve besides those in the access file (repeatable), reached as
    /// NAME.vault.azure.net or NAME.vault.localhost.
    #[arg(long = "vault", env = "VAULT_VAULTS", value_delimiter = ',')]
    pub vaults: Vec<String>,
    /// The vault that answers for localhost and IP addresses.
    #[arg(long, env = "VAULT_DEFAULT_VAULT", default_value = DEFAULT_VAULT)]
    pub default_vault: String,
    /// Start the drop-in HTTPS proxy here: it accepts CONNECT for *.vault.azure.net:443,
    /// login.microsoftonline.com:443 and *.vault.localhost and answers them itself.
    #[arg(long, env = "VAULT_PROXY_LISTEN")]
    pub proxy_listen: Option<SocketAddr>,
    /// Plain-HTTP listener (loopback only) for the managed-identity endpoints
    /// (IDENTITY_ENDPOINT / AZURE_POD_IDENTITY_AUTHORITY_HOST point here).
    #[arg(long, env = "VAULT_IDENTITY_LISTEN")]
    pub identity_listen: Option<SocketAddr>,
    /// Secret App Service-style managed-identity callers send as X-IDENTITY-HEADER; without it
    /// one is generated into DATA_DIR/identity/identity-header.
    #[arg(long, env = "VAULT_IDENTITY_HEADER")]
    pub identity_header: Option<String>,
    /// Log output format.
    /// ACME gateway: the port http-01 validation connects to.
    #[arg(long, env = "VAULT_ACME_HTTP01_PORT", default_value_t = 80)]
    pub acme_http01_port: u16,
    /// ACME gateway: the port tls-alpn-01 validation connects to.
    #[arg(long, env = "VAULT_ACME_TLSALPN01_PORT", default_value_t = 443)]
    pub acme_tlsalpn01_port: u16,
    /// ACME gateway: the DNS server to ask (ADDR, e.g. 127.0.0.1:5353); default: the system's.
    #[arg(long, env = "VAULT_ACME_DNS_RESOLVER", value_parser = parse_resolver)]
    pub acme_dns_resolver: Option<SocketAddr>,
    /// ACME gateway: NAME=IP, an address that wins over DNS for validation (repeatable).
    #[arg(long = "acme-host", env = "VAULT_ACME_HOSTS", value_delimiter = ',', value_parser = parse_acme_host)]
    pub acme_hosts: Vec<(String, IpAddr)>,
    /// ACME gateway: `real` validation, or `always-valid` (no check).
    #[arg(
        long,
        env = "VAULT_ACME_VALIDATION",
        value_enum,
        default_value = "real"
    )]
    pub acme_validation: AcmeValidation,
    /// ACME gateway: newAccount requires external account binding (keys: /_admin/acme/eab).
    #[arg(long, env = "VAULT_ACME_EAB_REQUIRED")]
    pub acme_eab_required: bool,
    /// ACME gateway: the chaos document at start, inline JSON or a file holding it (see
    /// docs/acme.md; changeable at runtime through /_admin/acme/chaos). Default: no chaos.
    #[arg(long, env = "VAULT_ACME_CHAOS", value_name = "FILE|JSON", value_parser = parse_acme_chaos)]
    pub acme_chaos: Option<serde_json::Value>,
    #[arg(long, env = "VAULT_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

impl Cli {
    pub fn config(&self) -> Config {
        Config {
            data_dir: self.data_dir.clone(),
            public_url: self.public_url.clone(),
            hostnames: self.hostnames.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            self_signed_delay: self.self_signed_delay,
            retry_after: self.retry_after,
            // Read here, once, so nothing deeper touches the environment.
            master_key: std::env::var("VAULT_MASTER_KEY")
                .ok()
                .filter(|v| !v.is_empty()),
            provider_endpoints: self.provider_endpoints.clone(),
            provider_ca: self.provider_ca.clone(),
            acme_client_http01_listen: self.acme_client_http01_listen,
            acme_client_tlsalpn01_listen: self.acme_client_tlsalpn01_listen,
            provider_poll_interval: self.provider_poll_interval,
            provider_deadline: self.provider_deadline,
            provider_timeout: self.provider_timeout,
            throttle: self.throttle.then_some(Limits {
                creates: self.throttle_creates as usize,
                other: self.throttle_other as usize,
            }),
            smtp: self.smtp.clone(),
            smtp_from: self.smtp_from.clone(),
            smtp_retry: self.smtp_retry,
            clock_offset: self.clock_offset,
            lifetime_scan_interval: self.lifetime_scan_interval,
            auth: self.auth,
            admin_token: self.admin_token.clone().filter(|t| !t.is_empty()),
            access_file: self.access_file.clone(),
            vaults: self.vaults.clone(),
            default_vault: self.default_vault.clone(),
            proxy_listen: self.proxy_listen,
            identity_listen: self.identity_listen,
            identity_header: self.identity_header.clone().filter(|t| !t.is_empty()),
            acme: AcmeConfig {
                http01_port: self.acme_http01_port,
                tlsalpn01_port: self.acme_tlsalpn01_port,
                dns_resolver: self.acme_dns_resolver,
                hosts: self.acme_hosts.clone(),
                validation: self.acme_validation,
                eab_required: self.acme_eab_required,
                chaos: self.acme_chaos.clone(),
            },
        }
    }
}

/// A signed clock offset in whole seconds: an optional sign, then a duration in the shared
/// grammar (`3600`, `-90s`, `+2h`, `30d`).
pub fn parse_offset(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    let (negative, magnitude) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let duration = shared::duration::parse(magnitude)
        .map_err(|e| format!("'{trimmed}' is not an offset like 3600, -2h or 30d: {e}"))?;
    if duration.subsec_nanos() != 0 {
        return Err(format!(
            "'{trimmed}' is not a whole number of seconds; use s, m, h or d"
        ));
    }
    let secs =
        i64::try_from(duration.as_secs()).map_err(|_| format!("'{trimmed}' is too large"))?;
    Ok(if negative { -secs } else { secs })
}

/// `NAME=IP` for `--acme-host`, e.g. `www.example.test=127.0.0.1`; the name is kept lower case.
pub fn parse_acme_host(text: &str) -> Result<(String, IpAddr), String> {
    let (name, ip) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not NAME=IP"))?;
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() {
        return Err(format!("'{text}' has no name before '='"));
    }
    let ip = ip
        .trim()
        .parse()
        .map_err(|_| format!("'{ip}' in '{text}' is not an IP address"))?;
    Ok((name, ip))
}

/// `--acme-dns-resolver`: `IP:PORT`, or a bare IP (port 53).
pub fn parse_resolver(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    text.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("'{text}' is not IP:PORT or an IP address"))
}

/// `--acme-chaos`: inline JSON (starting with `{`) or the path of a file holding it. Only
/// read as a JSON object here; the gateway validates the document when it starts.
pub fn parse_acme_chaos(text: &str) -> Result<serde_json::Value, String> {
    let text = text.trim();
    let json = if text.starts_with('{') {
        text.to_string()
    } else {
        std::fs::read_to_string(text).map_err(|e| format!("cannot read '{text}': {e}"))?
    };
    let value: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| format!("not JSON: {e}"))?;
    if !value.is_object() {
        return Err("the chaos document is a JSON object".into());
    }
    Ok(value)
}

/// `PROVIDER=URL`, e.g. `DigiCert=https://127.0.0.1:9443/services/v2`.
pub fn parse_endpoint(text: &str) -> Result<(ProviderKind, url::Url), String> {
    let (provider, url) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not PROVIDER=URL"))?;
    let kind: ProviderKind = provider.trim().parse().map_err(|_| {
        format!(
            "unknown provider '{provider}'; use DigiCert, GlobalSign, WoSign, ACME or \
             ACME-<label>"
        )
    })?;
    let url = url::Url::parse(url.trim()).map_err(|e| format!("'{url}' is not a URL: {e}"))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(format!("'{url}' must be an http(s) URL"));
    }
    Ok((kind, url))
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
    fn durations_parse() {
        let parse = |flag: &str, value: &str| Cli::try_parse_from(["vault", flag, value]);
        assert_eq!(
            parse("--self-signed-delay", "0").unwrap().self_signed_delay,
            Duration::ZERO
        );
        assert_eq!(
            parse("--retry-after", "250ms").unwrap().retry_after,
            Duration::from_millis(250)
        );
        assert_eq!(
            parse("--provider-timeout", "2m").unwrap().provider_timeout,
            Duration::from_secs(120)
        );
        assert_eq!(
            parse("--provider-deadline", "1d")
                .unwrap()
                .provider_deadline,
            Duration::from_secs(86_400)
        );
        // A bad value names the flag and the accepted forms.
        let err = parse("--smtp-retry", "5 parsecs").unwrap_err().to_string();
        assert!(
            err.contains("--smtp-retry") && err.contains("ms, s, m, h or d"),
            "{err}"
        );
        assert!(parse("--retry-after", "-1s").is_err());
    }

    #[test]
    fn defaults_match_the_documented_interface() {
        let cli = Cli::try_parse_from(["vault"]).unwrap();
        assert_eq!(cli.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(cli.data_dir, PathBuf::from("data/vault"));
        let cli =
            Cli::try_parse_from(["vault", "--hostname", "a.test", "--hostname", "b.test"]).unwrap();
        assert_eq!(cli.hostnames, vec!["a.test", "b.test"]);
        assert!(Cli::try_parse_from(["vault", "--tls-cert", "x.pem"]).is_err());
    }

    #[test]
    fn clock_offsets_and_smtp_flags_parse() {
        assert_eq!(parse_offset("3600").unwrap(), 3600);
        assert_eq!(parse_offset("-2h").unwrap(), -7200);
        assert_eq!(parse_offset("30d").unwrap(), 30 * 86_400);
        assert_eq!(parse_offset("+90s").unwrap(), 90);
        assert!(parse_offset("3 weeks").is_err());
        assert!(parse_offset("250ms").is_err());
        let cli = Cli::try_parse_from([
            "vault",
            "--smtp",
            "smtp://127.0.0.1:2525",
            "--clock-offset",
            "-1d",
        ])
        .unwrap();
        let config = cli.config();
        assert_eq!(config.smtp.unwrap().port(), Some(2525));
        assert_eq!(config.clock_offset, Some(-86_400));
        assert_eq!(config.smtp_retry, Duration::from_secs(5));
        let defaults = Cli::try_parse_from(["vault"]).unwrap().config();
        assert!(defaults.smtp.is_none() && defaults.clock_offset.is_none());
    }

    #[test]
    fn provider_endpoints_parse_and_reject_nonsense() {
        let cli = Cli::try_parse_from([
            "vault",
            "--provider-endpoint",
            "digicert=https://127.0.0.1:9443/services/v2",
            "--provider-endpoint",
            "WoSign=https://127.0.0.1:9443/api/v1",
        ])
        .unwrap();
        assert_eq!(cli.provider_endpoints[0].0, ProviderKind::DigiCert);
        assert_eq!(cli.provider_endpoints[1].1.path(), "/api/v1");
        assert!(
            Cli::try_parse_from(["vault", "--provider-endpoint", "Entrust=https://x"]).is_err()
        );
        // Issue 16: ACME CAs are providers too, several of them told apart by a label.
        let cli = Cli::try_parse_from([
            "vault",
            "--provider-endpoint",
            "Acme=https://127.0.0.1:14000/dir",
            "--provider-endpoint",
            "ACME-Pebble=https://127.0.0.1:14001/dir",
            "--acme-client-http01-listen",
            "127.0.0.1:5002",
            "--acme-client-tlsalpn01-listen",
            "127.0.0.1:5001",
        ])
        .unwrap();
        let kinds: Vec<String> = cli
            .provider_endpoints
            .iter()
            .map(|(k, _)| k.to_string())
            .collect();
        assert_eq!(kinds, ["ACME", "ACME-pebble"]);
        assert_eq!(
            cli.config().acme_client_http01_listen,
            Some("127.0.0.1:5002".parse().unwrap())
        );
        assert_eq!(
            cli.config().acme_client_tlsalpn01_listen,
            Some("127.0.0.1:5001".parse().unwrap())
        );
        assert!(Cli::try_parse_from(["vault", "--provider-endpoint", "ACME-=https://x"]).is_err());
        assert!(Cli::try_parse_from(["vault", "--provider-endpoint", "DigiCert"]).is_err());
    }
}
