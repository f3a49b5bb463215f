//! Development TLS material kept in a service's data dir: a local CA and a server certificate
//! (SANs localhost, 127.0.0.1, ::1, the caller's own names, plus extra hostnames),
//! created on first start and reused afterwards so clients that trusted the CA keep trusting
//! it. The server certificate is re-issued by the same CA when it lacks a requested name, nears
//! expiry or was not signed by the CA. Used by vault and ca-sim; each turns the DER it gets
//! into its own TLS configuration.
//!
//! A caller may ask for a name-constrained CA ([`DevTlsOptions::permitted`]): the CA then
//! carries a critical NameConstraints extension permitting those subtrees and each hostname,
//! so trusting it trusts nothing else. A CA found without such constraints, or with ones that
//! do not cover a requested hostname, is replaced (CA and server certificate; nothing else in
//! the data dir) and [`DevTls::ca_replaced`] says why.

use crate::crypto::{self, CertProfile, CryptoError, KeySpec, PrivateKey, Subtree};
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
    /// Set when an existing CA was replaced by a new one (clients must trust the new one):
    /// why, in a sentence.
    pub ca_replaced: Option<String>,
}

/// What a service wants of its dev CA and server certificate besides the hostnames.
#[derive(Debug, Clone, Copy)]
pub struct DevTlsOptions<'a> {
    /// The CA's subject DN.
    pub ca_subject: &'a str,
    /// DNS names (wildcards allowed) the server certificate carries besides localhost and the
    /// hostnames. Under name constraints webpki rejects a whole chain whose leaf has a wildcard
    /// over fewer than three labels (`*.localhost`), so constrained callers leave those out.
    pub dns_names: &'a [&'a str],
    /// When set, the CA is name-constrained to these subtrees plus one per hostname.
    pub permitted: Option<&'a [Subtree]>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DevTlsError + '_ {
    move |source| DevTlsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Loads or creates the dev CA (`ca_subject`, unconstrained) and server certificate (localhost,
/// *.localhost, loopback, `hostnames`) in `dir`.
pub fn ensure(dir: &Path, ca_subject: &str, hostnames: &[String]) -> Result<DevTls> {
    ensure_with(
        dir,
        &DevTlsOptions {
            ca_subject,
            dns_names: &["*.localhost"],
            permitted: None,
        },
        hostnames,
    )
}

/// Loads or creates the dev CA and server certificate in `dir` as `options` ask.
pub fn ensure_with(
    dir: &Path,
    options: &DevTlsOptions<'_>,
    hostnames: &[String],
) -> Result<DevTls> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let ca_path = dir.join("ca.pem");
    let ca_key_path = dir.join("ca.key");
    let server_path = dir.join("server.pem");
    let server_key_path = dir.join("server.key");
    let now = OffsetDateTime::now_utc();

    let permitted: Option<Vec<Subtree>> = options.permitted.map(|base| {
        let mut all = base.to_vec();
        for h in hostnames {
            let s = Subtree::for_host(h);
            if !all.iter().any(|p| p.contains(&s)) {
                all.push(s);
            }
        }
        all
    });

    let existing = if ca_path.exists() && ca_key_path.exists() {
        let ca_der = read_cert(&ca_path)?;
        match permitted.as_deref().and_then(|p| stale_reason(&ca_der, p)) {
            Some(reason) => Err(reason),
            None => Ok((read_key(&ca_key_path)?, ca_der)),
        }
    } else {
        Err(String::new())
    };
    let (ca_key, ca_der, ca_replaced) = match existing {
        Ok((key, der)) => (key, der, None),
        Err(reason) => {
            let key = PrivateKey::generate(KeySpec::Ec {
                curve: CurveName::P256,
            })?;
            let profile = CertProfile {
                subject: options.ca_subject.into(),
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
            let der = match &permitted {
                Some(p) => crypto::self_signed_constrained(&key, &profile, p)?,
                None => crypto::self_signed(&key, &profile)?,
            };
            write_private(&ca_key_path, &key.pkcs8_pem())?;
            std::fs::write(&ca_path, crypto::pem_encode("CERTIFICATE", &der))
                .map_err(io(&ca_path))?;
            (key, der, (!reason.is_empty()).then_some(reason))
        }
    };

    let mut wanted_dns = vec!["localhost".to_string()];
    wanted_dns.extend(options.dns_names.iter().map(|d| d.to_ascii_lowercase()));
    let mut wanted_ips = vec!["127.0.0.1".to_string(), "::1".to_string()];
    for h in hostnames {
        if h.parse::<std::net::IpAddr>().is_ok() {
            wanted_ips.push(h.clone());
        } else {
            wanted_dns.push(h.to_ascii_lowercase());
        }
    }
    let mut seen = std::collections::HashSet::new();
    wanted_dns.retain(|d| seen.insert(d.clone()));
    wanted_ips.retain(|i| seen.insert(i.clone()));
    let reusable = ca_replaced.is_none() && server_path.exists() && server_key_path.exists() && {
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
                    && crypto::verify_certificate_signature(&der, &ca_der).is_ok()
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
        ca_replaced,
    })
}

/// Why an existing CA cannot stay when it must be constrained to `permitted`; `None` when it
/// can (its critical constraints cover every wanted subtree).
fn stale_reason(ca_der: &[u8], permitted: &[Subtree]) -> Option<String> {
    match crypto::permitted_names(ca_der) {
        Ok(None) => Some("the dev CA had no name constraints".into()),
        Ok(Some(names)) if !names.critical => {
            Some("the dev CA's name constraints were not critical".into())
        }
        Ok(Some(names)) => {
            let missing: Vec<String> = permitted
                .iter()
                .filter(|w| !names.covers(std::slice::from_ref(*w)))
                .map(ToString::to_string)
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "the dev CA's name constraints did not cover {}",
                    missing.join(", ")
                )
            })
        }
        Err(e) => Some(format!("the dev CA could not be read ({e})")),
    }
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
mod tests;
