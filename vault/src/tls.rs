//! TLS for the vault listener. On first start vault makes a dev CA and a server certificate in
//! `{data_dir}/tls/` and reuses them afterwards, so clients that trusted the CA keep trusting
//! it across restarts. The server certificate is re-issued (by the same CA) when it lacks a
//! requested hostname or nears expiry. `--tls-cert`/`--tls-key` replace all of this.

use crate::error::{Error, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use shared::crypto;
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

fn dev_certificates(data_dir: &Path, hostnames: &[String]) -> Result<Material> {
    let dev = shared::devtls::ensure(
        &data_dir.join("tls"),
        "CN=Key Vault Emulator Dev CA, O=vault emulator",
        hostnames,
    )
    .map_err(|e| Error::Config(format!("dev TLS material: {e}")))?;
    let chain = dev.chain.into_iter().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::try_from(dev.server_key.pkcs8_der().to_vec())
        .map_err(|e| Error::Internal(format!("server key: {e}")))?;
    Ok((chain, key, dev.ca_pem, dev.ca_path))
}
