//! The dashboard's certificate list (`/_admin/certificates`): active names in key order after
//! a cursor, each with its latest version and its operation's status, filtered by a substring
//! of the name or of a tag and by status, and the total that matches. One query per page: the
//! primary key drives the paging, `versions_by_key` finds each latest version, the operations
//! primary key its status (no query per row).

use super::certs::{joined_cols, read_joined};
use super::codec::parse_enum;
use crate::store::contract::{CertFilter, DashboardRow, StoreResult};
use rusqlite::{params, Connection};

/// The latest version of `c.key`: completed ones first, then the newest.
const LATEST: &str = "JOIN versions v ON v.seq = (SELECT seq FROM versions WHERE key = c.key \
     ORDER BY complete DESC, seq DESC LIMIT 1)";
const FILTERS: &str = "c.deleted_date IS NULL \
     AND (?1 IS NULL OR c.key LIKE ?1 ESCAPE '\\' OR v.tags LIKE ?1 ESCAPE '\\') \
     AND (?2 IS NULL OR COALESCE(o.status, 'completed') = ?2)";

/// A `LIKE` pattern matching `text` anywhere, its wildcards escaped.
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for ch in text.to_lowercase().chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

/// One page (up to `limit` rows after key `after`) and the number of names that match.
pub fn certificates(
    conn: &Connection,
    filter: &CertFilter,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<(Vec<DashboardRow>, i64)> {
    let pattern = filter
        .q
        .as_deref()
        .filter(|q| !q.is_empty())
        .map(contains_pattern);
    let status = filter.status.as_deref();
    let (cols, width) = joined_cols();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {cols}, o.status FROM certificates c {LATEST} \
         LEFT JOIN operations o ON o.key = c.key \
         WHERE {FILTERS} AND c.key > ?3 ORDER BY c.key LIMIT ?4"
    ))?;
    let mut rows = stmt.query(params![pattern, status, after.unwrap_or(""), limit as i64])?;
    let mut page = Vec::new();
    while let Some(row) = rows.next()? {
        let (cert, version) = read_joined(row)?;
        let op_status = row
            .get::<_, Option<String>>(width)?
            .map(|s| parse_enum(&s))
            .transpose()?;
        page.push((cert, version, op_status));
    }
    // The count needs the versions only to search tags.
    let total: i64 = match (&pattern, status) {
        (None, None) => conn
            .prepare_cached("SELECT COUNT(*) FROM certificates WHERE deleted_date IS NULL")?
            .query_row([], |r| r.get(0))?,
        (None, Some(_)) => conn
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM certificates c \
                 LEFT JOIN operations o ON o.key = c.key, (SELECT NULL AS tags) v \
                 WHERE {FILTERS}"
            ))?
            .query_row(params![pattern, status], |r| r.get(0))?,
        _ => conn
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM certificates c {LATEST} \
                 LEFT JOIN operations o ON o.key = c.key WHERE {FILTERS}"
            ))?
            .query_row(params![pattern, status], |r| r.get(0))?,
    };
    Ok((page, total))
}
