//! What the dashboard watches (issue 17): every operation's and certificate's steps as
//! timeline events, persisted per vault and published live, and the live request log.
//!
//! Layout: [`hub`] (the process-wide part: the one `seq` counter every vault's events share,
//! the bounded broadcast channel the SSE stream reads, the request log), [`record`] (a
//! vault's [`Timeline`]: `record` never waits and never fails; a background writer stores
//! the events through the store's group commit and keeps the newest 200 per certificate),
//! [`requests`] (the in-memory ring of the last 1,000 requests), [`wire`] (events and
//! requests as the admin API's JSON).
//!
//! Beside `store`, below every layer that records (`issuance`, `certs`, `lifetime`,
//! `notify`); it imports only `store`, `model` and the clock.

pub mod hub;
pub mod record;
pub mod requests;
pub mod wire;

pub use hub::{Hub, Live};
pub use record::Timeline;
pub use requests::{RequestEntry, RequestLog};
