//! The SQLite store: one database file (`vault.db`, WAL mode) in the data dir. Schema changes
//! are numbered migrations tracked with `PRAGMA user_version`.

use super::seal::Sealer;
use super::*;
use rusqlite::{params, Connection, OptionalExtension, Row};
use shared::b64;
use shared::models::IssuerBundle;
use std::path::Path;
use std::sync::Mutex;

const DB_FILE: &str = "vault.db";

/// Migrations in order; index + 1 is the schema version after applying it.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE certificates (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    policy TEXT NOT NULL,
    policy_created INTEGER NOT NULL,
    policy_updated INTEGER NOT NULL,
    deleted_date INTEGER,
    scheduled_purge_date INTEGER
);
CREATE TABLE versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    version TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    nbf INTEGER,
    exp INTEGER,
    tags TEXT,
    chain TEXT NOT NULL,
    complete INTEGER NOT NULL,
    private_key BLOB,
    content_type TEXT NOT NULL,
    exportable INTEGER NOT NULL,
    kty TEXT NOT NULL,
    key_ops TEXT NOT NULL,
    preserve_cert_order INTEGER NOT NULL,
    UNIQUE (key, version)
);
CREATE INDEX versions_by_key ON versions (key, complete, seq);
CREATE TABLE operations (
    key TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    request_id TEXT NOT NULL,
    issuer_name TEXT NOT NULL,
    issuer_cty TEXT,
    cert_transparency INTEGER,
    csr BLOB,
    status TEXT NOT NULL,
    status_details TEXT,
    error TEXT,
    cancellation_requested INTEGER NOT NULL,
    preserve_cert_order INTEGER NOT NULL,
    policy TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    next_run_at INTEGER NOT NULL
);
CREATE INDEX operations_due ON operations (status, next_run_at);
CREATE TABLE issuers (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    bundle TEXT NOT NULL,
    pwd BLOB
);
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL
);
"#,
    // 2: the leaf's position, for chains stored in the order the user gave (preserveCertOrder).
    "ALTER TABLE versions ADD COLUMN leaf_index INTEGER NOT NULL DEFAULT 0;",
    // 3: partner-CA order progress (JSON) of partnered operations.
    "ALTER TABLE operations ADD COLUMN provider_state TEXT;",
    // 4: lifetime actions (spec §4.5): the controllable clock's offset, one marker per fired
    // (certificate, version, action), and the notification outbox.
    r#"
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE lifetime_markers (
    key TEXT NOT NULL,
    version TEXT NOT NULL,
    action TEXT NOT NULL,
    state TEXT NOT NULL,
    request_id TEXT,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    PRIMARY KEY (key, version, action)
);
CREATE INDEX lifetime_markers_by_state ON lifetime_markers (state);
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT,
    kind TEXT NOT NULL,
    cert_key TEXT NOT NULL,
    certificate TEXT NOT NULL,
    version TEXT NOT NULL,
    created INTEGER NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    next_attempt_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
"#,
];

/// SQLite-backed [`Store`].
pub struct SqliteStore {
    conn: Mutex<Connection>,
    sealer: Sealer,
    /// Certificates and operations as last committed; updated under the connection lock.
    cache: super::cache::ReadCache,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

const VERSION_COLS: &str = "key, version, seq, created, updated, enabled, nbf, exp, tags, chain, \
     complete, content_type, exportable, kty, key_ops, preserve_cert_order, leaf_index";
const CERT_COLS: &str =
    "key, name, policy, policy_created, policy_updated, deleted_date, scheduled_purge_date";
const OP_COLS: &str = "key, version, request_id, issuer_name, issuer_cty, cert_transparency, csr, \
     status, status_details, error, cancellation_requested, preserve_cert_order, policy, created, \
     updated, next_run_at, provider_state";

impl SqliteStore {
    /// Opens (or creates) `vault.db` in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path, sealer: Sealer) -> StoreResult<Self> {
        let conn = Connection::open(data_dir.join(DB_FILE))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a completed operation acknowledged to a client survives power loss.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            sealer,
            cache: Default::default(),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn key_context(key: &str, version: &str) -> String {
        format!("version-key:{key}/{version}")
    }

