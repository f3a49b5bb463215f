//! The [`Issuance`] the certificate service shares with the background worker (adapters, name
//! locks, metrics, wakes), and the worker loop: claim due operations under a lease
//! (`lease`), advance each (self-signed here, partnered in `partner`) while renewing the
//! lease, and sleep until the next due time or lease expiry unless woken earlier.

use super::locks::NameLocks;
use crate::model::platform::PlatformCa;
use crate::model::{OperationRecord, ISSUER_SELF};
use crate::providers::Providers;
use crate::store::{Change, Db};
use shared::clock::Clock;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, instrument, warn};

/// Longest sleep between scans when nothing is due, so clock shifts are noticed.
const IDLE_SCAN: Duration = Duration::from_secs(2);
/// Rows claimed per scan; a full batch means more may be due, so the next scan follows at once.
const BATCH: usize = 256;
/// Pause after a scan that found a row due that this process is still finishing (its step
/// just released the lease), so the loop does not spin until that task clears it.
const RACE_PAUSE: Duration = Duration::from_millis(20);

/// Tunables of partnered issuance.
#[derive(Debug, Clone)]
pub struct Settings {
    /// First wait between polls of a pending CA order (grows by half each poll, up to 60 s);
    /// also the base of the retry back-off.
    pub poll_interval: Duration,
    /// How long transient CA failures are retried before the operation fails.
    pub deadline: Duration,
    /// Lease term on a claimed operation (renewed every third of it while a step runs);
    /// another worker takes the row over only after it expired. Longer than one CA call.
    pub lease: Duration,
}

/// Shared by the certificate service (which creates operations) and the worker.
pub struct Issuance {
    pub(super) db: Db,
    pub(super) clock: Arc<dyn Clock>,
    /// The partner CA adapters, by provider.
    pub providers: Providers,
    /// Key generation and CA call timings (also served at `/metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Where each step of an operation is recorded for the dashboard.
    pub timeline: crate::timeline::Timeline,
    pub(super) settings: Settings,
    /// This worker's lease owner id (unique per instance; see `lease`).
    pub(super) owner: String,
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
    /// Request ids this process is working on. Not the guard (the lease is): it only keeps
    /// this process from starting a row's next step while its previous task is still
    /// finishing.
    in_flight: Mutex<HashSet<String>>,
    /// Signs platform-managed certificates (`platform`): the process's local CA, set once
    /// when the vault is opened; unset, such operations fail with a reason.
    platform_ca: OnceLock<Arc<dyn PlatformCa>>,
}

