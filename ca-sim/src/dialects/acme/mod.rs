//! ca-sim's ACME dialect (RFC 8555, with profiles, EAB and ARI), served from
//! `/acme/directory`: ca-sim as an ACME CA issuing from its own ACME hierarchy. Written from
//! the RFC on the dialect contract (`dialects::contract`), sharing only the protocol helpers
//! of `shared::acme` (JWS, JWK, nonces, problem documents) with vault's ACME server.
//!
//! A request goes `crate::routes` → [`vendor`] (the contract's `Vendor`: JWS checks, the
//! account, problems, the reply headers) → one file per resource: [`directory`] (directory,
//! newNonce), [`account`] (newAccount, account, orders list), [`order`] (newOrder, order,
//! finalize), [`authz`] (authorizations, challenges, through [`validate`]), [`certificate`]
//! (download, revokeCert, renewalInfo), with [`chains`] (alternate roots). `store::acme` holds the objects (`domain::acme`),
//! [`objects`] renders them; [`admin`] the `/admin/acme/*` views and Pebble's
//! management endpoints.
//!
//! An order's issuance goes through ca-sim's order book at finalize (same id), so timing
//! profiles, manual approval (`/admin/orders/{id}/approve|reject`) and fault outcomes apply:
//! the ACME order is `processing` while the book's is open, `valid` once issued, `invalid`
//! with a problem document when rejected or canceled.

pub mod account;
pub mod admin;
pub mod authz;
pub mod certificate;
pub mod chains;
pub mod directory;
pub mod objects;
pub mod order;
pub mod validate;
pub mod vendor;
