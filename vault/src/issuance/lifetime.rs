//! Lifetime actions (spec §3.5 `lifetime_actions`, §4.5): a scheduler that evaluates each
//! certificate's latest completed version against its policy's triggers and fires each action
//! once per version.
//!
//! - `EmailContacts`: a notice to every vault contact that the version nears its expiry.
//! - `AutoRenew`: a new version through the same issuer, started with the normal create path
//!   (self-signed by the worker, partnered through the CA adapter), honouring `reuse_key` and
//!   copying the version's tags. Skipped while another operation is in progress. Its outcome
//!   (renewed, or failed/cancelled) is mailed to the contacts once the operation finishes.
//! - After an import, an expiry notice (queued by the import itself).
//!
//! Exactly once, across restarts: every action writes a marker per (name, version, action) in the
//! same transaction as its effect (the renewal's operation, or the outbox rows). A renewal's
//! marker stays `renewing` until its outcome is reported, in the transaction that reports it.
//!
//! Timing follows the one vault clock: the scheduler sleeps until the next trigger (or the scan
//! interval), and wakes at once when the admin API moves the clock.

use super::Issuance;
use crate::certs::policy::{issuer_kind, IssuerKind};
use crate::certs::{CreateExtra, Service};
use crate::clock::ClockControl;
use crate::error::{Error, Result};
use crate::issuance::profile;
use crate::model::{
    CertRecord, LifetimeMarker, ListScope, MarkerAction, MarkerState, VersionRecord, ISSUER_UNKNOWN,
};
use crate::notify::{rfc3339, About, Event, Notifier};
use crate::store::{Change, Db};
use shared::crypto;
use shared::models::{ActionType, CertificateCreateParameters, OperationStatus, Trigger};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{info, instrument, warn};

const PAGE: usize = 256;
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
    db: Db,
    clock: Arc<ClockControl>,
    service: Service,
    issuance: Arc<Issuance>,
    notifier: Arc<Notifier>,
    settings: Settings,
    /// Set when the clock moved: the next pass scans every certificate.
    rescan: AtomicBool,
}

