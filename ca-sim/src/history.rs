//! The request history behind `/admin/requests`: what each dialect handler said about a
//! request ([`ReqMeta`], carried out of the handler as a response extension) becomes an
//! [`Entry`], newest last, capped at [`HISTORY_CAP`]. The newest [`BODY_CAP`] entries also
//! keep what went over the wire ([`Exchange`]: headers and bodies, secrets masked by
//! `crate::mask` before they are stored), served by `/admin/requests/{seq}`. Every entry is
//! published on the live feed (`request`).

use crate::domain::{Dialect, FaultPhase};
use crate::events::Events;
use crate::orders::clock::rfc3339;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// What a dialect handler says about a request, for the history (response extension).
#[derive(Debug, Clone)]
pub struct ReqMeta {
    pub dialect: Dialect,
    pub operation: &'static str,
    pub account: Option<String>,
    pub order_id: Option<String>,
    /// Vendor error code, if the answer was an error.
    pub code: Option<String>,
    /// The fault rule that fired, and in which phase (`after`: the CA acted, the answer was
    /// lost).
    pub fault: Option<String>,
    pub fault_phase: Option<FaultPhase>,
}

impl ReqMeta {
    pub fn new(dialect: Dialect, operation: &'static str) -> Self {
        Self {
            dialect,
            operation,
            account: None,
            order_id: None,
            code: None,
            fault: None,
            fault_phase: None,
        }
    }
}

/// One history entry (`/admin/requests`).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: u64,
    pub at: String,
    pub dialect: Dialect,
    pub operation: &'static str,
    pub account: Option<String>,
    pub order_id: Option<String>,
    pub method: String,
    pub path: String,
    /// HTTP status; 0 when the connection was dropped.
    pub status: u16,
    pub code: Option<String>,
    pub fault: Option<String>,
    /// `before` or `after` when a fault fired (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault_phase: Option<FaultPhase>,
    pub latency_ms: f64,
}

impl Entry {
    /// The entry for a request described by `meta`, answered at simulated `at_ms`.
    pub fn new(
        at_ms: i64,
        meta: &ReqMeta,
        method: String,
        path: String,
        status: u16,
        latency_ms: f64,
    ) -> Self {
        Self {
            seq: 0,
            at: rfc3339(at_ms),
            dialect: meta.dialect,
            operation: meta.operation,
            account: meta.account.clone(),
            order_id: meta.order_id.clone(),
            method,
            path,
            status,
            code: meta.code.clone(),
            fault: meta.fault.clone(),
            fault_phase: meta.fault_phase,
            latency_ms,
        }
    }
}

/// How many entries the history keeps (the oldest go first).
pub const HISTORY_CAP: usize = 10_000;

/// How many of the newest entries keep their [`Exchange`] (bodies are bigger than entries).
pub const BODY_CAP: usize = 1_000;

/// Bytes of a body kept (after masking); the rest is cut with a note.
pub const BODY_LIMIT: usize = 16 * 1024;

/// What went over the wire, masked: request and response headers and bodies.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub request_headers: Vec<(String, String)>,
    pub request_body: String,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
}

#[derive(Default)]
struct Ring {
    seq: u64,
    entries: VecDeque<Entry>,
    exchanges: VecDeque<(u64, Arc<Exchange>)>,
}

/// Request history, newest last, capped.
#[derive(Default)]
pub struct History {
    inner: Mutex<Ring>,
    events: Events,
}

impl History {
    /// A history that publishes each entry on `events`.
    pub fn new(events: Events) -> Self {
        Self {
            inner: Mutex::default(),
            events,
        }
    }

    pub fn push(&self, e: Entry) {
        self.push_exchange(e, None);
    }

    /// Records `e` with what went over the wire (already masked).
    pub fn push_exchange(&self, mut e: Entry, exchange: Option<Exchange>) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.seq += 1;
        e.seq = g.seq;
        if g.entries.len() >= HISTORY_CAP {
            g.entries.pop_front();
        }
        if let Some(x) = exchange {
            if g.exchanges.len() >= BODY_CAP {
                g.exchanges.pop_front();
            }
            g.exchanges.push_back((e.seq, Arc::new(x)));
        }
        self.events
            .publish_with("request", || serde_json::to_value(&e).unwrap_or_default());
        g.entries.push_back(e);
    }

    /// Entry `seq` and its exchange, if still kept.
    pub fn get(&self, seq: u64) -> Option<(Entry, Option<Arc<Exchange>>)> {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let e = g.entries.iter().rev().find(|e| e.seq == seq)?.clone();
        let x = g
            .exchanges
            .iter()
            .rev()
            .find(|(s, _)| *s == seq)
            .map(|(_, x)| x.clone());
        Some((e, x))
    }

    pub fn list(&self) -> Vec<Entry> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entries
            .iter()
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.entries.clear();
        g.exchanges.clear();
    }
}
