//! What one partnered step decides ([`Outcome`]), the helpers that turn a failed CA call into
//! one (retry with back-off until the deadline, or a permanent failure), and what a step sends
//! the CA ([`order_request`]). Shared by the step files; imports none of them.

use crate::issuance::backoff::retry_delay;
use crate::model::{OperationRecord, ProviderState};
use crate::providers::{CertType, Credentials, OrderRequest, ProviderError};
use shared::crypto;
use std::time::Duration;
use tracing::warn;

/// Key Vault's error codes for a failed partnered operation (partner-dialects.md §1.4).
pub(super) const ISSUER_ERROR: &str = "Certificate issuer error";
pub(super) const REQUEST_REJECTED: &str = "Request rejected";

/// What a step decided; written by `record` through the fenced write.
pub(super) enum Outcome {
    /// Keep going: new provider state and when to look again.
    Continue {
        state: ProviderState,
        details: String,
        after: Duration,
    },
    Complete {
        chain: Vec<Vec<u8>>,
        nbf: i64,
        exp: i64,
    },
    Fail {
        code: &'static str,
        message: String,
    },
    Cancelled {
        message: String,
    },
    /// Write nothing: the row changed under the step (cancelled, deleted, taken over), and
    /// the next step starts from what it is now.
    Stop,
}

/// A retryable failure: count it, fail past the deadline, else wait (Retry-After, or the
/// jittered back-off) and look again.
pub(super) fn retry(
    mut state: ProviderState,
    error: &ProviderError,
    base: Duration,
    now: i64,
) -> Outcome {
    let message = error.to_string();
    state.failures += 1;
    state.last_error = Some(message.clone());
    if now >= state.deadline {
        return Outcome::Fail {
            code: ISSUER_ERROR,
            message: format!(
                "The CA could not be reached successfully before the operation's deadline; last error: {message}"
            ),
        };
    }
    let after = retry_delay(base, state.failures, error.retry_after());
    warn!(failures = state.failures, class = error.class(), error = %message, "CA call failed; retrying");
    Outcome::Continue {
        state,
        details: format!(
            "Pending certificate created. The CA call failed and will be retried: {message}"
        ),
        after,
    }
}

pub(super) fn permanent(e: ProviderError) -> Outcome {
    Outcome::Fail {
        code: ISSUER_ERROR,
        message: e.to_string(),
    }
}

pub(crate) fn no_endpoint_message(issuer: &str, provider: &str) -> String {
    format!(
        "Issuer '{issuer}' uses provider '{provider}', and this vault has no endpoint configured \
         for it (--provider-endpoint {provider}=URL); the request was not sent to any CA."
    )
}

/// The order for `op` as the adapters take it.
pub(super) fn order_request(op: &OperationRecord, credentials: Credentials) -> OrderRequest {
    let x509 = op.policy.x509_props.clone().unwrap_or_default();
    let subject = x509.subject.unwrap_or_default();
    let common_name = crypto::parse_dn(&subject)
        .ok()
        .and_then(|dn| dn.values_of("2.5.4.3").next().map(str::to_string));
    OrderRequest {
        reference: op.request_id.clone(),
        csr_der: op.csr.clone().unwrap_or_default(),
        common_name,
        dns_names: x509.sans.and_then(|s| s.dns_names).unwrap_or_default(),
        cert_type: CertType::from_cty(op.issuer_cty.as_deref()),
        validity_months: x509.validity_months.unwrap_or(12),
        cert_transparency: op.cert_transparency,
        credentials,
    }
}

/// The provider state a new partnered operation starts with.
pub fn initial_state(now: i64, deadline: Duration) -> ProviderState {
    ProviderState {
        deadline: now + deadline.as_secs() as i64,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use crate::providers::CertType;

    #[test]
    fn cty_picks_the_product_family() {
        assert_eq!(CertType::from_cty(Some("EV-SSL")), CertType::Ev);
        assert_eq!(CertType::from_cty(Some("OV-SSL")), CertType::Ov);
        assert_eq!(CertType::from_cty(None), CertType::Ov);
    }
}
