//! The `operations` table: the one pending operation per name, the worker's due queue, and the
//! per-status counts `/metrics` reports.

use super::codec::{json, opt_json, parse_enum, to_json};
use crate::model::OperationRecord;
use crate::store::contract::StoreResult;
use rusqlite::{params, Connection, OptionalExtension, Row};

const OP_COLS: &str = "key, version, request_id, issuer_name, issuer_cty, cert_transparency, csr, \
     status, status_details, error, cancellation_requested, preserve_cert_order, policy, created, \
     updated, next_run_at, provider_state";

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

pub fn operation(conn: &Connection, key: &str) -> StoreResult<Option<OperationRecord>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {OP_COLS} FROM operations WHERE key = ?1"))?;
    let mut rows = stmt.query([key])?;
    rows.next()?.map(read_op).transpose()
}

pub fn due_operations(
    conn: &Connection,
    now: i64,
    limit: usize,
) -> StoreResult<Vec<OperationRecord>> {
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

pub fn next_due(conn: &Connection) -> StoreResult<Option<i64>> {
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

pub fn operation_stats(conn: &Connection, now_ms: i64) -> StoreResult<(Vec<(String, i64)>, i64)> {
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

pub fn put_operation(conn: &Connection, o: &OperationRecord) -> StoreResult<()> {
    conn.execute(
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
    Ok(())
}

pub fn delete_operation(conn: &Connection, key: &str) -> StoreResult<()> {
    conn.execute("DELETE FROM operations WHERE key = ?1", [key])?;
    Ok(())
}
