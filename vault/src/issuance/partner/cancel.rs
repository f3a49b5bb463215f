//! Carrying out a durable cancel intent: `cancellation_requested` on a partnered operation, or
//! an orphaned row (`model::orphan_key`: the operation or its certificate was deleted). The
//! intent is in the row, so it survives a crash and waits for the order id if the submission's
//! answer was lost:
//!
//! - `New` (never sent): cancelled at once, nothing at the CA.
//! - `Submitting` (the CA may have the order): look it up by vault's handle; found → keep its
//!   id and cancel it in the next step; absent → cancelled, the CA never received it.
//! - `Submitted`: send the cancel. Confirmed → `cancelled`; already issued → collect the
//!   certificate (`completed`, "may or may not be cancelled"); already final → `cancelled`
//!   with the CA's word. An **ambiguous** cancel (the CA may have applied it) is resolved by
//!   reading the order's state first in the next step, and only a still-pending order is
//!   cancelled again.
//!
//! An orphan's final outcome deletes its row (see `record`).

use super::outcome::{permanent, Outcome};
use crate::issuance::worker::Issuance;
use crate::model::{OperationRecord, ProviderPhase, ProviderState};
use crate::providers::{CaProvider, CancelOutcome, OrderRequest, OrderStatus};
use std::time::Duration;
use tracing::info;

impl Issuance {
    pub(super) async fn cancel_step(
        &self,
        adapter: &dyn CaProvider,
        order: &OrderRequest,
        mut state: ProviderState,
        op: &OperationRecord,
    ) -> Outcome {
        let order_id = match (state.phase, state.order_id.clone()) {
            (ProviderPhase::New, _) => {
                return Outcome::Cancelled {
                    message: "Cancelled before the order was sent to the CA.".into(),
                }
            }
            (ProviderPhase::Submitted, Some(id)) => id,
            (_, _) => return self.find_to_cancel(adapter, order, state).await,
        };
        if state.cancel_unsure {
            // The last cancel went unanswered: what the order is now decides.
            match self.poll_ca(adapter, &order.credentials, &order_id).await {
                Ok(OrderStatus::Pending { .. }) => {}
                Ok(OrderStatus::Issued { chain }) => return self.complete_with(op, chain),
                Ok(
                    OrderStatus::Cancelled { message }
                    | OrderStatus::Rejected { message }
                    | OrderStatus::Revoked { message },
                ) => return Outcome::Cancelled { message },
                Err(e) if e.is_retryable() => return self.retry(state, &e),
                Err(e) => {
                    return Outcome::Cancelled {
                        message: format!(
                            "Cancelled in the vault; the CA could not be asked about order \
                             {order_id} ({e})."
                        ),
                    }
                }
            }
        }
        match self
            .ca(
                adapter.kind(),
                "cancel",
                adapter.cancel(&order.credentials, &order_id),
            )
            .await
        {
            Ok(CancelOutcome::Cancelled) => Outcome::Cancelled {
                message: format!("The CA cancelled order {order_id}."),
            },
            Ok(CancelOutcome::AlreadyIssued) => {
                // Too late: the certificate exists; collect it ("may or may not be cancelled").
                match self.poll_ca(adapter, &order.credentials, &order_id).await {
                    Ok(OrderStatus::Issued { chain }) => self.complete_with(op, chain),
                    Ok(other) => self.on_status(op, state, other),
                    Err(e) if e.is_retryable() => self.retry(state, &e),
                    Err(e) => permanent(e),
                }
            }
            Ok(CancelOutcome::AlreadyFinal(message)) => Outcome::Cancelled { message },
            Err(e) if e.may_have_acted() => {
                info!(ca.order_id = %order_id, error = %e, "cancel outcome unknown; the order's state will be read first");
                state.cancel_unsure = true;
                self.retry(state, &e)
            }
            Err(e) if e.is_retryable() => self.retry(state, &e),
            Err(e) => Outcome::Cancelled {
                message: format!(
                    "Cancelled in the vault; the CA refused to cancel order {order_id}: {e}"
                ),
            },
        }
    }

    /// The order id is not known (its submission went unanswered): look it up first.
    async fn find_to_cancel(
        &self,
        adapter: &dyn CaProvider,
        order: &OrderRequest,
        mut state: ProviderState,
    ) -> Outcome {
        match self.ca(adapter.kind(), "find", adapter.find(order)).await {
            Ok(Some(id)) => {
                info!(ca.order_id = %id, "found the order to cancel");
                state.order_known(id);
                // Kept first, so the cancel that follows is never lost to a crash.
                Outcome::Continue {
                    state,
                    details: "Cancellation requested; found the order at the CA, cancelling it."
                        .into(),
                    after: Duration::ZERO,
                }
            }
            Ok(None) => Outcome::Cancelled {
                message: "Cancelled; the CA has no order for this request.".into(),
            },
            Err(e) if e.is_retryable() => self.retry(state, &e),
            Err(e) => Outcome::Cancelled {
                message: format!(
                    "Cancelled in the vault; the CA could not be asked about the order ({e})."
                ),
            },
        }
    }
}
