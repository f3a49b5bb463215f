//! Revocation status for every dialect: an OCSP responder (RFC 6960) for all of ca-sim's CAs,
//! signed by each CA's delegated responder (`ca::responder`), and revocation by serial.
//!
//! - [`request`]: reading OCSPRequests (DER, POST or the GET form), CertIDs and the nonce;
//! - [`lookup`]: which CA a CertID names and what the store says about the serial;
//! - [`response`]: writing the signed BasicOCSPResponse (good / revoked with time and reason
//!   / unknown, thisUpdate and nextUpdate on ca-sim's clock, the nonce echoed);
//! - [`handler`]: `POST /ocsp/{dialect}`, `GET /ocsp/{dialect}/{request}` (routes in
//!   `crate::routes`);
//! - [`revoke`]: revoking by serial (the admin API, ACME's revokeCert), writing the same one
//!   record per certificate that the order book's revoke writes and CRLs and OCSP read.

pub mod handler;
pub mod lookup;
pub mod request;
pub mod response;
pub mod revoke;
