//! The dashboard's timeline events (`model::TimelineEvent`): the table, its insert (which
//! keeps only the newest [`KEEP_PER_CERTIFICATE`] events of the certificate) and its reads, on
//! the `(vault, certificate, seq)` index.

use super::codec::{json, to_json};
use crate::model::{EventKind, TimelineEvent};
use crate::store::contract::{StoreError, StoreResult};
use rusqlite::{params, Connection, Row};

/// Events kept per certificate; older ones are removed as new ones arrive.
pub const KEEP_PER_CERTIFICATE: i64 = 200;

/// Schema migration 7 (issue 17).
pub const MIGRATION: &str = r#"
CREATE TABLE timeline (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    vault TEXT NOT NULL,
    certificate TEXT NOT NULL,
    operation TEXT,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX timeline_by_certificate ON timeline (vault, certificate, seq);
"#;

const COLS: &str = "seq, at, vault, certificate, operation, kind, detail";

fn read(row: &Row<'_>) -> StoreResult<TimelineEvent> {
    let kind: String = row.get(5)?;
    Ok(TimelineEvent {
        seq: row.get(0)?,
        at_ms: row.get(1)?,
        vault: row.get(2)?,
        certificate: row.get(3)?,
        operation: row.get(4)?,
        kind: EventKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown timeline kind '{kind}'")))?,
        detail: json(&row.get::<_, String>(6)?)?,
    })
}

/// Inserts `e` (an event already stored is left as it is) and drops the certificate's events
/// beyond the newest [`KEEP_PER_CERTIFICATE`].
pub fn put(conn: &Connection, e: &TimelineEvent) -> StoreResult<()> {
    conn.prepare_cached(&format!(
        "INSERT OR IGNORE INTO timeline ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))?
    .execute(params![
        e.seq,
        e.at_ms,
        e.vault,
        e.certificate,
        e.operation,
        e.kind.as_str(),
        to_json(&e.detail)?,
    ])?;
    // With fewer events than kept the inner query is NULL and nothing matches.
    conn.prepare_cached(
        "DELETE FROM timeline WHERE vault = ?1 AND certificate = ?2 AND seq < \
         (SELECT seq FROM timeline WHERE vault = ?1 AND certificate = ?2 \
          ORDER BY seq DESC LIMIT 1 OFFSET ?3)",
    )?
    .execute(params![e.vault, e.certificate, KEEP_PER_CERTIFICATE - 1])?;
    Ok(())
}

/// The highest `seq` stored (0 when none).
pub fn max_seq(conn: &Connection) -> StoreResult<i64> {
    Ok(
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM timeline", [], |r| {
            r.get(0)
        })?,
    )
}

/// Events after `after`, oldest first: of one certificate (the oldest `limit` of them), or
/// of the whole vault (`certificate: None`: the newest `limit` of them).
pub fn events(
    conn: &Connection,
    vault: &str,
    certificate: Option<&str>,
    after: i64,
    limit: usize,
) -> StoreResult<Vec<TimelineEvent>> {
    let mut out = Vec::new();
    match certificate {
        Some(certificate) => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLS} FROM timeline WHERE vault = ?1 AND certificate = ?2 AND seq > ?3 \
                 ORDER BY seq LIMIT ?4"
            ))?;
            let mut rows = stmt.query(params![vault, certificate, after, limit as i64])?;
            while let Some(row) = rows.next()? {
                out.push(read(row)?);
            }
        }
        None => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLS} FROM timeline WHERE seq > ?1 AND vault = ?2 \
                 ORDER BY seq DESC LIMIT ?3"
            ))?;
            let mut rows = stmt.query(params![after, vault, limit as i64])?;
            while let Some(row) = rows.next()? {
                out.push(read(row)?);
            }
            out.reverse();
        }
    }
    Ok(out)
}
