//! [`LocalCa`]: the loaded hierarchy, ready to sign. The intermediate's certificate and key
//! are parsed once at load into an rcgen `Issuer`, so issuing a leaf is one CSR check and one
//! P-256 signature (the benchmark runs thousands of orders).

use super::crl;
use super::error::CaError;
use super::hierarchy::{self, random_serial};
use super::inspect::subject_key_id;
use super::leaf;
use rcgen::{Issuer, KeyPair};
use shared::crypto::KeySpec;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The ACME gateway's own CA (profiles `local` and `shortlived`). Process-wide, shared in an
/// `Arc`; every method takes `&self`.
pub struct LocalCa {
    /// The intermediate, parsed once: it signs leaves and the CRL.
    issuer: Issuer<'static, KeyPair>,
    /// The intermediate's subjectKeyIdentifier: every leaf's AKI, the first half of certIDs.
    key_id: Vec<u8>,
    pub(super) root: Vec<u8>,
    root_pem: String,
    pub(super) intermediate: Vec<u8>,
    /// The intermediate's key again, as `shared::crypto` signs with it: platform-managed
    /// certificates (`super::platform`) are built from a full certificate profile.
    pub(super) platform_key: shared::crypto::PrivateKey,
    /// Above the leaf towards the alternate root: cross-signed intermediate, alternate root.
    alternate_chain: Vec<Vec<u8>>,
    /// The last CRL number handed out (RFC 5280 §5.2.3: grows with each CRL).
    crl_number: AtomicU64,
}

/// A leaf the local CA signed.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Leaf, intermediate, root (DER).
    pub chain: Vec<Vec<u8>>,
    /// Lower-case hex, as [`super::serial_hex`] reads it back.
    pub serial_hex: String,
    /// RFC 9773 certID, as [`super::ari_cert_id`] reads it back.
    pub ari_cert_id: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
}

impl std::fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalCa(..)")
    }
}

impl LocalCa {
    /// Loads DATA_DIR/acme/ (creating the hierarchy on first start): root (self-signed,
    /// long-lived), intermediate (signed by root), and an alternate root that cross-signs the
    /// same intermediate key (for the alternate chain). Private keys are sealed with the
    /// store's master key (`master_key` as `VAULT_MASTER_KEY`, else `DATA_DIR/master.key`).
    /// Blocking: call it on the blocking pool.
    pub fn load_or_create(
        data_dir: &Path,
        master_key: Option<&str>,
        now: i64,
    ) -> Result<LocalCa, CaError> {
        let material = hierarchy::load_or_create(data_dir, master_key, now)?;
        let platform_key =
            shared::crypto::PrivateKey::from_pkcs8_der(&material.intermediate_key.serialize_der())
                .map_err(|e| CaError::Crypto(format!("the intermediate key: {e}")))?;
        let issuer = Issuer::from_ca_cert_der(
            &material.intermediate.as_slice().into(),
            material.intermediate_key,
        )?;
        Ok(LocalCa {
            issuer,
            key_id: subject_key_id(&material.intermediate)?,
            root_pem: shared::crypto::pem_encode("CERTIFICATE", &material.root),
            root: material.root,
            intermediate: material.intermediate,
            alternate_chain: vec![material.intermediate_cross, material.alternate_root],
            crl_number: AtomicU64::new(0),
            platform_key,
        })
    }

    /// Signs `csr_der` (already checked by the caller against the order) for `identifiers`
    /// (dns names incl. wildcards, IPs) valid [not_before, not_after] (unix seconds), with a
    /// CRL distribution point `crl_url`, serverAuth EKU, SANs from the identifiers, the first
    /// DNS name of at most 64 characters as CN. The CSR's signature must verify
    /// ([`CaError::BadCsr`] otherwise). CPU-bound: callers run it on the blocking pool.
    pub fn issue(
        &self,
        csr_der: &[u8],
        identifiers: &[crate::model::acme::Identifier],
        not_before: i64,
        not_after: i64,
        crl_url: &str,
    ) -> Result<Issued, CaError> {
        let csr = shared::crypto::parse_csr(csr_der).map_err(|e| CaError::BadCsr(e.to_string()))?;
        let public_key = rcgen::SubjectPublicKeyInfo::from_der(&csr.spki_der).map_err(|e| {
            CaError::BadCsr(format!("the CSR's public key cannot be certified: {e}"))
        })?;
        let rsa = matches!(csr.key_spec, Some(KeySpec::Rsa { .. }));
        let serial = random_serial()?;
        let params = leaf::params(identifiers, not_before, not_after, crl_url, &serial, rsa)?;
        let leaf = params.signed_by(&public_key, &self.issuer)?.der().to_vec();
        Ok(Issued {
            // The serial's first octet is non-zero and below 0x80, so these 16 bytes are
            // exactly its DER content: no need to parse the leaf back.
            serial_hex: hex::encode(serial),
            ari_cert_id: format!(
                "{}.{}",
                shared::b64::url_encode(&self.key_id),
                shared::b64::url_encode(&serial)
            ),
            chain: vec![leaf, self.intermediate.clone(), self.root.clone()],
            not_before,
            not_after,
        })
    }

    /// PEM of the root clients should trust (served at /_admin/acme/root.pem).
    pub fn root_pem(&self) -> String {
        self.root_pem.clone()
    }

    /// The alternate chains for a leaf issued by this CA: each is the chain above the leaf
    /// ending at an alternate root (here one: the cross-signed intermediate, then the
    /// alternate root).
    pub fn alternate_chains(&self) -> Vec<Vec<Vec<u8>>> {
        vec![self.alternate_chain.clone()]
    }

    /// A CRL (DER) signed by the intermediate listing `revoked` (serial hex, revocation unix
    /// seconds, reason code), thisUpdate = now, nextUpdate = now + 1 day, a CRL number that
    /// grows: above every earlier one of this process, and from `now` in milliseconds so a
    /// restart (with the clock not set back) continues upwards too.
    pub fn crl(&self, revoked: &[(String, i64, u8)], now: i64) -> Result<Vec<u8>, CaError> {
        let floor = u64::try_from(now).unwrap_or(0).saturating_mul(1000);
        let previous = self
            .crl_number
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                Some(floor.max(last.saturating_add(1)))
            })
            .unwrap_or_else(|last| last);
        let number = floor.max(previous.saturating_add(1));
        crl::build(&self.issuer, &self.key_id, revoked, now, number)
    }
}
