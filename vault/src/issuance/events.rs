//! The dashboard's timeline from the issuance side: small helpers the worker, the partner
//! steps and the certificate service call to record an operation's steps (see `timeline`).
//! Orphaned rows and ACME orders are not certificates and record nothing.

use super::worker::Issuance;
use crate::model::{EventKind, OperationRecord};
use serde_json::{json, Value};
use shared::models::{CertificatePolicy, OperationStatus};

impl Issuance {
    /// Records `kind` for `op`'s certificate.
    pub(crate) fn note(&self, op: &OperationRecord, kind: EventKind, detail: Value) {
        if op.is_orphan() || crate::model::acme::acme_order_of(&op.key).is_some() {
            return;
        }
        self.timeline
            .record(&op.key, Some(&op.request_id), kind, detail);
    }

    /// `key_created` (and, when a CSR was made with it, `csr_created`).
    pub(crate) fn note_key(&self, op: &OperationRecord, reused: bool, csr: bool) {
        self.note(op, EventKind::KeyCreated, key_detail(&op.policy, reused));
        if csr {
            self.note(op, EventKind::CsrCreated, json!({}));
        }
    }

    /// The final event of an ended operation (`completed`, `failed`, `cancelled`).
    pub(crate) fn note_end(&self, op: &OperationRecord) {
        let (kind, detail) = match op.status {
            OperationStatus::InProgress => return,
            OperationStatus::Completed => (EventKind::Completed, json!({ "version": op.version })),
            OperationStatus::Failed => (
                EventKind::Failed,
                json!({
                    "code": op.error.as_ref().map(|e| e.code.clone()),
                    "message": op.error.as_ref().map(|e| e.message.clone()),
                }),
            ),
            OperationStatus::Cancelled => (
                EventKind::Cancelled,
                json!({ "message": op.status_details }),
            ),
        };
        self.note(op, kind, detail);
    }
}

/// `{kty, size | curve, reused}` of the policy's key.
pub(crate) fn key_detail(policy: &CertificatePolicy, reused: bool) -> Value {
    let props = policy.key_props.clone().unwrap_or_default();
    json!({
        "kty": props.kty,
        "size": props.key_size,
        "curve": props.crv,
        "reused": reused,
    })
}

impl Issuance {
    /// After a step ended `op`: its final event, read back as written (the row may have been
    /// replaced meanwhile; then nothing is recorded).
    pub(crate) async fn note_ended(&self, op: &OperationRecord) {
        if op.is_orphan() {
            return;
        }
        if let Ok(Some(now)) = self.db.operation(&op.key).await {
            if now.request_id == op.request_id {
                self.note_end(&now);
            }
        }
    }
}
