//! Who may do what. The access document (`--access FILE`, TOML: principals, vaults and each
//! vault's access model) in [`doc`], read and validated by [`load`]; the document in force
//! ([`Access`]: load, runtime swap, write-back) in [`state`], compiled for the decision by
//! [`index`], and its SIGHUP reload in [`reload`]; the verified caller of a request in
//! [`caller`]; what each route needs (access-policy permission, RBAC data action) in
//! [`actions`]; the built-in roles in [`roles`]; the per-request decision ([`Access::check`]) with Key Vault's 403 bodies in
//! [`check`]. See docs/access.md.

pub mod actions;
pub mod caller;
pub mod check;
pub mod doc;
pub mod index;
#[cfg(test)]
mod index_tests;
pub mod load;
pub mod reload;
pub mod roles;
pub mod state;
#[cfg(test)]
mod tests;

pub use caller::Caller;
pub use doc::{AccessDoc, Authorization, Principal, VaultDecl};
pub use state::Access;
