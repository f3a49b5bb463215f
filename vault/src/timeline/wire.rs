//! Timeline events and logged requests as the dashboard contract's JSON (`EVENT`, `REQUEST`),
//! times as RFC 3339 on vault's clock.

use super::requests::RequestEntry;
use crate::model::TimelineEvent;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

/// Unix milliseconds as RFC 3339 (UTC, with milliseconds).
pub fn rfc3339_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// `EVENT`: `{seq, at, vault, certificate, operation, kind, detail}`.
pub fn event(e: &TimelineEvent) -> Value {
    json!({
        "seq": e.seq,
        "at": rfc3339_ms(e.at_ms),
        "vault": e.vault,
        "certificate": e.certificate,
        "operation": e.operation,
        "kind": e.kind.as_str(),
        "detail": e.detail,
    })
}

/// `REQUEST`: `{at, method, path, status, latency_ms, vault}`; `vault` is what the caller
/// resolved from the entry's host.
pub fn request(r: &RequestEntry, vault: Option<&str>) -> Value {
    json!({
        "at": rfc3339_ms(r.at_ms),
        "method": r.method.as_str(),
        "path": r.uri.path(),
        "status": r.status,
        "latency_ms": r.latency_ms,
        "vault": vault,
    })
}
