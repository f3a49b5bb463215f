//! The worker's side of the lease protocol on operation rows (the SQL lives in
//! `store::sqlite::operations`). Exactly once, even across vault instances on one store:
//!
//! - **Claim**: the worker takes due rows nobody holds with a conditional update that names
//!   it the owner until now + the lease term (wall clock). A row someone holds is not even
//!   selected, so work in flight never crowds due rows out of a batch.
//! - **Renew**: while a step runs, the lease is extended every third of its term; when a
//!   renewal finds the lease gone (another worker took the row over after it expired), the
//!   step is abandoned at once.
//! - **Fence**: every write of a step ([`Issuance::write_leased`]) re-reads the row in the
//!   same transaction and applies only if this worker still holds the lease; otherwise the
//!   step stops without acting. A submission is always preceded by such a write (the
//!   `Submitting` mark), so a worker that lost its row never submits.
//! - **Take over**: another worker claims the row only once the lease has expired; the row's
//!   persisted phase tells it what is safe (a `Submitting` row is looked up, never resubmitted
//!   blindly).
//!
//! The owner id is unique per [`Issuance`] (process id + random), so two workers in one
//! process are as separate as two processes.

pub use super::wall::{new_owner, wall_ms};
use super::worker::Issuance;
use crate::model::{OperationRecord, VersionRecord};
use crate::store::{Change, LeaseTerms, StoreError};
use std::time::Duration;
use tracing::warn;

impl Issuance {
    /// The terms of a claim or renewal made now.
    pub(super) fn lease_terms(&self) -> LeaseTerms {
        let now_ms = wall_ms();
        LeaseTerms {
            owner: self.owner.clone(),
            now_ms,
            until_ms: now_ms + self.settings.lease.as_millis() as i64,
        }
    }

    /// Renews the lease on `request_id` every third of its term; returns when the lease is
    /// lost (the caller then abandons the step). Store errors are retried: the lease may well
    /// still be ours.
    pub(super) async fn keep_lease(&self, request_id: String) {
        let every = (self.settings.lease / 3).max(Duration::from_millis(10));
        loop {
            tokio::time::sleep(every).await;
            let terms = self.lease_terms();
            let rid = request_id.clone();
            match self
                .db
                .run(move |s| s.renew_lease(&rid, &terms.owner, terms.until_ms))
                .await
            {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => warn!(error = %e, "cannot renew an operation's lease; retrying"),
            }
        }
    }

    /// Gives the lease on `request_id` back (after a step that wrote nothing).
    pub(super) async fn release_lease(&self, request_id: &str) {
        let change = Change::ReleaseLease {
            request_id: request_id.to_string(),
            owner: self.owner.clone(),
        };
        if let Err(e) = self.db.run(move |s| s.apply(vec![change])).await {
            warn!(error = %e, "cannot release an operation's lease; it expires on its own");
        }
    }

    /// The fenced write of a step: under the name lock (which serialises it with the
    /// certificate service's writes in this process), re-reads the operation by request id
    /// and, only while this worker holds its lease, applies what `update` returns. `Ok(false)`
    /// means the row ended, went, or was taken over, or `update` declined: the step stops.
    pub(super) async fn write_leased<F>(
        &self,
        op: &OperationRecord,
        update: F,
    ) -> Result<bool, StoreError>
    where
        F: FnOnce(OperationRecord, Option<VersionRecord>) -> Option<Vec<Change>> + Send + 'static,
    {
        let _guard = self.locks.lock(&op.key).await;
        let (rid, owner) = (op.request_id.clone(), self.owner.clone());
        self.db
            .run(move |s| s.update_leased(&rid, &owner, Box::new(update)))
            .await
    }
}
