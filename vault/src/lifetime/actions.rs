//! Firing due actions: the scan of every active certificate's triggers, and one action
//! (`EmailContacts` or `AutoRenew`) under the name lock, checked again before it fires.

use super::scheduler::Lifetime;
use super::triggers::{about, describe, issuer_name, marker_action, trigger_time};
use crate::certs::create::CreateExtra;
use crate::certs::policy::{issuer_kind, IssuerKind};
use crate::error::{Error, Result};
use crate::issuance::profile;
use crate::model::{CertRecord, LifetimeMarker, ListScope, MarkerState, VersionRecord};
use crate::notify::{About, Event};
use crate::store::Change;
use shared::crypto;
use shared::models::{ActionType, CertificateCreateParameters, OperationStatus};
use tracing::{info, instrument, warn};

const PAGE: usize = 256;

/// What firing one action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fired {
    Done,
    /// Another operation is in progress on the name; try again after it finished.
    Busy,
    /// The version is no longer the latest, or the action already fired.
    Stale,
}

impl Lifetime {
    /// Walks every active certificate; fires due actions; returns the next future trigger and
    /// whether an action had to wait for a busy name.
    pub(super) async fn scan(&self) -> Result<(Option<i64>, bool)> {
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
                        self.issuance.note(
                            &op,
                            crate::model::EventKind::RenewalStarted,
                            serde_json::json!({
                                "trigger": trigger,
                                "new_version": op.version,
                                "operation": op.request_id,
                                "key_reused": reused,
                            }),
                        );
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
}
