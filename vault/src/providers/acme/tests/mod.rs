//! The ACME adapter against a wiremock ACME CA answering in RFC 8555's shapes: the order state
//! machine (challenge, finalize with the operation's CSR, download), badNonce retries, EAB and
//! profile, error classes, the lookup after an unanswered newOrder, finalizing after a
//! restart, cancellation, the http-01 and tls-alpn-01 responders and the account keys.

mod flow;
mod harness;
mod recovery;
mod tlsalpn;
