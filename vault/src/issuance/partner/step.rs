//! Partnered issuance (spec §4.1 table, partner-dialects.md §1.4): one step of a partnered
//! operation per call. Every step reads the operation, talks to the CA (one state-changing
//! call at most), and records the outcome through the fenced write, so a crash or a lost
//! answer at any point resumes correctly and never orders twice:
//!
//! - `New`: persist `Submitting` (if the row changed meanwhile, stop: no submission), then
//!   submit. An answer moves to `Submitted`. "Not sent" (the request never left) or
//!   "throttled" (the CA documents that it did not act) goes back to `New` and is retried
//!   as is. An **ambiguous** failure (5xx, timeout, reset, unreadable answer: the CA may have
//!   created the order) stays in `Submitting`, and GlobalSign's -105 ("that OrderID exists")
//!   too. A definite refusal fails the operation.
//! - `Submitting`: look the order up by vault's own handle (the request id) before anything
//!   else: found → `Submitted`; absent → `New` (only now is a resubmit safe), unless the CA
//!   had said the order exists (then it fails rather than loop).
//! - `Submitted`: poll. Pending → back-off; issued → validate the chain and complete; rejected,
//!   cancelled, revoked → `failed` with the CA's message.
//! - A cancellation request or an orphaned row goes to `cancel` instead.
//!
//! Retryable failures back off with jitter (honouring Retry-After) until the operation's
//! deadline; then the operation fails with the last error.

use super::outcome::{
    no_endpoint_message, order_request, permanent, retry, Outcome, ISSUER_ERROR, REQUEST_REJECTED,
};
use super::validate::validate_chain;
use crate::issuance::backoff::backoff;
use crate::issuance::worker::Issuance;
use crate::model::{key_of, EventKind, OperationRecord, ProviderPhase, ProviderState};
use crate::providers::{CaProvider, Credentials, OrderRequest, OrderStatus, ProviderError};
use serde_json::json;
use shared::models::ProviderKind;
use std::sync::Arc;
use std::time::Duration;
use tracing::{info, warn};

impl Issuance {
    /// One step of a partnered operation; returns whether its write released the lease.
    pub(in crate::issuance) async fn advance_partnered(&self, op: OperationRecord) -> bool {
        let outcome = self.partner_step(&op).await;
        match self.record(&op, outcome).await {
            Ok(recorded) => recorded,
            Err(e) => {
                warn!(error = %e, "cannot record partner step; will retry");
                false
            }
        }
    }

