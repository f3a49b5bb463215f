//! What the stateful targets (the ca-sim dialects, vault's request path) share: a server on a
//! throwaway data dir, started on the first input and started afresh every
//! [`RESTART_EVERY`] inputs. Each accepted order or certificate stays in the server's state,
//! and some work grows with it (ca-sim's worker scans its order book on every wake), so a
//! server kept for millions of inputs slows the fuzzer down several times over; restarting
//! keeps the state, and the execution rate, bounded.

use std::path::Path;
use std::sync::Mutex;
use tempfile::TempDir;

/// Inputs served by one server before the next input gets a fresh one.
pub const RESTART_EVERY: u32 = 20_000;

/// A server of type `S` and its data dir, replaced every [`RESTART_EVERY`] inputs.
pub struct Fresh<S> {
    slot: Mutex<Option<(S, TempDir, u32)>>,
    prefix: &'static str,
    start: fn(&Path) -> S,
}

impl<S> Fresh<S> {
    /// `start` builds a server on a data dir; `prefix` names the temp dirs.
    pub const fn new(prefix: &'static str, start: fn(&Path) -> S) -> Self {
        Self {
            slot: Mutex::new(None),
            prefix,
            start,
        }
    }

    /// Runs `input` against the current server (starting one first when due).
    pub fn with<R>(&self, input: impl FnOnce(&S) -> R) -> R {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_none_or(|(_, _, served)| *served >= RESTART_EVERY) {
            // The old server shuts down before its data dir goes.
            *slot = None;
            let dir = tempfile::Builder::new()
                .prefix(self.prefix)
                .tempdir()
                .expect("temp data dir");
            let server = (self.start)(dir.path());
            *slot = Some((server, dir, 0));
        }
        let (server, _, served) = slot.as_mut().expect("a server was just started");
        *served += 1;
        input(server)
    }
}
