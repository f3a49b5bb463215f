//! CertCentral's JSON as DigiCert writes and reads it (partner-dialects.md §2): the §2.2 order
//! body (with `disable_ct` from the policy's `cert_transparency`), the `errors` list turned into
//! a classified [`ProviderError`], and the CSR comparison `find` relies on.

use crate::providers::convert::validity_years;
use crate::providers::http::{self, Answer};
use crate::providers::types::{OrderRequest, ProviderError};
use serde_json::{json, Value};
use std::time::Duration;

/// The API key header on every call.
pub(super) const DEVKEY: &str = "X-DC-DEVKEY";
/// Keyfactor's back-off when a 429 carries no Retry-After (§2.6).
const RATE_LIMIT_BACKOFF: Duration = Duration::from_secs(5);

/// The §2.2 order body.
pub(super) fn order_body(order: &OrderRequest) -> Result<Value, ProviderError> {
    let org = order
        .credentials
        .org_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ProviderError::Config {
            message: "The DigiCert issuer has no organization id (org_details.id).".into(),
        })?;
    let org_id = match org.parse::<u64>() {
        Ok(n) => json!(n),
        Err(_) => json!(org),
    };
    let common_name = common_name(order)?;
    let mut certificate = json!({
        "common_name": common_name,
        "csr": shared::crypto::pem_encode("CERTIFICATE REQUEST", &order.csr_der),
        "signature_hash": "sha256",
        "server_platform": {"id": -1},
    });
    if !order.dns_names.is_empty() {
        certificate["dns_names"] = json!(order.dns_names);
    }
    let mut body = json!({
        "certificate": certificate,
        "organization": {"id": org_id},
        "order_validity": {"years": validity_years(order.validity_months)},
        "payment_method": "balance",
        "skip_approval": true,
        "disable_renewal_notifications": true,
        "comments": format!("Azure Key Vault emulator request {}", order.reference),
    });
    // Key Vault's `issuer.cert_transparency` is DigiCert's `disable_ct`, inverted; left to the
    // account's default when the policy does not say.
    if let Some(ct) = order.cert_transparency {
        body["disable_ct"] = json!(!ct);
    }
    Ok(body)
}

/// The certificate's common name as the order names it (and as a lookup filters by it): the
/// subject's CN, else the first DNS name.
pub(super) fn common_name(order: &OrderRequest) -> Result<String, ProviderError> {
    order
        .common_name
        .clone()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| order.dns_names.first().cloned())
        .ok_or_else(|| ProviderError::Refused {
            message: "DigiCert needs a common name or a DNS name for the certificate.".into(),
        })
}

pub(super) fn parse_json(what: &str, answer: &Answer) -> Result<Value, ProviderError> {
    serde_json::from_slice(&answer.body)
        .map_err(|e| ProviderError::unreadable(format!("{what}: the CA's answer is not JSON: {e}")))
}

/// The entries of `errors` (an array, or a single object); none when the body is not JSON.
fn error_entries(body: &[u8]) -> Vec<Value> {
    let Ok(Value::Object(mut v)) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    match v.remove("errors") {
        Some(Value::Array(a)) => a,
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

/// `code: message` of each entry in `errors` (array, or a single object).
fn error_messages(body: &[u8]) -> String {
    error_entries(body)
        .iter()
        .map(|e| {
            let code = e.get("code").and_then(Value::as_str).unwrap_or("");
            let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
            match (code.is_empty(), msg.is_empty()) {
                (false, false) => format!("{code}: {msg}"),
                (false, true) => code.to_string(),
                _ => msg.to_string(),
            }
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// DigiCert's documented rate-limit code: the request was refused before processing (§2.6).
const RATE_LIMIT_CODE: &str = "request_limit_exceeded";

/// The classified error of a non-2xx answer; a 429 carrying `request_limit_exceeded` is
/// Throttled (not processed), any other 429 Ambiguous (see `providers::http`).
pub(super) fn error_from(what: &str, answer: &Answer) -> ProviderError {
    let message = error_messages(&answer.body);
    if answer.status == reqwest::StatusCode::TOO_MANY_REQUESTS
        && error_codes(&answer.body)
            .iter()
            .any(|c| c == RATE_LIMIT_CODE)
    {
        return http::throttled(what, answer, &message, RATE_LIMIT_BACKOFF);
    }
    http::status_error(what, answer, &message)
}

/// The `code` of each entry in `errors`.
fn error_codes(body: &[u8]) -> Vec<String> {
    error_entries(body)
        .iter()
        .filter_map(|e| e.get("code").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// Standard base64 of DER: what [`normalize_pem`] leaves of its PEM.
pub(super) fn b64_of(der: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(der)
}

/// The base64 body of a PEM (or bare base64) text, without armor lines or whitespace.
pub(super) fn normalize_pem(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("-----"))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect()
}

/// The CA's own words on a rejection or cancellation, as DigiCert returns them: the request's
/// `processor_comment`, else the order's `notes`.
pub(super) fn with_reason(summary: String, order: &Value) -> String {
    let reason = order
        .pointer("/requests/0/processor_comment")
        .and_then(Value::as_str)
        .filter(|r| !r.trim().is_empty())
        .or_else(|| {
            order
                .get("notes")
                .and_then(Value::as_str)
                .filter(|r| !r.trim().is_empty())
        });
    match reason {
        Some(reason) => format!("{summary} Reason: {}", reason.trim()),
        None => summary,
    }
}
