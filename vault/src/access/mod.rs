//! Who may do what. The access document (`--access FILE`, TOML: principals, vaults and each
//! vault's access model) in [`doc`]; the verified caller of a request in [`caller`]; the
//! per-request decision ([`Access::check`]) with Key Vault's 403 bodies in [`check`].
//!
//! Scaffold: the document types and the API the front end calls are fixed here; the
//! decision itself is filled in by the access work.

pub mod caller;
pub mod check;
pub mod doc;

pub use caller::Caller;
pub use check::Access;
pub use doc::{AccessDoc, Authorization, Principal, VaultDecl};
