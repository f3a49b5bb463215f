//! Vault-wide rows: issuers (their password sealed), the certificate contacts, and settings
//! such as the controllable clock's offset.

use super::codec::{json, opt_json, to_json};
use crate::model::IssuerRecord;
use crate::store::contract::{StoreError, StoreResult};
use crate::store::seal::Sealer;
use rusqlite::{params, Connection, OptionalExtension, Row};
use shared::models::{Contacts, IssuerBundle};

/// What an issuer's sealed password is bound to.
fn pwd_context(key: &str) -> String {
    format!("issuer-pwd:{key}")
}

fn read_issuer(sealer: &Sealer, row: &Row<'_>) -> StoreResult<IssuerRecord> {
    let key: String = row.get(0)?;
    let mut bundle: IssuerBundle = json(&row.get::<_, String>(2)?)?;
    let sealed: Option<Vec<u8>> = row.get(3)?;
    if let Some(sealed) = sealed {
        let pwd = sealer.open(&pwd_context(&key), &sealed)?;
        let pwd = String::from_utf8(pwd).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        bundle.credentials.get_or_insert_with(Default::default).pwd = Some(pwd);
    }
    Ok(IssuerRecord {
        key,
        name: row.get(1)?,
        bundle,
    })
}

pub fn issuer(conn: &Connection, sealer: &Sealer, key: &str) -> StoreResult<Option<IssuerRecord>> {
    let mut stmt =
        conn.prepare_cached("SELECT key, name, bundle, pwd FROM issuers WHERE key = ?1")?;
    let mut rows = stmt.query([key])?;
    rows.next()?.map(|r| read_issuer(sealer, r)).transpose()
}

pub fn issuers(
    conn: &Connection,
    sealer: &Sealer,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<IssuerRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, name, bundle, pwd FROM issuers WHERE key > ?1 ORDER BY key LIMIT ?2",
    )?;
    let mut rows = stmt.query(params![after.unwrap_or(""), limit as i64])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read_issuer(sealer, row)?);
    }
    Ok(out)
}

/// Stores an issuer; its password goes into its own column, sealed.
pub fn put_issuer(conn: &Connection, sealer: &Sealer, i: &IssuerRecord) -> StoreResult<()> {
    let mut bundle = i.bundle.clone();
    let pwd = bundle.credentials.as_mut().and_then(|c| c.pwd.take());
    let sealed = pwd
        .map(|p| sealer.seal(&pwd_context(&i.key), p.as_bytes()))
        .transpose()?;
    conn.execute(
        "INSERT OR REPLACE INTO issuers (key, name, bundle, pwd) \
         VALUES (?1, ?2, ?3, ?4)",
        params![i.key, i.name, to_json(&bundle)?, sealed],
    )?;
    Ok(())
}

pub fn delete_issuer(conn: &Connection, key: &str) -> StoreResult<()> {
    conn.execute("DELETE FROM issuers WHERE key = ?1", [key])?;
    Ok(())
}

pub fn contacts(conn: &Connection) -> StoreResult<Option<Contacts>> {
    let body: Option<String> = conn
        .query_row("SELECT body FROM contacts WHERE id = 1", [], |r| r.get(0))
        .optional()?;
    opt_json(body)
}

pub fn put_contacts(conn: &Connection, c: &Contacts) -> StoreResult<()> {
    conn.execute(
        "INSERT OR REPLACE INTO contacts (id, body) VALUES (1, ?1)",
        [to_json(c)?],
    )?;
    Ok(())
}

pub fn delete_contacts(conn: &Connection) -> StoreResult<()> {
    conn.execute("DELETE FROM contacts WHERE id = 1", [])?;
    Ok(())
}

pub fn clock_offset(conn: &Connection) -> StoreResult<Option<i64>> {
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

pub fn put_clock_offset(conn: &Connection, offset: i64) -> StoreResult<()> {
    conn.execute(
        "INSERT OR REPLACE INTO settings (name, value) VALUES ('clock_offset', ?1)",
        [offset.to_string()],
    )?;
    Ok(())
}
