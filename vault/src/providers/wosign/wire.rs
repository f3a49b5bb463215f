//! WoSign's wire conventions (partner-dialects.md §4.3 [P]): the three request headers and the
//! HMAC request signature described in the `wosign` module doc, and the `{code, message, data}`
//! envelope every answer comes in, turned into `data` or a classified [`ProviderError`].

use crate::providers::http::{self, Answer};
use crate::providers::types::ProviderError;
use aws_lc_rs::{digest, hmac};
use serde_json::Value;

/// The headers every request carries.
pub const HEADER_ACCOUNT: &str = "X-WoSign-AccountId";
pub const HEADER_TIMESTAMP: &str = "X-WoSign-Timestamp";
pub const HEADER_SIGNATURE: &str = "X-WoSign-Signature";

/// The signature of one request (the recipe is in the `wosign` module doc).
pub fn signature(api_key: &str, method: &str, path: &str, timestamp: &str, body: &[u8]) -> String {
    let body_hash = hex::encode(digest::digest(&digest::SHA256, body));
    let key = hmac::Key::new(hmac::HMAC_SHA256, api_key.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(method.to_ascii_uppercase().as_bytes());
    ctx.update(path.as_bytes());
    ctx.update(timestamp.as_bytes());
    ctx.update(body_hash.as_bytes());
    hex::encode(ctx.sign().as_ref())
}

/// `code` and `message` of a WoSign envelope, as text.
pub(super) fn envelope_message(v: &Value) -> String {
    let code = v.get("code").map(|c| c.to_string()).unwrap_or_default();
    let message = v.get("message").and_then(Value::as_str).unwrap_or("");
    match (code.is_empty(), message.is_empty()) {
        (false, false) => format!("code {code}: {message}"),
        (false, true) => format!("code {code}"),
        _ => message.to_string(),
    }
}

/// `data` of a `code: 0` envelope, else the classified error.
pub(super) fn check_code(what: &str, answer: &Answer, v: Value) -> Result<Value, ProviderError> {
    let code = match v.get("code") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        ProviderError::unreadable(format!(
            "{what}: the CA's answer (HTTP {}) has no numeric code",
            answer.status.as_u16()
        ))
    })?;
    if code == 0 {
        return Ok(v.get("data").cloned().unwrap_or(Value::Null));
    }
    let message = format!("{what}: WoSign error {}", envelope_message(&v));
    Err(match code {
        1001 | 1002 => ProviderError::Credentials { message },
        // "System busy" does not say whether the order was written first.
        9999 => ProviderError::Ambiguous {
            message,
            retry_after: http::retry_after(&answer.headers),
        },
        _ => ProviderError::Refused { message },
    })
}
