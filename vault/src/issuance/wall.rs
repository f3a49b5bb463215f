//! The wall clock and owner ids of leases (`lease`): leases are between processes, so they are
//! timed by the wall clock, never by vault's shiftable clock, and each worker needs an id no
//! other worker has.

use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock unix milliseconds: leases are between processes, so they never follow vault's
/// shiftable clock.
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A fresh owner id: this process and a random part.
pub fn new_owner() -> String {
    format!(
        "{}-{:016x}",
        std::process::id(),
        super::backoff::random_u64()
    )
}
