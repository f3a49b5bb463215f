//! The certificate service: every rule of the certificates API that changes or reads state
//! (spec §4): create, get, list, update, policy, soft delete / recover / purge, the pending
//! operation, the linked key and secret, contacts and issuers. Handlers in `http` call these
//! methods and only translate to and from the wire.
//!
//! Each read-modify-write of a name holds that name's lock (`issuance::locks`) and ends in one
//! atomic `Store::apply`, so nothing half-done is ever visible.
//!
//! Layout: [`service`] (the [`Service`] handle and the lookups every rule starts from),
//! [`create`], [`import`], [`merge`], [`read`] (versions, lists, the linked key and secret),
//! [`lifecycle`] (update, policy, soft delete, recover, purge), [`operation`] (the pending
//! operation: poll, cancel, delete), [`contacts`], [`issuers`], [`backup`]; [`policy`] holds
//! the policy rules and [`names`] the name rules.

pub mod backup;
pub mod contacts;
pub mod create;
pub mod dashboard;
pub mod import;
pub mod issuers;
pub mod lifecycle;
pub mod merge;
pub mod names;
pub mod operation;
pub mod policy;
pub mod read;
pub mod service;

pub use lifecycle::RECOVERABLE_DAYS;
pub use names::{new_id, validate_name};
pub use read::Linked;
pub use service::{Service, Settings};
