//! The scenario file format (TOML): one [`Case`] per file, documented in `scenarios/README.md`.
//!
//! Everything is checked while deserializing, so a bad file fails with the file, line and field
//! (toml's span information) before anything runs: unknown fields, wrong types, durations (the
//! workspace's one grammar, [`shared::duration`]), regular expressions, fault rules (ca-sim's
//! own rule type) and step kinds.
//!
//! Layout:
//! - `scenario.rs`: [`Case`], the whole file, and what the scheduler asks of it;
//! - `setup.rs`: the `[setup]` table;
//! - `step/`: [`Step`] and one struct per step kind, grouped by what the kind works on;
//! - `expect.rs`: a step's `expect` table;
//! - `load.rs`: [`parse`], [`load_file`], [`load_paths`]; `validate.rs`: checks across fields;
//!   `position.rs`: lines, columns and the field an error names.

mod expect;
mod load;
mod position;
mod scenario;
mod setup;
pub mod step;
mod validate;

pub use expect::{CaRequests, Expect, NotificationCount, Pattern};
pub use load::{load_file, load_paths, parse};
pub use scenario::Case;
pub use setup::{Contact, IssuerSpec, Setup};
pub use step::{LifetimeActionSpec, ListOf, Signer, Step};
