//! The scheduler loop: when to look (the next trigger, the scan interval, a wake from the
//! clock or a finished operation) and what one pass does. The clock and the outbox the admin
//! API reaches are exposed here too.

use crate::certs::Service;
use crate::clock::ClockControl;
use crate::error::Result;
use crate::issuance::Issuance;
use crate::model::{LifetimeMarker, MarkerState};
use crate::notify::Notifier;
use crate::store::Db;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// How soon to look again at running renewals if no completion woke the scheduler first.
const RENEWAL_RECHECK: Duration = Duration::from_secs(5);

/// Tunables of the scheduler.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Longest time between two full scans of the certificates (new certificates and policy
    /// changes are noticed by then; clock moves and imports are noticed at once).
    pub scan_interval: Duration,
}

/// The lifetime-action scheduler, plus the clock and outbox it exposes to the admin API.
pub struct Lifetime {
    pub(super) db: Db,
    pub(super) clock: Arc<ClockControl>,
    /// Renewals start through the certificate service's normal create path.
    pub(super) service: Service,
    /// The name locks, and the wakes of the worker and of this scheduler.
    pub(super) issuance: Arc<Issuance>,
    pub(super) notifier: Arc<Notifier>,
    settings: Settings,
    /// Set when the clock moved: the next pass scans every certificate.
    rescan: AtomicBool,
}

/// The summary of one pass.
#[derive(Debug, Default)]
struct Pass {
    /// The earliest trigger still in the future (unix seconds), after a full scan.
    next_trigger: Option<i64>,
    /// Renewals still running (or not yet reported).
    renewing: bool,
    /// Due actions that wait for another operation on their name to finish.
    waiting: bool,
}

impl Lifetime {
    pub fn new(
        db: Db,
        clock: Arc<ClockControl>,
        service: Service,
        issuance: Arc<Issuance>,
        notifier: Arc<Notifier>,
        settings: Settings,
    ) -> Arc<Self> {
        Arc::new(Self {
            db,
            clock,
            service,
            issuance,
            notifier,
            settings,
            rescan: AtomicBool::new(true),
        })
    }

    pub fn clock(&self) -> &ClockControl {
        &self.clock
    }

    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// Moves the clock by `secs` and wakes everything that schedules by it.
    pub async fn advance_clock(&self, secs: i64) -> Result<i64> {
        let offset = self.clock.advance(secs).await?;
        self.clock_changed();
        Ok(offset)
    }

    /// Sets the clock offset and wakes everything that schedules by it.
    pub async fn set_clock_offset(&self, offset: i64) -> Result<i64> {
        let offset = self.clock.set(offset).await?;
        self.clock_changed();
        Ok(offset)
    }

    /// Wakes everything that schedules by the clock (it moved). With many vaults the clock
    /// is one, so a move wakes every vault's schedulers this way.
    pub fn clock_changed(&self) {
        self.rescan.store(true, Ordering::Release);
        self.issuance.wake();
        self.issuance.wake_lifetime();
        self.notifier.wake();
    }

    /// The scheduler loop; returns when `token` is cancelled.
    pub async fn run(self: Arc<Self>, token: CancellationToken) {
        info!(
            scan_interval_s = self.settings.scan_interval.as_secs_f64(),
            clock.offset_s = self.clock.offset(),
            "lifetime scheduler started"
        );
        let mut next_full = Instant::now();
        let mut next_trigger: Option<i64> = None;
        // Actions wait for busy names; an operation's completion (a wake) lets them go.
        let mut waiting = false;
        let mut woken = false;
        loop {
            let now = self.clock.now();
            let full = self.rescan.swap(false, Ordering::AcqRel)
                || Instant::now() >= next_full
                || next_trigger.is_some_and(|t| t <= now)
                || (woken && waiting);
            let pass = self.pass(full).await;
            if full {
                next_full = Instant::now() + self.settings.scan_interval;
                next_trigger = pass.next_trigger;
                waiting = pass.waiting;
            }
            let mut sleep = next_full.saturating_duration_since(Instant::now());
            if let Some(t) = next_trigger {
                let secs = (t - self.clock.now()).max(0) as u64;
                sleep = sleep.min(Duration::from_secs(secs));
            }
            if pass.renewing {
                sleep = sleep.min(RENEWAL_RECHECK);
            }
            woken = tokio::select! {
                _ = token.cancelled() => break,
                _ = self.issuance.lifetime_woken() => true,
                _ = tokio::time::sleep(sleep) => false,
            };
        }
        info!("lifetime scheduler stopped");
    }

    /// Reports finished renewals, sends queued notices and, when `full`, evaluates every
    /// certificate's triggers. Errors are logged; the next pass retries.
    async fn pass(&self, full: bool) -> Pass {
        let mut pass = Pass::default();
        match self.markers(MarkerState::Renewing).await {
            Ok(markers) => {
                for marker in markers {
                    match self.resolve_renewal(&marker).await {
                        Ok(true) => {}
                        Ok(false) => pass.renewing = true,
                        Err(e) => {
                            warn!(cert.key = %marker.key, error = %e, "cannot report a renewal; will retry");
                            pass.renewing = true;
                        }
                    }
                }
            }
            Err(e) => warn!(error = %e, "cannot read running renewals"),
        }
        match self.markers(MarkerState::Due).await {
            Ok(markers) => {
                for marker in markers {
                    if let Err(e) = self.send_queued(&marker).await {
                        warn!(cert.key = %marker.key, error = %e, "cannot send a queued notice; will retry");
                    }
                }
            }
            Err(e) => warn!(error = %e, "cannot read queued notices"),
        }
        if full {
            match self.scan().await {
                Ok((next, waiting)) => {
                    pass.next_trigger = next;
                    pass.waiting = waiting;
                }
                Err(e) => warn!(error = %e, "lifetime scan failed; will retry"),
            }
        }
        pass
    }

    async fn markers(&self, state: MarkerState) -> Result<Vec<LifetimeMarker>> {
        Ok(self
            .db
            .run(move |s| s.markers_in_state(state, 1000))
            .await?)
    }
}
