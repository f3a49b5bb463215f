//! ACME challenge validation (RFC 8555 §8, RFC 8737, RFC 8738): the [`Validator`] the
//! gateway asks whether a challenge the client answered is satisfied, for real over the
//! network or, with `--acme-validation always-valid`, not at all.
//!
//! Layout: `resolve` is the one name → address policy (`--acme-host`, `.localhost`, the DNS
//! resolver) and the TXT lookups; `http01`, `dns01` and `tlsalpn01` each check one challenge
//! type; `context` holds what they share; `failure` writes the RFC problem a failure is
//! reported as. Every attempt is bounded by [`ATTEMPT_TIMEOUT`] as a whole.

mod context;
mod dns01;
mod failure;
mod http01;
mod resolve;
mod tlsalpn01;

pub use dns01::txt_value;
pub use http01::{MAX_BODY, MAX_REDIRECTS};
pub use shared::acme::tlsalpn::{ACME_IDENTIFIER_OID, ACME_TLS_ALPN};
pub use tlsalpn01::reverse_name;

use crate::config::{AcmeConfig, AcmeValidation};
use crate::model::acme::{ChallengeType, Identifier, StoredProblem};
use context::Context;
use shared::acme::problem::ErrorType;
use std::sync::Arc;
use std::time::Duration;

/// How long one validation attempt may take in all (lookups, connections, redirects, body).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Validates http-01, dns-01 and tls-alpn-01 challenges. Built once from the `--acme-*`
/// flags and shared by every vault of the process (`Send + Sync`).
pub struct Validator {
    always_valid: bool,
    attempt_timeout: Duration,
    context: Context,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("always_valid", &self.always_valid)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("http01_port", &self.context.http01_port)
            .field("tlsalpn01_port", &self.context.tlsalpn01_port)
            .finish_non_exhaustive()
    }
}

impl Validator {
    /// Builds the validator from the flags. `Err` when a client cannot be built (an
    /// unreadable system DNS configuration is not an error here: dns lookups then fail
    /// with a `dns` problem that says so).
    pub fn new(config: &AcmeConfig) -> Result<Validator, String> {
        let addresses = Arc::new(resolve::Addresses::new(config)?);
        let context = Context {
            http: http01::client(addresses.clone(), ATTEMPT_TIMEOUT)?,
            tls: shared::acme::tlsalpn::client_config()?,
            addresses,
            http01_port: config.http01_port,
            tlsalpn01_port: config.tlsalpn01_port,
        };
        Ok(Validator {
            always_valid: config.validation == AcmeValidation::AlwaysValid,
            attempt_timeout: ATTEMPT_TIMEOUT,
            context,
        })
    }

    /// The same validator with another bound on one attempt (tests of slow peers).
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Validator {
        self.attempt_timeout = timeout;
        self
    }

    /// Validates one challenge; `Ok` = valid. `key_authorization` = token "." thumbprint.
    /// For a wildcard authorization `identifier` is the base name (as stored), which is
    /// also the name dns-01 checks (`_acme-challenge.NAME`).
    pub async fn validate(
        &self,
        kind: ChallengeType,
        identifier: &Identifier,
        token: &str,
        key_authorization: &str,
    ) -> Result<(), StoredProblem> {
        if self.always_valid {
            return Ok(());
        }
        let context = &self.context;
        let attempt = async {
            match kind {
                ChallengeType::Http01 => {
                    http01::validate(context, identifier, token, key_authorization).await
                }
                ChallengeType::Dns01 => {
                    dns01::validate(context, identifier, key_authorization).await
                }
                ChallengeType::TlsAlpn01 => {
                    tlsalpn01::validate(context, identifier, key_authorization).await
                }
            }
        };
        let outcome = match tokio::time::timeout(self.attempt_timeout, attempt).await {
            Ok(outcome) => outcome,
            // A lookup that never answers is a DNS problem; anything else a connection one.
            Err(_) => Err(failure::problem(
                match kind {
                    ChallengeType::Dns01 => ErrorType::Dns,
                    _ => ErrorType::Connection,
                },
                format!(
                    "{} validation of {} got no complete answer within {} ms",
                    kind.as_str(),
                    identifier.value,
                    self.attempt_timeout.as_millis()
                ),
            )),
        };
        match &outcome {
            Ok(()) => tracing::debug!(
                challenge.kind = kind.as_str(),
                identifier = %identifier.value,
                "challenge validated"
            ),
            Err(problem) => tracing::debug!(
                challenge.kind = kind.as_str(),
                identifier = %identifier.value,
                problem.kind = %problem.kind,
                problem.detail = %problem.detail,
                "challenge validation failed"
            ),
        }
        outcome
    }

    /// Whether `--acme-validation always-valid` is on (no check is made).
    pub fn always_valid(&self) -> bool {
        self.always_valid
    }
}
