//! The `certificates` and `versions` tables: name-level records, versions with their chains,
//! and each version's private key (sealed per version before it is written).

use super::codec::{collect, json, opt_json, parse_enum, to_json};
use crate::model::{CertRecord, Deletion, ListScope, VersionRecord};
use crate::store::contract::{StoreError, StoreResult};
use crate::store::seal::Sealer;
use rusqlite::{params, Connection, OptionalExtension, Row};
use shared::b64;
use shared::crypto::PrivateKey;

pub(super) const VERSION_COLS: &str =
    "key, version, seq, created, updated, enabled, nbf, exp, tags, chain, \
     complete, content_type, exportable, kty, key_ops, preserve_cert_order, leaf_index";
pub(super) const CERT_COLS: &str =
    "key, name, policy, policy_created, policy_updated, deleted_date, scheduled_purge_date";

/// The columns of a certificate joined with one of its versions (aliases `v` and `c`), as
/// [`read_joined`] reads them, and how many they are.
pub(super) fn joined_cols() -> (String, usize) {
    let cols: Vec<String> = [("v", VERSION_COLS), ("c", CERT_COLS)]
        .into_iter()
        .flat_map(|(alias, cols)| cols.split(", ").map(move |c| format!("{alias}.{c}")))
        .collect();
    (cols.join(", "), cols.len())
}

/// A row selecting [`joined_cols`] first: the certificate and its version.
pub(super) fn read_joined(row: &Row<'_>) -> StoreResult<(CertRecord, VersionRecord)> {
    let cert = read_cert_at(row, VERSION_COLS.split(", ").count())?;
    Ok((cert, read_version(row)?))
}

/// What a version's sealed key is bound to, so a key cannot be moved to another version.
fn key_context(key: &str, version: &str) -> String {
    format!("version-key:{key}/{version}")
}

pub(super) fn read_version(row: &Row<'_>) -> StoreResult<VersionRecord> {
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

/// A name-level record from the [`CERT_COLS`] starting at column `at`.
pub(super) fn read_cert_at(row: &Row<'_>, at: usize) -> StoreResult<CertRecord> {
    let deleted_date: Option<i64> = row.get(at + 5)?;
    let scheduled: Option<i64> = row.get(at + 6)?;
    Ok(CertRecord {
        key: row.get(at)?,
        name: row.get(at + 1)?,
        policy: json(&row.get::<_, String>(at + 2)?)?,
        policy_created: row.get(at + 3)?,
        policy_updated: row.get(at + 4)?,
        deleted: deleted_date.map(|d| Deletion {
            deleted_date: d,
            scheduled_purge_date: scheduled.unwrap_or(d),
        }),
    })
}

pub fn cert(conn: &Connection, key: &str) -> StoreResult<Option<CertRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CERT_COLS} FROM certificates WHERE key = ?1"
    ))?;
    let mut rows = stmt.query([key])?;
    rows.next()?.map(|r| read_cert_at(r, 0)).transpose()
}

pub fn version(conn: &Connection, key: &str, version: &str) -> StoreResult<Option<VersionRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VERSION_COLS} FROM versions WHERE key = ?1 AND version = ?2"
    ))?;
    let mut rows = stmt.query([key, version])?;
    rows.next()?.map(read_version).transpose()
}

/// The sealed private key of a version, if it has one.
pub fn sealed_key(conn: &Connection, key: &str, version: &str) -> StoreResult<Option<Vec<u8>>> {
    Ok(conn
        .query_row(
            "SELECT private_key FROM versions WHERE key = ?1 AND version = ?2",
            [key, version],
            |r| r.get(0),
        )
        .optional()?
        .flatten())
}

/// Opens a key read by [`sealed_key`] (CPU work: done without the connection lock).
pub fn open_key(
    sealer: &Sealer,
    key: &str,
    version: &str,
    sealed: &[u8],
) -> StoreResult<PrivateKey> {
    let der = zeroize::Zeroizing::new(sealer.open(&key_context(key, version), sealed)?);
    PrivateKey::from_pkcs8_der(&der).map_err(|e| StoreError::Corrupt(format!("stored key: {e}")))
}

pub fn latest_version(conn: &Connection, key: &str) -> StoreResult<Option<VersionRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VERSION_COLS} FROM versions WHERE key = ?1 \
         ORDER BY complete DESC, seq DESC LIMIT 1"
    ))?;
    let mut rows = stmt.query([key])?;
    rows.next()?.map(read_version).transpose()
}

pub fn versions(
    conn: &Connection,
    key: &str,
    offset: usize,
    limit: usize,
) -> StoreResult<Vec<VersionRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {VERSION_COLS} FROM versions WHERE key = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3"
    ))?;
    let out = collect(
        stmt.query(params![key, limit as i64, offset as i64])?,
        read_version,
    );
    out
}

pub fn list_certs(
    conn: &Connection,
    scope: ListScope,
    include_pending: bool,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<(CertRecord, VersionRecord)>> {
    let (cols, _) = joined_cols();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {cols} FROM certificates c \
         JOIN versions v ON v.seq = (SELECT seq FROM versions WHERE key = c.key \
             ORDER BY complete DESC, seq DESC LIMIT 1) \
         WHERE (c.deleted_date IS NOT NULL) = ?1 AND c.key > ?2 AND (?3 OR v.complete = 1) \
         ORDER BY c.key LIMIT ?4"
    ))?;
    let rows = stmt.query(params![
        scope == ListScope::Deleted,
        after.unwrap_or(""),
        include_pending,
        limit as i64
    ])?;
    collect(rows, read_joined)
}

pub fn put_cert(conn: &Connection, c: &CertRecord) -> StoreResult<()> {
    conn.execute(
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
    Ok(())
}

/// Inserts or updates a version; `private_key: None` keeps the stored key, if any.
pub fn put_version(
    conn: &Connection,
    sealer: &Sealer,
    v: &VersionRecord,
    private_key: Option<&PrivateKey>,
) -> StoreResult<()> {
    let sealed = match private_key {
        Some(k) => Some(sealer.seal(&key_context(&v.key, &v.version), k.pkcs8_der())?),
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

/// Removes every trace of a name: operation, versions, policy, deletion marker, markers.
pub fn purge(conn: &Connection, key: &str) -> StoreResult<()> {
    conn.execute("DELETE FROM operations WHERE key = ?1", [key])?;
    conn.execute("DELETE FROM versions WHERE key = ?1", [key])?;
    conn.execute("DELETE FROM certificates WHERE key = ?1", [key])?;
    conn.execute("DELETE FROM lifetime_markers WHERE key = ?1", [key])?;
    Ok(())
}
