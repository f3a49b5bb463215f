//! Persistence: where bytes hit disk. Every write is one [`Store::apply`] of a batch of
//! [`Change`]s in one SQLite transaction (`sqlite`); private keys, issuer passwords and backup
//! blobs are sealed ([`seal`]) before they are written.
//!
//! The store is deliberately dumb: it reads records and applies batches atomically. The rules
//! (conflicts, state transitions) live in `certs`, `issuance` and `lifetime`, which serialise
//! work per certificate name before they write. The one protocol it owns is the issuance
//! worker's lease on operation rows (claim, renew, fenced write: `sqlite::operations`), written
//! as conditional SQL so that it holds unchanged for several vault instances on one database.
//!
//! The trait is synchronous because SQLite is; callers hold a [`Db`], whose [`Db::run`] moves
//! each call to the store's threads ([`pool`]).
//!
//! Layout: [`contract`] (the trait, the change batch, the error), [`db`] (the async handle),
//! [`pool`] (the threads store calls run on), [`sqlite`] (the implementation, by table group), [`cache`] (the read cache it keeps in step
//! with commits), [`seal`] (encryption at rest), [`lock`] (one process per data dir).

pub mod cache;
pub mod contract;
pub mod db;
pub mod lock;
pub mod pool;
pub mod seal;
pub mod sqlite;

pub use contract::{
    CertFilter, Change, DashboardRow, LeaseTerms, LeasedUpdate, Store, StoreError, StoreResult,
    Wake,
};
pub use db::Db;
pub use sqlite::SqliteStore;

// The records the store keeps are the domain's (`model`); named here too for store callers.
pub use crate::model::{
    CertRecord, Deletion, Delivery, DeliveryStatus, IssuerRecord, LifetimeMarker, ListScope,
    MarkerAction, MarkerState, NotificationKind, NotificationRecord, OperationRecord,
    ProviderPhase, ProviderState, VersionRecord,
};
