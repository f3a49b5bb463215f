//! How a failed validation is written down: a [`StoredProblem`] whose `kind` is the RFC 8555
//! §6.7 short name of an [`ErrorType`] (`connection`, `dns`, `incorrectResponse`, `tls`,
//! `unauthorized`, `malformed`), so the spelling comes from `shared::acme::problem` alone.

use crate::model::acme::StoredProblem;
use shared::acme::problem::ErrorType;

const URN_PREFIX: &str = "urn:ietf:params:acme:error:";

/// The problem a challenge keeps in its `error`.
pub(super) fn problem(kind: ErrorType, detail: impl Into<String>) -> StoredProblem {
    let urn = kind.urn();
    StoredProblem {
        kind: urn.strip_prefix(URN_PREFIX).unwrap_or(&urn).to_string(),
        detail: detail.into(),
        subproblems: Vec::new(),
    }
}

/// A peer's text quoted in a detail: at most 100 characters, escaped, so a detail stays one
/// readable line whatever the peer sent.
pub(super) fn quote(text: &str) -> String {
    const MAX: usize = 100;
    let mut shown: String = text.chars().take(MAX).collect();
    if text.chars().count() > MAX {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// An error and its sources, `: `-separated (reqwest's and rustls' own Display omit the
/// cause).
pub(super) fn chain(error: &dyn std::error::Error) -> String {
    crate::providers::http::error_chain(error)
}
