//! Persistence: the [`Store`] trait, the records it keeps, and the SQLite implementation.
//!
//! The store is deliberately dumb: it reads records and applies batches of [`Change`]s
//! atomically. The rules (conflicts, state transitions) live in `certs` and `issuance`, which
//! serialise work per certificate name before they write. Every byte that reaches disk goes
//! through here; private keys and secret values are sealed ([`seal`]) before they do.
//!
//! The trait is synchronous because SQLite is; callers run it on the blocking pool
//! (see `certs::Service::store`).

pub mod cache;
pub mod outbox;
pub mod seal;
pub mod sqlite;

use shared::crypto::PrivateKey;
use shared::models::{
    CertificatePolicy, Contacts, ContentType, ErrorDetail, IssuerBundle, KeyOperation,
    OperationStatus, Tags,
};

pub use outbox::{
    Delivery, DeliveryStatus, LifetimeMarker, MarkerAction, MarkerState, NotificationKind,
    NotificationRecord,
};
pub use sqlite::SqliteStore;

/// Errors from the storage layer. Always a server-side fault, never the client's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("cannot unseal stored secret material: {0}")]
    Seal(String),
    #[error("i/o error on the data dir: {0}")]
    Io(#[from] std::io::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

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

/// The one pending operation of a name (spec §4.1): overwritten, never accumulated.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationRecord {
    pub key: String,
    /// The version this operation produces.
    pub version: String,
    pub request_id: String,
    pub issuer_name: String,
    pub issuer_cty: Option<String>,
    pub cert_transparency: Option<bool>,
    pub csr: Option<Vec<u8>>,
    pub status: OperationStatus,
    pub status_details: Option<String>,
    pub error: Option<ErrorDetail>,
    pub cancellation_requested: bool,
    pub preserve_cert_order: bool,
    /// The policy this operation issues under (a later policy PATCH does not change it).
    pub policy: CertificatePolicy,
    pub created: i64,
    pub updated: i64,
    /// When the issuance worker should next look at this operation (unix milliseconds).
    pub next_run_at: i64,
    /// Progress of a partner-CA order; `None` for self-signed and Unknown operations.
    pub provider: Option<ProviderState>,
}

/// Where a partnered operation stands with its CA. Persisted before and after every CA call,
/// so a crash never loses an order id or submits an order twice.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProviderState {
    pub phase: ProviderPhase,
    /// The CA's order id once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Unix seconds of the first submission attempt (bounds a lookup after a crash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit_started: Option<i64>,
    /// Consecutive failed attempts (transient errors); resets on success.
    #[serde(default)]
    pub failures: u32,
    /// Polls so far while the CA reports the order pending (drives the poll back-off).
    #[serde(default)]
    pub polls: u32,
    /// Unix seconds after which transient failures end the operation.
    pub deadline: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The submission state machine: `New` → `Submitting` (persisted before the CA is called) →
/// `Submitted` (order id known). A crash in `Submitting` leads to a lookup, not a resubmit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderPhase {
    #[default]
    New,
    Submitting,
    Submitted,
}

/// A stored issuer. `bundle.credentials.pwd` is kept (sealed at rest) but never echoed.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerRecord {
    pub key: String,
    pub name: String,
    pub bundle: IssuerBundle,
}

/// One write inside an atomic batch.
// Batches are short-lived and small; boxing the records would only add noise at call sites.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Change {
    PutCert(CertRecord),
    /// Inserts or updates a version. `private_key: None` keeps the stored key, if any.
    PutVersion {
        version: VersionRecord,
        private_key: Option<PrivateKey>,
    },
    PutOperation(OperationRecord),
    DeleteOperation {
        key: String,
    },
    /// Removes every trace of a name: versions, operation, policy, deletion marker.
    PurgeCert {
        key: String,
    },
    PutIssuer(IssuerRecord),
    DeleteIssuer {
        key: String,
    },
    PutContacts(Contacts),
    DeleteContacts,
    /// Inserts or replaces the marker of one lifetime action of one version.
    PutLifetimeMarker(LifetimeMarker),
    /// Appends an outbox row (its `id` is assigned by the store).
    AddNotification(NotificationRecord),
    /// Records a delivery attempt's outcome on an outbox row.
    PutDelivery(Delivery),
    /// The controllable clock's offset in seconds, restored at start.
    PutClockOffset(i64),
}

/// Which certificates a list walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    Active,
    Deleted,
}

