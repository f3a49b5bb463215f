//! The live request log: the last [`CAPACITY`] requests (method, path, status, latency) in
//! memory, filled by the HTTP middleware once per request. A push is one short mutex and one
//! small allocation; the path is kept as the request's own `Uri` (shared bytes, no copy).

use axum::http::{HeaderValue, Method, Uri};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Requests kept.
pub const CAPACITY: usize = 1000;

/// One answered request. Never headers (but the host, for the vault) or bodies.
#[derive(Debug)]
pub struct RequestEntry {
    /// When it was answered, on vault's clock (unix milliseconds).
    pub at_ms: i64,
    pub method: Method,
    /// The request target; only its path is ever shown.
    pub uri: Uri,
    /// The `Host` header: which vault the request named.
    pub host: Option<HeaderValue>,
    pub status: u16,
    pub latency_ms: f64,
}

/// The ring of recent requests.
#[derive(Default)]
pub struct RequestLog {
    ring: Mutex<VecDeque<Arc<RequestEntry>>>,
}

impl RequestLog {
    /// Keeps `entry`, dropping the oldest beyond [`CAPACITY`].
    pub fn push(&self, entry: Arc<RequestEntry>) {
        let mut ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        if ring.len() == CAPACITY {
            ring.pop_front();
        }
        ring.push_back(entry);
    }

    /// The kept requests, newest first.
    pub fn recent(&self) -> Vec<Arc<RequestEntry>> {
        let ring = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        ring.iter().rev().cloned().collect()
    }
}
