//! The process-wide part of the timeline ([`Hub`]): the one `seq` counter, the bounded
//! broadcast channel of live updates ([`Live`]) the SSE stream subscribes to, and the request
//! log. A slow subscriber lags and skips ahead; a publisher never waits.

use super::requests::{RequestEntry, RequestLog};
use crate::model::TimelineEvent;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Live updates buffered per subscriber before it lags.
const LIVE_CAPACITY: usize = 1024;

/// One live update (an SSE event).
#[derive(Debug, Clone)]
pub enum Live {
    Timeline(Arc<TimelineEvent>),
    Request(Arc<RequestEntry>),
    /// A certificate changed (created, new version, status, deleted).
    Certificate {
        vault: Arc<str>,
        name: Arc<str>,
    },
    /// The clock moved; the admin API's clock JSON.
    Clock(Arc<serde_json::Value>),
}

/// Shared by every vault's [`Timeline`](super::Timeline) and the HTTP front end.
pub struct Hub {
    /// The last `seq` handed out; held while an event is queued and published, so both
    /// happen in `seq` order.
    seq: Mutex<i64>,
    live: broadcast::Sender<Live>,
    /// The last requests, for `/_admin/requests`.
    pub requests: RequestLog,
    /// The writers and SSE streams run on the process's tracker and stop with it.
    pub tracker: TaskTracker,
    pub shutdown: CancellationToken,
}

impl Hub {
    pub fn new(tracker: TaskTracker, shutdown: CancellationToken) -> Arc<Self> {
        Arc::new(Self {
            seq: Mutex::new(0),
            live: broadcast::channel(LIVE_CAPACITY).0,
            requests: RequestLog::default(),
            tracker,
            shutdown,
        })
    }

    /// A new live subscription.
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.live.subscribe()
    }

    /// Sends `update` to every subscriber (nothing to do when there is none).
    pub fn publish(&self, update: Live) {
        if self.live.receiver_count() > 0 {
            // Err only when nobody listens any more.
            let _ = self.live.send(update);
        }
    }

    /// Keeps `request` in the log and publishes it.
    pub fn request(&self, request: RequestEntry) {
        let request = Arc::new(request);
        self.requests.push(request.clone());
        self.publish(Live::Request(request));
    }

    /// Makes every later `seq` greater than `seen` (a vault's stored events, at its open).
    pub fn seen_seq(&self, seen: i64) {
        let mut seq = self.seq.lock().unwrap_or_else(|p| p.into_inner());
        *seq = (*seq).max(seen);
    }

    /// Hands out the next `seq` and runs `then` with it under the counter's lock.
    pub(super) fn next_seq<R>(&self, then: impl FnOnce(i64) -> R) -> R {
        let mut seq = self.seq.lock().unwrap_or_else(|p| p.into_inner());
        *seq += 1;
        then(*seq)
    }
}
