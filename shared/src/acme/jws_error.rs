//! The one error type of ACME request authentication (RFC 8555 §6.2, §6.7): each kind maps to
//! an [`ErrorType`], and into a [`Problem`] (`badSignatureAlgorithm` listing [`SUPPORTED_ALGS`]).

use super::problem::{ErrorType, Problem};
use std::fmt;

/// Algorithms the gateway accepts on an outer JWS, for `badSignatureAlgorithm`'s
/// `algorithms` member (RFC 8555 §6.2).
pub const SUPPORTED_ALGS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "ES512", "EdDSA",
];

/// Why a JWS request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwsError {
    /// Not a well-formed flattened JWS, or a header member is missing or wrong.
    Malformed(String),
    /// `alg` is unknown, `none`, MAC-based where a signature is needed, or does not fit the key.
    BadSignatureAlgorithm(String),
    /// The JWK is not a usable public key (unknown `kty`/`crv`, bad point, RSA size, private).
    BadPublicKey(String),
    /// The signature (or the EAB MAC) does not verify, or the request is not allowed.
    Unauthorized(String),
    /// `kid` names no account (the caller's lookup says so).
    AccountDoesNotExist(String),
}

impl JwsError {
    /// The ACME error type this is answered with.
    pub fn kind(&self) -> ErrorType {
        match self {
            JwsError::Malformed(_) => ErrorType::Malformed,
            JwsError::BadSignatureAlgorithm(_) => ErrorType::BadSignatureAlgorithm,
            JwsError::BadPublicKey(_) => ErrorType::BadPublicKey,
            JwsError::Unauthorized(_) => ErrorType::Unauthorized,
            JwsError::AccountDoesNotExist(_) => ErrorType::AccountDoesNotExist,
        }
    }

    /// The human-readable `detail`.
    pub fn detail(&self) -> &str {
        match self {
            JwsError::Malformed(d)
            | JwsError::BadSignatureAlgorithm(d)
            | JwsError::BadPublicKey(d)
            | JwsError::Unauthorized(d)
            | JwsError::AccountDoesNotExist(d) => d,
        }
    }
}

impl fmt::Display for JwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind().urn(), self.detail())
    }
}

impl std::error::Error for JwsError {}

impl From<JwsError> for Problem {
    fn from(err: JwsError) -> Problem {
        match err {
            JwsError::BadSignatureAlgorithm(detail) => {
                Problem::bad_signature_algorithm(detail, SUPPORTED_ALGS)
            }
            other => Problem::new(other.kind(), other.detail()),
        }
    }
}

pub(crate) fn malformed(detail: impl Into<String>) -> JwsError {
    JwsError::Malformed(detail.into())
}
