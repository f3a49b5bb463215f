//! The schema: numbered migrations tracked with `PRAGMA user_version`, applied at open.

use crate::store::contract::{StoreError, StoreResult};
use rusqlite::Connection;

/// The database file in the data dir.
pub const DB_FILE: &str = "vault.db";

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
    // 5: leases (issuance::lease): which worker holds an operation and until when (wall-clock
    // unix ms), so several workers on one store never work the same row; the worker's fenced
    // writes find a row by its request id (it keeps it when the row moves to an orphan key).
    // Existing rows start unleased.
    r#"
ALTER TABLE operations ADD COLUMN lease_owner TEXT;
ALTER TABLE operations ADD COLUMN lease_until INTEGER;
CREATE INDEX operations_by_request ON operations (request_id);
"#,
    // 6: the ACME gateway's objects (issue 15).
    super::acme::MIGRATION,
    // 7: the dashboard's timeline events (issue 17).
    super::timeline::MIGRATION,
];

/// Brings the schema up to date, one transaction per migration; refuses a newer schema.
pub fn migrate(conn: &Connection) -> StoreResult<()> {
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
