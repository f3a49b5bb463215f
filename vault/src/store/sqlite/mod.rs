//! The SQLite store: one database file (`vault.db`, WAL mode, `synchronous = FULL`) in the data
//! dir, behind one connection lock. Every write is one [`Store::apply`]: all of the batch or
//! none of it (a savepoint inside a group commit, [`group`]: concurrent batches share one
//! transaction and one fsync), then the read cache moves with the commit.
//!
//! Layout by table group: [`schema`] (migrations), [`certs`] (certificates, versions and their
//! sealed keys), [`operations`], [`outbox`] (lifetime markers, notifications), [`settings`]
//! (issuers, contacts, the clock offset), [`acme`] (the ACME gateway's objects), [`timeline`]
//! (the dashboard's events), [`dashboard`] (the dashboard's certificate list); [`codec`] holds the shared column codecs.

pub mod acme;
pub mod certs;
pub mod codec;
pub mod dashboard;
mod group;
pub mod operations;
pub mod outbox;
pub mod schema;
pub mod settings;
pub mod timeline;

use crate::model::acme::{
    AccountRecord, AcmeCertRecord, AuthzRecord, EabKeyRecord, Identifier, OrderRecord, OrderStatus,
};
use crate::model::{
    CertRecord, IssuerRecord, LifetimeMarker, ListScope, MarkerState, NotificationRecord,
    OperationRecord, TimelineEvent, VersionRecord,
};
use crate::store::cache::ReadCache;
use crate::store::contract::{
    CertFilter, Change, DashboardRow, LeaseTerms, LeasedUpdate, Store, StoreError, StoreResult,
    Wake,
};
use crate::store::seal::Sealer;
use rusqlite::Connection;
use shared::crypto::PrivateKey;
use shared::models::Contacts;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// SQLite-backed [`Store`].
pub struct SqliteStore {
    conn: Mutex<Connection>,
    sealer: Sealer,
    /// Certificates and operations as last committed; updated under the connection lock.
    cache: ReadCache,
    /// Batches waiting for the next commit.
    group: group::GroupCommit,
    /// Read-only connections for the ACME gateway's lookups: in WAL mode they read the last
    /// commit without waiting for the writer's lock (held through each fsync).
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

/// Read-only connections per store.
const READERS: usize = 4;

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

impl SqliteStore {
    /// Opens (or creates) `vault.db` in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path, sealer: Sealer) -> StoreResult<Self> {
        let conn = Connection::open(data_dir.join(schema::DB_FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a completed operation acknowledged to a client survives power loss.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&conn)?;
        let readers = (0..READERS)
            .map(|_| {
                let reader = Connection::open_with_flags(
                    data_dir.join(schema::DB_FILE),
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                reader.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(Mutex::new(reader))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Self {
            readers,
            next_reader: Default::default(),
            conn: Mutex::new(conn),
            sealer,
            cache: Default::default(),
            group: Default::default(),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A read-only connection: a free one if any, else the next in turn.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(guard) = r.try_lock() {
                return guard;
            }
        }
        let i = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % self.readers.len();
        self.readers[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Commits a group of batches in one transaction, each in its own savepoint (a failing
    /// batch is rolled back alone), and gives every batch its result.
    fn commit_group(&self, group: &[Arc<group::Slot>]) {
        let mut conn = self.conn();
        let outcome = (|| -> StoreResult<Vec<StoreResult<()>>> {
            let mut tx = conn.transaction()?;
            let mut results = Vec::with_capacity(group.len());
            for slot in group {
                let savepoint = tx.savepoint()?;
                match slot
                    .changes
                    .iter()
                    .try_for_each(|c| self.write(&savepoint, c))
                {
                    Ok(()) => {
                        savepoint.commit()?;
                        results.push(Ok(()));
                    }
                    // Dropping the savepoint rolls this batch back.
                    Err(e) => results.push(Err(e)),
                }
            }
            tx.commit()?;
            Ok(results)
        })();
        match outcome {
            Ok(results) => {
                for (slot, result) in group.iter().zip(results) {
                    if result.is_ok() {
                        // Still under the connection lock: readers see the cache move with
                        // the commit.
                        self.cache.applied(&slot.changes);
                    }
                    slot.finish(result);
                }
            }
            Err(e) => {
                let message = e.to_string();
                for slot in group {
                    slot.finish(Err(StoreError::Commit(message.clone())));
                }
            }
        }
    }

    /// One change of a batch, inside the batch's transaction.
    fn write(&self, tx: &Connection, change: &Change) -> StoreResult<()> {
        match change {
            Change::PutCert(c) => certs::put_cert(tx, c),
            Change::PutVersion {
                version,
                private_key,
            } => certs::put_version(tx, &self.sealer, version, private_key.as_ref()),
            Change::PutOperation(o) => operations::put_operation(tx, o),
            Change::DeleteOperation { key } => operations::delete_operation(tx, key),
            Change::DetachOperation {
                key,
                now_ms,
                details,
            } => operations::detach_operation(tx, key, *now_ms, details),
            Change::ReleaseLease { request_id, owner } => {
                operations::release_lease(tx, request_id, owner)
            }
            Change::PurgeCert { key } => certs::purge(tx, key),
            Change::PutIssuer(i) => settings::put_issuer(tx, &self.sealer, i),
            Change::DeleteIssuer { key } => settings::delete_issuer(tx, key),
            Change::PutContacts(c) => settings::put_contacts(tx, c),
            Change::DeleteContacts => settings::delete_contacts(tx),
            Change::PutLifetimeMarker(m) => outbox::put_marker(tx, m),
            Change::AddNotification(n) => outbox::add_notification(tx, n),
            Change::PutDelivery(d) => outbox::put_delivery(tx, d),
            Change::PutClockOffset(offset) => settings::put_clock_offset(tx, *offset),
            Change::PutAcmeAccount(a) => acme::put_account(tx, a),
            Change::PutAcmeOrder(o) => acme::put_order(tx, o),
            Change::PutAcmeAuthz(a) => acme::put_authz(tx, a),
            Change::PutAcmeCert(c) => acme::put_cert(tx, c),
            Change::PutAcmeEab(e) => acme::put_eab(tx, &self.sealer, e),
            Change::PutAcmeIssued { order_id, chain } => acme::put_issued(tx, order_id, chain),
            Change::PutTimelineEvent(e) => timeline::put(tx, e),
        }
    }
}

impl Store for SqliteStore {
    fn peek_cert(&self, key: &str) -> Option<Option<Arc<CertRecord>>> {
        self.cache.cert(key)
    }

    fn peek_operation(&self, key: &str) -> Option<Option<Arc<OperationRecord>>> {
        self.cache.operation(key)
    }

    fn cert(&self, key: &str) -> StoreResult<Option<CertRecord>> {
        let conn = self.conn();
        if let Some(hit) = self.cache.cert(key) {
            return Ok(hit.map(|c| (*c).clone()));
        }
        let value = certs::cert(&conn, key)?;
        // Filled while the connection lock is held: no commit can slip in between.
        self.cache.fill_cert(key, value.clone());
        Ok(value)
    }

    fn version(&self, key: &str, version: &str) -> StoreResult<Option<VersionRecord>> {
        certs::version(&self.conn(), key, version)
    }

    fn private_key(&self, key: &str, version: &str) -> StoreResult<Option<PrivateKey>> {
        let sealed = certs::sealed_key(&self.conn(), key, version)?;
        // Unsealed after the connection lock is released.
        sealed
            .map(|sealed| certs::open_key(&self.sealer, key, version, &sealed))
            .transpose()
    }

    fn latest_version(&self, key: &str) -> StoreResult<Option<VersionRecord>> {
        certs::latest_version(&self.conn(), key)
    }

    fn versions(&self, key: &str, offset: usize, limit: usize) -> StoreResult<Vec<VersionRecord>> {
        certs::versions(&self.conn(), key, offset, limit)
    }

    fn list_certs(
        &self,
        scope: ListScope,
        include_pending: bool,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(CertRecord, VersionRecord)>> {
        certs::list_certs(&self.conn(), scope, include_pending, after, limit)
    }

    fn operation(&self, key: &str) -> StoreResult<Option<OperationRecord>> {
        let conn = self.conn();
        if let Some(hit) = self.cache.operation(key) {
            return Ok(hit.map(|o| (*o).clone()));
        }
        let value = operations::operation(&conn, key)?;
        self.cache.fill_operation(key, value.clone());
        Ok(value)
    }

    fn claim_due(
        &self,
        now_ms: i64,
        lease: &LeaseTerms,
        limit: usize,
    ) -> StoreResult<Vec<OperationRecord>> {
        let mut conn = self.conn();
        // IMMEDIATE: take the write lock before reading, so two stores on one file cannot
        // both read a row as free and then both claim it.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let claimed = operations::claim_due(&tx, now_ms, lease, limit)?;
        tx.commit()?;
        Ok(claimed)
    }

    fn renew_lease(&self, request_id: &str, owner: &str, until_ms: i64) -> StoreResult<bool> {
        operations::renew_lease(&self.conn(), request_id, owner, until_ms)
    }

    fn update_leased(
        &self,
        request_id: &str,
        owner: &str,
        update: LeasedUpdate,
    ) -> StoreResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let Some((op, holder)) = operations::leased_operation(&tx, request_id)? else {
            return Ok(false);
        };
        if holder.as_deref() != Some(owner) {
            return Ok(false);
        }
        let version = certs::version(&tx, &op.key, &op.version)?;
        let Some(changes) = update(op, version) else {
            return Ok(false);
        };
        for change in &changes {
            self.write(&tx, change)?;
        }
        tx.commit()?;
        self.cache.applied(&changes);
        Ok(true)
    }

    fn clear_leases(&self) -> StoreResult<usize> {
        operations::clear_leases(&self.conn())
    }

    fn next_wake(&self, wall_now_ms: i64) -> StoreResult<Wake> {
        operations::next_wake(&self.conn(), wall_now_ms)
    }

    fn issuer(&self, key: &str) -> StoreResult<Option<IssuerRecord>> {
        settings::issuer(&self.conn(), &self.sealer, key)
    }

    fn issuers(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<IssuerRecord>> {
        settings::issuers(&self.conn(), &self.sealer, after, limit)
    }

    fn contacts(&self) -> StoreResult<Option<Contacts>> {
        settings::contacts(&self.conn())
    }

    fn clock_offset(&self) -> StoreResult<Option<i64>> {
        settings::clock_offset(&self.conn())
    }

    fn lifetime_markers(&self, key: &str, version: &str) -> StoreResult<Vec<LifetimeMarker>> {
        outbox::lifetime_markers(&self.conn(), key, version)
    }

    fn markers_in_state(
        &self,
        state: MarkerState,
        limit: usize,
    ) -> StoreResult<Vec<LifetimeMarker>> {
        outbox::markers_in_state(&self.conn(), state, limit)
    }

    fn notifications(&self, after_id: i64, limit: usize) -> StoreResult<Vec<NotificationRecord>> {
        outbox::notifications(&self.conn(), after_id, limit)
    }

    fn due_notifications(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<NotificationRecord>> {
        outbox::due_notifications(&self.conn(), now_ms, limit)
    }

    fn next_notification_due(&self) -> StoreResult<Option<i64>> {
        outbox::next_notification_due(&self.conn())
    }

    fn operation_stats(&self, now_ms: i64) -> StoreResult<(Vec<(String, i64)>, i64)> {
        operations::operation_stats(&self.conn(), now_ms)
    }

    fn acme_account(&self, id: &str) -> StoreResult<Option<AccountRecord>> {
        acme::account(&self.reader(), id)
    }

    fn acme_account_by_thumbprint(&self, thumbprint: &str) -> StoreResult<Option<AccountRecord>> {
        acme::account_by_thumbprint(&self.reader(), thumbprint)
    }

    fn acme_order(&self, id: &str) -> StoreResult<Option<OrderRecord>> {
        acme::order(&self.reader(), id)
    }

    fn acme_orders(
        &self,
        account_id: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<OrderRecord>> {
        acme::orders(&self.reader(), account_id, after, limit)
    }

    fn acme_accounts(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<AccountRecord>> {
        acme::accounts(&self.reader(), after, limit)
    }

    fn acme_orders_in_status(
        &self,
        status: OrderStatus,
        limit: usize,
    ) -> StoreResult<Vec<OrderRecord>> {
        acme::orders_in_status(&self.reader(), status, limit)
    }

    fn acme_order_stats(&self) -> StoreResult<Vec<(String, i64)>> {
        acme::order_stats(&self.reader())
    }

    fn acme_authz(&self, id: &str) -> StoreResult<Option<AuthzRecord>> {
        acme::authz(&self.reader(), id)
    }

    fn acme_reusable_authz(
        &self,
        account_id: &str,
        identifier: &Identifier,
        wildcard: bool,
        now: i64,
    ) -> StoreResult<Option<AuthzRecord>> {
        acme::reusable_authz(&self.reader(), account_id, identifier, wildcard, now)
    }

    fn acme_cert(&self, id: &str) -> StoreResult<Option<AcmeCertRecord>> {
        acme::cert(&self.reader(), id)
    }

    fn acme_cert_by_serial(&self, serial_hex: &str) -> StoreResult<Option<AcmeCertRecord>> {
        acme::cert_by_serial(&self.reader(), serial_hex)
    }

    fn acme_cert_by_ari_id(&self, ari_id: &str) -> StoreResult<Option<AcmeCertRecord>> {
        acme::cert_by_ari_id(&self.reader(), ari_id)
    }

    fn acme_revoked_certs(&self) -> StoreResult<Vec<AcmeCertRecord>> {
        acme::revoked_certs(&self.reader())
    }

    fn acme_eab(&self, kid: &str) -> StoreResult<Option<EabKeyRecord>> {
        acme::eab(&self.reader(), &self.sealer, kid)
    }

    fn acme_eabs(&self) -> StoreResult<Vec<EabKeyRecord>> {
        acme::eabs(&self.reader(), &self.sealer)
    }

    fn acme_issued(&self, order_id: &str) -> StoreResult<Option<Vec<Vec<u8>>>> {
        acme::issued(&self.reader(), order_id)
    }

    fn timeline_max_seq(&self) -> StoreResult<i64> {
        timeline::max_seq(&self.reader())
    }

    fn timeline(
        &self,
        vault: &str,
        certificate: Option<&str>,
        after: i64,
        limit: usize,
    ) -> StoreResult<Vec<TimelineEvent>> {
        timeline::events(&self.reader(), vault, certificate, after, limit)
    }

    fn dashboard_certificates(
        &self,
        filter: &CertFilter,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<(Vec<DashboardRow>, i64)> {
        dashboard::certificates(&self.reader(), filter, after, limit)
    }

    fn apply(&self, changes: Vec<Change>) -> StoreResult<()> {
        self.group.apply(changes, |group| self.commit_group(group))
    }

    fn seal_blob(&self, context: &str, plain: &[u8]) -> StoreResult<Vec<u8>> {
        self.sealer.seal(context, plain)
    }

    fn open_blob(&self, context: &str, sealed: &[u8]) -> StoreResult<Vec<u8>> {
        self.sealer.open(context, sealed)
    }
}
