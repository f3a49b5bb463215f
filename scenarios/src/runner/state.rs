//! Per-case state the steps share ([`CaseState`], with the ACME objects in [`AcmeState`]) and
//! how a step fails ([`Failure`]).

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
    /// ACME accounts, orders and certificates by their names in the scenario.
    pub acme: AcmeState,
}

/// The ACME objects of a scenario, by the names its steps gave them.
#[derive(Default)]
pub(crate) struct AcmeState {
    pub accounts: HashMap<String, AcmeAccountEntry>,
    pub orders: HashMap<String, AcmeOrderEntry>,
    pub certs: HashMap<String, AcmeCertEntry>,
}

/// An account: the client signing with its key, and the key (to look the account up again).
pub(crate) struct AcmeAccountEntry {
    pub account: instant_acme::Account,
    pub credentials: instant_acme::AccountCredentials,
}

/// An order, with the account (scenario name) that placed it and its identifiers as written.
pub(crate) struct AcmeOrderEntry {
    pub order: instant_acme::Order,
    pub account: String,
    pub identifiers: Vec<String>,
}

/// A downloaded certificate chain (DER, leaf first) and the account that ordered it.
pub(crate) struct AcmeCertEntry {
    pub chain: Vec<Vec<u8>>,
    pub account: String,
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
