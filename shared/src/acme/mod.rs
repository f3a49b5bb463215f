//! ACME (RFC 8555) protocol helpers shared by the servers that speak it (vault's ACME
//! gateway, ca-sim's ACME dialect), free of any web framework: [`jws`] (the flattened JWS of
//! every request, EAB), [`jwk`] (account keys, thumbprints), [`jws_error`] (why a JWS was
//! refused), [`nonce`] (anti-replay nonces), [`problem`] (error documents), [`tlsalpn`] (the tls-alpn-01 client and
//! acmeIdentifier check). Wire types of
//! accounts, orders and authorizations are not here: each server writes its own from the RFC.

pub mod jwk;
pub mod jws;
pub mod jws_error;
pub mod nonce;
pub mod problem;
pub mod tlsalpn;
