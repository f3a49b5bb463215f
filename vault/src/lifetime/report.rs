//! Reporting: a finished renewal's outcome (renewed, failed or cancelled) and the expiry
//! notice queued by an import, each mailed to the contacts once and its marker closed in the
//! same transaction.

use super::scheduler::Lifetime;
use super::triggers::{about, autorenew_triggers, same_key, trigger_time};
use crate::error::Result;
use crate::model::{LifetimeMarker, MarkerAction, MarkerState};
use crate::notify::Event;
use crate::store::Change;
use shared::models::OperationStatus;
use tracing::{info, warn};

impl Lifetime {
    /// Reports a finished renewal (renewed, or failed/cancelled) and closes its marker.
    /// Returns false while the renewal is still running.
    pub(super) async fn resolve_renewal(&self, marker: &LifetimeMarker) -> Result<bool> {
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
    pub(super) async fn send_queued(&self, marker: &LifetimeMarker) -> Result<()> {
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
