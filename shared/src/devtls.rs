//! Development TLS material kept in a service's data dir: a local CA and a server certificate
//! (SANs localhost, *.localhost, 127.0.0.1, ::1 plus extra hostnames), created on first start and
//! reused afterwards so clients that trusted the CA keep trusting it. The server certificate is
//! re-issued by the same CA when it lacks a requested name or nears expiry. Used by vault and
//! ca-sim; each turns the DER it gets into its own TLS configuration.

use crate::crypto::{self, CertProfile, CryptoError, KeySpec, PrivateKey};
use crate::models::{CurveName, KeyUsage, SubjectAlternativeNames};
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

const SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";

#[derive(Debug, thiserror::Error)]
pub enum DevTlsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Crypto(#[from] CryptoError),
    #[error("{0}")]
    Invalid(String),
}

type Result<T> = std::result::Result<T, DevTlsError>;

/// The material a listener needs.
pub struct DevTls {
    /// Server certificate then the CA certificate (DER).
    pub chain: Vec<Vec<u8>>,
    pub server_key: PrivateKey,
    /// PEM of the CA clients should trust, and where it lives.
    pub ca_pem: String,
    pub ca_path: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DevTlsError + '_ {
    move |source| DevTlsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Loads or creates the dev CA (`ca_subject`) and server certificate in `dir`.
pub fn ensure(dir: &Path, ca_subject: &str, hostnames: &[String]) -> Result<DevTls> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
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
        })?;
        let profile = CertProfile {
            subject: ca_subject.into(),
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
        let der = crypto::self_signed(&key, &profile)?;
        write_private(&ca_key_path, &key.pkcs8_pem())?;
        std::fs::write(&ca_path, crypto::pem_encode("CERTIFICATE", &der)).map_err(io(&ca_path))?;
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
        })?;
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
        let der = crypto::issue_for_key(&key, &profile, &ca_key, &ca_der)?;
        write_private(&server_key_path, &key.pkcs8_pem())?;
        std::fs::write(&server_path, crypto::pem_encode("CERTIFICATE", &der))
            .map_err(io(&server_path))?;
        (key, der)
    };
    Ok(DevTls {
        ca_pem: crypto::pem_encode("CERTIFICATE", &ca_der),
        chain: vec![server_der, ca_der],
        server_key,
        ca_path,
    })
}

fn read_cert(path: &Path) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    crypto::pem_blocks(&text)
        .into_iter()
        .find(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .ok_or_else(|| DevTlsError::Invalid(format!("{} holds no certificate", path.display())))
}

fn read_key(path: &Path) -> Result<PrivateKey> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    PrivateKey::from_pem(&text)
        .map_err(|e| DevTlsError::Invalid(format!("{}: {e}", path.display())))
}

/// Writes key material readable by the owner only.
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(io(path))?;
    f.write_all(text.as_bytes()).map_err(io(path))?;
    f.sync_all().map_err(io(path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_is_created_once_and_reissued_for_new_names() {
        let dir = tempfile::tempdir().unwrap();
        let first = ensure(dir.path(), "CN=Test Dev CA", &[]).unwrap();
        let again = ensure(dir.path(), "CN=Test Dev CA", &[]).unwrap();
        assert_eq!(first.ca_pem, again.ca_pem);
        assert_eq!(first.chain, again.chain);
        let more = ensure(dir.path(), "CN=Test Dev CA", &["vault.test".into()]).unwrap();
        assert_eq!(first.ca_pem, more.ca_pem, "same CA");
        assert_ne!(first.chain[0], more.chain[0], "new server certificate");
        let info = crypto::parse_certificate(&more.chain[0]).unwrap();
        assert!(info
            .sans
            .dns_names
            .unwrap()
            .contains(&"vault.test".to_string()));
        crypto::verify_certificate_signature(&more.chain[0], &more.chain[1]).unwrap();
    }
}
