//! TLS for the ca-sim listener, as vault does it: on first start a local dev CA and a server
//! certificate (localhost, 127.0.0.1, ::1, *.localhost) in `{data_dir}/tls/`, reused afterwards
//! so clients that trust the CA keep trusting it; served at `/admin/ca.pem`. Under
//! `--ephemeral` the directory is a temporary one.

use crate::error::{Error, Result};
use crate::store::files;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the listener needs, plus what `/admin/ca.pem` serves.
pub struct TlsSetup {
    pub server_config: Arc<rustls::ServerConfig>,
    /// PEM of the certificate clients should trust.
    pub ca_pem: String,
    pub ca_path: PathBuf,
}

pub fn setup(data_dir: &Path) -> Result<TlsSetup> {
    let (chain, key, ca_pem, ca_path) = dev_certificates(data_dir, &[])?;
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
    let dev = files::dev_tls(data_dir, "CN=ca-sim Dev TLS CA, O=ca-sim", hostnames)?;
    let chain = dev.chain.into_iter().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::try_from(dev.server_key.pkcs8_der().to_vec())
        .map_err(|e| Error::Config(format!("server key: {e}")))?;
    Ok((chain, key, dev.ca_pem, dev.ca_path))
}
