//! What MSAL-based credentials fetch before asking for a token: the OpenID configuration
//! (v2 `/{tenant}/v2.0/.well-known/openid-configuration` and v1), instance discovery
//! (`/common/discovery/instance`), and the JWKS the access tokens verify with. URLs inside
//! use the request's own origin (through the drop-in proxy that is
//! `https://login.microsoftonline.com`). MSAL Python needs `authorization_endpoint` and
//! `token_endpoint` and takes the tenant from the latter; MSAL Node also requires `issuer`
//! and `jwks_uri`; neither compares the issuer with the authority for Entra authorities.

use super::service::Identity;
use super::wire::{json, EntraError};
use axum::http::StatusCode;
use axum::response::Response;

/// Tenant words Entra's discovery documents answer for besides tenant ids.
const MULTI_TENANT: &[&str] = &["common", "organizations"];

/// The tenant segment to use in URLs, or the 400 for a tenant that does not exist.
#[allow(clippy::result_large_err)]
fn tenant_segment(identity: &Identity, tenant: &str) -> Result<String, Response> {
    let ours = identity.tenant();
    if tenant.eq_ignore_ascii_case(&ours) {
        Ok(ours)
    } else if MULTI_TENANT.iter().any(|t| tenant.eq_ignore_ascii_case(t)) {
        Ok(tenant.to_ascii_lowercase())
    } else {
        Err(EntraError::UnknownTenant {
            tenant: tenant.to_string(),
            discovery: true,
        }
        .render(None))
    }
}

/// `GET /{tenant}[/v2.0]/.well-known/openid-configuration`.
pub fn openid_configuration(identity: &Identity, origin: &str, tenant: &str, v2: bool) -> Response {
    let t = match tenant_segment(identity, tenant) {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    // Multi-tenant documents carry the `{tenantid}` template, as Entra's do.
    let tid = if MULTI_TENANT.contains(&t.as_str()) {
        "{tenantid}".to_string()
    } else {
        t.clone()
    };
    let (prefix, issuer, jwks) = if v2 {
        (
            format!("{origin}/{t}/oauth2/v2.0"),
            format!("{origin}/{tid}/v2.0"),
            format!("{origin}/{t}/discovery/v2.0/keys"),
        )
    } else {
        (
            format!("{origin}/{t}/oauth2"),
            format!("https://sts.windows.net/{tid}/"),
            format!("{origin}/common/discovery/keys"),
        )
    };
    json(
        StatusCode::OK,
        serde_json::json!({
            "token_endpoint": format!("{prefix}/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": jwks,
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": issuer,
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": format!("{prefix}/authorize"),
            "device_authorization_endpoint": format!("{prefix}/devicecode"),
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "end_session_endpoint": format!("{prefix}/logout"),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "oid", "appid"],
            "kerberos_endpoint": format!("{origin}/{t}/kerberos"),
            "tenant_region_scope": null,
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }),
    )
}

/// `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=…`: the tenant
/// discovery endpoint for the authority the client names, on that authority's own host.
pub fn instance(origin: &str, query: &str) -> Response {
    let endpoint = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "authorization_endpoint")
        .and_then(|(_, v)| url::Url::parse(&v).ok());
    let (authority_origin, host, tenant) = match &endpoint {
        Some(u) if u.host_str().is_some() => {
            let host = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
                None => u.host_str().unwrap_or_default().to_string(),
            };
            let tenant = u
                .path_segments()
                .and_then(|mut s| s.next())
                .filter(|t| !t.is_empty())
                .unwrap_or("common")
                .to_string();
            (format!("{}://{host}", u.scheme()), host, tenant)
        }
        _ => {
            let host = origin
                .split_once("://")
                .map_or(origin, |(_, h)| h)
                .to_string();
            (origin.to_string(), host, "common".to_string())
        }
    };
    let mut metadata = vec![serde_json::json!({
        "preferred_network": host,
        "preferred_cache": host,
        "aliases": [host],
    })];
    if host != "login.microsoftonline.com" {
        metadata.push(serde_json::json!({
            "preferred_network": "login.microsoftonline.com",
            "preferred_cache": "login.windows.net",
            "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"],
        }));
    }
    json(
        StatusCode::OK,
        serde_json::json!({
            "tenant_discovery_endpoint": format!("{authority_origin}/{tenant}/v2.0/.well-known/openid-configuration"),
            "api-version": "1.1",
            "metadata": metadata,
        }),
    )
}

/// `GET /{tenant}/discovery[/v2.0]/keys`: the signing key with its certificate.
pub fn jwks(identity: &Identity, origin: &str, tenant: &str, v2: bool) -> Response {
    let t = match tenant_segment(identity, tenant) {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let key = &identity.key;
    let mut jwk = serde_json::json!({
        "kty": "RSA",
        "use": "sig",
        "kid": key.kid,
        "x5t": key.kid,
        "n": key.n,
        "e": key.e,
        "x5c": [shared::b64::std_encode(&key.cert_der)],
    });
    if v2 {
        let tid = if MULTI_TENANT.contains(&t.as_str()) {
            "{tenantid}"
        } else {
            t.as_str()
        };
        jwk["issuer"] = serde_json::Value::String(format!("{origin}/{tid}/v2.0"));
    }
    json(StatusCode::OK, serde_json::json!({ "keys": [jwk] }))
}
