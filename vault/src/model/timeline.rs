//! One step of an operation's or a certificate's life as the dashboard shows it (issue 17):
//! the event record and its kinds, with the exact wire names of the dashboard contract
//! (`/_admin/timeline`, SSE `event: timeline`). Recorded by `timeline`, kept by the store.

use serde::{Deserialize, Serialize};

/// What happened. The serde names are the wire's (`key_created`, `ca_polled`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The operation was created (detail: `issuer`, `provider`).
    Created,
    /// Its key was made (detail: `kty`, `size` or `curve`, `reused`).
    KeyCreated,
    CsrCreated,
    /// The CA accepted the order (detail: `ca_order_id`, `provider`).
    Submitted,
    /// What the CA answered to a poll (detail: `ca_status`, `ca_order_id`).
    CaPolled,
    /// A CA call will be tried again (detail: `error`, `backoff_seconds`).
    Retry,
    /// The CA answered with an error, or not at all (detail: `error`).
    Fault,
    /// The CA's chain matched the key and request (detail: `chain_length`).
    ChainChecked,
    /// The version holds its certificate (detail: `version`).
    Completed,
    /// The operation failed (detail: `code`, `message`).
    Failed,
    CancelRequested,
    Cancelled,
    /// A user merge of a non-partnered operation.
    MergeRequested,
    Imported,
    /// AutoRenew fired (detail: `trigger`, `new_version`, `operation`).
    RenewalStarted,
    /// Detail: `to`, `reason`.
    NotificationQueued,
    NotificationDelivered,
    /// Detail: `error`.
    NotificationFailed,
}

impl EventKind {
    /// The wire (and stored) name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::KeyCreated => "key_created",
            EventKind::CsrCreated => "csr_created",
            EventKind::Submitted => "submitted",
            EventKind::CaPolled => "ca_polled",
            EventKind::Retry => "retry",
            EventKind::Fault => "fault",
            EventKind::ChainChecked => "chain_checked",
            EventKind::Completed => "completed",
            EventKind::Failed => "failed",
            EventKind::CancelRequested => "cancel_requested",
            EventKind::Cancelled => "cancelled",
            EventKind::MergeRequested => "merge_requested",
            EventKind::Imported => "imported",
            EventKind::RenewalStarted => "renewal_started",
            EventKind::NotificationQueued => "notification_queued",
            EventKind::NotificationDelivered => "notification_delivered",
            EventKind::NotificationFailed => "notification_failed",
        }
    }

    /// Every kind, in the order an operation usually goes through them.
    pub const ALL: [EventKind; 18] = [
        EventKind::Created,
        EventKind::KeyCreated,
        EventKind::CsrCreated,
        EventKind::Submitted,
        EventKind::CaPolled,
        EventKind::Retry,
        EventKind::Fault,
        EventKind::ChainChecked,
        EventKind::Completed,
        EventKind::Failed,
        EventKind::CancelRequested,
        EventKind::Cancelled,
        EventKind::MergeRequested,
        EventKind::Imported,
        EventKind::RenewalStarted,
        EventKind::NotificationQueued,
        EventKind::NotificationDelivered,
        EventKind::NotificationFailed,
    ];

    /// The kind of a wire name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded event. `seq` increases strictly within a process data dir (every vault's
/// events share one counter, continued after a restart).
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    pub seq: i64,
    /// When, on vault's (shiftable) clock, in unix milliseconds.
    pub at_ms: i64,
    pub vault: String,
    /// The certificate's key (its name in lower case).
    pub certificate: String,
    /// The operation's request id, when the event belongs to one.
    pub operation: Option<String>,
    pub kind: EventKind,
    pub detail: serde_json::Value,
}
