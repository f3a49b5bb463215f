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
pub mod seal;
pub mod sqlite;

use shared::crypto::PrivateKey;
use shared::models::Contacts;

// The records the store keeps are the domain's (`model`); named here too for store callers.
pub use crate::model::{
    CertRecord, Deletion, Delivery, DeliveryStatus, IssuerRecord, LifetimeMarker, ListScope,
    MarkerAction, MarkerState, NotificationKind, NotificationRecord, OperationRecord,
    ProviderPhase, ProviderState, VersionRecord,
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
