//! The pending operation of a name (spec §4.1): the polling read, cancel and delete. The
//! status itself changes only through `model::OperationRecord::end`. Cancel and delete of a
//! partnered operation are durable intents the issuance worker carries out at the CA
//! (`issuance::partner`), even when the order's id is not known yet.

use super::names::validate_name;
use super::service::Service;
use crate::error::{Error, Result};
use crate::model::{key_of, CertRecord, Ending, OperationRecord};
use crate::store::Change;
use shared::models::OperationStatus;
use std::sync::Arc;
use tracing::info;

impl Service {
    /// The pending operation for `GET …/pending`, the polling hot path: shared records from
    /// the store's cache, no copies.
    pub async fn poll_operation(
        &self,
        name: &str,
    ) -> Result<(Arc<CertRecord>, Arc<OperationRecord>)> {
        validate_name(name, "certificate name").map_err(|_| Error::pending_not_found())?;
        let key = key_of(name);
        let cert = match self.db.cert_shared(&key).await? {
            Some(c) if c.deleted.is_none() => c,
            _ => return Err(Error::pending_not_found()),
        };
        let op = self
            .db
            .operation_shared(&key)
            .await?
            .ok_or_else(Error::pending_not_found)?;
        Ok((cert, op))
    }

    pub async fn operation(&self, name: &str) -> Result<(CertRecord, OperationRecord)> {
        let cert = self
            .active(name)
            .await
            .map_err(|_| Error::pending_not_found())?;
        let op = self
            .db
            .operation(&cert.key)
            .await?
            .ok_or_else(Error::pending_not_found)?;
        Ok((cert, op))
    }

    /// `PATCH …/pending {"cancellation_requested": true}` (spec §4.1): only while in progress.
    /// Self-signed and Unknown operations have no CA to ask, so they flip to `cancelled` at once.
    pub async fn cancel_operation(
        &self,
        name: &str,
        cancellation_requested: bool,
    ) -> Result<(CertRecord, OperationRecord)> {
        validate_name(name, "certificate name")?;
        let _guard = self.issuance.locks.lock(&key_of(name)).await;
        let (cert, mut op) = self.operation(name).await?;
        if !cancellation_requested {
            return Ok((cert, op));
        }
        if op.status != OperationStatus::InProgress {
            return Err(Error::bad(format!(
                "The operation cannot be cancelled because its status is {}; only an \
                 operation that is inProgress can be cancelled.",
                op.status
            )));
        }
        op.cancellation_requested = true;
        op.updated = self.now();
        if op.provider.is_some() {
            // A CA is involved: the worker forwards the cancellation and records its answer.
            op.status_details =
                Some("Cancellation requested; asking the CA to cancel the order.".into());
            op.next_run_at = self.clock.unix_ms();
        } else {
            op.end(Ending::Cancelled {
                message: "The certificate request was cancelled.".into(),
            });
        }
        let change = Change::PutOperation(op.clone());
        self.db.run(move |s| s.apply(vec![change])).await?;
        self.issuance.wake();
        self.issuance.note(
            &op,
            crate::model::EventKind::CancelRequested,
            serde_json::json!({}),
        );
        // Self-signed and Unknown operations ended here.
        self.issuance.note_end(&op);
        info!(cert.name = %cert.name, "certificate operation cancellation requested");
        Ok((cert, op))
    }

    /// `DELETE …/pending`: vault stops tracking the operation; the pending version stays. A
    /// partnered operation still in progress leaves a durable cancel intent behind
    /// ([`forget_operation`]), so the CA's order is cancelled even if its id is not known yet.
    pub async fn delete_operation(&self, name: &str) -> Result<(CertRecord, OperationRecord)> {
        validate_name(name, "certificate name")?;
        let _guard = self.issuance.locks.lock(&key_of(name)).await;
        let (cert, op) = self.operation(name).await?;
        let change = forget_operation(&op, self.clock.unix_ms());
        self.db.run(move |s| s.apply(vec![change])).await?;
        if op.status == OperationStatus::InProgress {
            self.issuance.wake();
        }
        Ok((cert, op))
    }
}

/// The change that removes `op` from its name: a partnered operation still in progress is
/// orphaned (`Change::DetachOperation`: the worker makes sure the CA's order ends cancelled,
/// then removes the row), anything else deleted.
pub(crate) fn forget_operation(op: &OperationRecord, now_ms: i64) -> Change {
    if op.status == OperationStatus::InProgress && op.provider.is_some() {
        Change::DetachOperation {
            key: op.key.clone(),
            now_ms,
            details: "No longer tracked by the vault; cancelling the order at the CA.".into(),
        }
    } else {
        Change::DeleteOperation {
            key: op.key.clone(),
        }
    }
}
