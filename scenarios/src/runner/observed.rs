//! What a step saw ([`Observed`]), filled in by the step and read by the expectations, and
//! the summaries failure messages quote. ACME problems (RFC 8555 §6.7) are read here too: a
//! problem document as the reply's body, or an order's `error`.

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
    /// An ACME certificate chain (DER, leaf first) the step downloaded.
    pub chain: Option<Vec<Vec<u8>>>,
    /// `acme_renewal_info`: where the suggested window starts, in days after the
    /// certificate's notBefore.
    pub window_start_days: Option<f64>,
}

/// The prefix of every ACME problem type.
pub(crate) const ACME_ERROR: &str = "urn:ietf:params:acme:error:";

/// The ACME problem the step saw: the reply's body when it is a problem document, else the
/// `error` of the ACME object in it (an invalid order).
pub(crate) fn acme_problem(obs: &Observed) -> Option<&Value> {
    let body = &obs.reply.as_ref()?.body;
    let is_problem = |v: &Value| {
        v["type"]
            .as_str()
            .is_some_and(|t| t.starts_with(ACME_ERROR))
    };
    if is_problem(body) {
        return Some(body);
    }
    body.get("error").filter(|e| is_problem(e))
}

/// The error the step saw (response or operation), as `code: message`; an ACME problem as
/// `type: detail` (the type's short name).
pub(crate) fn error_seen(obs: &Observed) -> Option<String> {
    if let Some(p) = acme_problem(obs) {
        let kind = p["type"].as_str().unwrap_or("");
        return Some(format!(
            "{}: {}",
            kind.strip_prefix(ACME_ERROR).unwrap_or(kind),
            p["detail"].as_str().unwrap_or("")
        ));
    }
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
