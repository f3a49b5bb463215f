//! The ACME gateway's built-in local CA (issue 15): the `local` and `shortlived` profiles'
//! issuer. A root, an intermediate it signs, and an alternate root that cross-signs the same
//! intermediate key (RFC 8555 §7.4.2 alternate chains), created on first start in
//! `DATA_DIR/acme/` with their private keys sealed by the store's master key, then reused so
//! clients that trusted the root keep trusting it. Leaves carry the vault's CRL distribution
//! point; the CRL is signed by the intermediate.
//!
//! Layout: [`hierarchy`] (creating, sealing and loading the CA material), [`local`]
//! ([`LocalCa`]: issuing leaves, chains, the root's PEM), [`leaf`] (a leaf's contents),
//! [`crl`] (the CRL), [`platform`] (signing platform-managed certificates), [`inspect`] (serial and RFC 9773 certID of any DER certificate) and
//! [`error`]. This file only declares and re-exports.

pub mod crl;
pub mod error;
pub mod hierarchy;
pub mod inspect;
pub mod leaf;
pub mod local;
pub mod platform;
#[cfg(test)]
mod tests;

pub use error::CaError;
pub use inspect::{ari_cert_id, serial_hex};
pub use local::{Issued, LocalCa};
