//! Group commit for [`Store::apply`](crate::store::Store::apply): batches that arrive while a
//! commit is being made durable wait, and the next commit carries all of them: one transaction
//! and one fsync for the group, each batch inside its own savepoint, so a batch that fails
//! is rolled back alone and the others commit. With `synchronous = FULL` an fsync costs
//! milliseconds (≈3.6 ms on the CI machine's disk), so one commit per batch capped the whole
//! vault at a few hundred writes per second however many clients waited; grouped, concurrent
//! writers share that cost and each still returns only once its batch is durable.
//!
//! The first batch to find no commit running leads: it takes every waiting batch, commits
//! them (through the caller's `commit` function), hands each its result and wakes the rest.
//! A batch that arrives during that commit waits for the next leader. No thread is spawned:
//! callers are already on a store thread (`store::pool`).

use crate::store::contract::{Change, StoreResult};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// One caller's batch and, once committed (or refused), its result.
pub(super) struct Slot {
    pub changes: Vec<Change>,
    result: Mutex<Option<StoreResult<()>>>,
}

impl Slot {
    /// Records the batch's outcome (called by the leader's `commit`).
    pub fn finish(&self, result: StoreResult<()>) {
        *lock(&self.result) = Some(result);
    }

    fn take(&self) -> Option<StoreResult<()>> {
        lock(&self.result).take()
    }
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Arc<Slot>>,
    leading: bool,
}

/// The queue of batches waiting for the next commit.
#[derive(Default)]
pub(super) struct GroupCommit {
    queue: Mutex<Queue>,
    done: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data is a queue of independent slots: still consistent after a panic.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl GroupCommit {
    /// Applies `changes` in the next group commit and returns once that commit is done.
    /// `commit` receives the group in arrival order and must `finish` every slot.
    pub fn apply(&self, changes: Vec<Change>, commit: impl Fn(&[Arc<Slot>])) -> StoreResult<()> {
        let slot = Arc::new(Slot {
            changes,
            result: Mutex::new(None),
        });
        let mut queue = lock(&self.queue);
        queue.waiting.push(slot.clone());
        loop {
            if let Some(result) = slot.take() {
                return result;
            }
            if !queue.leading {
                queue.leading = true;
                let group = std::mem::take(&mut queue.waiting);
                drop(queue);
                // Our own slot is in this group (it was queued before we led).
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    commit(&group);
                }));
                queue = lock(&self.queue);
                queue.leading = false;
                self.done.notify_all();
                if let Err(panic) = outcome {
                    drop(queue);
                    // Nobody waits for a slot of this group any more but its callers; give
                    // those a result before the panic goes on.
                    for s in &group {
                        if lock(&s.result).is_none() {
                            s.finish(Err(crate::store::contract::StoreError::Corrupt(
                                "the group commit failed unexpectedly".into(),
                            )));
                        }
                    }
                    self.done.notify_all();
                    std::panic::resume_unwind(panic);
                }
                continue;
            }
            queue = self.done.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
    }
}
