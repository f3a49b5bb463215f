//! Test helpers of the crypto module: cached keys (keygen is slow in debug builds), the
//! leaf and CA profiles the tests start from and the PKCS#12 fixture files other tools wrote.
//! Compiled for tests only.

use super::keys::{KeySpec, PrivateKey};
use super::profile::CertProfile;
use crate::models::{CurveName, KeyUsage, SubjectAlternativeNames};
use std::path::PathBuf;
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

/// The password of the PFX fixtures in `tests/fixtures` (written by OpenSSL and keytool).
pub const FIXTURE_PASSWORD: &str = "Fixture-Pass1";

/// The bytes of `tests/fixtures/<name>`; panics naming the path when it cannot be read.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
