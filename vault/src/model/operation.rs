//! The pending operation of a name (spec §4.1) and its partner-CA progress.
//!
//! An operation is created `inProgress` (by `certs`), and leaves that state only through
//! [`OperationRecord::end`]: the one function that sets `completed`, `failed` or `cancelled`,
//! whoever decides it (a merge or a cancel in `certs`, the worker in `issuance`).

use shared::models::{CertificatePolicy, ErrorDetail, OperationStatus};

/// `next_run_at` of an operation the worker must never pick (it waits for the user, or ended).
pub const NEVER: i64 = i64::MAX;

/// Starts the key of an orphaned operation; no certificate name can (names are
/// `[0-9a-zA-Z-]`), so an orphan never shadows a name.
const ORPHAN_PREFIX: char = '~';

/// Where an operation goes when vault stops tracking it while the CA may hold an order for it
/// (`DELETE …/pending`, or its certificate deleted): a row of its own, keyed by its request
/// id, that is nothing but a durable intent to cancel at the CA. The worker carries it out
/// (looking the order up first if its id is not known yet), then deletes the row; it survives
/// a crash like any row.
pub fn orphan_key(request_id: &str) -> String {
    format!("{ORPHAN_PREFIX}{request_id}")
}

/// The one pending operation of a name (spec §4.1): overwritten, never accumulated.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationRecord {
    pub key: String,
    /// The version this operation produces.
    pub version: String,
    pub request_id: String,
    pub issuer_name: String,
    pub issuer_cty: Option<String>,
    pub cert_transparency: Option<bool>,
    pub csr: Option<Vec<u8>>,
    /// Changed only by [`OperationRecord::end`] once the operation exists.
    pub status: OperationStatus,
    pub status_details: Option<String>,
    pub error: Option<ErrorDetail>,
    pub cancellation_requested: bool,
    pub preserve_cert_order: bool,
    /// The policy this operation issues under (a later policy PATCH does not change it).
    pub policy: CertificatePolicy,
    pub created: i64,
    pub updated: i64,
    /// When the issuance worker should next look at this operation (unix milliseconds).
    pub next_run_at: i64,
    /// Progress of a partner-CA order; `None` for self-signed and Unknown operations.
    pub provider: Option<ProviderState>,
}

/// How an operation ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// The version holds its certificate (issued, collected from the CA, or merged).
    Completed,
    /// No certificate: `code` and `message` become the operation's `error`.
    Failed { code: &'static str, message: String },
    /// Cancelled on request; `message` says what the CA (if any) answered.
    Cancelled { message: String },
}

impl OperationRecord {
    /// Whether this is an orphaned operation (see [`orphan_key`]): nobody polls it any more.
    pub fn is_orphan(&self) -> bool {
        self.key.starts_with(ORPHAN_PREFIX)
    }

    /// Moves the operation to its final status: the one place a status changes (spec §4.1).
    /// The worker never picks it again; a completed operation carries no error or details.
    /// The caller stamps `updated` and writes the record in the same batch as its effects.
    pub fn end(&mut self, ending: Ending) {
        self.next_run_at = NEVER;
        match ending {
            Ending::Completed => {
                self.status = OperationStatus::Completed;
                self.status_details = None;
                self.error = None;
            }
            Ending::Failed { code, message } => {
                self.status = OperationStatus::Failed;
                self.status_details = Some(message.clone());
                self.error = Some(ErrorDetail {
                    code: code.into(),
                    message,
                    innererror: None,
                });
            }
            Ending::Cancelled { message } => {
                self.status = OperationStatus::Cancelled;
                self.status_details = Some(message);
            }
        }
    }
}

/// Where a partnered operation stands with its CA. Persisted before and after every CA call,
/// so a crash never loses an order id or submits an order twice.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProviderState {
    pub phase: ProviderPhase,
    /// The CA's order id once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The CA said an order with our handle exists (GlobalSign -105): a lookup that then finds
    /// none fails the operation instead of submitting again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exists_reported: bool,
    /// A cancel went unanswered (ambiguous): read the order's state before sending another.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_unsure: bool,
    /// Consecutive failed attempts (transient errors); resets on success.
    #[serde(default)]
    pub failures: u32,
    /// Polls so far while the CA reports the order pending (drives the poll back-off).
    #[serde(default)]
    pub polls: u32,
    /// Unix seconds after which transient failures end the operation.
    pub deadline: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl ProviderState {
    /// The CA holds order `order_id` for this operation (answered, or found by a lookup):
    /// from now on it is polled (or cancelled) by that id.
    pub fn order_known(&mut self, order_id: String) {
        self.phase = ProviderPhase::Submitted;
        self.order_id = Some(order_id);
        self.failures = 0;
    }
}

/// The submission state machine: `New` → `Submitting` (persisted before the CA is called) →
/// `Submitted` (order id known). `Submitting` means "the CA may have the order": a crash or an
/// ambiguous answer there leads to a lookup, and only a lookup that finds nothing leads back
/// to `New` (a resubmit). A submit that certainly never reached the CA goes back to `New`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderPhase {
    #[default]
    New,
    Submitting,
    Submitted,
}
