//! The `operations` table: the one pending operation per name (plus orphaned ones under
//! [`orphan_key`]s), the worker's lease protocol on it, and the per-status counts `/metrics`
//! reports.
//!
//! The lease protocol is plain SQL, so it holds as is for several vault instances on one
//! shared database: a worker claims a due row with a conditional `UPDATE` (only if nobody
//! holds an unexpired lease), renews with another (only while it is still the owner), and
//! every write of its progress is fenced by "still the owner" inside the same transaction
//! (`SqliteStore::update_leased`). Lease times are wall-clock unix milliseconds, never vault's
//! shiftable clock. Client writes (`put_operation`) never touch the lease columns of a row
//! whose request id they keep.

use super::codec::{collect, json, opt_json, parse_enum, to_json};
use crate::model::{orphan_key, OperationRecord};
use crate::store::contract::{LeaseTerms, StoreResult, Wake};
use rusqlite::{params, Connection, OptionalExtension, Row};

const OP_COLS: &str = "key, version, request_id, issuer_name, issuer_cty, cert_transparency, csr, \
     status, status_details, error, cancellation_requested, preserve_cert_order, policy, created, \
     updated, next_run_at, provider_state";

/// Due and not leased by anyone (an expired lease counts as none).
const CLAIMABLE: &str = "status = 'inProgress' AND next_run_at <= ?1 \
     AND (lease_until IS NULL OR lease_until <= ?2)";

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

/// The in-progress row with `request_id` and who holds its lease (fresh from SQL, for the
/// fenced write).
pub fn leased_operation(
    conn: &Connection,
    request_id: &str,
) -> StoreResult<Option<(OperationRecord, Option<String>)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {OP_COLS}, lease_owner FROM operations \
         WHERE request_id = ?1 AND status = 'inProgress'"
    ))?;
    let mut rows = stmt.query([request_id])?;
    match rows.next()? {
        Some(row) => Ok(Some((read_op(row)?, row.get(17)?))),
        None => Ok(None),
    }
}

/// Claims up to `limit` due rows nobody holds, oldest due first, for `lease.owner` until
/// `lease.until_ms`; returns the rows claimed. `now_ms` is vault's clock (due times), the
/// lease times are the wall clock. Runs inside the caller's transaction: each row is taken by
/// a conditional UPDATE, so a row another worker took in between is skipped.
pub fn claim_due(
    conn: &Connection,
    now_ms: i64,
    lease: &LeaseTerms,
    limit: usize,
) -> StoreResult<Vec<OperationRecord>> {
    let mut select = conn.prepare_cached(&format!(
        "SELECT {OP_COLS} FROM operations WHERE {CLAIMABLE} ORDER BY next_run_at LIMIT ?3"
    ))?;
    let due = collect(
        select.query(params![now_ms, lease.now_ms, limit as i64])?,
        read_op,
    )?;
    let mut claim = conn.prepare_cached(
        "UPDATE operations SET lease_owner = ?1, lease_until = ?2 \
         WHERE request_id = ?3 AND status = 'inProgress' \
         AND (lease_until IS NULL OR lease_until <= ?4)",
    )?;
    let mut claimed = Vec::with_capacity(due.len());
    for op in due {
        if claim.execute(params![
            lease.owner,
            lease.until_ms,
            op.request_id,
            lease.now_ms
        ])? == 1
        {
            claimed.push(op);
        }
    }
    Ok(claimed)
}

/// Extends `owner`'s lease on the in-progress row with `request_id`; false when the lease was
/// lost (taken over, or the row ended or is gone).
pub fn renew_lease(
    conn: &Connection,
    request_id: &str,
    owner: &str,
    until_ms: i64,
) -> StoreResult<bool> {
    let n = conn.execute(
        "UPDATE operations SET lease_until = ?1 \
         WHERE request_id = ?2 AND lease_owner = ?3 AND status = 'inProgress'",
        params![until_ms, request_id, owner],
    )?;
    Ok(n == 1)
}

