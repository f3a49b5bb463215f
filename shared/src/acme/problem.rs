//! ACME error documents (RFC 8555 §6.7, RFC 7807): every error type the ACME registries list,
//! the HTTP status each is answered with, and the [`Problem`] document with its JSON body
//! ([`Problem::to_json`]). Each server renders the HTTP response itself (vault's
//! `acme::reply::problem_response`, ca-sim's ACME dialect), so this crate needs no web framework.
//!
//! Statuses follow the RFC's text where it gives one (badNonce 400 §6.5, userActionRequired
//! 403 §7.3.3, badSignatureAlgorithm 400 §6.2) and Boulder/Pebble practice elsewhere.

use hyper::StatusCode;
use serde::{Deserialize, Serialize};

/// The media type of a problem document (RFC 7807 §3).
pub const CONTENT_TYPE: &str = "application/problem+json";

/// Every ACME error type: RFC 8555 §6.7, `invalidProfile` (draft-aaron-acme-profiles) and
/// `alreadyReplaced` (RFC 9773, ARI: an order's `replaces` names a certificate already
/// replaced). Serialized as the full URN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorType {
    #[serde(rename = "urn:ietf:params:acme:error:accountDoesNotExist")]
    AccountDoesNotExist,
    #[serde(rename = "urn:ietf:params:acme:error:alreadyRevoked")]
    AlreadyRevoked,
    #[serde(rename = "urn:ietf:params:acme:error:badCSR")]
    BadCsr,
    #[serde(rename = "urn:ietf:params:acme:error:badNonce")]
    BadNonce,
    #[serde(rename = "urn:ietf:params:acme:error:badPublicKey")]
    BadPublicKey,
    #[serde(rename = "urn:ietf:params:acme:error:badRevocationReason")]
    BadRevocationReason,
    #[serde(rename = "urn:ietf:params:acme:error:badSignatureAlgorithm")]
    BadSignatureAlgorithm,
    #[serde(rename = "urn:ietf:params:acme:error:caa")]
    Caa,
    #[serde(rename = "urn:ietf:params:acme:error:compound")]
    Compound,
    #[serde(rename = "urn:ietf:params:acme:error:connection")]
    Connection,
    #[serde(rename = "urn:ietf:params:acme:error:dns")]
    Dns,
    #[serde(rename = "urn:ietf:params:acme:error:externalAccountRequired")]
    ExternalAccountRequired,
    #[serde(rename = "urn:ietf:params:acme:error:incorrectResponse")]
    IncorrectResponse,
    #[serde(rename = "urn:ietf:params:acme:error:invalidContact")]
    InvalidContact,
    #[serde(rename = "urn:ietf:params:acme:error:malformed")]
    Malformed,
    #[serde(rename = "urn:ietf:params:acme:error:orderNotReady")]
    OrderNotReady,
    #[serde(rename = "urn:ietf:params:acme:error:rateLimited")]
    RateLimited,
    #[serde(rename = "urn:ietf:params:acme:error:rejectedIdentifier")]
    RejectedIdentifier,
    #[serde(rename = "urn:ietf:params:acme:error:serverInternal")]
    ServerInternal,
    #[serde(rename = "urn:ietf:params:acme:error:tls")]
    Tls,
    #[serde(rename = "urn:ietf:params:acme:error:unauthorized")]
    Unauthorized,
    #[serde(rename = "urn:ietf:params:acme:error:unsupportedContact")]
    UnsupportedContact,
    #[serde(rename = "urn:ietf:params:acme:error:unsupportedIdentifier")]
    UnsupportedIdentifier,
    #[serde(rename = "urn:ietf:params:acme:error:userActionRequired")]
    UserActionRequired,
    #[serde(rename = "urn:ietf:params:acme:error:invalidProfile")]
    InvalidProfile,
    #[serde(rename = "urn:ietf:params:acme:error:alreadyReplaced")]
    AlreadyReplaced,
}

impl ErrorType {
    /// Every type, in the order above (for tests and documentation).
    pub const ALL: [ErrorType; 26] = [
        Self::AccountDoesNotExist,
        Self::AlreadyRevoked,
        Self::BadCsr,
        Self::BadNonce,
        Self::BadPublicKey,
        Self::BadRevocationReason,
        Self::BadSignatureAlgorithm,
        Self::Caa,
        Self::Compound,
        Self::Connection,
        Self::Dns,
        Self::ExternalAccountRequired,
        Self::IncorrectResponse,
        Self::InvalidContact,
        Self::Malformed,
        Self::OrderNotReady,
        Self::RateLimited,
        Self::RejectedIdentifier,
        Self::ServerInternal,
        Self::Tls,
        Self::Unauthorized,
        Self::UnsupportedContact,
        Self::UnsupportedIdentifier,
        Self::UserActionRequired,
        Self::InvalidProfile,
        Self::AlreadyReplaced,
    ];

