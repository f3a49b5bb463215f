//! How the runner talks to the services, shared by a case's setup and its steps: path
//! encoding, TOML values as JSON bodies, issuer bodies, the outbox path, how often to ask again.

use super::env::Env;
use crate::case::IssuerSpec;
use crate::client::Reply;
use crate::error::Error;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// How often a step that waits for state (`poll_until`, ca-sim orders, the outbox) asks again.
pub(crate) const POLL_EVERY: Duration = Duration::from_millis(100);

/// A certificate name as a path segment.
pub(crate) fn enc(name: &str) -> String {
    // Certificate names are [0-9a-zA-Z-]; anything else is sent as is so vault can refuse it.
    name.replace('/', "%2F").replace(' ', "%20")
}

/// A TOML value (a verbatim `body`, `tags`) as JSON.
pub(crate) fn toml_to_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The outbox path, for one certificate or all.
pub(crate) fn notifications_path(name: Option<&str>) -> String {
    match name {
        Some(n) => format!("/_admin/notifications?certificate={}", enc(n)),
        None => "/_admin/notifications".to_string(),
    }
}

/// Default credentials of ca-sim's built-in account per provider.
fn builtin_credentials(provider: &str) -> (&'static str, &'static str) {
    match provider {
        "GlobalSign" => ("PAR_SIM_API", "sim-gs-pass"),
        "WoSign" => ("ws-sim-001", "sim-ws-key"),
        _ => ("sim-dc-account", "sim-dc-key"),
    }
}

/// `ACME` or `ACME-<label>`, in any case (vault's ACME client providers).
fn is_acme(provider: &str) -> bool {
    let p = provider.to_ascii_lowercase();
    p == "acme" || p.starts_with("acme-")
}

/// The body of `PUT /certificates/issuers/{name}`.
pub fn issuer_body(spec: &IssuerSpec) -> Value {
    if let Some(b) = &spec.body {
        return toml_to_json(b);
    }
    if is_acme(&spec.provider) {
        // An ACME issuer's credentials are an optional EAB key id / HMAC, its org id an
        // optional ACME profile: nothing of ca-sim's partner accounts applies.
        let mut body = json!({ "provider": spec.provider });
        if let (Some(id), Some(pwd)) = (&spec.account_id, &spec.pwd) {
            body["credentials"] = json!({ "account_id": id, "pwd": pwd });
        }
        if let Some(profile) = &spec.org_id {
            body["org_details"] = json!({ "id": profile });
        }
        return body;
    }
    let (id, pwd) = builtin_credentials(&spec.provider);
    let mut body = json!({
        "provider": spec.provider,
        "credentials": {
            "account_id": spec.account_id.as_deref().unwrap_or(id),
            "pwd": spec.pwd.as_deref().unwrap_or(pwd),
        },
    });
    match spec.provider.as_str() {
        "DigiCert" => {
            body["org_details"] = json!({ "id": spec.org_id.as_deref().unwrap_or("100001") });
        }
        "GlobalSign" => {
            body["org_details"] = json!({ "admin_details": [{
                "first_name": "Ada", "last_name": "Admin",
                "email": "admin@contoso.example", "phone": "5555550100"
            }]});
        }
        _ => {}
    }
    body
}

/// `PUT /certificates/issuers/{name}` with [`issuer_body`].
pub(crate) async fn set_issuer(env: &Env, spec: &IssuerSpec) -> Result<Reply, Error> {
    env.vault
        .send(
            Method::PUT,
            &format!("/certificates/issuers/{}", enc(&spec.name)),
            Some(&issuer_body(spec)),
            true,
        )
        .await
}
