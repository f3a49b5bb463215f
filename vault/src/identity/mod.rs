//! The Entra ID-shaped token service (`--auth entra`; docs/identity.md): token endpoints with
//! client credentials, discovery documents, JWKS and managed identity, and the verification
//! of the tokens it issues on every Key Vault request.
//!
//! Layout: [`service`] the state ([`Identity`]) and the tenant; [`verify`] Key Vault's check of
//! a bearer token, with the [`cache`] of verified tokens; [`issue`] minting; [`keys`] the
//! persisted signing key; [`jwt`] compact JWTs; [`routes`] which paths are ours and the
//! dispatch to [`grant`] (token endpoints, with [`assertion`] for client assertions),
//! [`discovery`] and [`managed`]; [`wire`] Entra's error JSON (another service's wire than Key
//! Vault's); [`listen`] the plain-HTTP `--identity-listen` listener; [`files`] the secrets it
//! keeps in the data dir (signing key, managed-identity header, admin token).

pub mod assertion;
pub mod cache;
pub mod discovery;
pub mod files;
pub mod grant;
pub mod issue;
pub mod jwt;
pub mod keys;
pub mod listen;
pub mod managed;
pub mod routes;
pub mod service;
pub mod verify;
pub mod wire;

pub use routes::{handle, is_identity_path};
pub use service::{tenant_of, Identity, DEFAULT_TENANT};