    /// The HTTP status a response carrying this type as its top-level problem uses.
    pub fn status(self) -> StatusCode {
        match self {
            // The request (or its contents) is wrong: the client must change it.
            Self::AccountDoesNotExist
            | Self::AlreadyRevoked
            | Self::BadCsr
            | Self::BadNonce
            | Self::BadPublicKey
            | Self::BadRevocationReason
            | Self::BadSignatureAlgorithm
            | Self::Connection
            | Self::Dns
            | Self::ExternalAccountRequired
            | Self::InvalidContact
            | Self::Malformed
            | Self::RejectedIdentifier
            | Self::Tls
            | Self::UnsupportedContact
            | Self::UnsupportedIdentifier
            | Self::InvalidProfile => StatusCode::BAD_REQUEST,
            // Well-formed, but the server refuses it in the current state.
            Self::Caa
            | Self::Compound
            | Self::IncorrectResponse
            | Self::OrderNotReady
            | Self::Unauthorized
            | Self::UserActionRequired => StatusCode::FORBIDDEN,
            Self::AlreadyReplaced => StatusCode::CONFLICT,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::ServerInternal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The wire name, the URN (`urn:ietf:params:acme:error:badNonce`).
    pub fn urn(self) -> String {
        // The serde name is the one source of the spelling; a unit variant always
        // serializes to a string.
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        }
    }
}

/// An identifier as ACME writes it (`{"type":"dns","value":"example.org"}`), here for
/// subproblems.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// One entry of `subproblems` (RFC 8555 §6.7.1): the problem with one identifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subproblem {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
}

/// An ACME problem document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub detail: String,
    /// RFC 7807's copy of the HTTP status; always [`ErrorType::status`] of `kind` when built
    /// by [`Problem::new`].
    pub status: u16,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subproblems: Vec<Subproblem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// For `badSignatureAlgorithm`: the `alg` values the server accepts (RFC 8555 §6.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithms: Option<Vec<String>>,
    /// Seconds for the `Retry-After` header (rateLimited); not part of the JSON body.
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// `malformed` (400).
pub fn malformed(detail: impl Into<String>) -> Problem {
    Problem::new(ErrorType::Malformed, detail)
}

/// `malformed` with 404: no such resource (Pebble answers the same).
pub fn not_found(what: &str) -> Problem {
    let mut p = malformed(format!("No such {what}."));
    p.status = StatusCode::NOT_FOUND.as_u16();
    p
}

/// `unauthorized` (403): the object belongs to another account, or the account may not act.
pub fn unauthorized(detail: impl Into<String>) -> Problem {
    Problem::new(ErrorType::Unauthorized, detail)
}

/// `serverInternal` (500) for a fault of the server's own; logged here, once, with the cause
/// (the client sees no detail of it).
pub fn internal(cause: impl std::fmt::Display) -> Problem {
    tracing::error!(error = %cause, "acme: internal error");
    Problem::new(
        ErrorType::ServerInternal,
        "The server could not complete the request; try again later.",
    )
}

/// `Content-Type` of an ACME POST must be `application/jose+json` (RFC 8555 §6.2), else 415
/// `malformed`.
pub fn check_jose_content_type(headers: &hyper::HeaderMap) -> Result<(), Problem> {
    let ok = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/jose+json"));
    if ok {
        return Ok(());
    }
    let mut p = malformed("The Content-Type of an ACME POST must be application/jose+json.");
    p.status = StatusCode::UNSUPPORTED_MEDIA_TYPE.as_u16();
    Err(p)
}

impl Problem {
    pub fn new(kind: ErrorType, detail: impl Into<String>) -> Self {
        Problem {
            kind,
            detail: detail.into(),
            status: kind.status().as_u16(),
            subproblems: Vec::new(),
            instance: None,
            algorithms: None,
            retry_after: None,
        }
    }

    /// `rateLimited`, with the seconds the client should wait (`Retry-After`).
    pub fn rate_limited(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Problem {
            retry_after: Some(retry_after_secs),
            ..Self::new(ErrorType::RateLimited, detail)
        }
    }

    /// `badSignatureAlgorithm`, listing the algorithms the server accepts.
    pub fn bad_signature_algorithm(detail: impl Into<String>, accepted: &[&str]) -> Self {
        Problem {
            algorithms: Some(accepted.iter().map(|a| (*a).to_owned()).collect()),
            ..Self::new(ErrorType::BadSignatureAlgorithm, detail)
        }
    }

    pub fn with_subproblems(mut self, subproblems: Vec<Subproblem>) -> Self {
        self.subproblems = subproblems;
        self
    }

    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// The HTTP status to answer with: [`Problem::status`], falling back to the type's when
    /// out of range.
    pub fn http_status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or_else(|_| self.kind.status())
    }

    /// The JSON body. A response also carries `Content-Type:` [`CONTENT_TYPE`], the caller's
    /// `Replay-Nonce` (every ACME response but the directory has a fresh one, RFC 8555 §6.5),
    /// `Retry-After` from [`Problem::retry_after`], and `Cache-Control: no-store`.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| {
            // Serializing plain strings and numbers cannot fail; keep a valid body anyway.
            br#"{"type":"urn:ietf:params:acme:error:serverInternal","detail":"error rendering failed","status":500}"#.to_vec()
        })
    }
}

#[cfg(test)]
#[path = "tests_problem.rs"]
mod tests;
