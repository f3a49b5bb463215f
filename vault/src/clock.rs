//! The controllable clock (design §4): one [`OffsetClock`] that every part of vault reads
//! (timestamps, validity, expiry, lifetime triggers, operation scheduling), whose offset the
//! admin API moves (`/_admin/clock`) and the store keeps, so a restart resumes at the same
//! shifted "now".

use crate::error::{Error, Result};
use crate::store::{Change, Db};
use shared::clock::{Clock, OffsetClock};
use std::sync::Arc;
use tokio::sync::Mutex;
use tracing::info;

/// The clock and the means to move it durably.
pub struct ClockControl {
    clock: Arc<OffsetClock>,
    db: Db,
    /// Serialises offset changes so the persisted value is always the last one applied.
    writes: Mutex<()>,
}

impl ClockControl {
    /// Restores the persisted offset, or applies (and persists) `configured` when given
    /// (`--clock-offset`), which wins over what was stored.
    pub async fn restore(db: Db, configured: Option<i64>) -> Result<Self> {
        let stored = db.run(|s| s.clock_offset()).await?;
        let offset = configured.or(stored).unwrap_or(0);
        let control = Self {
            clock: Arc::new(OffsetClock::new(offset)),
            db,
            writes: Mutex::new(()),
        };
        if configured.is_some() && configured != stored {
            control.persist(offset).await?;
        }
        Ok(control)
    }

    /// The clock to hand to every component.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn offset(&self) -> i64 {
        self.clock.offset_secs()
    }

    pub fn now(&self) -> i64 {
        self.clock.unix()
    }

    /// Moves "now" by `secs` (negative goes back) and persists the new offset.
    pub async fn advance(&self, secs: i64) -> Result<i64> {
        let _w = self.writes.lock().await;
        let current = self.clock.offset_secs();
        let target = current
            .checked_add(secs)
            .filter(|t| t.unsigned_abs() <= MAX_OFFSET_SECS)
            .ok_or_else(|| Error::bad(too_far(secs)))?;
        self.persist(target).await?;
        self.clock.advance(target - current);
        info!(
            clock.offset_s = target,
            clock.advanced_s = secs,
            "clock moved"
        );
        Ok(target)
    }

    /// Sets the offset to `offset` seconds and persists it.
    pub async fn set(&self, offset: i64) -> Result<i64> {
        if offset.unsigned_abs() > MAX_OFFSET_SECS {
            return Err(Error::bad(too_far(offset)));
        }
        let current = self.clock.offset_secs();
        self.advance(offset - current).await
    }

    async fn persist(&self, offset: i64) -> Result<()> {
        self.db
            .run(move |s| s.apply(vec![Change::PutClockOffset(offset)]))
            .await?;
        Ok(())
    }
}

/// About 200 years: far enough for any certificate, near enough to keep dates representable.
const MAX_OFFSET_SECS: u64 = 200 * 366 * 86_400;

fn too_far(secs: i64) -> String {
    format!(
        "A clock offset of {secs} seconds is out of range; the offset must stay within \
         ±{MAX_OFFSET_SECS} seconds (about 200 years)."
    )
}
