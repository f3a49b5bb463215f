//! The ACME gateway's tables: accounts, orders, authorizations, issued certificates, EAB keys
//! (their HMAC key sealed) and the chains partner CAs delivered for ACME orders. Each object
//! is one JSON `body` (the `model::acme` record) plus the columns it is looked up by.
//! Upserts keep the rowid, so listings in rowid order are creation order and stable.

use super::codec::{collect, json, to_json};
use crate::model::acme::{
    AccountRecord, AcmeCertRecord, AuthzRecord, EabKeyRecord, Identifier, OrderRecord, OrderStatus,
};
use crate::store::contract::StoreResult;
use crate::store::seal::Sealer;
use rusqlite::{params, Connection, OptionalExtension};

/// Migration 6: the ACME gateway's tables.
pub const MIGRATION: &str = r#"
CREATE TABLE acme_accounts (
    id TEXT PRIMARY KEY,
    thumbprint TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
);
CREATE TABLE acme_orders (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX acme_orders_by_account ON acme_orders (account_id);
CREATE INDEX acme_orders_by_status ON acme_orders (status);
CREATE TABLE acme_authzs (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    reuse_key TEXT NOT NULL,
    status TEXT NOT NULL,
    expires INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX acme_authzs_reuse ON acme_authzs (account_id, reuse_key, status, expires);
CREATE TABLE acme_certs (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    serial TEXT NOT NULL UNIQUE,
    ari_id TEXT NOT NULL,
    revoked INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX acme_certs_by_ari ON acme_certs (ari_id);
CREATE INDEX acme_certs_revoked ON acme_certs (revoked);
CREATE TABLE acme_eab (
    kid TEXT PRIMARY KEY,
    hmac BLOB NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE acme_issued (
    order_id TEXT PRIMARY KEY,
    chain TEXT NOT NULL
);
"#;

/// What an EAB key's sealed HMAC key is bound to.
fn eab_context(kid: &str) -> String {
    format!("acme-eab:{kid}")
}

fn one<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    key: &str,
) -> StoreResult<Option<T>> {
    let body: Option<String> = conn
        .prepare_cached(sql)?
        .query_row([key], |r| r.get(0))
        .optional()?;
    body.map(|b| json(&b)).transpose()
}

pub fn account(conn: &Connection, id: &str) -> StoreResult<Option<AccountRecord>> {
    one(conn, "SELECT body FROM acme_accounts WHERE id = ?1", id)
}

pub fn account_by_thumbprint(
    conn: &Connection,
    thumbprint: &str,
) -> StoreResult<Option<AccountRecord>> {
    one(
        conn,
        "SELECT body FROM acme_accounts WHERE thumbprint = ?1",
        thumbprint,
    )
}

pub fn put_account(conn: &Connection, a: &AccountRecord) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO acme_accounts (id, thumbprint, body) VALUES (?1, ?2, ?3) \
         ON CONFLICT (id) DO UPDATE SET thumbprint = excluded.thumbprint, body = excluded.body",
    )?
    .execute(params![a.id, a.thumbprint, to_json(a)?])?;
    Ok(())
}

pub fn order(conn: &Connection, id: &str) -> StoreResult<Option<OrderRecord>> {
    one(conn, "SELECT body FROM acme_orders WHERE id = ?1", id)
}

/// Orders in creation order after the order `after` (exclusive), of one account or of all.
pub fn orders(
    conn: &Connection,
    account_id: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<OrderRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT body FROM acme_orders \
         WHERE (?1 IS NULL OR account_id = ?1) \
           AND rowid > COALESCE((SELECT rowid FROM acme_orders WHERE id = ?2), 0) \
         ORDER BY rowid LIMIT ?3",
    )?;
    let rows = stmt.query(params![account_id, after, limit as i64])?;
    collect(rows, |r| json(&r.get::<_, String>(0)?))
}

/// Accounts in creation order after account `after` (exclusive).
pub fn accounts(
    conn: &Connection,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<AccountRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT body FROM acme_accounts \
         WHERE rowid > COALESCE((SELECT rowid FROM acme_accounts WHERE id = ?1), 0) \
         ORDER BY rowid LIMIT ?2",
    )?;
    let rows = stmt.query(params![after, limit as i64])?;
    collect(rows, |r| json(&r.get::<_, String>(0)?))
}

/// Orders in `status`, oldest first.
pub fn orders_in_status(
    conn: &Connection,
    status: OrderStatus,
    limit: usize,
) -> StoreResult<Vec<OrderRecord>> {
    let mut stmt = conn
        .prepare_cached("SELECT body FROM acme_orders WHERE status = ?1 ORDER BY rowid LIMIT ?2")?;
    let rows = stmt.query(params![status.as_str(), limit as i64])?;
    collect(rows, |r| json(&r.get::<_, String>(0)?))
}

/// Orders per status (for `/metrics`).
pub fn order_stats(conn: &Connection) -> StoreResult<Vec<(String, i64)>> {
    let mut stmt =
        conn.prepare_cached("SELECT status, COUNT(*) FROM acme_orders GROUP BY status")?;
    let rows = stmt.query([])?;
    collect(rows, |r| Ok((r.get(0)?, r.get(1)?)))
}

pub fn put_order(conn: &Connection, o: &OrderRecord) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO acme_orders (id, account_id, status, body) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body",
    )?
    .execute(params![o.id, o.account_id, o.status.as_str(), to_json(o)?])?;
    Ok(())
}

