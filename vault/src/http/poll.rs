//! The polling hot path's precomputed parts: the poll headers made once from `--retry-after`,
//! and the rendering of polled operations into the vault's body cache, reused while the
//! records are unchanged.

use super::wire;
use crate::error::{Error, Result};
use crate::model::{CertRecord, OperationRecord};
use crate::vaults::VaultInstance;
use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use shared::models::OperationStatus;
use std::sync::Arc;
use std::time::Duration;

static RETRY_AFTER: HeaderName = HeaderName::from_static("retry-after");
static RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");

/// The poll headers for `--retry-after`, made once: `Retry-After` (whole seconds, at least 1)
/// for every SDK and `retry-after-ms` for the Rust one, which prefers it (spec §5.2).
pub struct PollHeaders {
    secs: HeaderValue,
    ms: HeaderValue,
}

impl PollHeaders {
    pub fn new(retry_after: Duration) -> Self {
        let ms = u64::try_from(retry_after.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        Self {
            secs: HeaderValue::from(ms.div_ceil(1000).max(1)),
            ms: HeaderValue::from(ms),
        }
    }

    /// While `op` is in progress, tells pollers when to come back.
    pub fn add(&self, resp: &mut Response, op: &OperationRecord) {
        if op.status != OperationStatus::InProgress {
            return;
        }
        let headers = resp.headers_mut();
        headers.insert(RETRY_AFTER.clone(), self.secs.clone());
        headers.insert(RETRY_AFTER_MS.clone(), self.ms.clone());
    }
}

/// The `GET …/pending` body for this vault's operation: rendered once per record pair and
/// base URL, then reused from the vault's cache (`vaults::PollBodies`).
pub fn poll_body(
    vault: &VaultInstance,
    base: &str,
    cert: &Arc<CertRecord>,
    op: &Arc<OperationRecord>,
) -> Result<Bytes> {
    vault.poll_bodies.body(base, cert, op, || {
        serde_json::to_vec(&wire::operation(base, cert, op))
            .map(Bytes::from)
            .map_err(|e| Error::Internal(format!("serialising a response: {e}")))
    })
}
