//! Partnered issuance: orders at partner CAs through `providers`, one step per call, exactly
//! once even when an answer is lost.
//!
//! Layout: `step` (submit, look up, poll: the state machine's main line), `cancel` (carrying
//! out a cancel intent, including orphaned rows), `record` (the fenced writes of a step),
//! `outcome` (what a step decides, retry and order helpers), `validate` (the CA chain check).

mod cancel;
mod outcome;
mod record;
mod step;
mod validate;

pub use outcome::initial_state;
pub(crate) use outcome::no_endpoint_message;
