//! Lifetime actions (spec §3.5 `lifetime_actions`, §4.5): a scheduler that evaluates each
//! certificate's latest completed version against its policy's triggers and fires each action
//! once per version.
//!
//! - `EmailContacts`: a notice to every vault contact that the version nears its expiry.
//! - `AutoRenew`: a new version through the same issuer, started with the normal create path
//!   (self-signed by the worker, partnered through the CA adapter), honouring `reuse_key` and
//!   copying the version's tags. Skipped while another operation is in progress. Its outcome
//!   (renewed, or failed/cancelled) is mailed to the contacts once the operation finishes.
//! - After an import, an expiry notice (queued by the import itself).
//!
//! Exactly once, across restarts: every action writes a marker per (name, version, action) in the
//! same transaction as its effect (the renewal's operation, or the outbox rows). A renewal's
//! marker stays `renewing` until its outcome is reported, in the transaction that reports it.
//!
//! Timing follows the one vault clock: the scheduler sleeps until the next trigger (or the scan
//! interval), and wakes at once when the admin API moves the clock.
//!
//! Layout: [`scheduler`] (the loop and one pass), [`actions`] (scanning and firing due
//! actions), [`report`] (mailing outcomes, closing markers), [`triggers`] (when a trigger is
//! due). The scheduler sits above `certs`: a renewal is a create through
//! `certs::Service::create_locked`.

pub mod actions;
pub mod report;
pub mod scheduler;
pub mod triggers;

pub use scheduler::{Lifetime, Settings};
pub use triggers::trigger_time;
