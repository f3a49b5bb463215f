//! What the store promises: the [`Store`] trait (reads, one atomic [`Store::apply`] of a batch
//! of [`Change`]s, and the issuance worker's lease protocol: [`Store::claim_due`],
//! [`Store::renew_lease`], [`Store::update_leased`]) and its error type. Implemented by
//! `sqlite`; used through `db::Db`.

use crate::model::acme::{
    AccountRecord, AcmeCertRecord, AuthzRecord, EabKeyRecord, Identifier, OrderRecord, OrderStatus,
};
use crate::model::{
    CertRecord, Delivery, IssuerRecord, LifetimeMarker, ListScope, MarkerState, NotificationRecord,
    OperationRecord, TimelineEvent, VersionRecord,
};
use shared::crypto::PrivateKey;
use shared::models::{Contacts, OperationStatus};

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
    /// The commit a batch was grouped into failed (see `sqlite::group`); nothing of it was
    /// written.
    #[error("database commit failed: {0}")]
    Commit(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A worker's claim: who (a process-unique owner id) and the lease's end, both ends in
/// wall-clock unix milliseconds (never vault's shiftable clock: leases are between processes).
#[derive(Debug, Clone)]
pub struct LeaseTerms {
    pub owner: String,
    pub now_ms: i64,
    pub until_ms: i64,
}

/// When the worker has something to do next (see [`Store::next_wake`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wake {
    /// Earliest `next_run_at` (vault clock, unix ms) of an in-progress row nobody holds.
    pub next_due_ms: Option<i64>,
    /// Earliest expiry (wall clock, unix ms) of a lease someone holds: that row can be taken
    /// over then.
    pub lease_expiry_ms: Option<i64>,
}

/// The worker's write of one step, given the row as it is now (read in the same transaction)
/// and the version it produces: the changes to apply (normally including a
/// [`Change::PutOperation`] of the row), or `None` to write nothing.
pub type LeasedUpdate =
    Box<dyn FnOnce(OperationRecord, Option<VersionRecord>) -> Option<Vec<Change>> + Send>;

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
    /// Vault stops tracking the in-progress operation of `key` while the CA may hold an order
    /// for it: the row moves to its `model::orphan_key` with `cancellation_requested`, due at
    /// `now_ms` at the latest, its lease kept (a worker mid-step finds it by request id). An
    /// operation that already ended is simply deleted.
    DetachOperation {
        key: String,
        now_ms: i64,
        details: String,
    },
    /// Gives a worker's lease on an operation back (no-op if `owner` no longer holds it).
    ReleaseLease {
        request_id: String,
        owner: String,
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
    /// ACME gateway objects (`model::acme`), inserted or replaced by id.
    PutAcmeAccount(AccountRecord),
    PutAcmeOrder(OrderRecord),
    PutAcmeAuthz(AuthzRecord),
    PutAcmeCert(AcmeCertRecord),
    /// An EAB key; its HMAC key is sealed at rest.
    PutAcmeEab(EabKeyRecord),
    /// The chain a partner CA delivered for ACME order `order_id` (written by the issuance
    /// worker in the same transaction that completes the order's operation; the gateway turns
    /// it into the order's certificate).
    PutAcmeIssued {
        order_id: String,
        chain: Vec<Vec<u8>>,
    },
    /// A dashboard timeline event (`timeline`); the certificate's oldest events beyond the
    /// kept number go in the same write.
    PutTimelineEvent(TimelineEvent),
}

/// A row of the dashboard's certificate list: the name, its latest version (completed ones
/// first) and its operation's status, if it has one.
pub type DashboardRow = (CertRecord, VersionRecord, Option<OperationStatus>);

