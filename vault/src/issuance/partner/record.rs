//! Writing a partnered step's result, always through the worker's fenced write (`lease`): the
//! `Submitting` mark before a submission ([`Issuance::save_state`]) and the step's
//! [`Outcome`] ([`Issuance::record`]). Both re-read the row in the write's transaction, so
//! what a client did meanwhile (a cancel request, a delete that orphaned the row) is kept and
//! decides what happens; a row that ended, went or was taken over is not written at all.

use super::outcome::Outcome;
use crate::issuance::worker::Issuance;
use crate::model::acme::acme_order_of;
use crate::model::{Ending, EventKind, OperationRecord, ProviderState};
use crate::store::{Change, StoreError};
use serde_json::json;
use std::time::Duration;
use tracing::info;

impl Issuance {
    /// Persists the provider state right before a submission. `Ok(false)` (the row changed:
    /// cancellation requested, orphaned, ended, or the lease lost) means: do not submit.
    pub(super) async fn save_state(
        &self,
        op: &OperationRecord,
        state: &ProviderState,
        details: &str,
    ) -> Result<bool, StoreError> {
        let state = state.clone();
        let details = details.to_string();
        let now = self.clock.unix();
        self.write_leased(op, move |mut current, _| {
            if current.cancellation_requested || current.is_orphan() {
                return None;
            }
            current.provider = Some(state);
            current.status_details = Some(details);
            current.updated = now;
            Some(vec![Change::PutOperation(current)])
        })
        .await
    }

    /// Applies an outcome to the operation if this worker still holds it, and gives the lease
    /// back in the same transaction. An orphaned row takes progress (`Continue`) like any
    /// other; any final outcome deletes it, since nobody is left to read it.
    pub(super) async fn record(
        &self,
        op: &OperationRecord,
        outcome: Outcome,
    ) -> Result<bool, StoreError> {
        if matches!(outcome, Outcome::Stop) {
            return Ok(false);
        }
        let now = self.clock.unix();
        let now_ms = self.clock.unix_ms();
        let finished = !matches!(outcome, Outcome::Continue { .. });
        // A failed CA call this step (the failure count went up) is a fault and a retry.
        let fault = match &outcome {
            Outcome::Continue { state, after, .. }
                if state.failures > op.provider.as_ref().map_or(0, |p| p.failures) =>
            {
                Some((state.last_error.clone(), after.as_secs_f64()))
            }
            _ => None,
        };
        // A cancel or delete that arrived during the step is acted on at once, not after the
        // step's back-off.
        let (was_cancelling, was_orphan) = (op.cancellation_requested, op.is_orphan());
        let release = Change::ReleaseLease {
            request_id: op.request_id.clone(),
            owner: self.owner.clone(),
        };
        let recorded = self
            .write_leased(op, move |mut current, version| {
                current.updated = now;
                let mut changes = Vec::new();
                match outcome {
                    Outcome::Stop => return None,
                    Outcome::Continue {
                        state,
                        details,
                        after,
                    } => {
                        let new_intent = (current.cancellation_requested && !was_cancelling)
                            || (current.is_orphan() && !was_orphan);
                        let after = if new_intent { Duration::ZERO } else { after };
                        current.provider = Some(state);
                        current.status_details = Some(details);
                        current.next_run_at = now_ms.saturating_add(after.as_millis() as i64);
                        changes.push(Change::PutOperation(current));
                    }
                    _ if current.is_orphan() => {
                        info!(
                            op.request_id = %current.request_id,
                            "orphaned operation settled at the CA; row removed"
                        );
                        changes.push(Change::DeleteOperation { key: current.key });
                    }
                    Outcome::Complete { chain, nbf, exp } => {
                        // A partnered ACME order has no version: its checked chain is kept
                        // for the gateway in this same transaction (exactly once).
                        if let Some(order_id) = acme_order_of(&current.key) {
                            changes.push(Change::PutAcmeIssued {
                                order_id: order_id.to_string(),
                                chain: chain.clone(),
                            });
                        }
                        if let Some(mut v) = version {
                            v.chain = chain;
                            v.leaf_index = 0;
                            v.nbf = Some(nbf);
                            v.exp = Some(exp);
                            v.updated = now;
                            changes.push(Change::PutVersion {
                                version: v,
                                private_key: None,
                            });
                        }
                        current.end(Ending::Completed);
                        changes.push(Change::PutOperation(current));
                    }
                    Outcome::Fail { code, message } => {
                        current.end(Ending::Failed { code, message });
                        changes.push(Change::PutOperation(current));
                    }
                    Outcome::Cancelled { message } => {
                        current.end(Ending::Cancelled { message });
                        changes.push(Change::PutOperation(current));
                    }
                }
                changes.push(release);
                Some(changes)
            })
            .await?;
        if let (true, Some((error, backoff))) = (recorded, fault) {
            self.note(op, EventKind::Fault, json!({ "error": error }));
            self.note(
                op,
                EventKind::Retry,
                json!({ "error": error, "backoff_seconds": backoff }),
            );
        }
        if recorded && finished {
            self.note_ended(op).await;
            // A finished renewal is reported.
            self.wake_lifetime();
        }
        Ok(recorded)
    }
}
