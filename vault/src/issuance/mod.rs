//! Pending operations: the state machine (spec §4.1) and the background worker that advances
//! them. An operation is a row with `next_run_at`; the worker picks due rows, does the work off
//! the async threads, and writes each transition to the store before anyone can see it. After
//! a restart the worker simply finds the rows that are still due.
//!
//! Self-signed issuance (`issuer.name = "Self"`) is done here: generate the key, build the CSR
//! and the certificate, complete the version. Operations for issuer `Unknown` wait for a merge
//! and are never due.

pub mod chain;
pub mod lifetime;
pub mod locks;
pub mod partner;
pub mod profile;

use crate::model::{Ending, OperationRecord, ISSUER_SELF, NEVER};
use crate::providers::Providers;
use crate::store::{Change, Db, StoreError};
use locks::NameLocks;
use shared::clock::Clock;
use shared::crypto::{self, PrivateKey};
use shared::models::OperationStatus;
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
    db: Db,
    clock: Arc<dyn Clock>,
    /// The partner CA adapters, by provider.
    pub providers: Providers,
    /// Key generation and CA call timings (also served at `/metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    settings: Settings,
    /// Every task the worker starts, so shutdown waits for them.
    tracker: TaskTracker,
    /// Serialises every read-modify-write on one certificate name.
    pub locks: NameLocks,
    wake: Notify,
    /// Wakes the lifetime-action scheduler (`lifetime`): an import queued a notice, or an
    /// operation finished (a renewal's outcome may be due for reporting).
    lifetime_wake: Notify,
    /// Bounds concurrent key generation to the cores we have.
    crypto_permits: Semaphore,
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

    /// Key generation and signing run on the blocking pool, bounded by `crypto_permits`.
    async fn issue_self_signed(
        &self,
        op: &OperationRecord,
    ) -> Result<(PrivateKey, Vec<u8>, Vec<u8>), String> {
        let spec = profile::key_spec(&op.policy).map_err(|e| e.to_string())?;
        let cert_profile = profile::cert_profile(&op.policy, self.clock.now());
        // A renewal with `reuse_key` stored the previous version's key on the pending version.
        let (key, version) = (op.key.clone(), op.version.clone());
        let reused = self
            .db
            .run(move |s| s.private_key(&key, &version))
            .await
            .map_err(|e| e.to_string())?;
        let _permit = self
            .crypto_permits
            .acquire()
            .await
            .map_err(|_| "shutting down".to_string())?;
        let metrics = self.metrics.clone();
        tokio::task::spawn_blocking(move || {
            let key = match reused {
                Some(key) => key,
                None => {
                    let started = std::time::Instant::now();
                    let key = PrivateKey::generate(spec).map_err(|e| e.to_string())?;
                    metrics.key_generation(&spec.to_string(), started.elapsed());
                    key
                }
            };
            let csr = crypto::build_csr(&key, &cert_profile).map_err(|e| e.to_string())?;
            let cert = crypto::self_signed(&key, &cert_profile).map_err(|e| e.to_string())?;
            Ok((key, cert, csr))
        })
        .await
        .map_err(|e| format!("issuance task failed: {e}"))?
    }

    /// Records the outcome if the operation is still the one we worked on and still in
    /// progress. Returns whether it was recorded.
    async fn finish(
        &self,
        op: &OperationRecord,
        outcome: Result<(PrivateKey, Vec<u8>, Vec<u8>), String>,
    ) -> Result<bool, StoreError> {
        let _guard = self.locks.lock(&op.key).await;
        let key = op.key.clone();
        let version = op.version.clone();
        let (current, record) = self
            .db
            .run(move |s| Ok((s.operation(&key)?, s.version(&key, &version)?)))
            .await?;
        let (Some(mut current), Some(mut record)) = (current, record) else {
            return Ok(false);
        };
        if current.request_id != op.request_id || current.status != OperationStatus::InProgress {
            return Ok(false);
        }
        let now = self.clock.unix();
        current.updated = now;
        let mut changes = Vec::new();
        match outcome {
            Ok((private_key, cert_der, csr)) => {
                let info = crypto::parse_certificate(&cert_der)
                    .map_err(|e| StoreError::Corrupt(format!("issued certificate: {e}")))?;
                record.chain = vec![cert_der];
                record.nbf = Some(info.not_before);
                record.exp = Some(info.not_after);
                record.updated = now;
                current.csr = Some(csr);
                current.end(Ending::Completed);
                changes.push(Change::PutVersion {
                    version: record,
                    private_key: Some(private_key),
                });
            }
            Err(message) => current.end(Ending::Failed {
                code: "InternalError",
                message,
            }),
        }
        changes.push(Change::PutOperation(current));
        self.db.run(move |s| s.apply(changes)).await?;
        self.wake_lifetime();
        Ok(true)
    }
}
