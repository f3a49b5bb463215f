//! The runner's own CA ("scenarios External CA"): it signs pending CSRs for the non-partnered
//! flow (`merge`) and the certificates the runner imports. Made fresh per run, EC P-256.

use shared::crypto::{self, CertProfile, CryptoError, KeySpec, PrivateKey};
use shared::models::{CurveName, KeyUsage, SubjectAlternativeNames};
use time::{Duration, OffsetDateTime};

/// The CN of the runner's CA, as `issuer_cn` expectations see it.
pub const EXTERNAL_CA_CN: &str = "scenarios External CA";

pub struct ExternalCa {
    key: PrivateKey,
    /// DER of the self-signed CA certificate.
    pub cert: Vec<u8>,
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
}

/// A leaf profile: serverAuth + clientAuth, digitalSignature + keyEncipherment.
pub fn leaf_profile(subject: &str, dns_names: &[String], days: i64, expired: bool) -> CertProfile {
    let now = now();
    let (not_before, not_after) = if expired {
        (now - Duration::days(days + 2), now - Duration::days(1))
    } else {
        (now - Duration::minutes(5), now + Duration::days(days))
    };
    CertProfile {
        subject: subject.to_string(),
        sans: SubjectAlternativeNames {
            dns_names: (!dns_names.is_empty()).then(|| dns_names.to_vec()),
            ..Default::default()
        },
        ekus: vec!["1.3.6.1.5.5.7.3.1".into(), "1.3.6.1.5.5.7.3.2".into()],
        key_usage: vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment],
        not_before,
        not_after,
        is_ca: false,
        path_len: None,
    }
}

impl ExternalCa {
    pub fn new() -> Result<Self, CryptoError> {
        let key = PrivateKey::generate(KeySpec::Ec {
            curve: CurveName::P256,
        })?;
        let mut profile = leaf_profile(
            &format!("CN={EXTERNAL_CA_CN}, O=scenarios"),
            &[],
            3650,
            false,
        );
        profile.ekus.clear();
        profile.key_usage = vec![KeyUsage::KeyCertSign, KeyUsage::CrlSign];
        profile.is_ca = true;
        let cert = crypto::self_signed(&key, &profile)?;
        Ok(Self { key, cert })
    }

    /// Signs a PKCS#10 request (names copied from it); returns leaf + CA, DER.
    pub fn sign_csr(&self, csr_der: &[u8]) -> Result<Vec<Vec<u8>>, CryptoError> {
        let info = crypto::parse_csr(csr_der)?;
        let dns = info.sans.dns_names.clone().unwrap_or_default();
        let profile = leaf_profile(&info.subject, &dns, 365, false);
        let leaf = crypto::sign_csr(csr_der, &profile, &self.key, &self.cert)?;
        Ok(vec![leaf, self.cert.clone()])
    }

    /// A certificate for `key` (leaf + CA, DER).
    pub fn issue(
        &self,
        key: &PrivateKey,
        subject: &str,
        dns_names: &[String],
        expired: bool,
    ) -> Result<Vec<Vec<u8>>, CryptoError> {
        let profile = leaf_profile(subject, dns_names, 365, expired);
        let leaf = crypto::issue_for_key(key, &profile, &self.key, &self.cert)?;
        Ok(vec![leaf, self.cert.clone()])
    }
}

/// A key spec from the step's `key_type` / `key_size` / `curve` (EC P-256 by default).
pub fn key_spec(
    key_type: Option<&str>,
    key_size: Option<u32>,
    curve: Option<&str>,
) -> Result<KeySpec, String> {
    let kty = key_type.unwrap_or("EC").to_ascii_uppercase();
    if kty.starts_with("RSA") {
        return Ok(KeySpec::Rsa {
            bits: key_size.unwrap_or(2048),
        });
    }
    if !kty.starts_with("EC") {
        return Err(format!("unknown key type {kty}"));
    }
    let curve = match curve.unwrap_or("P-256") {
        "P-256" => CurveName::P256,
        "P-384" => CurveName::P384,
        "P-521" => CurveName::P521,
        other => return Err(format!("unsupported curve {other}")),
    };
    Ok(KeySpec::Ec { curve })
}
