//! The directory (RFC 8555 §7.1.1, with `meta.profiles` of draft-aaron-acme-profiles and
//! `renewalInfo` of RFC 9773) and `new-nonce` (§7.2). The directory of a profile
//! (`/acme/{profile}/directory`) is the same except that `newOrder` is that profile's and
//! `meta.profiles` lists only it, for clients without profile support.

use crate::acme::profiles;
use crate::acme::reply::{internal, Reply};
use crate::acme::request::Cx;
use axum::http::{Method, StatusCode};
use serde_json::json;
use shared::acme::problem::Problem;

/// `GET /acme/directory` and `GET /acme/{profile}/directory`.
/// `meta.profiles` is `acme::profiles`' list (the built-ins and this vault's partner issuers);
/// an unknown pinned profile is `invalidProfile`.
pub async fn get(cx: &Cx, pinned: Option<&str>) -> Result<Reply, Problem> {
    let listed = match pinned {
        Some(name) => vec![profiles::resolve(&cx.vault.db, Some(name)).await?],
        None => profiles::list(&cx.vault.db).await.map_err(internal)?,
    };
    let listed = profiles::meta(&listed);
    let urls = &cx.urls;
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
            "caaIdentities": [cx.vault.name.clone()],
            "externalAccountRequired": cx.acme.settings.eab_required,
            "profiles": listed,
        }
    })))
}

/// The terms of service clients agree to (`termsOfServiceAgreed`), inline like Pebble's.
pub const TERMS: &str =
    "data:text/plain,vault%27s%20ACME%20gateway%20is%20a%20local%20test%20CA%3A%20no%20warranty%2C%20no%20trust.";

/// `HEAD|GET /acme/new-nonce` (RFC 8555 §7.2): 200 for HEAD, 204 for GET; the nonce is added
/// by the renderer like on every response.
pub fn new_nonce(method: &Method) -> Result<Reply, Problem> {
    Ok(Reply::empty(if method == Method::HEAD {
        StatusCode::OK
    } else {
        StatusCode::NO_CONTENT
    }))
}
