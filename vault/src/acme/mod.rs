//! The ACME (RFC 8555) gateway (issue 15): every vault serves `/acme/…`, its objects in its
//! own store, its certificates from the local CA or a partner issuer.
//!
//! A request goes [`routes`] (the one route table; `http::middleware` sends `/acme/…` and
//! `/_admin/acme/…` there with the vault the host names) → [`request`] (the JWS checks, the
//! signer) → one file per resource in [`handlers`] → [`reply`] (headers, problems through
//! [`problem`]). [`gateway`] holds the state (process-wide [`gateway::Acme`], per-vault
//! [`gateway::VaultAcme`]); [`wire`] the URLs and JSON of the objects. Building blocks:
//! [`jws`]/[`jwk`]/[`jws_error`] (request signatures), [`nonce`], [`validate`] (challenges).

pub mod admin;
pub mod ca;
pub mod chaos;
pub mod gateway;
pub mod handlers;
pub mod jwk;
pub mod jws;
pub mod jws_error;
pub mod nonce;
pub mod problem;
pub mod profiles;
pub mod reply;
pub mod request;
pub mod routes;
pub mod validate;
pub mod wire;
