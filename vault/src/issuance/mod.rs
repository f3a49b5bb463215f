//! Pending operations: the state machine (spec §4.1) and the background worker that advances
//! them. An operation is a row with `next_run_at`; the worker claims due rows under a lease,
//! does the work off the async threads, and writes each transition to the store (fenced by
//! the lease) before anyone can see it. After a restart the worker simply finds the rows that
//! are still due. Every status change is `model::OperationRecord::end`; this module decides
//! when.
//!
//! Layout: [`worker`] (the [`Issuance`] shared with `certs`, and the loop that claims due
//! operations and sleeps until the next one), [`lease`] (claim, renew, fenced write) and
//! [`wall`] (its clock and owner ids), [`self_signed`] (issuer `Self`: key, CSR and
//! certificate made here), [`platform`] (platform-managed policies: the same, signed by the
//! platform CA), [`partner`] (one step of a partner-CA order per call, cancel
//! intents, orphans), [`backoff`] (retry delays with jitter), [`chain`] (ordering and parsing
//! user or CA chains), [`profile`] (policy → key and certificate profile), [`locks`] (the
//! per-name locks), [`events`] (an operation's steps on the dashboard's timeline).
//! Operations for issuer `Unknown` wait for a merge and are never due.

pub mod backoff;
pub mod chain;
pub mod events;
pub mod lease;
pub mod locks;
pub mod partner;
pub mod platform;
pub mod profile;
pub mod self_signed;
pub mod wall;
pub mod worker;

pub use worker::{Issuance, Settings};
