//! A certificate name and its versions (spec §3, §4.8): the name-level record that carries the
//! policy and the soft-delete marker, and one record per version with its linked key and
//! secret material.

use shared::models::{CertificatePolicy, ContentType, KeyOperation, Tags};

/// Name-level state: the shared policy and the soft-delete marker.
#[derive(Debug, Clone, PartialEq)]
pub struct CertRecord {
    /// Lowercased name: the key (names compare case-insensitively, spec §1.1).
    pub key: String,
    /// The name as the user first created it; echoed in ids.
    pub name: String,
    /// The full policy with defaults filled in; `id` and `attributes` are not stored inside.
    pub policy: CertificatePolicy,
    pub policy_created: i64,
    pub policy_updated: i64,
    pub deleted: Option<Deletion>,
}

impl CertRecord {
    /// The name-level record after a create or import stored `policy`: keeps the name as first
    /// created and the policy's creation time, and clears any deletion marker.
    pub fn with_policy(
        existing: Option<&CertRecord>,
        key: &str,
        name: &str,
        policy: CertificatePolicy,
        now: i64,
    ) -> Self {
        CertRecord {
            key: key.to_string(),
            name: existing.map_or_else(|| name.to_string(), |c| c.name.clone()),
            policy,
            policy_created: existing.map_or(now, |c| c.policy_created),
            policy_updated: now,
            deleted: None,
        }
    }
}

/// Soft-delete marker (spec §4.8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deletion {
    pub deleted_date: i64,
    pub scheduled_purge_date: i64,
}

/// One version of a certificate with its linked key and secret material.
#[derive(Debug, Clone)]
pub struct VersionRecord {
    pub key: String,
    pub version: String,
    /// Monotonic order of creation across the store (rowid); newest has the largest.
    pub seq: i64,
    pub created: i64,
    pub updated: i64,
    pub enabled: bool,
    pub nbf: Option<i64>,
    pub exp: Option<i64>,
    pub tags: Option<Tags>,
    /// DER of every certificate, leaf first unless the user asked to preserve their order.
    /// Empty while the version is pending.
    pub chain: Vec<Vec<u8>>,
    /// Position of the leaf in `chain` (0 unless the order was preserved).
    pub leaf_index: usize,
    pub content_type: ContentType,
    pub exportable: bool,
    /// Wire `kty` of the linked key (RSA, RSA-HSM, EC, EC-HSM).
    pub kty: String,
    /// `key_ops` of the linked key, derived from the policy's key usage at issuance.
    pub key_ops: Vec<KeyOperation>,
    pub preserve_cert_order: bool,
}

impl VersionRecord {
    /// A version is complete once it holds its certificate.
    pub fn is_complete(&self) -> bool {
        !self.chain.is_empty()
    }

    pub fn leaf(&self) -> Option<&[u8]> {
        self.chain
            .get(self.leaf_index)
            .or(self.chain.first())
            .map(Vec::as_slice)
    }
}

/// Which certificates a list walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    Active,
    Deleted,
}
