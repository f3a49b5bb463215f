//! Persistence: orders, certificates, revocations, accounts and a few counters, in SQLite
//! (`{data_dir}/ca-sim.db`, WAL) or in memory under `--ephemeral`. The order book keeps an
//! in-memory view in step; this store is the truth across restarts.

mod sqlite;

pub use sqlite::{CertRow, Store};
