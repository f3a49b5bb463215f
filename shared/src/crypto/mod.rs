//! Crypto for the emulator: key generation and Key Vault style signing ([`keys`]), X.500 names
//! ([`dn`]), certificate issuance ([`cert`]), PKCS#10 requests ([`csr`]), certificate parsing
//! ([`parse`]), PKCS#12 ([`pkcs12`]) and PEM ([`pem`]). Everything public is re-exported here,
//! so callers write `shared::crypto::self_signed`.
//!
//! Private keys are RSA (2048..=8192 bits imported, 2048/3072/4096 generated) or EC P-256/384/521,
//! handled by aws-lc-rs. Certificates and requests are encoded by our own small DER writer
//! ([`der`]) so that names keep repeated attributes (`DC=contoso, DC=com`) and an issuer's name
//! is copied byte for byte from its certificate.

mod cert;
mod csr;
pub(crate) mod der;
mod dn;
mod keys;
mod parse;
mod pem;
mod pkcs12;

pub use cert::{issue_for_key, self_signed, sign_csr, CertProfile};
pub use csr::{build_csr, parse_csr, CsrInfo};
pub use dn::{parse_dn, DistinguishedName, DnAttribute};
pub use keys::{verify_digest, KeySpec, PrivateKey};
pub use parse::{parse_certificate, verify_certificate_signature, x5t, CertInfo};
pub use pem::{pem_blocks, pem_bundle, pem_encode};
pub use pkcs12::{pkcs12_build, pkcs12_parse};

/// Errors from the crypto module. The messages are meant for users: the vault puts them into
/// 400 responses as they are.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A valid request for something this emulator does not do (P-256K, Ed25519, ...).
    #[error("{0}")]
    Unsupported(String),
    /// A key that cannot be read or does not fit the operation.
    #[error("{0}")]
    InvalidKey(String),
    #[error("{0}")]
    InvalidCertificate(String),
    #[error("{0}")]
    InvalidCsr(String),
    /// A distinguished name, SAN or EKU text that cannot be encoded.
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    Pkcs12(String),
    #[error("The PKCS#12 (PFX) password is incorrect.")]
    WrongPassword,
    /// Something that should not happen (a failed signature with a valid key, ...).
    #[error("internal crypto error: {0}")]
    Internal(String),
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::models::{CurveName, KeyUsage, SubjectAlternativeNames};
    use std::sync::OnceLock;
    use time::{Duration, OffsetDateTime};

    /// One cached key per spec: keygen (RSA above all) is slow in debug builds.
    pub fn key(spec: KeySpec) -> PrivateKey {
        static P256: OnceLock<PrivateKey> = OnceLock::new();
        static P384: OnceLock<PrivateKey> = OnceLock::new();
        static P521: OnceLock<PrivateKey> = OnceLock::new();
        static RSA: OnceLock<PrivateKey> = OnceLock::new();
        let cell = match spec {
            KeySpec::Ec {
                curve: CurveName::P256,
            } => &P256,
            KeySpec::Ec {
                curve: CurveName::P384,
            } => &P384,
            KeySpec::Ec {
                curve: CurveName::P521,
            } => &P521,
            KeySpec::Rsa { bits: 2048 } => &RSA,
            other => return PrivateKey::generate(other).unwrap(),
        };
        cell.get_or_init(|| PrivateKey::generate(spec).unwrap())
            .clone()
    }

    pub fn p256() -> PrivateKey {
        key(KeySpec::Ec {
            curve: CurveName::P256,
        })
    }

    pub fn rsa2048() -> PrivateKey {
        key(KeySpec::Rsa { bits: 2048 })
    }

    pub fn leaf_profile(subject: &str) -> CertProfile {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        CertProfile {
            subject: subject.to_string(),
            sans: SubjectAlternativeNames {
                dns_names: Some(vec!["a.example".into(), "*.b.example".into()]),
                ..Default::default()
            },
            ekus: vec!["1.3.6.1.5.5.7.3.1".into(), "1.3.6.1.5.5.7.3.2".into()],
            key_usage: vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment],
            not_before: now - Duration::minutes(5),
            not_after: now + Duration::days(365),
            is_ca: false,
            path_len: None,
        }
    }

    pub fn ca_profile(subject: &str, path_len: Option<u8>) -> CertProfile {
        CertProfile {
            sans: SubjectAlternativeNames::default(),
            ekus: vec![],
            key_usage: vec![KeyUsage::KeyCertSign, KeyUsage::CrlSign],
            is_ca: true,
            path_len,
            ..leaf_profile(subject)
        }
    }
}