    fn read_version(&self, row: &Row<'_>) -> StoreResult<VersionRecord> {
        let key: String = row.get(0)?;
        let version: String = row.get(1)?;
        let chain_json: String = row.get(9)?;
        let chain_b64: Vec<String> = json(&chain_json)?;
        let chain = chain_b64
            .iter()
            .map(|c| b64::decode_lenient(c).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(VersionRecord {
            key,
            version,
            seq: row.get(2)?,
            created: row.get(3)?,
            updated: row.get(4)?,
            enabled: row.get(5)?,
            nbf: row.get(6)?,
            exp: row.get(7)?,
            tags: opt_json(row.get(8)?)?,
            chain,
            content_type: parse_enum(&row.get::<_, String>(11)?)?,
            exportable: row.get(12)?,
            kty: row.get(13)?,
            key_ops: json(&row.get::<_, String>(14)?)?,
            preserve_cert_order: row.get(15)?,
            leaf_index: row.get::<_, i64>(16)?.max(0) as usize,
        })
    }

    fn write_version(
        &self,
        conn: &Connection,
        v: &VersionRecord,
        private_key: Option<&PrivateKey>,
    ) -> StoreResult<()> {
        let sealed = match private_key {
            Some(k) => Some(
                self.sealer
                    .seal(&Self::key_context(&v.key, &v.version), k.pkcs8_der())?,
            ),
            None => None,
        };
        let chain: Vec<String> = v.chain.iter().map(|c| b64::std_encode(c)).collect();
        conn.execute(
            "INSERT INTO versions (key, version, created, updated, enabled, nbf, exp, tags, chain, \
             complete, private_key, content_type, exportable, kty, key_ops, preserve_cert_order, \
             leaf_index) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
             ON CONFLICT (key, version) DO UPDATE SET created = ?3, updated = ?4, enabled = ?5, \
             nbf = ?6, exp = ?7, tags = ?8, chain = ?9, complete = ?10, private_key = COALESCE(?11, private_key), \
             content_type = ?12, exportable = ?13, kty = ?14, key_ops = ?15, \
             preserve_cert_order = ?16, leaf_index = ?17",
            params![
                v.key,
                v.version,
                v.created,
                v.updated,
                v.enabled,
                v.nbf,
                v.exp,
                v.tags.as_ref().map(to_json).transpose()?,
                to_json(&chain)?,
                v.is_complete(),
                sealed,
                v.content_type.as_str(),
                v.exportable,
                v.kty,
                to_json(&v.key_ops)?,
                v.preserve_cert_order,
                v.leaf_index as i64,
            ],
        )?;
        Ok(())
    }

    fn read_issuer(&self, row: &Row<'_>) -> StoreResult<IssuerRecord> {
        let key: String = row.get(0)?;
        let mut bundle: IssuerBundle = json(&row.get::<_, String>(2)?)?;
        let sealed: Option<Vec<u8>> = row.get(3)?;
        if let Some(sealed) = sealed {
            let pwd = self.sealer.open(&format!("issuer-pwd:{key}"), &sealed)?;
            let pwd = String::from_utf8(pwd).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            bundle.credentials.get_or_insert_with(Default::default).pwd = Some(pwd);
        }
        Ok(IssuerRecord {
            key,
            name: row.get(1)?,
            bundle,
        })
    }
}

fn migrate(conn: &Connection) -> StoreResult<()> {
    let current: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "database schema version {current} is newer than this vault ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn json<T: serde::de::DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn opt_json<T: serde::de::DeserializeOwned>(text: Option<String>) -> StoreResult<Option<T>> {
    text.map(|t| json(&t)).transpose()
}

fn parse_enum<T: std::str::FromStr>(text: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| StoreError::Corrupt(e.to_string()))
}

fn read_cert(row: &Row<'_>) -> StoreResult<CertRecord> {
    let deleted_date: Option<i64> = row.get(5)?;
    let scheduled: Option<i64> = row.get(6)?;
    Ok(CertRecord {
        key: row.get(0)?,
        name: row.get(1)?,
        policy: json(&row.get::<_, String>(2)?)?,
        policy_created: row.get(3)?,
        policy_updated: row.get(4)?,
        deleted: deleted_date.map(|d| Deletion {
            deleted_date: d,
            scheduled_purge_date: scheduled.unwrap_or(d),
        }),
    })
}

const MARKER_COLS: &str = "key, version, action, state, request_id, created, updated";
const NOTIFICATION_COLS: &str = "id, recipient, kind, cert_key, certificate, version, created, \
     subject, body, status, attempts, last_error, next_attempt_at, sent_at";

fn read_marker(row: &Row<'_>) -> StoreResult<LifetimeMarker> {
    Ok(LifetimeMarker {
        key: row.get(0)?,
        version: row.get(1)?,
        action: parse_enum(&row.get::<_, String>(2)?)?,
        state: parse_enum(&row.get::<_, String>(3)?)?,
        request_id: row.get(4)?,
        created: row.get(5)?,
        updated: row.get(6)?,
    })
}

fn read_notification(row: &Row<'_>) -> StoreResult<NotificationRecord> {
    Ok(NotificationRecord {
        id: row.get(0)?,
        recipient: row.get(1)?,
        kind: parse_enum(&row.get::<_, String>(2)?)?,
        cert_key: row.get(3)?,
        certificate: row.get(4)?,
        version: row.get(5)?,
        created: row.get(6)?,
        subject: row.get(7)?,
        body: row.get(8)?,
        status: parse_enum(&row.get::<_, String>(9)?)?,
        attempts: row.get::<_, i64>(10)?.max(0) as u32,
        last_error: row.get(11)?,
        next_attempt_at: row.get(12)?,
        sent_at: row.get(13)?,
    })
}

fn collect<T>(
    mut rows: rusqlite::Rows<'_>,
    read: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read(row)?);
    }
    Ok(out)
}

