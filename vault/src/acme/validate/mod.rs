//! ACME challenge validation (RFC 8555 §8, RFC 8737, RFC 8738): the [`Validator`] the gateway
//! asks whether a challenge the client answered is satisfied. Work in progress: this first
//! version fixes the API others code against.

use crate::config::{AcmeConfig, AcmeValidation};
use crate::model::acme::{ChallengeType, Identifier, StoredProblem};

/// Validates http-01, dns-01 and tls-alpn-01 challenges; built once from the `--acme-*` flags
/// and shared by every vault of the process.
#[derive(Debug)]
pub struct Validator {
    always_valid: bool,
}

impl Validator {
    /// Builds the validator from the flags.
    pub fn new(config: &AcmeConfig) -> Result<Validator, String> {
        Ok(Validator {
            always_valid: config.validation == AcmeValidation::AlwaysValid,
        })
    }

    /// Validates one challenge; `Ok` = valid. `key_authorization` = token "." thumbprint.
    pub async fn validate(
        &self,
        kind: ChallengeType,
        identifier: &Identifier,
        token: &str,
        key_authorization: &str,
    ) -> Result<(), StoredProblem> {
        let _ = (kind, identifier, token, key_authorization);
        if self.always_valid {
            return Ok(());
        }
        Err(StoredProblem {
            kind: "serverInternal".into(),
            detail: "challenge validation is not implemented yet".into(),
            subproblems: Vec::new(),
        })
    }

    /// Whether `--acme-validation always-valid` is on.
    pub fn always_valid(&self) -> bool {
        self.always_valid
    }
}
