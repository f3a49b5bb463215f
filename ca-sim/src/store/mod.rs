//! Persistence, and the only code that writes to disk: orders, certificates, revocations,
//! accounts and a few counters in SQLite ([`sqlite`]: `{data_dir}/ca-sim.db`, WAL, or in
//! memory under `--ephemeral`), and the data dir's files ([`files`]: CA hierarchies, TLS dev
//! material), and the ACME dialect's objects ([`acme`]: in memory, written through to SQLite).
//! The order book keeps an in-memory view in step; this store is the truth across
//! restarts.

pub mod acme;
pub mod files;
mod sqlite;

pub use sqlite::{CertRow, Store};
