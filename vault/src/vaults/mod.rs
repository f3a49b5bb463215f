//! Many vaults in one process, picked by host name (issue 14 §3): each vault is its own
//! namespace with its own SQLite store, certificate service, issuance worker, lifetime
//! scheduler, notifier and poll-body cache; the data-dir lock, master key, clock, partner-CA
//! adapters and metrics are the process's and shared.
//!
//! Layout: [`instance`] (one vault's parts, [`VaultInstance`]), [`open`] (the process-wide
//! parts a vault is assembled from, [`Shared`], and the one function that opens a vault, at
//! start and on first use), [`registry`] (name → vault, [`Vaults`]: which names exist, opening
//! an unknown name in `--auth dev`, the clock that moves every vault), [`poll_cache`] (rendered
//! poll bodies per vault).
//!
//! On disk: the default vault keeps the data dir's root (`vault.db`, as before vaults were
//! many); every other vault lives in `DATA_DIR/vaults/NAME/`.

pub mod instance;
pub mod open;
pub mod poll_cache;
pub mod registry;

pub use instance::VaultInstance;
pub use open::{vault_dir, Shared, VAULTS_DIR};
pub use poll_cache::PollBodies;
pub use registry::Vaults;