    /// Runs one CA call and records its latency and outcome class.
    pub(super) async fn ca<T>(
        &self,
        provider: ProviderKind,
        call: &'static str,
        fut: impl std::future::Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        let started = std::time::Instant::now();
        let result = fut.await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.class(),
        };
        self.metrics
            .ca_call(provider.as_str(), call, outcome, started.elapsed());
        result
    }

    /// The CA's view of one order (`adapter.poll`), counted like every CA call.
    pub(super) async fn poll_ca(
        &self,
        adapter: &dyn CaProvider,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<OrderStatus, ProviderError> {
        self.ca(adapter.kind(), "poll", adapter.poll(credentials, order_id))
            .await
    }

    /// A retryable failure of this operation's CA call.
    pub(super) fn retry(&self, state: ProviderState, error: &ProviderError) -> Outcome {
        retry(state, error, self.settings.poll_interval, self.clock.unix())
    }

    /// Finds the adapter and credentials for the operation's issuer.
    pub(super) async fn adapter(
        &self,
        op: &OperationRecord,
    ) -> Result<(Arc<dyn CaProvider>, Credentials), Outcome> {
        let key = key_of(&op.issuer_name);
        let issuer = match self.db.run(move |s| s.issuer(&key)).await {
            Ok(Some(issuer)) => issuer,
            Ok(None) => {
                return Err(Outcome::Fail {
                    code: ISSUER_ERROR,
                    message: format!(
                        "The issuer '{}' no longer exists in this vault.",
                        op.issuer_name
                    ),
                })
            }
            Err(e) => {
                return Err(Outcome::Continue {
                    state: op.provider.clone().unwrap_or_default(),
                    details: format!("Waiting for the vault's store: {e}"),
                    after: Duration::from_secs(1),
                })
            }
        };
        let provider = issuer.bundle.provider.clone().unwrap_or_default();
        let adapter = provider
            .parse::<ProviderKind>()
            .ok()
            .and_then(|kind| self.providers.get(kind));
        let Some(adapter) = adapter else {
            return Err(Outcome::Fail {
                code: ISSUER_ERROR,
                message: no_endpoint_message(&op.issuer_name, &provider),
            });
        };
        let credentials = Credentials {
            account_id: issuer
                .bundle
                .credentials
                .as_ref()
                .and_then(|c| c.account_id.clone()),
            pwd: issuer
                .bundle
                .credentials
                .as_ref()
                .and_then(|c| c.pwd.clone()),
            org_id: issuer
                .bundle
                .org_details
                .as_ref()
                .and_then(|o| o.id.clone()),
            admin: issuer
                .bundle
                .org_details
                .as_ref()
                .and_then(|o| o.admin_details.as_ref())
                .and_then(|a| a.first().cloned()),
            issuer: op.issuer_name.clone(),
        };
        Ok((adapter, credentials))
    }

    async fn partner_step(&self, op: &OperationRecord) -> Outcome {
        let (adapter, credentials) = match self.adapter(op).await {
            Ok(found) => found,
            Err(outcome) => return outcome,
        };
        let state = op.provider.clone().unwrap_or_default();
        if op.cancellation_requested || op.is_orphan() {
            let order = order_request(op, credentials);
            return self.cancel_step(adapter.as_ref(), &order, state, op).await;
        }
        match state.phase {
            ProviderPhase::New => {
                self.submit_step(adapter.as_ref(), credentials, state, op)
                    .await
            }
            ProviderPhase::Submitting => {
                let order = order_request(op, credentials);
                self.lookup_step(adapter.as_ref(), &order, state, op).await
            }
            ProviderPhase::Submitted => {
                self.poll_step(adapter.as_ref(), &credentials, state, op)
                    .await
            }
        }
    }

    /// `New`: mark `Submitting` durably, then submit once.
    async fn submit_step(
        &self,
        adapter: &dyn CaProvider,
        credentials: Credentials,
        before: ProviderState,
        op: &OperationRecord,
    ) -> Outcome {
        let mut state = before.clone();
        state.phase = ProviderPhase::Submitting;
        // Written before the CA is called: a crash from here on leads to a lookup.
        match self
            .save_state(op, &state, "Submitting the order to the CA.")
            .await
        {
            Ok(true) => {}
            // Cancelled, deleted or taken over meanwhile: not submitting is the safe side.
            Ok(false) => return Outcome::Stop,
            Err(e) => {
                let error = ProviderError::NotSent {
                    message: format!("cannot persist the submission state: {e}"),
                };
                return self.retry(before, &error);
            }
        }
        let order = order_request(op, credentials);
        match self
            .ca(adapter.kind(), "submit", adapter.submit(&order))
            .await
        {
            Ok(submitted) => {
                info!(ca.order_id = %submitted.order_id, provider = %adapter.kind(), "order submitted to the CA");
                self.note(
                    op,
                    EventKind::Submitted,
                    json!({ "ca_order_id": submitted.order_id, "provider": adapter.kind().as_str() }),
                );
                state.order_known(submitted.order_id);
                self.on_status(op, state, submitted.status)
            }
            Err(e @ (ProviderError::NotSent { .. } | ProviderError::Throttled { .. })) => {
                // The CA certainly did not act: the same submission may be sent again.
                state.phase = ProviderPhase::New;
                self.retry(state, &e)
            }
            Err(e @ ProviderError::Ambiguous { .. }) => {
                // The CA may have created the order: stay in Submitting, so the next step
                // looks it up before anything else.
                info!(error = %e, "submission outcome unknown; the order will be looked up");
                self.retry(state, &e)
            }
            Err(ProviderError::Exists { message }) => {
                info!(%message, "the CA reports the order exists; looking it up");
                state.exists_reported = true;
                state.last_error = Some(message);
                Outcome::Continue {
                    state,
                    details: "The CA reports this order exists already; looking it up.".into(),
                    after: Duration::ZERO,
                }
            }
            Err(e) => permanent(e),
        }
    }

    /// `Submitting`: the CA may hold the order; find it by our handle before anything else.
    async fn lookup_step(
        &self,
        adapter: &dyn CaProvider,
        order: &OrderRequest,
        mut state: ProviderState,
        op: &OperationRecord,
    ) -> Outcome {
        match self.ca(adapter.kind(), "find", adapter.find(order)).await {
            Ok(Some(order_id)) => {
                info!(ca.order_id = %order_id, "found the order whose submission went unanswered");
                self.note(
                    op,
                    EventKind::Submitted,
                    json!({ "ca_order_id": order_id, "provider": adapter.kind().as_str(), "found_by_lookup": true }),
                );
                state.order_known(order_id);
                Outcome::Continue {
                    state,
                    details: "Found the order at the CA; polling it.".into(),
                    after: Duration::ZERO,
                }
            }
            Ok(None) if state.exists_reported => Outcome::Fail {
                code: ISSUER_ERROR,
                message: format!(
                    "The CA reported that an order for this request exists, but a lookup does \
                     not find it; it was not submitted again. Last error: {}",
                    state.last_error.as_deref().unwrap_or("none")
                ),
            },
            Ok(None) => {
                state.phase = ProviderPhase::New;
                Outcome::Continue {
                    state,
                    details: "The CA has no order for this request; submitting it.".into(),
                    after: Duration::ZERO,
                }
            }
            Err(e) if e.is_retryable() => self.retry(state, &e),
            Err(e) => Outcome::Fail {
                code: ISSUER_ERROR,
                message: format!(
                    "The order's submission went unanswered and the CA cannot be asked whether \
                     it arrived ({e}); it was not submitted again to avoid a duplicate order."
                ),
            },
        }
    }

    /// `Submitted`: ask the CA how the order stands.
    async fn poll_step(
        &self,
        adapter: &dyn CaProvider,
        credentials: &Credentials,
        mut state: ProviderState,
        op: &OperationRecord,
    ) -> Outcome {
        let Some(order_id) = state.order_id.clone() else {
            state.phase = ProviderPhase::Submitting;
            return Outcome::Continue {
                state,
                details: "Looking up the order at the CA.".into(),
                after: Duration::ZERO,
            };
        };
        match self.poll_ca(adapter, credentials, &order_id).await {
            Ok(status) => {
                state.failures = 0;
                self.on_status(op, state, status)
            }
            Err(e) if e.is_retryable() => self.retry(state, &e),
            Err(e) => permanent(e),
        }
    }

    pub(super) fn on_status(
        &self,
        op: &OperationRecord,
        mut state: ProviderState,
        status: OrderStatus,
    ) -> Outcome {
        let ca_status = match &status {
            OrderStatus::Pending { ca_status } => ca_status.as_str(),
            OrderStatus::Issued { .. } => "issued",
            OrderStatus::Rejected { .. } => "rejected",
            OrderStatus::Cancelled { .. } => "cancelled",
            OrderStatus::Revoked { .. } => "revoked",
        };
        self.note(
            op,
            EventKind::CaPolled,
            json!({ "ca_status": ca_status, "ca_order_id": state.order_id }),
        );
        match status {
            OrderStatus::Pending { ca_status } => {
                state.polls += 1;
                let after = backoff(
                    self.settings.poll_interval,
                    state.polls.saturating_sub(1),
                    1.5,
                );
                Outcome::Continue {
                    state,
                    details: format!(
                        "Pending certificate created. Certificate request is in progress. The CA reports the order as '{ca_status}'."
                    ),
                    after,
                }
            }
            OrderStatus::Issued { chain } => self.complete_with(op, chain),
            OrderStatus::Rejected { message } => Outcome::Fail {
                code: REQUEST_REJECTED,
                message,
            },
            OrderStatus::Cancelled { message } if op.cancellation_requested => {
                Outcome::Cancelled { message }
            }
            OrderStatus::Cancelled { message } => Outcome::Fail {
                code: REQUEST_REJECTED,
                message: format!("The CA cancelled the order: {message}"),
            },
            OrderStatus::Revoked { message } => Outcome::Fail {
                code: ISSUER_ERROR,
                message: format!(
                    "The CA revoked the certificate before it was collected: {message}"
                ),
            },
        }
    }

    /// Checks the CA's chain against the pending key and the request (design: vault validates
    /// before it completes the version).
    pub(super) fn complete_with(&self, op: &OperationRecord, chain_der: Vec<Vec<u8>>) -> Outcome {
        match validate_chain(op, chain_der) {
            Ok(valid) => {
                self.note(
                    op,
                    EventKind::ChainChecked,
                    json!({ "chain_length": valid.chain.len() }),
                );
                Outcome::Complete {
                    chain: valid.chain,
                    nbf: valid.nbf,
                    exp: valid.exp,
                }
            }
            Err(message) => Outcome::Fail {
                code: ISSUER_ERROR,
                message: format!("The CA returned an unusable certificate: {message}"),
            },
        }
    }
}
