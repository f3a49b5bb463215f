//! One handler file per ACME resource, called from the route table (`acme::routes`). Each
//! handler takes the per-request context (`request::Cx`) and, for POSTs, the authenticated
//! request, and answers a `reply::Reply` or a `problem::Problem`.

pub mod accounts;
pub mod authz;
pub mod certificate;
pub mod challenges;
pub mod directory;
pub mod finalize;
pub mod orders;
