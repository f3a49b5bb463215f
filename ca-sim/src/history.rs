//! The request history behind `/admin/requests`: what each dialect handler said about a
//! request ([`ReqMeta`], carried out of the handler as a response extension) becomes an
//! [`Entry`], newest last, capped at [`HISTORY_CAP`].

use crate::domain::{Dialect, FaultPhase};
use crate::orders::clock::rfc3339;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

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

/// Request history, newest last, capped.
#[derive(Default)]
pub struct History {
    inner: Mutex<(u64, VecDeque<Entry>)>,
}

impl History {
    pub fn push(&self, mut e: Entry) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.0 += 1;
        e.seq = g.0;
        if g.1.len() >= HISTORY_CAP {
            g.1.pop_front();
        }
        g.1.push_back(e);
    }

    pub fn list(&self) -> Vec<Entry> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .iter()
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clear();
    }
}