pub fn authz(conn: &Connection, id: &str) -> StoreResult<Option<AuthzRecord>> {
    one(conn, "SELECT body FROM acme_authzs WHERE id = ?1", id)
}

/// A valid authorization of `account_id` for `identifier` (wildcard or not) that is still
/// unexpired at `now` (unix seconds): the newest, for authorization reuse.
pub fn reusable_authz(
    conn: &Connection,
    account_id: &str,
    identifier: &Identifier,
    wildcard: bool,
    now: i64,
) -> StoreResult<Option<AuthzRecord>> {
    let body: Option<String> = conn
        .prepare_cached(
            "SELECT body FROM acme_authzs \
             WHERE account_id = ?1 AND reuse_key = ?2 AND status = 'valid' AND expires > ?3 \
             ORDER BY expires DESC LIMIT 1",
        )?
        .query_row(
            params![account_id, identifier.reuse_key(wildcard), now],
            |r| r.get(0),
        )
        .optional()?;
    body.map(|b| json(&b)).transpose()
}

pub fn put_authz(conn: &Connection, a: &AuthzRecord) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO acme_authzs (id, account_id, reuse_key, status, expires, body) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, \
         expires = excluded.expires, body = excluded.body",
    )?
    .execute(params![
        a.id,
        a.account_id,
        a.identifier.reuse_key(a.wildcard),
        a.status.as_str(),
        a.expires,
        to_json(a)?
    ])?;
    Ok(())
}

pub fn cert(conn: &Connection, id: &str) -> StoreResult<Option<AcmeCertRecord>> {
    one(conn, "SELECT body FROM acme_certs WHERE id = ?1", id)
}

pub fn cert_by_serial(conn: &Connection, serial_hex: &str) -> StoreResult<Option<AcmeCertRecord>> {
    one(
        conn,
        "SELECT body FROM acme_certs WHERE serial = ?1",
        serial_hex,
    )
}

pub fn cert_by_ari_id(conn: &Connection, ari_id: &str) -> StoreResult<Option<AcmeCertRecord>> {
    one(
        conn,
        "SELECT body FROM acme_certs WHERE ari_id = ?1",
        ari_id,
    )
}

/// Every revoked certificate (for the CRL), in issue order.
pub fn revoked_certs(conn: &Connection) -> StoreResult<Vec<AcmeCertRecord>> {
    let mut stmt =
        conn.prepare_cached("SELECT body FROM acme_certs WHERE revoked = 1 ORDER BY rowid")?;
    let rows = stmt.query([])?;
    collect(rows, |r| json(&r.get::<_, String>(0)?))
}

pub fn put_cert(conn: &Connection, c: &AcmeCertRecord) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO acme_certs (id, order_id, serial, ari_id, revoked, body) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (id) DO UPDATE SET revoked = excluded.revoked, body = excluded.body",
    )?
    .execute(params![
        c.id,
        c.order_id,
        c.serial_hex,
        c.ari_cert_id,
        c.revoked.is_some(),
        to_json(c)?
    ])?;
    Ok(())
}

fn read_eab(
    sealer: &Sealer,
    kid: String,
    sealed: Vec<u8>,
    body: String,
) -> StoreResult<EabKeyRecord> {
    let mut record: EabKeyRecord = json(&body)?;
    record.hmac_key = sealer.open(&eab_context(&kid), &sealed)?;
    Ok(record)
}

pub fn eab(conn: &Connection, sealer: &Sealer, kid: &str) -> StoreResult<Option<EabKeyRecord>> {
    let row: Option<(String, Vec<u8>, String)> = conn
        .prepare_cached("SELECT kid, hmac, body FROM acme_eab WHERE kid = ?1")?
        .query_row([kid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    row.map(|(kid, sealed, body)| read_eab(sealer, kid, sealed, body))
        .transpose()
}

/// Every EAB key, in creation order.
pub fn eabs(conn: &Connection, sealer: &Sealer) -> StoreResult<Vec<EabKeyRecord>> {
    let mut stmt = conn.prepare_cached("SELECT kid, hmac, body FROM acme_eab ORDER BY rowid")?;
    let rows = stmt.query([])?;
    collect(rows, |r| read_eab(sealer, r.get(0)?, r.get(1)?, r.get(2)?))
}

/// Stores an EAB key; the HMAC key goes into its own column, sealed (the body keeps none).
pub fn put_eab(conn: &Connection, sealer: &Sealer, e: &EabKeyRecord) -> StoreResult<()> {
    let sealed = sealer.seal(&eab_context(&e.kid), &e.hmac_key)?;
    let mut body = e.clone();
    body.hmac_key = Vec::new();
    conn.prepare_cached(
        "INSERT INTO acme_eab (kid, hmac, body) VALUES (?1, ?2, ?3) \
         ON CONFLICT (kid) DO UPDATE SET hmac = excluded.hmac, body = excluded.body",
    )?
    .execute(params![e.kid, sealed, to_json(&body)?])?;
    Ok(())
}

/// The chain (DER, as the CA delivered it, checked by the worker) of a partnered ACME order.
pub fn issued(conn: &Connection, order_id: &str) -> StoreResult<Option<Vec<Vec<u8>>>> {
    one(
        conn,
        "SELECT chain FROM acme_issued WHERE order_id = ?1",
        order_id,
    )
}

pub fn put_issued(conn: &Connection, order_id: &str, chain: &[Vec<u8>]) -> StoreResult<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO acme_issued (order_id, chain) VALUES (?1, ?2)")?
        .execute(params![order_id, to_json(&chain)?])?;
    Ok(())
}