/// What firing one action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fired {
    Done,
    /// Another operation is in progress on the name; try again after it finished.
    Busy,
    /// The version is no longer the latest, or the action already fired.
    Stale,
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

    fn clock_changed(&self) {
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

    /// Walks every active certificate; fires due actions; returns the next future trigger and
    /// whether an action had to wait for a busy name.
    async fn scan(&self) -> Result<(Option<i64>, bool)> {
        let now = self.clock.now();
        let mut next: Option<i64> = None;
        let mut busy = false;
        let mut after: Option<String> = None;
        loop {
            let cursor = after.clone();
            let page = self
                .db
                .run(move |s| s.list_certs(ListScope::Active, false, cursor.as_deref(), PAGE))
                .await?;
            let full_page = page.len() == PAGE;
            after = page.last().map(|(c, _)| c.key.clone());
            for (cert, version) in page {
                let mut fired: Option<Vec<LifetimeMarker>> = None;
                for action in cert.policy.lifetime_actions.clone().unwrap_or_default() {
                    let (Some(trigger), Some(action_type)) = (
                        action.trigger.as_ref(),
                        action.action.as_ref().and_then(|a| a.action_type),
                    ) else {
                        continue;
                    };
                    let Some(at) = trigger_time(trigger, version.nbf, version.exp) else {
                        continue;
                    };
                    if at > now {
                        next = Some(next.map_or(at, |n| n.min(at)));
                        continue;
                    }
                    if fired.is_none() {
                        let (k, v) = (cert.key.clone(), version.version.clone());
                        fired = Some(self.db.run(move |s| s.lifetime_markers(&k, &v)).await?);
                    }
                    let marker = marker_action(action_type);
                    if fired
                        .as_ref()
                        .is_some_and(|m| m.iter().any(|m| m.action == marker))
                    {
                        continue;
                    }
                    let described = describe(trigger, at);
                    match self.fire(&cert, &version, action_type, &described).await {
                        Ok(Fired::Busy) => busy = true,
                        Ok(_) => {}
                        Err(e) => {
                            warn!(cert.name = %cert.name, action = %action_type, error = %e, "lifetime action failed; will retry");
                            busy = true;
                        }
                    }
                }
            }
            if !full_page {
                break;
            }
        }
        Ok((next, busy))
    }

    /// Fires one due action of `version` under the name lock, after checking again that the
    /// version is still the latest and the action has not fired.
    #[instrument(skip_all, fields(cert.name = %cert.name, version = %version.version, action = %action))]
    async fn fire(
        &self,
        cert: &CertRecord,
        version: &VersionRecord,
        action: ActionType,
        trigger: &str,
    ) -> Result<Fired> {
        let _guard = self.issuance.locks.lock(&cert.key).await;
        let (k, v) = (cert.key.clone(), version.version.clone());
        let (current, latest, markers, op, contacts) = self
            .db
            .run(move |s| {
                Ok((
                    s.cert(&k)?,
                    s.latest_version(&k)?,
                    s.lifetime_markers(&k, &v)?,
                    s.operation(&k)?,
                    s.contacts()?,
                ))
            })
            .await?;
        let Some(current) = current.filter(|c| c.deleted.is_none()) else {
            return Ok(Fired::Stale);
        };
        let still_latest = latest
            .as_ref()
            .is_some_and(|l| l.is_complete() && l.version == version.version);
        let marker_kind = marker_action(action);
        if !still_latest || markers.iter().any(|m| m.action == marker_kind) {
            return Ok(Fired::Stale);
        }
        let now = self.clock.now();
        let marker = |state, request_id| LifetimeMarker {
            key: current.key.clone(),
            version: version.version.clone(),
            action: marker_kind,
            state,
            request_id,
            created: now,
            updated: now,
        };
        let about = about(&current, version);
        match action {
            ActionType::EmailContacts => {
                let mut changes = self.notifier.compose(
                    &about,
                    &Event::Expiring {
                        trigger: trigger.to_string(),
                    },
                    contacts.as_ref(),
                );
                changes.push(Change::PutLifetimeMarker(marker(MarkerState::Done, None)));
                self.db.run(move |s| s.apply(changes)).await?;
                self.notifier.wake();
                info!(trigger, "EmailContacts fired: contacts notified");
                Ok(Fired::Done)
            }
            ActionType::AutoRenew => {
                let key = current.key.clone();
                let reporting = self
                    .db
                    .run(move |s| s.markers_in_state(MarkerState::Renewing, 1000))
                    .await?
                    .iter()
                    .any(|m| m.key == key);
                if reporting
                    || op
                        .as_ref()
                        .is_some_and(|o| o.status == OperationStatus::InProgress)
                {
                    info!("AutoRenew due, but an operation is in progress; waiting for it");
                    return Ok(Fired::Busy);
                }
                let issuer = issuer_name(&current);
                if issuer_kind(&current.policy) == IssuerKind::Unknown {
                    // Policy validation refuses this; a stored policy from elsewhere may not.
                    let reason =
                        "AutoRenew needs an issuer; the policy's issuer is Unknown.".to_string();
                    return self
                        .renewal_not_started(
                            &about,
                            &issuer,
                            reason,
                            marker(MarkerState::Done, None),
                            contacts.as_ref(),
                        )
                        .await;
                }
                let reuse_key = self.key_to_reuse(&current, version).await?;
                let reused = reuse_key.is_some();
                let params = CertificateCreateParameters {
                    tags: version.tags.clone(),
                    ..Default::default()
                };
                let renewing = marker(MarkerState::Renewing, None);
                let extra = CreateExtra {
                    reuse_key,
                    changes: Some(Box::new(move |op| {
                        let mut m = renewing;
                        m.request_id = Some(op.request_id.clone());
                        vec![Change::PutLifetimeMarker(m)]
                    })),
                };
                match self
                    .service
                    .create_locked(&current.name, params, extra)
                    .await
                {
                    Ok((_, op)) => {
                        info!(trigger, new_version = %op.version, op.request_id = %op.request_id, key_reused = reused, issuer = %op.issuer_name, "AutoRenew fired: renewal started");
                        // The operation may already be final (no CA endpoint configured).
                        self.issuance.wake_lifetime();
                        Ok(Fired::Done)
                    }
                    Err(
                        e @ (Error::BadParameter(_)
                        | Error::Conflict { .. }
                        | Error::Forbidden { .. }
                        | Error::NotFound { .. }),
                    ) => {
                        self.renewal_not_started(
                            &about,
                            &issuer,
                            e.to_string(),
                            marker(MarkerState::Done, None),
                            contacts.as_ref(),
                        )
                        .await
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// The renewal could not even start (e.g. its issuer was deleted): tell the contacts, once.
    async fn renewal_not_started(
        &self,
        about: &About,
        issuer: &str,
        reason: String,
        marker: LifetimeMarker,
        contacts: Option<&shared::models::Contacts>,
    ) -> Result<Fired> {
        warn!(cert.name = %about.certificate, reason = %reason, "AutoRenew could not start");
        let mut changes = self.notifier.compose(
            about,
            &Event::RenewalFailed {
                issuer: issuer.to_string(),
                reason,
            },
            contacts,
        );
        changes.push(Change::PutLifetimeMarker(marker));
        self.db.run(move |s| s.apply(changes)).await?;
        self.notifier.wake();
        Ok(Fired::Done)
    }

    /// With `reuse_key: true`, the version's own key, if it is still stored and still fits
    /// the policy's key type; otherwise `None` (a fresh key).
    async fn key_to_reuse(
        &self,
        cert: &CertRecord,
        version: &VersionRecord,
    ) -> Result<Option<crypto::PrivateKey>> {
        let wanted = cert
            .policy
            .key_props
            .as_ref()
            .and_then(|k| k.reuse_key)
            .unwrap_or(false);
        if !wanted {
            return Ok(None);
        }
        let spec = profile::key_spec(&cert.policy)?;
        let (k, v) = (cert.key.clone(), version.version.clone());
        let key = self.db.run(move |s| s.private_key(&k, &v)).await?;
        match key {
            Some(key) if key.spec() == spec => Ok(Some(key)),
            Some(_) => {
                warn!(cert.name = %cert.name, "reuse_key is set, but the policy's key type changed; renewing with a new key");
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Reports a finished renewal (renewed, or failed/cancelled) and closes its marker.
    /// Returns false while the renewal is still running.
    async fn resolve_renewal(&self, marker: &LifetimeMarker) -> Result<bool> {
        let _guard = self.issuance.locks.lock(&marker.key).await;
        let (k, v) = (marker.key.clone(), marker.version.clone());
        let (cert, old, op, contacts) = self
            .db
            .run(move |s| {
                let op = s.operation(&k)?;
                let new = match &op {
                    Some(op) => s.version(&k, &op.version)?,
                    None => None,
                };
                Ok((
                    s.cert(&k)?,
                    s.version(&k, &v)?,
                    op.map(|o| (o, new)),
                    s.contacts()?,
                ))
            })
            .await?;
        let now = self.clock.now();
        let mut done = marker.clone();
        done.state = MarkerState::Done;
        done.updated = now;
        let mut extra = Vec::new();
        let ours = op.filter(|(o, _)| Some(&o.request_id) == marker.request_id.as_ref());
        let (Some(cert), Some(old), Some((op, new))) = (cert, old, ours) else {
            // Deleted, purged, or the operation was replaced: nothing left to report.
            info!(cert.key = %marker.key, "renewal no longer tracked (deleted or replaced); not reported");
            self.db
                .run(move |s| s.apply(vec![Change::PutLifetimeMarker(done)]))
                .await?;
            return Ok(true);
        };
        let event = match op.status {
            OperationStatus::InProgress => return Ok(false),
            OperationStatus::Completed => {
                let key_reused = match (old.leaf(), new.as_ref().and_then(|n| n.leaf())) {
                    (Some(a), Some(b)) => same_key(a, b),
                    _ => false,
                };
                // A new version already past its AutoRenew trigger (its CA's clock disagrees
                // with vault's shifted one) is not renewed again: that would never end.
                let born_due = new.as_ref().is_some_and(|n| {
                    autorenew_triggers(&cert)
                        .filter_map(|t| trigger_time(&t, n.nbf, n.exp))
                        .any(|at| at <= now)
                });
                if born_due {
                    extra.push(Change::PutLifetimeMarker(LifetimeMarker {
                        key: cert.key.clone(),
                        version: op.version.clone(),
                        action: MarkerAction::AutoRenew,
                        state: MarkerState::Done,
                        request_id: None,
                        created: now,
                        updated: now,
                    }));
                    warn!(cert.name = %cert.name, new_version = %op.version, "the renewed version is already past its AutoRenew trigger; it will not be renewed automatically");
                }
                Event::Renewed {
                    new_version: op.version.clone(),
                    new_exp: new.as_ref().and_then(|n| n.exp),
                    issuer: op.issuer_name.clone(),
                    key_reused,
                    already_due: born_due,
                }
            }
            OperationStatus::Failed => Event::RenewalFailed {
                issuer: op.issuer_name.clone(),
                reason: op
                    .error
                    .as_ref()
                    .map(|e| format!("{}: {}", e.code, e.message))
                    .or(op.status_details.clone())
                    .unwrap_or_else(|| "the renewal operation failed".into()),
            },
            OperationStatus::Cancelled => Event::RenewalFailed {
                issuer: op.issuer_name.clone(),
                reason: format!(
                    "the renewal operation was cancelled{}",
                    op.status_details
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ),
            },
        };
        let mut changes = self
            .notifier
            .compose(&about(&cert, &old), &event, contacts.as_ref());
        changes.push(Change::PutLifetimeMarker(done));
        changes.extend(extra);
        self.db.run(move |s| s.apply(changes)).await?;
        self.notifier.wake();
        info!(cert.name = %cert.name, op.status = %op.status, new_version = %op.version, "renewal reported to contacts");
        Ok(true)
    }

    /// Sends a queued notice (the expiry notice after an import) and closes its marker.
    async fn send_queued(&self, marker: &LifetimeMarker) -> Result<()> {
        let _guard = self.issuance.locks.lock(&marker.key).await;
        let (k, v) = (marker.key.clone(), marker.version.clone());
        let (cert, version, contacts) = self
            .db
            .run(move |s| Ok((s.cert(&k)?, s.version(&k, &v)?, s.contacts()?)))
            .await?;
        let mut done = marker.clone();
        done.state = MarkerState::Done;
        done.updated = self.clock.now();
        let mut changes = Vec::new();
        if let (Some(cert), Some(version)) = (cert.filter(|c| c.deleted.is_none()), version) {
            changes =
                self.notifier
                    .compose(&about(&cert, &version), &Event::Imported, contacts.as_ref());
            info!(cert.name = %cert.name, version = %version.version, "expiry notice after import queued for delivery");
        }
        changes.push(Change::PutLifetimeMarker(done));
        self.db.run(move |s| s.apply(changes)).await?;
        self.notifier.wake();
        Ok(())
    }
}

/// When a trigger comes due for a version valid from `nbf` to `exp` (unix seconds).
pub fn trigger_time(trigger: &Trigger, nbf: Option<i64>, exp: Option<i64>) -> Option<i64> {
    let exp = exp?;
    match (trigger.lifetime_percentage, trigger.days_before_expiry) {
        (Some(pct), _) => {
            let nbf = nbf?;
            Some(nbf + (exp - nbf) * i64::from(pct) / 100)
        }
        (None, Some(days)) => Some(exp - i64::from(days) * 86_400),
        (None, None) => None,
    }
}

/// The triggers of the policy's AutoRenew actions.
fn autorenew_triggers(cert: &CertRecord) -> impl Iterator<Item = Trigger> + '_ {
    cert.policy
        .lifetime_actions
        .iter()
        .flatten()
        .filter(|a| a.action.as_ref().and_then(|a| a.action_type) == Some(ActionType::AutoRenew))
        .filter_map(|a| a.trigger.clone())
}

fn describe(trigger: &Trigger, at: i64) -> String {
    let when = rfc3339(Some(at));
    match (trigger.lifetime_percentage, trigger.days_before_expiry) {
        (Some(pct), _) => format!("{pct}% of the certificate's lifetime (reached {when})"),
        (None, Some(days)) => format!("{days} days before expiry (reached {when})"),
        (None, None) => when,
    }
}

fn marker_action(action: ActionType) -> MarkerAction {
    match action {
        ActionType::AutoRenew => MarkerAction::AutoRenew,
        ActionType::EmailContacts => MarkerAction::EmailContacts,
    }
}

fn about(cert: &CertRecord, version: &VersionRecord) -> About {
    About {
        cert_key: cert.key.clone(),
        certificate: cert.name.clone(),
        version: version.version.clone(),
        exp: version.exp,
    }
}

fn issuer_name(cert: &CertRecord) -> String {
    cert.policy
        .issuer
        .as_ref()
        .and_then(|i| i.name.clone())
        .unwrap_or_else(|| ISSUER_UNKNOWN.into())
}

/// Whether two certificates carry the same public key.
fn same_key(a: &[u8], b: &[u8]) -> bool {
    match (crypto::parse_certificate(a), crypto::parse_certificate(b)) {
        (Ok(a), Ok(b)) => a.spki_der == b.spki_der,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_fall_where_the_policy_says() {
        let pct = Trigger {
            lifetime_percentage: Some(80),
            days_before_expiry: None,
        };
        assert_eq!(trigger_time(&pct, Some(1000), Some(2000)), Some(1800));
        assert_eq!(trigger_time(&pct, None, Some(2000)), None);
        let days = Trigger {
            lifetime_percentage: None,
            days_before_expiry: Some(30),
        };
        assert_eq!(
            trigger_time(&days, Some(0), Some(100 * 86_400)),
            Some(70 * 86_400)
        );
        assert_eq!(trigger_time(&days, Some(0), None), None);
        assert!(describe(&pct, 1800).starts_with("80% of"));
    }
}
