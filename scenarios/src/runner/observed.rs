//! What a step saw ([`Observed`]), filled in by the step and read by the expectations, and
//! the summaries failure messages quote.

use crate::client::Reply;
use serde_json::Value;

/// What a step saw.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// The certificate name of the step.
    pub name: Option<String>,
    /// The (last) HTTP reply.
    pub reply: Option<Reply>,
    /// The pending operation, when the step returns one.
    pub op: Option<Value>,
    /// Names (or versions) a `list` returned.
    pub list: Option<Vec<String>>,
    /// A ca-sim order.
    pub ca_order: Option<Value>,
    /// Vault outbox rows added since the scenario started (`notifications`).
    pub notifications: Option<Vec<Value>>,
}

/// The error the step saw (response or operation), as `code: message`.
pub(crate) fn error_seen(obs: &Observed) -> Option<String> {
    let e = obs
        .reply
        .as_ref()
        .and_then(|r| r.body.get("error"))
        .filter(|e| !e.is_null())
        .or_else(|| {
            obs.op
                .as_ref()
                .and_then(|o| o.get("error"))
                .filter(|e| !e.is_null())
        })?;
    Some(format!(
        "{}: {}",
        e["code"].as_str().unwrap_or(""),
        e["message"].as_str().unwrap_or("")
    ))
}

/// `status` plus the error, for messages.
pub(crate) fn op_summary(op: &Value) -> String {
    let status = op["status"].as_str().unwrap_or("?");
    match op.get("error").filter(|e| !e.is_null()) {
        Some(e) => format!(
            "'{status}' ({}: {})",
            e["code"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or("")
        ),
        None => format!("'{status}'"),
    }
}
