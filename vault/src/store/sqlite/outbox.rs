//! The `lifetime_markers` and `notifications` tables: one marker per fired lifetime action and
//! the notification outbox with each row's delivery state.

use super::codec::{collect, parse_enum};
use crate::model::{Delivery, LifetimeMarker, MarkerState, NotificationRecord};
use crate::store::contract::StoreResult;
use rusqlite::{params, Connection, OptionalExtension, Row};

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

pub fn lifetime_markers(
    conn: &Connection,
    key: &str,
    version: &str,
) -> StoreResult<Vec<LifetimeMarker>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MARKER_COLS} FROM lifetime_markers WHERE key = ?1 AND version = ?2"
    ))?;
    let out = collect(stmt.query([key, version])?, read_marker);
    out
}

pub fn markers_in_state(
    conn: &Connection,
    state: MarkerState,
    limit: usize,
) -> StoreResult<Vec<LifetimeMarker>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MARKER_COLS} FROM lifetime_markers WHERE state = ?1 ORDER BY created LIMIT ?2"
    ))?;
    let out = collect(
        stmt.query(params![state.as_str(), limit as i64])?,
        read_marker,
    );
    out
}

pub fn notifications(
    conn: &Connection,
    after_id: i64,
    limit: usize,
) -> StoreResult<Vec<NotificationRecord>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {NOTIFICATION_COLS} FROM notifications WHERE id > ?1 ORDER BY id LIMIT ?2"
    ))?;
    let out = collect(
        stmt.query(params![after_id, limit as i64])?,
        read_notification,
    );
    out
}

pub fn due_notifications(
    conn: &Connection,
    now_ms: i64,
    limit: usize,
) -> StoreResult<Vec<NotificationRecord>> {
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

pub fn next_notification_due(conn: &Connection) -> StoreResult<Option<i64>> {
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

pub fn put_marker(conn: &Connection, m: &LifetimeMarker) -> StoreResult<()> {
    conn.execute(
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
    Ok(())
}

/// Appends an outbox row; its `id` is assigned here.
pub fn add_notification(conn: &Connection, n: &NotificationRecord) -> StoreResult<()> {
    conn.execute(
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
    Ok(())
}

pub fn put_delivery(conn: &Connection, d: &Delivery) -> StoreResult<()> {
    conn.execute(
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
    Ok(())
}
