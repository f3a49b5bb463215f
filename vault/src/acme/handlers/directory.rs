//! The directory (RFC 8555 §7.1.1, with `meta.profiles` of draft-aaron-acme-profiles and
//! `renewalInfo` of RFC 9773) and `new-nonce` (§7.2). The directory of a profile
//! (`/acme/{profile}/directory`) is the same except that `newOrder` is that profile's and
//! `meta.profiles` lists only it, for clients without profile support.

use crate::acme::problem::{ErrorType, Problem};
use crate::acme::reply::Reply;
use crate::acme::request::Cx;
use axum::http::{Method, StatusCode};
use serde_json::{json, Map, Value};

/// The profiles this vault offers, name → description, default first.
pub fn profiles(_cx: &Cx) -> Vec<(String, String)> {
    vec![
        (
            "local".to_string(),
            "vault's local ACME CA, 90-day certificates (the default)".to_string(),
        ),
        (
            "shortlived".to_string(),
            "vault's local ACME CA, 6-day certificates".to_string(),
        ),
    ]
}

/// `invalidProfile` unless `name` is one of this vault's profiles.
pub fn check_profile(cx: &Cx, name: &str) -> Result<(), Problem> {
    if profiles(cx).iter().any(|(n, _)| n == name) {
        Ok(())
    } else {
        Err(Problem::new(
            ErrorType::InvalidProfile,
            format!("The profile '{name}' is not offered by this server; see the directory's meta.profiles."),
        ))
    }
}

/// `GET /acme/directory` and `GET /acme/{profile}/directory`.
pub fn get(cx: &Cx, pinned: Option<&str>) -> Result<Reply, Problem> {
    if let Some(name) = pinned {
        check_profile(cx, name)?;
    }
    let urls = &cx.urls;
    let mut listed = Map::new();
    for (name, description) in profiles(cx) {
        if pinned.is_none_or(|p| p == name) {
            listed.insert(name, Value::String(description));
        }
    }
    let new_order = match pinned {
        Some(p) => urls.at(&format!("{p}/new-order")),
        None => urls.at("new-order"),
    };
    Ok(Reply::json(&json!({
        "newNonce": urls.at("new-nonce"),
        "newAccount": urls.at("new-account"),
        "newOrder": new_order,
        "newAuthz": urls.at("new-authz"),
        "revokeCert": urls.at("revoke-cert"),
        "keyChange": urls.at("key-change"),
        "renewalInfo": urls.at("renewal-info"),
        "meta": {
            "termsOfService": TERMS,
            "website": "https://github.com/",
            "caaIdentities": [cx.vault.name.clone()],
            "externalAccountRequired": cx.acme.settings.eab_required,
            "profiles": listed,
        }
    })))
}

/// The terms of service clients agree to (`termsOfServiceAgreed`), inline like Pebble's.
pub const TERMS: &str =
    "data:text/plain,vault's ACME gateway is a local test CA: no warranty, no trust.";

/// `HEAD|GET /acme/new-nonce` (RFC 8555 §7.2): 200 for HEAD, 204 for GET; the nonce is added
/// by the renderer like on every response.
pub fn new_nonce(method: &Method) -> Result<Reply, Problem> {
    Ok(Reply::empty(if method == Method::HEAD {
        StatusCode::OK
    } else {
        StatusCode::NO_CONTENT
    }))
}
