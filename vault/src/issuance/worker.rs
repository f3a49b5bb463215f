//! The [`Issuance`] the certificate service shares with the background worker (adapters, name
//! locks, metrics, wakes), and the worker loop: pick due operations, claim each once in this
//! process, advance it (self-signed here, partnered in `partner`).

use super::locks::NameLocks;
use crate::model::{OperationRecord, ISSUER_SELF, NEVER};
use crate::providers::Providers;
use crate::store::Db;
use shared::clock::Clock;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, instrument, warn};

/// Longest sleep between scans when nothing is due, so clock shifts are noticed.
const IDLE_SCAN: Duration = Duration::from_secs(2);
const BATCH: usize = 256;
/// Shortest pause between scans, so a busy queue cannot spin the worker.
const MIN_SLEEP: Duration = Duration::from_millis(20);

/// Tunables of partnered issuance.
#[derive(Debug, Clone)]
pub struct Settings {
    /// First wait between polls of a pending CA order (grows by half each poll, up to 60 s);
    /// also the base of the retry back-off.
    pub poll_interval: Duration,
    /// How long transient CA failures are retried before the operation fails.
    pub deadline: Duration,
}

/// Shared by the certificate service (which creates operations) and the worker.
pub struct Issuance {
    pub(super) db: Db,
    pub(super) clock: Arc<dyn Clock>,
    /// The partner CA adapters, by provider.
    pub providers: Providers,
    /// Key generation and CA call timings (also served at `/metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    pub(super) settings: Settings,
    /// Every task the worker starts, so shutdown waits for them.
    pub(super) tracker: TaskTracker,
    /// Serialises every read-modify-write on one certificate name.
    pub locks: NameLocks,
    wake: Notify,
    /// Wakes the lifetime-action scheduler (`lifetime`): an import queued a notice, or an
    /// operation finished (a renewal's outcome may be due for reporting).
    lifetime_wake: Notify,
    /// Bounds concurrent key generation to the cores we have.
    pub(super) crypto_permits: Semaphore,
    /// Operations being worked on by this process (by name key), so a scan never doubles up.
    in_flight: Mutex<HashSet<String>>,
}

impl Issuance {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        providers: Providers,
        settings: Settings,
        tracker: TaskTracker,
    ) -> Arc<Self> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Arc::new(Self {
            db,
            clock,
            providers,
            metrics: Arc::default(),
            settings,
            tracker,
            locks: NameLocks::default(),
            wake: Notify::new(),
            lifetime_wake: Notify::new(),
            crypto_permits: Semaphore::new(cores * 2),
            in_flight: Mutex::new(HashSet::new()),
        })
    }

    /// How long transient CA failures are retried for a new partnered operation.
    pub fn deadline(&self) -> Duration {
        self.settings.deadline
    }

    /// Tells the worker that an operation became due.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Tells the lifetime-action scheduler to look again now.
    pub fn wake_lifetime(&self) {
        self.lifetime_wake.notify_one();
    }

    /// Resolves when [`Issuance::wake_lifetime`] was called.
    pub(crate) async fn lifetime_woken(&self) {
        self.lifetime_wake.notified().await;
    }

    /// The worker loop; returns when `token` is cancelled.
    pub async fn run(self: Arc<Self>, token: CancellationToken) {
        info!("issuance worker started");
        let tracker = self.tracker.clone();
        loop {
            let now = self.clock.unix_ms();
            let due = match self.db.run(move |s| s.due_operations(now, BATCH)).await {
                Ok(due) => due,
                Err(e) => {
                    warn!(error = %e, "cannot read due operations; retrying");
                    Vec::new()
                }
            };
            for op in due {
                if !self.claim(&op.key) {
                    continue;
                }
                let this = self.clone();
                tracker.spawn(async move {
                    let key = op.key.clone();
                    this.advance(op).await;
                    this.release(&key);
                });
            }
            let sleep = match self.db.run(|s| s.next_due()).await {
                Ok(Some(next)) if next != NEVER => {
                    let ms = (next - self.clock.unix_ms()).clamp(0, IDLE_SCAN.as_millis() as i64);
                    Duration::from_millis(ms as u64).max(MIN_SLEEP)
                }
                _ => IDLE_SCAN,
            };
            tokio::select! {
                _ = token.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
        info!("issuance worker stopped");
    }

    fn claim(&self, key: &str) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string())
    }

    fn release(&self, key: &str) {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    #[instrument(skip_all, fields(cert.key = %op.key, op.request_id = %op.request_id))]
    async fn advance(&self, op: OperationRecord) {
        if op.provider.is_some() {
            return self.advance_partnered(op).await;
        }
        if !op.issuer_name.eq_ignore_ascii_case(ISSUER_SELF) {
            // Unknown-issuer operations wait for a merge; they are never due.
            return;
        }
        let started = std::time::Instant::now();
        let outcome = self.issue_self_signed(&op).await;
        let result = match outcome {
            Ok((key, chain, csr)) => self.finish(&op, Ok((key, chain, csr))).await,
            Err(e) => {
                warn!(error = %e, "self-signed issuance failed");
                self.finish(&op, Err(e)).await
            }
        };
        match result {
            Ok(true) => info!(
                duration_ms = started.elapsed().as_millis() as u64,
                op.status = "completed",
                "self-signed certificate issued"
            ),
            Ok(false) => {
                info!("operation changed while issuing (cancelled or deleted); result discarded")
            }
            Err(e) => warn!(error = %e, "cannot record issuance result; will retry"),
        }
    }
}