/// Gives `owner`'s lease on the row with `request_id` back (nothing if another holds it).
pub fn release_lease(conn: &Connection, request_id: &str, owner: &str) -> StoreResult<()> {
    conn.execute(
        "UPDATE operations SET lease_owner = NULL, lease_until = NULL \
         WHERE request_id = ?1 AND lease_owner = ?2",
        params![request_id, owner],
    )?;
    Ok(())
}

/// Forgets every lease. Only for a process that knows it is the store's only user (vault
/// holds the data dir's lock): the owners of leases found at start are dead.
pub fn clear_leases(conn: &Connection) -> StoreResult<usize> {
    Ok(conn.execute(
        "UPDATE operations SET lease_owner = NULL, lease_until = NULL \
         WHERE lease_owner IS NOT NULL",
        [],
    )?)
}

/// When the worker has something to do next: the earliest due time of a row nobody holds
/// (vault clock), and the earliest expiry of a lease held by someone (wall clock), after which
/// that row can be taken over.
pub fn next_wake(conn: &Connection, wall_now_ms: i64) -> StoreResult<Wake> {
    let next_due_ms: Option<i64> = conn
        .query_row(
            "SELECT MIN(next_run_at) FROM operations WHERE status = 'inProgress' \
             AND (lease_until IS NULL OR lease_until <= ?1)",
            [wall_now_ms],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let lease_expiry_ms: Option<i64> = conn
        .query_row(
            "SELECT MIN(lease_until) FROM operations WHERE status = 'inProgress' \
             AND lease_until > ?1",
            [wall_now_ms],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    Ok(Wake {
        next_due_ms,
        lease_expiry_ms,
    })
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

/// Inserts or replaces the row of `o.key`. The lease columns stay when the row keeps its
/// request id (a client's cancel must not drop the worker's lease) and are cleared when a new
/// operation replaces an old one.
pub fn put_operation(conn: &Connection, o: &OperationRecord) -> StoreResult<()> {
    conn.execute(
        &format!(
            "INSERT INTO operations ({OP_COLS}) VALUES (?1, ?2, ?3, \
             ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
             ON CONFLICT (key) DO UPDATE SET \
             lease_owner = CASE WHEN request_id = excluded.request_id THEN lease_owner END, \
             lease_until = CASE WHEN request_id = excluded.request_id THEN lease_until END, \
             version = excluded.version, request_id = excluded.request_id, \
             issuer_name = excluded.issuer_name, issuer_cty = excluded.issuer_cty, \
             cert_transparency = excluded.cert_transparency, csr = excluded.csr, \
             status = excluded.status, status_details = excluded.status_details, \
             error = excluded.error, cancellation_requested = excluded.cancellation_requested, \
             preserve_cert_order = excluded.preserve_cert_order, policy = excluded.policy, \
             created = excluded.created, updated = excluded.updated, \
             next_run_at = excluded.next_run_at, provider_state = excluded.provider_state"
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

/// Moves the in-progress operation of `key` to its orphan key as a durable cancel intent (see
/// `Change::DetachOperation`), keeping its lease, so a worker in the middle of a step finds
/// it by request id and a new operation can take the name. Anything else of `key` (an ended
/// operation) is deleted.
pub fn detach_operation(
    conn: &Connection,
    key: &str,
    now_ms: i64,
    details: &str,
) -> StoreResult<()> {
    let request_id: Option<String> = conn
        .query_row(
            "SELECT request_id FROM operations WHERE key = ?1 AND status = 'inProgress'",
            [key],
            |r| r.get(0),
        )
        .optional()?;
    match request_id {
        Some(request_id) => {
            conn.execute(
                "UPDATE operations SET key = ?1, cancellation_requested = 1, \
                 next_run_at = MIN(next_run_at, ?2), status_details = ?3 WHERE key = ?4",
                params![orphan_key(&request_id), now_ms, details, key],
            )?;
        }
        None => delete_operation(conn, key)?,
    }
    Ok(())
}