fn read_op(row: &Row<'_>) -> StoreResult<OperationRecord> {
    Ok(OperationRecord {
        key: row.get(0)?,
        version: row.get(1)?,
        request_id: row.get(2)?,
        issuer_name: row.get(3)?,
        issuer_cty: row.get(4)?,
        cert_transparency: row.get(5)?,
        csr: row.get(6)?,
        status: parse_enum(&row.get::<_, String>(7)?)?,
        status_details: row.get(8)?,
        error: opt_json(row.get(9)?)?,
        cancellation_requested: row.get(10)?,
        preserve_cert_order: row.get(11)?,
        policy: json(&row.get::<_, String>(12)?)?,
        created: row.get(13)?,
        updated: row.get(14)?,
        next_run_at: row.get(15)?,
        provider: opt_json(row.get(16)?)?,
    })
}

impl Store for SqliteStore {
    fn peek_cert(&self, key: &str) -> Option<Option<std::sync::Arc<CertRecord>>> {
        self.cache.cert(key)
    }

    fn peek_operation(&self, key: &str) -> Option<Option<std::sync::Arc<OperationRecord>>> {
        self.cache.operation(key)
    }

    fn cert(&self, key: &str) -> StoreResult<Option<CertRecord>> {
        let conn = self.conn();
        if let Some(hit) = self.cache.cert(key) {
            return Ok(hit.map(|c| (*c).clone()));
        }
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CERT_COLS} FROM certificates WHERE key = ?1"
        ))?;
        let mut rows = stmt.query([key])?;
        let value = rows.next()?.map(read_cert).transpose()?;
        // Filled while the connection lock is held: no commit can slip in between.
        self.cache.fill_cert(key, value.clone());
        Ok(value)
    }

    fn version(&self, key: &str, version: &str) -> StoreResult<Option<VersionRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {VERSION_COLS} FROM versions WHERE key = ?1 AND version = ?2"
        ))?;
        let mut rows = stmt.query([key, version])?;
        rows.next()?.map(|r| self.read_version(r)).transpose()
    }

    fn private_key(&self, key: &str, version: &str) -> StoreResult<Option<PrivateKey>> {
        let conn = self.conn();
        let sealed: Option<Vec<u8>> = conn
            .query_row(
                "SELECT private_key FROM versions WHERE key = ?1 AND version = ?2",
                [key, version],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        drop(conn);
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let der = zeroize::Zeroizing::new(
            self.sealer
                .open(&Self::key_context(key, version), &sealed)?,
        );
        PrivateKey::from_pkcs8_der(&der)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("stored key: {e}")))
    }

    fn latest_version(&self, key: &str) -> StoreResult<Option<VersionRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {VERSION_COLS} FROM versions WHERE key = ?1 \
             ORDER BY complete DESC, seq DESC LIMIT 1"
        ))?;
        let mut rows = stmt.query([key])?;
        rows.next()?.map(|r| self.read_version(r)).transpose()
    }

    fn versions(&self, key: &str, offset: usize, limit: usize) -> StoreResult<Vec<VersionRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {VERSION_COLS} FROM versions WHERE key = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3"
        ))?;
        let mut rows = stmt.query(params![key, limit as i64, offset as i64])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(self.read_version(row)?);
        }
        Ok(out)
    }

    fn list_certs(
        &self,
        scope: ListScope,
        include_pending: bool,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(CertRecord, VersionRecord)>> {
        let conn = self.conn();
        let cert_cols = CERT_COLS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let version_cols = VERSION_COLS
            .split(", ")
            .map(|c| format!("v.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {version_cols}, {cert_cols} FROM certificates c \
             JOIN versions v ON v.seq = (SELECT seq FROM versions WHERE key = c.key \
                 ORDER BY complete DESC, seq DESC LIMIT 1) \
             WHERE (c.deleted_date IS NOT NULL) = ?1 AND c.key > ?2 AND (?3 OR v.complete = 1) \
             ORDER BY c.key LIMIT ?4"
        ))?;
        let mut rows = stmt.query(params![
            scope == ListScope::Deleted,
            after.unwrap_or(""),
            include_pending,
            limit as i64
        ])?;
        let mut out = Vec::new();
        let offset = VERSION_COLS.split(", ").count();
        while let Some(row) = rows.next()? {
            let version = self.read_version(row)?;
            let deleted_date: Option<i64> = row.get(offset + 5)?;
            let scheduled: Option<i64> = row.get(offset + 6)?;
            let cert = CertRecord {
                key: row.get(offset)?,
                name: row.get(offset + 1)?,
                policy: json(&row.get::<_, String>(offset + 2)?)?,
                policy_created: row.get(offset + 3)?,
                policy_updated: row.get(offset + 4)?,
                deleted: deleted_date.map(|d| Deletion {
                    deleted_date: d,
                    scheduled_purge_date: scheduled.unwrap_or(d),
                }),
            };
            out.push((cert, version));
        }
        Ok(out)
    }

    fn operation(&self, key: &str) -> StoreResult<Option<OperationRecord>> {
        let conn = self.conn();
        if let Some(hit) = self.cache.operation(key) {
            return Ok(hit.map(|o| (*o).clone()));
        }
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {OP_COLS} FROM operations WHERE key = ?1"))?;
        let mut rows = stmt.query([key])?;
        let value = rows.next()?.map(read_op).transpose()?;
        self.cache.fill_operation(key, value.clone());
        Ok(value)
    }

    fn due_operations(&self, now: i64, limit: usize) -> StoreResult<Vec<OperationRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {OP_COLS} FROM operations WHERE status = 'inProgress' AND next_run_at <= ?1 \
             ORDER BY next_run_at LIMIT ?2"
        ))?;
        let mut rows = stmt.query(params![now, limit as i64])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(read_op(row)?);
        }
        Ok(out)
    }

    fn next_due(&self) -> StoreResult<Option<i64>> {
        let conn = self.conn();
        let next: Option<i64> = conn
            .query_row(
                "SELECT MIN(next_run_at) FROM operations WHERE status = 'inProgress'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(next)
    }

    fn issuer(&self, key: &str) -> StoreResult<Option<IssuerRecord>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT key, name, bundle, pwd FROM issuers WHERE key = ?1")?;
        let mut rows = stmt.query([key])?;
        rows.next()?.map(|r| self.read_issuer(r)).transpose()
    }

    fn issuers(&self, after: Option<&str>, limit: usize) -> StoreResult<Vec<IssuerRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT key, name, bundle, pwd FROM issuers WHERE key > ?1 ORDER BY key LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![after.unwrap_or(""), limit as i64])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(self.read_issuer(row)?);
        }
        Ok(out)
    }

    fn contacts(&self) -> StoreResult<Option<Contacts>> {
        let conn = self.conn();
        let body: Option<String> = conn
            .query_row("SELECT body FROM contacts WHERE id = 1", [], |r| r.get(0))
            .optional()?;
        opt_json(body)
    }

    fn clock_offset(&self) -> StoreResult<Option<i64>> {
        let conn = self.conn();
        let value: Option<String> = conn
            .query_row(
                "SELECT value FROM settings WHERE name = 'clock_offset'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        value
            .map(|v| {
                v.parse()
                    .map_err(|_| StoreError::Corrupt(format!("clock offset '{v}'")))
            })
            .transpose()
    }

    fn lifetime_markers(&self, key: &str, version: &str) -> StoreResult<Vec<LifetimeMarker>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {MARKER_COLS} FROM lifetime_markers WHERE key = ?1 AND version = ?2"
        ))?;
        let out = collect(stmt.query([key, version])?, read_marker);
        out
    }

    fn markers_in_state(
        &self,
        state: MarkerState,
        limit: usize,
    ) -> StoreResult<Vec<LifetimeMarker>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {MARKER_COLS} FROM lifetime_markers WHERE state = ?1 ORDER BY created LIMIT ?2"
        ))?;
        let out = collect(
            stmt.query(params![state.as_str(), limit as i64])?,
            read_marker,
        );
        out
    }

    fn notifications(&self, after_id: i64, limit: usize) -> StoreResult<Vec<NotificationRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {NOTIFICATION_COLS} FROM notifications WHERE id > ?1 ORDER BY id LIMIT ?2"
        ))?;
        let out = collect(
            stmt.query(params![after_id, limit as i64])?,
            read_notification,
        );
        out
    }

    fn due_notifications(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<NotificationRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {NOTIFICATION_COLS} FROM notifications WHERE status = 'pending' \
             AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2"
        ))?;
        let out = collect(
            stmt.query(params![now_ms, limit as i64])?,
            read_notification,
        );
        out
    }

    fn next_notification_due(&self) -> StoreResult<Option<i64>> {
        let conn = self.conn();
        let next: Option<i64> = conn
            .query_row(
                "SELECT MIN(next_attempt_at) FROM notifications WHERE status = 'pending'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        Ok(next)
    }

    fn apply(&self, changes: Vec<Change>) -> StoreResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for change in &changes {
            match change {
                Change::PutCert(c) => {
                    tx.execute(
                        "INSERT INTO certificates (key, name, policy, policy_created, \
                         policy_updated, deleted_date, scheduled_purge_date) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (key) DO UPDATE SET \
                         name = ?2, policy = ?3, policy_created = ?4, policy_updated = ?5, \
                         deleted_date = ?6, scheduled_purge_date = ?7",
                        params![
                            c.key,
                            c.name,
                            to_json(&c.policy)?,
                            c.policy_created,
                            c.policy_updated,
                            c.deleted.map(|d| d.deleted_date),
                            c.deleted.map(|d| d.scheduled_purge_date),
                        ],
                    )?;
                }
                Change::PutVersion {
                    version,
                    private_key,
                } => self.write_version(&tx, version, private_key.as_ref())?,
                Change::PutOperation(o) => {
                    tx.execute(
                        &format!(
                            "INSERT OR REPLACE INTO operations ({OP_COLS}) VALUES (?1, ?2, ?3, \
                             ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"
                        ),
                        params![
                            o.key,
                            o.version,
                            o.request_id,
                            o.issuer_name,
                            o.issuer_cty,
                            o.cert_transparency,
                            o.csr,
                            o.status.as_str(),
                            o.status_details,
                            o.error.as_ref().map(to_json).transpose()?,
                            o.cancellation_requested,
                            o.preserve_cert_order,
                            to_json(&o.policy)?,
                            o.created,
                            o.updated,
                            o.next_run_at,
                            o.provider.as_ref().map(to_json).transpose()?,
                        ],
                    )?;
                }
                Change::DeleteOperation { key } => {
                    tx.execute("DELETE FROM operations WHERE key = ?1", [key])?;
                }
                Change::PurgeCert { key } => {
                    tx.execute("DELETE FROM operations WHERE key = ?1", [key])?;
                    tx.execute("DELETE FROM versions WHERE key = ?1", [key])?;
                    tx.execute("DELETE FROM certificates WHERE key = ?1", [key])?;
                    tx.execute("DELETE FROM lifetime_markers WHERE key = ?1", [key])?;
                }
                Change::PutIssuer(i) => {
                    let mut bundle = i.bundle.clone();
                    let pwd = bundle.credentials.as_mut().and_then(|c| c.pwd.take());
                    let sealed = pwd
                        .map(|p| {
                            self.sealer
                                .seal(&format!("issuer-pwd:{}", i.key), p.as_bytes())
                        })
                        .transpose()?;
                    tx.execute(
                        "INSERT OR REPLACE INTO issuers (key, name, bundle, pwd) \
                         VALUES (?1, ?2, ?3, ?4)",
                        params![i.key, i.name, to_json(&bundle)?, sealed],
                    )?;
                }
                Change::DeleteIssuer { key } => {
                    tx.execute("DELETE FROM issuers WHERE key = ?1", [key])?;
                }
                Change::PutContacts(c) => {
                    tx.execute(
                        "INSERT OR REPLACE INTO contacts (id, body) VALUES (1, ?1)",
                        [to_json(c)?],
                    )?;
                }
                Change::DeleteContacts => {
                    tx.execute("DELETE FROM contacts WHERE id = 1", [])?;
                }
                Change::PutLifetimeMarker(m) => {
                    tx.execute(
                        &format!(
                            "INSERT OR REPLACE INTO lifetime_markers ({MARKER_COLS}) \
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                        ),
                        params![
                            m.key,
                            m.version,
                            m.action.as_str(),
                            m.state.as_str(),
                            m.request_id,
                            m.created,
                            m.updated
                        ],
                    )?;
                }
                Change::AddNotification(n) => {
                    tx.execute(
                        "INSERT INTO notifications (recipient, kind, cert_key, certificate, \
                         version, created, subject, body, status, attempts, last_error, \
                         next_attempt_at, sent_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                        params![
                            n.recipient,
                            n.kind.as_str(),
                            n.cert_key,
                            n.certificate,
                            n.version,
                            n.created,
                            n.subject,
                            n.body,
                            n.status.as_str(),
                            n.attempts,
                            n.last_error,
                            n.next_attempt_at,
                            n.sent_at
                        ],
                    )?;
                }
                Change::PutDelivery(d) => {
                    tx.execute(
                        "UPDATE notifications SET status = ?2, attempts = ?3, last_error = ?4, \
                         next_attempt_at = ?5, sent_at = ?6 WHERE id = ?1",
                        params![
                            d.id,
                            d.status.as_str(),
                            d.attempts,
                            d.last_error,
                            d.next_attempt_at,
                            d.sent_at
                        ],
                    )?;
                }
                Change::PutClockOffset(offset) => {
                    tx.execute(
                        "INSERT OR REPLACE INTO settings (name, value) VALUES ('clock_offset', ?1)",
                        [offset.to_string()],
                    )?;
                }
            }
        }
        tx.commit()?;
        // Still under the connection lock: readers see the cache move with the commit.
        self.cache.applied(&changes);
        Ok(())
    }

    fn operation_stats(&self, now_ms: i64) -> StoreResult<(Vec<(String, i64)>, i64)> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT status, COUNT(*) FROM operations GROUP BY status")?;
        let by_status = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let due: i64 = conn.query_row(
            "SELECT COUNT(*) FROM operations WHERE status = 'inProgress' AND next_run_at <= ?1",
            [now_ms],
            |r| r.get(0),
        )?;
        Ok((by_status, due))
    }

    fn seal_blob(&self, context: &str, plain: &[u8]) -> StoreResult<Vec<u8>> {
        self.sealer.seal(context, plain)
    }

    fn open_blob(&self, context: &str, sealed: &[u8]) -> StoreResult<Vec<u8>> {
        self.sealer.open(context, sealed)
    }
}
