//! The simulated clock: real time scaled by `--time-scale`, plus offsets from
//! `POST /admin/clock`. Everything order-related (due times, validity, timelines) reads it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

/// Simulated time in unix milliseconds.
#[derive(Debug)]
pub struct SimClock {
    start_real: Instant,
    start_sim_ms: i64,
    scale: f64,
    /// Admin advances, in simulated milliseconds.
    offset_ms: AtomicI64,
}

impl SimClock {
    /// Starts at `start_sim_ms` (at least the wall clock) running `scale` times real time.
    pub fn new(start_sim_ms: i64, scale: f64) -> Self {
        Self {
            start_real: Instant::now(),
            start_sim_ms,
            scale,
            offset_ms: AtomicI64::new(0),
        }
    }

    pub fn now_ms(&self) -> i64 {
        let real = self.start_real.elapsed().as_secs_f64() * 1000.0;
        self.start_sim_ms + (real * self.scale) as i64 + self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp_nanos(self.now_ms() as i128 * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Moves simulated time forward; returns the new offset.
    pub fn advance_ms(&self, ms: i64) -> i64 {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed) + ms
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Real time until simulated `due_ms` (zero if past).
    pub fn real_until(&self, due_ms: i64) -> std::time::Duration {
        let sim = (due_ms - self.now_ms()).max(0) as f64;
        std::time::Duration::from_secs_f64(sim / self.scale / 1000.0)
    }
}

/// Wall-clock unix milliseconds.
pub fn wall_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 with milliseconds, UTC (`2026-11-27T07:23:04.000Z`).
pub fn rfc3339(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}
