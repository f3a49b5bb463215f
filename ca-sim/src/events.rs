//! The live feed of the dashboard (`GET /admin/events`, served by `crate::admin_events`): a
//! bounded broadcast of what changed — an order (`order`), a recorded request (`request`),
//! the fault rules or their counters (`faults`), the clock (`clock`). Publishing never waits:
//! a subscriber that falls more than [`CAPACITY`] events behind loses its stream (the browser
//! reconnects and reloads), so a slow dashboard never slows the CA.

use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Events a subscriber may fall behind before it is dropped.
pub const CAPACITY: usize = 256;

/// One change: the SSE `event:` name and its JSON `data:`.
#[derive(Debug, Clone)]
pub struct Live {
    pub kind: &'static str,
    pub data: Value,
}

/// The hub; clones share one channel.
#[derive(Clone)]
pub struct Events {
    tx: broadcast::Sender<Live>,
    /// The fault rules' version last published (see [`Events::faults_changed`]).
    faults_seen: Arc<AtomicU64>,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(CAPACITY).0,
            faults_seen: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Events {
    /// Publishes `kind`; `data` is only built when someone listens (no cost under load
    /// without a dashboard).
    pub fn publish_with(&self, kind: &'static str, data: impl FnOnce() -> Value) {
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(Live { kind, data: data() });
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.tx.subscribe()
    }

    /// Whether the fault rules' `version` differs from the one last published (and notes it):
    /// counters move on every matching request, so they are published once per change seen.
    pub fn faults_changed(&self, version: u64) -> bool {
        self.faults_seen.swap(version, Ordering::Relaxed) != version
    }
}
