//! The store's worker threads: every [`Db::run`](super::Db::run) call of the process is a job
//! on one queue that a fixed set of threads drains. SQLite calls block, so they must not run
//! on the async workers; on tokio's blocking pool they cost two thread hand-offs each (the
//! pool wakes a parked thread for every call) and, under load, the pool grows a thread per
//! waiting caller (~65 with 64 ACME clients), which then only queue on the store's locks. Here
//! a thread that finishes a job takes the next one without sleeping, and there are never more
//! threads than the store can serve at once.

use std::sync::OnceLock;

use crossbeam_channel::{Receiver, Sender};

/// One store call, boxed; it sends its own result.
pub type Job = Box<dyn FnOnce() + Send>;

/// How many threads serve store calls: at least what one SQLite store serves at once (four
/// read-only connections and the writer, plus a batch queueing for the next group commit),
/// two per core on a larger machine. Measured with 64 ACME clients on 2 cores, three to six
/// threads gave the same figures (docs/benchmarks.md).
fn threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 2).max(6)
}

/// Queues `job` for the store threads (started on first use).
pub fn submit(job: Job) {
    static QUEUE: OnceLock<Sender<Job>> = OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (tx, rx) = crossbeam_channel::unbounded::<Job>();
        for n in 0..threads() {
            let rx = rx.clone();
            // Failing to start a thread leaves the others; the first one cannot fail silently
            // because the process has no store without it.
            let started = std::thread::Builder::new()
                .name(format!("vault-store-{n}"))
                .spawn(move || serve(rx));
            if let Err(e) = started {
                assert!(n > 0, "cannot start a store thread: {e}");
                tracing::warn!(error = %e, "cannot start store thread {n}");
            }
        }
        tx
    });
    // The receivers live as long as the process, so sending cannot fail.
    let _ = queue.send(job);
}

fn serve(jobs: Receiver<Job>) {
    for job in jobs {
        // A panicking call must not take the thread with it: its caller sees its result
        // channel closed and reports the failure; the thread serves the next job.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests;