impl Issuance {
    /// `metrics` are the process's, shared by every vault's worker.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        providers: Providers,
        settings: Settings,
        tracker: TaskTracker,
        metrics: Arc<crate::metrics::Metrics>,
        timeline: crate::timeline::Timeline,
    ) -> Arc<Self> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Arc::new(Self {
            db,
            clock,
            providers,
            metrics,
            timeline,
            settings,
            owner: super::wall::new_owner(),
            tracker,
            locks: NameLocks::default(),
            wake: Notify::new(),
            lifetime_wake: Notify::new(),
            crypto_permits: Semaphore::new(cores * 2),
            in_flight: Mutex::new(HashSet::new()),
            platform_ca: OnceLock::new(),
        })
    }

    /// Sets the CA that signs platform-managed certificates (once; later calls are ignored).
    pub fn set_platform_ca(&self, ca: Arc<dyn PlatformCa>) {
        let _ = self.platform_ca.set(ca);
    }

    /// The CA that signs platform-managed certificates, when one was set.
    pub(super) fn platform_ca(&self) -> Option<Arc<dyn PlatformCa>> {
        self.platform_ca.get().cloned()
    }

    /// How long transient CA failures are retried for a new partnered operation.
    pub fn deadline(&self) -> Duration {
        self.settings.deadline
    }

    /// This worker's lease owner id.
    pub fn owner(&self) -> &str {
        &self.owner
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
        info!(owner = %self.owner, "issuance worker started");
        let tracker = self.tracker.clone();
        loop {
            let now = self.clock.unix_ms();
            let terms = self.lease_terms();
            let claimed = match self.db.run(move |s| s.claim_due(now, &terms, BATCH)).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    warn!(error = %e, "cannot claim due operations; retrying");
                    Vec::new()
                }
            };
            let full = claimed.len() == BATCH;
            let mut raced = false;
            for op in claimed {
                if !self.claim_local(&op.request_id) {
                    // Our own task for this row is finishing: give the fresh lease back.
                    raced = true;
                    self.release_lease(&op.request_id).await;
                    continue;
                }
                let this = self.clone();
                tracker.spawn(async move {
                    let request_id = op.request_id.clone();
                    this.work(op).await;
                    this.release_local(&request_id);
                    // Its next step may be due at once.
                    this.wake();
                });
            }
            let sleep = if full {
                Duration::ZERO
            } else {
                let sleep = self.until_next().await;
                if raced {
                    sleep.max(RACE_PAUSE)
                } else {
                    sleep
                }
            };
            tokio::select! {
                _ = token.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(sleep) => {}
            }
        }
        info!("issuance worker stopped");
    }

    /// Until the earliest due time of a free row (vault clock) or lease expiry (wall clock),
    /// at most [`IDLE_SCAN`].
    async fn until_next(&self) -> Duration {
        let wall = super::wall::wall_ms();
        let wake = match self.db.run(move |s| s.next_wake(wall)).await {
            Ok(wake) => wake,
            Err(e) => {
                warn!(error = %e, "cannot read the next due time; scanning again later");
                return IDLE_SCAN;
            }
        };
        let mut ms = IDLE_SCAN.as_millis() as i64;
        if let Some(due) = wake.next_due_ms {
            ms = ms.min(due.saturating_sub(self.clock.unix_ms()));
        }
        if let Some(expiry) = wake.lease_expiry_ms {
            ms = ms.min(expiry.saturating_sub(super::wall::wall_ms()));
        }
        Duration::from_millis(ms.max(0) as u64)
    }

    fn claim_local(&self, request_id: &str) -> bool {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(request_id.to_string())
    }

    fn release_local(&self, request_id: &str) {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(request_id);
    }

    /// One step of a claimed operation, abandoned at once if the lease is lost; the lease is
    /// given back unless the step's own write already did.
    async fn work(&self, op: OperationRecord) {
        let request_id = op.request_id.clone();
        let released = tokio::select! {
            released = self.advance(op) => released,
            () = self.keep_lease(request_id.clone()) => {
                warn!(op.request_id = %request_id, "lease on the operation lost to another worker; step abandoned");
                return;
            }
        };
        if !released {
            self.release_lease(&request_id).await;
        }
    }

    /// Returns whether the step's write released the lease.
    #[instrument(skip_all, fields(cert.key = %op.key, op.request_id = %op.request_id))]
    async fn advance(&self, op: OperationRecord) -> bool {
        if op.provider.is_some() {
            return self.advance_partnered(op).await;
        }
        if op.is_orphan() {
            // Only partnered operations are orphaned; anything else has nothing to cancel.
            return self.drop_orphan(&op).await;
        }
        let platform = op.policy.platform_managed.is_some();
        if !platform && !op.issuer_name.eq_ignore_ascii_case(ISSUER_SELF) {
            // Unknown-issuer operations wait for a merge; they are never due.
            return false;
        }
        let started = std::time::Instant::now();
        let (kind, outcome) = if platform {
            ("platform-managed", self.issue_platform(&op).await)
        } else {
            let outcome = self.issue_self_signed(&op).await;
            let outcome = outcome.map(|(key, cert, csr)| (key, vec![cert], csr));
            ("self-signed", outcome)
        };
        let result = match outcome {
            Ok(issued) => self.finish(&op, Ok(issued)).await,
            Err(e) => {
                warn!(error = %e, kind, "issuance failed");
                self.finish(&op, Err(e)).await
            }
        };
        match result {
            Ok(true) => {
                self.note_ended(&op).await;
                info!(
                    duration_ms = started.elapsed().as_millis() as u64,
                    op.status = "completed",
                    kind,
                    "certificate issued"
                );
                true
            }
            Ok(false) => {
                info!("operation changed while issuing (cancelled, deleted or taken over); result discarded");
                false
            }
            Err(e) => {
                warn!(error = %e, "cannot record issuance result; will retry");
                false
            }
        }
    }

    /// Deletes an orphaned row that has no CA order to cancel.
    async fn drop_orphan(&self, op: &OperationRecord) -> bool {
        let result = self
            .write_leased(op, |current, _| {
                Some(vec![Change::DeleteOperation { key: current.key }])
            })
            .await;
        matches!(result, Ok(true))
    }
}
