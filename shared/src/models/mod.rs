//! Azure Key Vault certificates wire models (spec §3). Field names match the REST API exactly;
//! enums carry their canonical wire casing and parse input case-insensitively (§1.3: store the
//! canonical form). Everything optional is `Option` and skipped when absent so partial bodies
//! (the Python SDK sends only what the user set) round-trip.
//!
//! Layout by role: [`enums`] (wire enums, [`UnknownVariant`]), [`common`] (attributes, tags,
//! errors, list pages), [`policy`], [`certificate`], [`issuer`] (issuers and contacts),
//! [`keys`] (linked key and secret). Everything is re-exported here: `shared::models::X`.

pub mod certificate;
pub mod common;
pub mod enums;
pub mod issuer;
pub mod keys;
pub mod policy;
#[cfg(test)]
mod tests;

pub use certificate::*;
pub use common::*;
pub use enums::*;
pub use issuer::*;
pub use keys::*;
pub use policy::*;
