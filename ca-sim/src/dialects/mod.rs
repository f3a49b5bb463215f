//! The vendor dialects, all on one contract ([`contract`]): each authenticates the caller,
//! parses the request, passes the fault gate ([`gate`]), acts on the order book, passes the
//! gate again after the act (where an answer can be lost) and answers in its vendor's shape. What they share beside the contract: chain shaping ([`chain`]),
//! CSR reading ([`csr`]), the names a CA can certify ([`names`]) and the SOAP element tree
//! ([`xml`]). Their routes are in
//! `crate::routes`.
//!
//! - [`digicert`]: DigiCert CertCentral Services API v2 (JSON, `X-DC-DEVKEY`).
//! - [`globalsign`]: GlobalSign GCC SOAP (operation chosen from the body).
//! - [`wosign`]: WoSign (HMAC-signed JSON).
//! - [`acme`]: ACME (RFC 8555, JWS-signed JSON), ca-sim's own ACME CA.

pub mod acme;
pub mod chain;
pub mod contract;
pub mod csr;
pub mod digicert;
pub mod gate;
pub mod globalsign;
pub mod names;
pub mod wosign;
pub mod xml;
