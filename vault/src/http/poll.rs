//! The polling hot path's precomputed parts: the poll headers made once from `--retry-after`,
//! and the rendered bodies of polled operations, reused while the records are unchanged.

use super::wire;
use crate::error::{Error, Result};
use crate::model::{CertRecord, OperationRecord};
use axum::body::Bytes;
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use shared::models::OperationStatus;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
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

/// Rendered `GET …/pending` bodies, reused while the operation and certificate records are the
/// very ones they were rendered from (records are replaced, never changed in place, so pointer
/// identity means "unchanged") and the base URL is the same. Clients poll far more often than
/// operations change, and serialising (the CSR in base64 above all) was the largest share of a
/// poll's own work.
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
    pub fn body(
        &self,
        base: &str,
        cert: &Arc<CertRecord>,
        op: &Arc<OperationRecord>,
    ) -> Result<Bytes> {
        {
            let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
            if let Some(r) = entries.get(&cert.key) {
                if Arc::ptr_eq(&r.cert, cert) && Arc::ptr_eq(&r.op, op) && r.base == base {
                    return Ok(r.body.clone());
                }
            }
        }
        let body = Bytes::from(
            serde_json::to_vec(&wire::operation(base, cert, op))
                .map_err(|e| Error::Internal(format!("serialising a response: {e}")))?,
        );
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
mod tests {
    use super::*;
    use shared::models::CertificatePolicy;

    fn cert() -> Arc<CertRecord> {
        Arc::new(CertRecord {
            key: "web".into(),
            name: "Web".into(),
            policy: CertificatePolicy::default(),
            policy_created: 1,
            policy_updated: 1,
            deleted: None,
        })
    }

    fn op(status: OperationStatus) -> Arc<OperationRecord> {
        Arc::new(OperationRecord {
            key: "web".into(),
            version: "v1".into(),
            request_id: "r1".into(),
            issuer_name: "Unknown".into(),
            issuer_cty: None,
            cert_transparency: None,
            csr: Some(vec![1, 2, 3]),
            status,
            status_details: None,
            error: None,
            cancellation_requested: false,
            preserve_cert_order: false,
            policy: CertificatePolicy::default(),
            created: 1,
            updated: 1,
            next_run_at: 0,
            provider: None,
        })
    }

    fn json(b: &Bytes) -> serde_json::Value {
        serde_json::from_slice(b).expect("rendered body is JSON")
    }

    #[test]
    fn rendered_body_is_reused_only_for_the_same_records_and_base() {
        let bodies = PollBodies::default();
        let (c, pending) = (cert(), op(OperationStatus::InProgress));
        let first = bodies.body("https://a", &c, &pending).unwrap();
        let again = bodies.body("https://a", &c, &pending).unwrap();
        // Reuse means the very same buffer.
        assert_eq!(first.as_ptr(), again.as_ptr());
        assert_eq!(json(&first)["status"], "inProgress");
        assert_eq!(json(&first)["id"], "https://a/certificates/Web/pending");

        // Another base URL renders anew.
        let other = bodies.body("https://b:8443", &c, &pending).unwrap();
        assert_eq!(
            json(&other)["id"],
            "https://b:8443/certificates/Web/pending"
        );

        // A replaced operation record (even with equal content) renders anew.
        let done = op(OperationStatus::Completed);
        let after = bodies.body("https://b:8443", &c, &done).unwrap();
        assert_eq!(json(&after)["status"], "completed");
        assert_eq!(json(&after)["target"], "https://b:8443/certificates/Web");
        let copy = op(OperationStatus::Completed);
        let fresh = bodies.body("https://b:8443", &c, &copy).unwrap();
        assert_ne!(fresh.as_ptr(), after.as_ptr());
        assert_eq!(fresh, after);
    }

    #[test]
    fn the_map_stays_bounded() {
        let bodies = PollBodies::default();
        let pending = op(OperationStatus::InProgress);
        for i in 0..(MAX_RENDERED * 2 + 5) {
            let c = Arc::new(CertRecord {
                key: format!("n{i}"),
                name: format!("n{i}"),
                ..(*cert()).clone()
            });
            bodies.body("https://a", &c, &pending).unwrap();
        }
        let len = bodies.entries.read().unwrap().len();
        assert!((1..=MAX_RENDERED).contains(&len), "{len} entries");
    }
}
