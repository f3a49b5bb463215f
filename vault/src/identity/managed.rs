//! Managed identity, as the SDKs find it from the environment alone:
//! - App Service style: `IDENTITY_ENDPOINT=…/msi/token` + `IDENTITY_HEADER`; the credential
//!   sends `GET /msi/token?resource=…&api-version=2019-08-01[&client_id=…]` with
//!   `X-IDENTITY-HEADER` (which must equal `--identity-header` or the generated one).
//! - IMDS style: `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…`
//!   with `Metadata: true` (hosts from `AZURE_POD_IDENTITY_AUTHORITY_HOST`).
//!
//! The identity is a principal with `managed_identity = true`: the one named by `client_id`
//! (or `object_id`/`principal_id`), else the first such principal (the system-assigned one).

use super::issue::Proof;
use super::service::Identity;
use super::wire::{json, EntraError};
use crate::access::Principal;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;

/// Which managed-identity protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    AppService,
    Imds,
}

pub fn token(identity: &Identity, req: &Request, style: Style) -> Response {
    match mint(identity, req, style) {
        Ok(resp) => resp,
        Err(e) => {
            tracing::info!(error = ?e, "managed-identity token request refused");
            e.render(None)
        }
    }
}

fn mint(identity: &Identity, req: &Request, style: Style) -> Result<Response, EntraError> {
    let headers = req.headers();
    match style {
        Style::Imds => {
            let ok = headers
                .get("metadata")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            if !ok {
                return Err(EntraError::ImdsMetadataHeader);
            }
        }
        Style::AppService => {
            let Some(sent) = headers.get("x-identity-header") else {
                return Err(EntraError::IdentityHeader { present: false });
            };
            let ok = aws_lc_rs::constant_time::verify_slices_are_equal(
                sent.as_bytes(),
                identity.identity_header.as_bytes(),
            )
            .is_ok();
            if !ok {
                return Err(EntraError::IdentityHeader { present: true });
            }
        }
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let problem = |description: &str| EntraError::ManagedIdentity {
        description: description.to_string(),
    };
    if param("api-version").is_none() {
        return Err(problem("Required query variable 'api-version' is missing"));
    }
    let resource = param("resource")
        .ok_or_else(|| problem("Required query variable 'resource' is missing"))?;
    let tenant = identity.tenant();
    let audience = identity
        .resource_audience(resource.trim_end_matches("/.default"))
        .ok_or_else(|| {
            problem(&format!(
                "AADSTS500011: The resource principal named {resource} was not found in the tenant named {tenant}."
            ))
        })?;
    let principal = pick(identity, &tenant, &query).ok_or_else(|| problem("Identity not found"))?;
    let minted = identity
        .mint(&principal, &tenant, &audience, Proof::ManagedIdentity)
        .map_err(|e| {
            tracing::error!(error = %e, "minting a token failed");
            EntraError::ServerError
        })?;
    let body = match style {
        Style::AppService => serde_json::json!({
            "access_token": minted.access_token,
            "expires_on": minted.expires_on.to_string(),
            "resource": minted.resource,
            "token_type": "Bearer",
            "client_id": principal.client_id,
        }),
        Style::Imds => serde_json::json!({
            "access_token": minted.access_token,
            "client_id": principal.client_id,
            "expires_in": super::issue::LIFETIME_SECS.to_string(),
            "expires_on": minted.expires_on.to_string(),
            "ext_expires_in": super::issue::LIFETIME_SECS.to_string(),
            "not_before": minted.not_before.to_string(),
            "resource": minted.resource,
            "token_type": "Bearer",
        }),
    };
    Ok(json(StatusCode::OK, body))
}

/// The managed identity the query names (`client_id`, `object_id`/`principal_id`), else the
/// first one declared.
fn pick(identity: &Identity, tenant: &str, query: &[(String, String)]) -> Option<Principal> {
    let doc = identity.access.doc();
    let mut managed = doc.principals.iter().filter(|p| p.managed_identity);
    let named = |key: &str| {
        query
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    };
    let found = if let Some(id) = named("client_id") {
        managed.find(|p| p.client_id.eq_ignore_ascii_case(id))
    } else if let Some(oid) = named("object_id").or_else(|| named("principal_id")) {
        managed.find(|p| p.object_id_or_derived(tenant).eq_ignore_ascii_case(oid))
    } else {
        managed.next()
    };
    found.cloned()
}
