//! One handler file per ACME resource, called from the route table (`acme::routes`). Each
//! handler takes the per-request context (`request::Cx`) and, for POSTs, the authenticated
//! request, and answers a `reply::Reply` or a `problem::Problem`. Shared by several:
//! [`load`] (reading an order or authorization for its owner, statuses brought up to date),
//! [`identifiers`] (checking and normalising identifiers), [`issue`] (signing by the local CA
//! in the background) and [`validation`] (challenge validation in the background).

pub mod accounts;
pub mod ari;
pub mod authz;
pub mod certificate;
pub mod challenges;
pub mod directory;
pub mod finalize;
pub mod identifiers;
pub mod issue;
pub mod load;
pub mod orders;
pub mod partner;
pub mod revoke;
pub mod validation;