/// Persistence for everything vault knows.
pub trait Store: Send + Sync + 'static {
    /// A cached answer of [`Store::cert`] that needs no I/O, if the store has one.
    fn peek_cert(&self, _key: &str) -> Option<Option<std::sync::Arc<CertRecord>>> {
        None
    }
    /// A cached answer of [`Store::operation`] that needs no I/O, if the store has one.
    fn peek_operation(&self, _key: &str) -> Option<Option<std::sync::Arc<OperationRecord>>> {
        None
    }
    fn cert(&self, key: &str) -> StoreResult<Option<CertRecord>>;
    fn version(&self, key: &str, version: &str) -> StoreResult<Option<VersionRecord>>;
    /// Newest version holding a certificate, else the newest pending one.
    /// The private key of a version (opened from its sealed form).
    fn private_key(&self, key: &str, version: &str) -> StoreResult<Option<PrivateKey>>;
    fn latest_version(&self, key: &str) -> StoreResult<Option<VersionRecord>>;
    /// Versions of a name, oldest first, from `offset`.
    fn versions(&self, key: &str, offset: usize, limit: usize) -> StoreResult<Vec<VersionRecord>>;
    /// Names in key order after `after`, each with its latest version. Names without a
    /// completed version are skipped unless `include_pending`.
    fn list_certs(
        &self,
        scope: ListScope,
        include_pending: bool,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(CertRecord, VersionRecord)>>;
    fn operation(&self, key: &str) -> StoreResult<Option<OperationRecord>>;
    /// In-progress operations whose `next_run_at` (unix ms) has come, oldest first.
    fn due_operations(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<OperationRecord>>;
    /// The earliest `next_run_at` of any in-progress operation.
    fn next_due(&self) -> StoreResult<Option<i64>>;
    fn issuer(&self, key: &str) -> StoreResult<Option<IssuerRecord>>;
    fn issuers(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<IssuerRecord>>;
    fn contacts(&self) -> StoreResult<Option<Contacts>>;
    /// The persisted clock offset (seconds), if one was ever set.
    fn clock_offset(&self) -> StoreResult<Option<i64>>;
    /// The markers of one version's lifetime actions.
    fn lifetime_markers(&self, key: &str, version: &str) -> StoreResult<Vec<LifetimeMarker>>;
    /// Markers in `state`, oldest first.
    fn markers_in_state(
        &self,
        state: MarkerState,
        limit: usize,
    ) -> StoreResult<Vec<LifetimeMarker>>;
    /// Outbox rows with an id above `after_id`, oldest first.
    fn notifications(&self, after_id: i64, limit: usize) -> StoreResult<Vec<NotificationRecord>>;
    /// Pending outbox rows whose next attempt (unix ms) has come, oldest first.
    fn due_notifications(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<NotificationRecord>>;
    /// The earliest next attempt (unix ms) of any pending outbox row.
    fn next_notification_due(&self) -> StoreResult<Option<i64>>;
    /// Operations per status, and how many in-progress ones are due at `now_ms` (metrics).
    fn operation_stats(&self, now_ms: i64) -> StoreResult<(Vec<(String, i64)>, i64)>;
    /// Applies every change or none.
    fn apply(&self, changes: Vec<Change>) -> StoreResult<()>;
    /// Seals a blob that leaves the vault (backups) with the master key; `context` binds it
    /// to its purpose.
    fn seal_blob(&self, context: &str, plain: &[u8]) -> StoreResult<Vec<u8>>;
    /// Opens a blob sealed by [`Store::seal_blob`]; fails if it was altered or sealed with
    /// another master key.
    fn open_blob(&self, context: &str, sealed: &[u8]) -> StoreResult<Vec<u8>>;
}

/// A shared store handle. SQLite calls block, so [`Db::run`] moves them to the blocking pool.
#[derive(Clone)]
pub struct Db(pub std::sync::Arc<dyn Store>);

impl Db {
    /// [`Store::cert`], from the cache when possible (no blocking-pool hop).
    pub async fn cert(&self, key: &str) -> StoreResult<Option<CertRecord>> {
        Ok(self.cert_shared(key).await?.map(|c| (*c).clone()))
    }

    /// [`Store::operation`], from the cache when possible.
    pub async fn operation(&self, key: &str) -> StoreResult<Option<OperationRecord>> {
        Ok(self.operation_shared(key).await?.map(|o| (*o).clone()))
    }

    /// Like [`Db::cert`] without copying a cached record (the polling path).
    pub async fn cert_shared(&self, key: &str) -> StoreResult<Option<std::sync::Arc<CertRecord>>> {
        if let Some(hit) = self.0.peek_cert(key) {
            return Ok(hit);
        }
        let key = key.to_string();
        Ok(self
            .run(move |s| s.cert(&key))
            .await?
            .map(std::sync::Arc::new))
    }

    /// Like [`Db::operation`] without copying a cached record (the polling path).
    pub async fn operation_shared(
        &self,
        key: &str,
    ) -> StoreResult<Option<std::sync::Arc<OperationRecord>>> {
        if let Some(hit) = self.0.peek_operation(key) {
            return Ok(hit);
        }
        let key = key.to_string();
        Ok(self
            .run(move |s| s.operation(&key))
            .await?
            .map(std::sync::Arc::new))
    }

    pub async fn run<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> StoreResult<R> + Send + 'static,
    {
        let store = self.0.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| StoreError::Corrupt(format!("store task failed: {e}")))?
    }
}
