//! Per-case state the steps share ([`CaseState`]) and how a step fails ([`Failure`]).

use crate::error::Error;
use std::collections::HashMap;

/// Per-case state shared by its steps.
#[derive(Default)]
pub(crate) struct CaseState {
    /// Backup blobs by `save_as`.
    pub backups: HashMap<String, String>,
    /// ca-sim orders up to this sequence number predate the case (earlier runs) and are ignored.
    pub orders_before: u64,
    /// Outbox rows up to this id predate the case (earlier runs, other scenarios) and are
    /// ignored by `notifications` steps.
    pub notifications_before: u64,
}

/// A step failure: why, and the HTTP status seen (if any).
#[derive(Debug)]
pub(crate) struct Failure {
    pub message: String,
    pub status: Option<u16>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            status: None,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(e.to_string())
    }
}
