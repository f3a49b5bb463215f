//! Rendered `GET …/pending` bodies of one vault, reused while the operation and certificate
//! records are the very ones they were rendered from (records are replaced, never changed in
//! place, so pointer identity means "unchanged") and the base URL is the same. Clients poll
//! far more often than operations change, and serialising (the CSR in base64 above all) was
//! the largest share of a poll's own work. The front end supplies the rendering.

use crate::error::Result;
use crate::model::{CertRecord, OperationRecord};
use axum::body::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Default)]
pub struct PollBodies {
    entries: RwLock<HashMap<String, Rendered>>,
}

struct Rendered {
    cert: Arc<CertRecord>,
    op: Arc<OperationRecord>,
    base: String,
    body: Bytes,
}

/// More names than this being polled at once is unusual; past it the map starts over rather
/// than grow without bound.
const MAX_RENDERED: usize = 1024;

impl PollBodies {
    /// The body for (`base`, `cert`, `op`): the one rendered before if the records are the
    /// same, else `render()`'s, kept for next time.
    pub fn body(
        &self,
        base: &str,
        cert: &Arc<CertRecord>,
        op: &Arc<OperationRecord>,
        render: impl FnOnce() -> Result<Bytes>,
    ) -> Result<Bytes> {
        {
            let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
            if let Some(r) = entries.get(&cert.key) {
                if Arc::ptr_eq(&r.cert, cert) && Arc::ptr_eq(&r.op, op) && r.base == base {
                    return Ok(r.body.clone());
                }
            }
        }
        let body = render()?;
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_RENDERED && !entries.contains_key(&cert.key) {
            entries.clear();
        }
        entries.insert(
            cert.key.clone(),
            Rendered {
                cert: cert.clone(),
                op: op.clone(),
                base: base.to_string(),
                body: body.clone(),
            },
        );
        Ok(body)
    }
}

#[cfg(test)]
mod tests;
