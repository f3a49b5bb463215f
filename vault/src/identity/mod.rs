//! The Entra ID-shaped token service (`--auth entra`): token endpoints, discovery documents,
//! JWKS and managed identity, and the verification of the tokens it issues.
//!
//! Scaffold: [`Identity::verify`] refuses everything until the identity work fills it in.

pub mod service;

pub use service::Identity;
