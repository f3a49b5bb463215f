//! The ACME (RFC 8555) gateway (issue 15): every vault serves `/acme/…`, its objects in its
//! own store, its certificates from the local CA or a partner issuer.
//!
//! A request goes [`routes`] (the one route table; `http::middleware` sends `/acme/…` and
//! `/_admin/acme/…` there with the vault the host names) → [`request`] (the JWS checks, the
//! signer) → one file per resource in [`handlers`] → [`reply`] (headers, problems).
//! [`gateway`] holds the state (process-wide [`gateway::Acme`], per-vault
//! [`gateway::VaultAcme`]); [`wire`] the URLs and JSON of the objects. Building blocks:
//! `shared::acme` (JWS/JWK request signatures, nonces, problem documents, shared with
//! ca-sim's ACME dialect), [`validate`] (challenges).

pub mod admin;
pub mod ca;
pub mod chaos;
pub mod gateway;
pub mod handlers;
pub mod profiles;
pub mod reply;
pub mod request;
pub mod routes;
pub mod validate;
pub mod wire;
