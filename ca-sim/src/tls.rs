//! TLS for the ca-sim listener, as vault does it: on first start a local dev CA and a server
//! certificate (localhost, 127.0.0.1, ::1, *.localhost) in `{data_dir}/tls/`, reused afterwards
//! so clients that trust the CA keep trusting it; served at `/admin/ca.pem`. Under
//! `--ephemeral` the directory is a temporary one.

use crate::error::{Error, Result};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{CurveName, KeyUsage, SubjectAlternativeNames};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// What the listener needs, plus what `/admin/ca.pem` serves.
pub struct TlsSetup {
    pub server_config: Arc<rustls::ServerConfig>,
    /// PEM of the certificate clients should trust.
    pub ca_pem: String,
    pub ca_path: PathBuf,
}

const SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";

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
    let dir = data_dir.join("tls");
    std::fs::create_dir_all(&dir)?;
    let ca_path = dir.join("ca.pem");
    let ca_key_path = dir.join("ca.key");
    let server_path = dir.join("server.pem");
    let server_key_path = dir.join("server.key");
    let now = OffsetDateTime::now_utc();

    let (ca_key, ca_der) = if ca_path.exists() && ca_key_path.exists() {
        (read_key(&ca_key_path)?, read_cert(&ca_path)?)
    } else {
        let key = PrivateKey::generate(KeySpec::Ec {
            curve: CurveName::P256,
        })
        .map_err(|e| Error::Internal(format!("dev CA key: {e}")))?;
        let profile = CertProfile {
            subject: "CN=ca-sim Dev TLS CA, O=ca-sim".into(),
            sans: SubjectAlternativeNames::default(),
            ekus: Vec::new(),
            key_usage: vec![
                KeyUsage::KeyCertSign,
                KeyUsage::CrlSign,
                KeyUsage::DigitalSignature,
            ],
            not_before: now - Duration::hours(1),
            not_after: now + Duration::days(3650),
            is_ca: true,
            path_len: Some(0),
        };
        let der = crypto::self_signed(&key, &profile)
            .map_err(|e| Error::Internal(format!("dev CA: {e}")))?;
        write_private(&ca_key_path, &key.pkcs8_pem())?;
        std::fs::write(&ca_path, crypto::pem_encode("CERTIFICATE", &der))?;
        tracing::info!(path = %ca_path.display(), "created dev CA");
        (key, der)
    };

    let mut wanted_dns = vec!["localhost".to_string(), "*.localhost".to_string()];
    let mut wanted_ips = vec!["127.0.0.1".to_string(), "::1".to_string()];
    for h in hostnames {
        if h.parse::<std::net::IpAddr>().is_ok() {
            wanted_ips.push(h.clone());
        } else {
            wanted_dns.push(h.to_ascii_lowercase());
        }
    }
    let reusable = server_path.exists() && server_key_path.exists() && {
        let der = read_cert(&server_path)?;
        match crypto::parse_certificate(&der) {
            Ok(info) => {
                let dns = info.sans.dns_names.unwrap_or_default();
                let ips = info.sans.ip_addresses.unwrap_or_default();
                wanted_dns
                    .iter()
                    .all(|d| dns.iter().any(|x| x.eq_ignore_ascii_case(d)))
                    && wanted_ips.iter().all(|i| ips.contains(i))
                    && info.not_after > (now + Duration::days(30)).unix_timestamp()
            }
            Err(_) => false,
        }
    };
    let (server_key, server_der) = if reusable {
        (read_key(&server_key_path)?, read_cert(&server_path)?)
    } else {
        let key = PrivateKey::generate(KeySpec::Ec {
            curve: CurveName::P256,
        })
        .map_err(|e| Error::Internal(format!("server key: {e}")))?;
        let profile = CertProfile {
            subject: "CN=localhost".into(),
            sans: SubjectAlternativeNames {
                dns_names: Some(wanted_dns),
                ip_addresses: Some(wanted_ips),
                ..Default::default()
            },
            ekus: vec![SERVER_AUTH.into()],
            key_usage: vec![KeyUsage::DigitalSignature],
            not_before: now - Duration::hours(1),
            not_after: now + Duration::days(397),
            is_ca: false,
            path_len: None,
        };
        let der = crypto::issue_for_key(&key, &profile, &ca_key, &ca_der)
            .map_err(|e| Error::Internal(format!("server certificate: {e}")))?;
        write_private(&server_key_path, &key.pkcs8_pem())?;
        std::fs::write(&server_path, crypto::pem_encode("CERTIFICATE", &der))?;
        tracing::info!(path = %server_path.display(), "issued dev server certificate");
        (key, der)
    };

    let chain = vec![
        CertificateDer::from(server_der),
        CertificateDer::from(ca_der.clone()),
    ];
    let key = PrivateKeyDer::try_from(server_key.pkcs8_der().to_vec())
        .map_err(|e| Error::Internal(format!("server key: {e}")))?;
    Ok((
        chain,
        key,
        crypto::pem_encode("CERTIFICATE", &ca_der),
        ca_path,
    ))
}

fn read_cert(path: &Path) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(path)?;
    crypto::pem_blocks(&text)
        .into_iter()
        .find(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .ok_or_else(|| Error::Config(format!("{} holds no certificate", path.display())))
}

fn read_key(path: &Path) -> Result<PrivateKey> {
    let text = std::fs::read_to_string(path)?;
    PrivateKey::from_pem(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}
