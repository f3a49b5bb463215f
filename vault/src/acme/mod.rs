//! The ACME (RFC 8555) gateway's building blocks, for issue 15: request authentication, the
//! anti-replay nonces and the `application/problem+json` errors. Not wired into any route
//! yet: nothing outside this module uses it until the gateway's handlers are written.

pub mod ca;
pub mod jwk;
pub mod jws;
pub mod jws_error;
pub mod nonce;
pub mod problem;
pub mod validate;
