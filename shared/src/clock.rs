//! The one notion of "now". Everything that reads time (timestamps, validity, expiry) goes
//! through a [`Clock`] so tests and scenarios can shift it.

use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;

    /// Unix seconds, the form every Key Vault timestamp takes on the wire.
    fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// Unix milliseconds, for scheduling finer than a second.
    fn unix_ms(&self) -> i64 {
        (self.now().unix_timestamp_nanos() / 1_000_000) as i64
    }
}

/// The system clock plus an adjustable offset in seconds (0 by default).
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_secs: AtomicI64,
}

impl OffsetClock {
    pub fn new(offset_secs: i64) -> Self {
        Self {
            offset_secs: AtomicI64::new(offset_secs),
        }
    }

    pub fn offset_secs(&self) -> i64 {
        self.offset_secs.load(Ordering::Relaxed)
    }

    pub fn advance(&self, secs: i64) -> i64 {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed) + secs
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + time::Duration::seconds(self.offset_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_moves_now() {
        let clock = OffsetClock::default();
        let before = clock.unix();
        assert_eq!(clock.advance(3600), 3600);
        assert!(clock.unix() >= before + 3600);
    }
}
