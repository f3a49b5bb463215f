//! TLS for the vault listener (and the drop-in proxy's tunnels). On first start vault makes a
//! dev CA and a server certificate in `{data_dir}/tls/` and reuses them afterwards, so clients
//! that trusted the CA keep trusting it across restarts. The server certificate names
//! `*.vault.azure.net`, `*.vault.localhost`, `login.microsoftonline.com`, localhost, loopback
//! and every `--hostname`, and is re-issued (by the same CA) when it lacks one or nears expiry.
//!
//! The CA is name-constrained (critical NameConstraints) to exactly those names, so trusting
//! it trusts nothing else: a CA from before the constraint, or one whose constraints miss a
//! new `--hostname`, is replaced at start (a warning says clients must re-trust `ca.pem`).
//! `--tls-cert`/`--tls-key` replace all of this.

use crate::error::{Error, Result};
use crate::hosts::{AZURE_SUFFIX, LOCAL_SUFFIX, LOGIN_HOST};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use shared::crypto::{self, Subtree};
use shared::devtls::DevTlsOptions;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the listener needs, plus what `/_admin/ca.pem` serves.
pub struct TlsSetup {
    pub server_config: Arc<rustls::ServerConfig>,
    /// PEM of the certificate clients should trust.
    pub ca_pem: String,
    pub ca_path: PathBuf,
}

pub fn setup(
    data_dir: &Path,
    hostnames: &[String],
    byo: Option<(&Path, &Path)>,
) -> Result<TlsSetup> {
    let (chain, key, ca_pem, ca_path) = match byo {
        Some((cert_path, key_path)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
                .and_then(|it| it.collect())
                .map_err(|e| Error::Config(format!("--tls-cert {}: {e}", cert_path.display())))?;
            if chain.is_empty() {
                return Err(Error::Config(format!(
                    "--tls-cert {} holds no certificate",
                    cert_path.display()
                )));
            }
            let key = PrivateKeyDer::from_pem_file(key_path)
                .map_err(|e| Error::Config(format!("--tls-key {}: {e}", key_path.display())))?;
            // With a certificate of their own, users trust its issuer; serve the file's last
            // certificate (the top of the chain they gave) as the thing to trust.
            let top = chain
                .last()
                .map(|c| crypto::pem_encode("CERTIFICATE", c))
                .unwrap_or_default();
            (chain, key, top, cert_path.to_path_buf())
        }
        None => dev_certificates(data_dir, hostnames)?,
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("tls: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| Error::Config(format!("tls certificate and key do not fit: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // Stateless resumption tickets: clients that open a connection per request (the drop-in
    // proxy sees a new tunnel for every JavaScript SDK call) skip the full handshake.
    config.ticketer = rustls::crypto::aws_lc_rs::Ticketer::new()
        .map_err(|e| Error::Internal(format!("tls session tickets: {e}")))?;
    Ok(TlsSetup {
        server_config: Arc::new(config),
        ca_pem,
        ca_path,
    })
}

type Material = (
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
    String,
    PathBuf,
);

/// The dev CA's subject.
pub const DEV_CA_SUBJECT: &str = "CN=Key Vault Emulator Dev CA, O=vault emulator";

/// What the dev CA may sign for besides the `--hostname`s: the names vault answers
/// (`*.vault.azure.net`, `*.vault.localhost`, Entra's host), localhost and loopback.
pub fn permitted_subtrees() -> Vec<Subtree> {
    vec![
        Subtree::Dns(AZURE_SUFFIX.trim_start_matches('.').to_string()),
        Subtree::Dns(LOCAL_SUFFIX.trim_start_matches('.').to_string()),
        Subtree::Dns(LOGIN_HOST.to_string()),
        Subtree::Dns("localhost".to_string()),
        Subtree::Ip {
            addr: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
            prefix: 8,
        },
        Subtree::Ip {
            addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
            prefix: 128,
        },
    ]
}

fn dev_certificates(data_dir: &Path, hostnames: &[String]) -> Result<Material> {
    let azure = format!("*{AZURE_SUFFIX}");
    let local = format!("*{LOCAL_SUFFIX}");
    let permitted = permitted_subtrees();
    let dir = data_dir.join("tls");
    let dev = shared::devtls::ensure_with(
        &dir,
        &DevTlsOptions {
            ca_subject: DEV_CA_SUBJECT,
            dns_names: &[
                &azure,
                &local,
                LOCAL_SUFFIX.trim_start_matches('.'),
                LOGIN_HOST,
            ],
            permitted: Some(&permitted),
        },
        hostnames,
    )
    .map_err(|e| Error::Config(format!("dev TLS material: {e}")))?;
    if let Some(why) = &dev.ca_replaced {
        tracing::warn!(
            ca = %dev.ca_path.display(),
            "replaced the dev CA and server certificate ({why}); the new CA is name-constrained \
             to vault's own names and loopback. Clients must trust the new {} \
             (also served at /_admin/ca.pem); nothing else in the data dir changed",
            dev.ca_path.display()
        );
    }
    let chain = dev.chain.into_iter().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::try_from(dev.server_key.pkcs8_der().to_vec())
        .map_err(|e| Error::Internal(format!("server key: {e}")))?;
    Ok((chain, key, dev.ca_pem, dev.ca_path))
}
