//! Chaos for the ACME gateway (issue 15): named, seeded knobs, all off by default, set at
//! start (`--acme-chaos FILE|JSON`, logged) and at runtime (`GET|PUT /_admin/acme/chaos`):
//! bad nonces, authorization reuse, validation and finalize delays, per-endpoint 5xx,
//! `rateLimited` and dropped connections, and Let's Encrypt-shaped rate limits on the vault's
//! clock. The document's shape is in docs/acme.md.
//!
//! - [`doc`]: the document (serde), its validation and effective form.
//! - [`engine`]: [`Chaos`], the decisions the gateway asks for (`before`, `reuse_authz`,
//!   `validation_delay`, `finalize_delay`, the limit checks).
//! - [`fault`]: [`Fault`] and its answer; [`DropConnection`] for the connection's service.
//! - [`limits`] and [`domain`]: the sliding windows and the registered-domain key.
//! - [`endpoint`]: the endpoints faults are set per; [`rng`]: the seeded streams.
//! - [`admin`]: the admin API's two handlers.

pub mod admin;
pub mod doc;
pub mod domain;
pub mod endpoint;
pub mod engine;
pub mod fault;
pub mod limits;
pub mod rng;

pub use doc::ChaosDoc;
pub use endpoint::Endpoint;
pub use engine::Chaos;
pub use fault::{DropConnection, Fault};

#[cfg(test)]
mod tests;