/// What the dashboard's certificate list keeps (`/_admin/certificates`).
#[derive(Debug, Clone, Default)]
pub struct CertFilter {
    /// A case-insensitive substring of the name or of a tag.
    pub q: Option<String>,
    /// The operation's status (`inProgress`, `completed`, ...); no operation counts as
    /// `completed`.
    pub status: Option<String>,
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
    /// Claims up to `limit` in-progress operations whose `next_run_at` (vault clock, unix ms)
    /// has come and that nobody holds an unexpired lease on, oldest due first, each with a
    /// conditional update; returns those claimed for `lease.owner`.
    fn claim_due(
        &self,
        now_ms: i64,
        lease: &LeaseTerms,
        limit: usize,
    ) -> StoreResult<Vec<OperationRecord>>;
    /// Extends `owner`'s lease on the operation with `request_id` to `until_ms`; false when the
    /// lease is lost (taken over after expiry, or the operation ended or is gone).
    fn renew_lease(&self, request_id: &str, owner: &str, until_ms: i64) -> StoreResult<bool>;
    /// The fenced write of a worker's step: in one transaction, reads the in-progress
    /// operation with `request_id` (wherever its key now is) and, only if `owner` still holds
    /// its lease, applies what `update` returns. Returns whether anything was written.
    fn update_leased(
        &self,
        request_id: &str,
        owner: &str,
        update: LeasedUpdate,
    ) -> StoreResult<bool>;
    /// Forgets every lease; only for the store's sole user at start (the data dir's lock
    /// proves the owners found are dead). Returns how many were dropped.
    fn clear_leases(&self) -> StoreResult<usize>;
    /// When the worker should look next (`wall_now_ms`: the wall clock, for leases).
    fn next_wake(&self, wall_now_ms: i64) -> StoreResult<Wake>;
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
    fn acme_account(&self, id: &str) -> StoreResult<Option<AccountRecord>>;
    /// The account registered with the key of this RFC 7638 thumbprint.
    fn acme_account_by_thumbprint(&self, thumbprint: &str) -> StoreResult<Option<AccountRecord>>;
    fn acme_order(&self, id: &str) -> StoreResult<Option<OrderRecord>>;
    /// Orders in creation order after order `after` (exclusive), of one account or (`None`)
    /// of every account.
    fn acme_orders(
        &self,
        account_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<OrderRecord>>;
    /// Accounts in creation order after account `after` (exclusive), for the dashboard.
    fn acme_accounts(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<AccountRecord>>;
    /// Orders in `status`, oldest first (restart recovery of `processing` orders).
    fn acme_orders_in_status(
        &self,
        status: OrderStatus,
        limit: usize,
    ) -> StoreResult<Vec<OrderRecord>>;
    /// Orders per status (for `/metrics`).
    fn acme_order_stats(&self) -> StoreResult<Vec<(String, i64)>>;
    fn acme_authz(&self, id: &str) -> StoreResult<Option<AuthzRecord>>;
    /// The newest valid authorization of the account for the identifier still unexpired at
    /// `now` (unix seconds), for authorization reuse.
    fn acme_reusable_authz(
        &self,
        account_id: &str,
        identifier: &Identifier,
        wildcard: bool,
        now: i64,
    ) -> StoreResult<Option<AuthzRecord>>;
    fn acme_cert(&self, id: &str) -> StoreResult<Option<AcmeCertRecord>>;
    /// By the leaf's serial (lower-case hex).
    fn acme_cert_by_serial(&self, serial_hex: &str) -> StoreResult<Option<AcmeCertRecord>>;
    /// By RFC 9773 certID.
    fn acme_cert_by_ari_id(&self, ari_id: &str) -> StoreResult<Option<AcmeCertRecord>>;
    /// Every revoked certificate (for the CRL).
    fn acme_revoked_certs(&self) -> StoreResult<Vec<AcmeCertRecord>>;
    fn acme_eab(&self, kid: &str) -> StoreResult<Option<EabKeyRecord>>;
    fn acme_eabs(&self) -> StoreResult<Vec<EabKeyRecord>>;
    /// The chain recorded by [`Change::PutAcmeIssued`] for an order.
    fn acme_issued(&self, order_id: &str) -> StoreResult<Option<Vec<Vec<u8>>>>;
    /// The highest timeline `seq` stored (0 when none).
    fn timeline_max_seq(&self) -> StoreResult<i64>;
    /// Timeline events with `seq > after`, oldest first: the first `limit` of one certificate
    /// (by key), or the newest `limit` of the vault.
    fn timeline(
        &self,
        vault: &str,
        certificate: Option<&str>,
        after: i64,
        limit: usize,
    ) -> StoreResult<Vec<TimelineEvent>>;
    /// The dashboard's page of active certificates in key order after `after` (each with its
    /// latest version and its operation's status, if any) and how many match `filter`.
    fn dashboard_certificates(
        &self,
        filter: &CertFilter,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<(Vec<DashboardRow>, i64)>;
    /// Applies every change or none.
    fn apply(&self, changes: Vec<Change>) -> StoreResult<()>;
    /// Seals a blob that leaves the vault (backups) with the master key; `context` binds it
    /// to its purpose.
    fn seal_blob(&self, context: &str, plain: &[u8]) -> StoreResult<Vec<u8>>;
    /// Opens a blob sealed by [`Store::seal_blob`]; fails if it was altered or sealed with
    /// another master key.
    fn open_blob(&self, context: &str, sealed: &[u8]) -> StoreResult<Vec<u8>>;
}
