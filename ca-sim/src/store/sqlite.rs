//! The SQLite store. Orders and accounts are JSON documents keyed by id; certificates are rows
//! so CRLs and `/admin/cert-status` can query revocations directly.

use crate::domain::{Account, Dialect, Order};
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use std::path::Path;
use std::sync::Mutex;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    dialect TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (dialect, id));
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, dialect TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS certs (
    serial TEXT PRIMARY KEY, dialect TEXT NOT NULL, ca_id TEXT NOT NULL, order_id TEXT NOT NULL,
    not_after INTEGER NOT NULL, revoked_at INTEGER, reason TEXT);
CREATE TABLE IF NOT EXISTS acme_objects (
    kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (kind, id));
";

/// A certificate row.
#[derive(Debug, Clone)]
pub struct CertRow {
    pub serial: String,
    pub dialect: String,
    pub ca_id: String,
    pub order_id: String,
    pub not_after: i64,
    pub revoked_at: Option<i64>,
    pub reason: Option<String>,
}

pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens `{dir}/ca-sim.db`, or an in-memory database when `dir` is `None`.
    pub fn open(dir: Option<&Path>) -> Result<Self> {
        let conn = match dir {
            Some(dir) => {
                let c = Connection::open(dir.join("ca-sim.db"))?;
                c.pragma_update(None, "journal_mode", "WAL")?;
                c.pragma_update(None, "synchronous", "NORMAL")?;
                c
            }
            None => Connection::open_in_memory()?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes an ACME object (`kind`: `account`, `order`, `authz`) as its JSON document.
    pub fn put_acme(&self, kind: &str, id: &str, data: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO acme_objects (kind, id, data) VALUES (?1, ?2, ?3)
             ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
            params![kind, id, data],
        )?;
        Ok(())
    }

    /// Every ACME object of `kind`, as `(id, JSON)`.
    pub fn acme_objects(&self, kind: &str) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id, data FROM acme_objects WHERE kind = ?1")?;
        let rows = stmt.query_map(params![kind], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
    }

    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Increments and returns a named counter (starts at 1).
    pub fn next_counter(&self, key: &str) -> Result<u64> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, '1')
             ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
            [key],
        )?;
        let v: String =
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))?;
        Ok(v.parse().unwrap_or(1))
    }

    pub fn put_account(&self, a: &Account) -> Result<()> {
        self.conn().execute(
            "INSERT INTO accounts (dialect, id, data) VALUES (?1, ?2, ?3)
             ON CONFLICT(dialect, id) DO UPDATE SET data = excluded.data",
            params![a.dialect.as_str(), a.id, serde_json::to_string(a)?],
        )?;
        Ok(())
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.json_rows("SELECT data FROM accounts ORDER BY dialect, id")
    }

    /// The JSON `data` column of every row `sql` selects, read back into records.
    fn json_rows<T: DeserializeOwned>(&self, sql: &str) -> Result<Vec<T>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row?)?);
        }
        Ok(out)
    }

    pub fn put_order(&self, o: &Order) -> Result<()> {
        self.conn().execute(
            "INSERT INTO orders (id, dialect, seq, data) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET data = excluded.data",
            params![
                o.id,
                o.dialect.as_str(),
                o.seq as i64,
                serde_json::to_string(o)?
            ],
        )?;
        Ok(())
    }

    pub fn orders(&self) -> Result<Vec<Order>> {
        self.json_rows("SELECT data FROM orders ORDER BY seq")
    }

    pub fn put_cert(&self, c: &CertRow) -> Result<()> {
        self.conn().execute(
            "INSERT INTO certs (serial, dialect, ca_id, order_id, not_after, revoked_at, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(serial) DO UPDATE SET revoked_at = excluded.revoked_at,
                reason = excluded.reason",
            params![
                c.serial,
                c.dialect,
                c.ca_id,
                c.order_id,
                c.not_after,
                c.revoked_at,
                c.reason
            ],
        )?;
        Ok(())
    }

    fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CertRow> {
        Ok(CertRow {
            serial: r.get(0)?,
            dialect: r.get(1)?,
            ca_id: r.get(2)?,
            order_id: r.get(3)?,
            not_after: r.get(4)?,
            revoked_at: r.get(5)?,
            reason: r.get(6)?,
        })
    }

    pub fn cert(&self, serial: &str) -> Result<Option<CertRow>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT serial, dialect, ca_id, order_id, not_after, revoked_at, reason
                 FROM certs WHERE serial = ?1",
                [serial.to_ascii_uppercase()],
                Self::row,
            )
            .optional()?)
    }

    pub fn revoked(&self, dialect: Dialect, ca_id: &str) -> Result<Vec<CertRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT serial, dialect, ca_id, order_id, not_after, revoked_at, reason
             FROM certs WHERE dialect = ?1 AND ca_id = ?2 AND revoked_at IS NOT NULL
             ORDER BY serial",
        )?;
        let rows = stmt.query_map(params![dialect.as_str(), ca_id], Self::row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
