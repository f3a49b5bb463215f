//! Which paths are the token service's, on any host: the Entra endpoints under a tenant
//! segment and the two managed-identity endpoints. A Key Vault path word (`certificates`,
//! `keys`, `secrets`, `deleted*`, `_admin`, `metrics`) is never a tenant, so no Key Vault
//! route is ever taken. [`handle`] dispatches a matching request.

use super::discovery;
use super::grant::{self, Version};
use super::managed::{self, Style};
use super::service::Identity;
use axum::extract::Request;
use axum::http::header;
use axum::response::Response;

/// First path segments that belong to Key Vault (or the admin API), never to a tenant.
const KEY_VAULT_WORDS: &[&str] = &[
    "certificates",
    "keys",
    "secrets",
    "deletedcertificates",
    "deletedkeys",
    "deletedsecrets",
    "_admin",
    "metrics",
];

/// A token-service endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    Token { tenant: &'a str, version: Version },
    OpenIdConfiguration { tenant: &'a str, v2: bool },
    InstanceDiscovery,
    Keys { tenant: &'a str, v2: bool },
    ManagedIdentity(Style),
}

/// The endpoint `path` names, if it is one of the token service's.
pub fn route(path: &str) -> Option<Route<'_>> {
    let path = path.strip_prefix('/')?;
    let path = path.strip_suffix('/').unwrap_or(path);
    match path {
        "msi/token" => return Some(Route::ManagedIdentity(Style::AppService)),
        "metadata/identity/oauth2/token" => return Some(Route::ManagedIdentity(Style::Imds)),
        _ => {}
    }
    let (tenant, rest) = path.split_once('/')?;
    if tenant.is_empty()
        || KEY_VAULT_WORDS
            .iter()
            .any(|w| tenant.eq_ignore_ascii_case(w))
    {
        return None;
    }
    Some(match rest {
        "oauth2/v2.0/token" => Route::Token {
            tenant,
            version: Version::V2,
        },
        "oauth2/token" => Route::Token {
            tenant,
            version: Version::V1,
        },
        "v2.0/.well-known/openid-configuration" => Route::OpenIdConfiguration { tenant, v2: true },
        ".well-known/openid-configuration" => Route::OpenIdConfiguration { tenant, v2: false },
        "discovery/instance" => Route::InstanceDiscovery,
        "discovery/v2.0/keys" => Route::Keys { tenant, v2: true },
        "discovery/keys" => Route::Keys { tenant, v2: false },
        _ => return None,
    })
}

/// Is `path` one of the token service's endpoints?
pub fn is_identity_path(path: &str) -> bool {
    route(path).is_some()
}

/// Answers a request whose path [`route`] matched (anything else gets a 404). `scheme` is how
/// the client reached us (`https`, or `http` on `--identity-listen`).
pub async fn handle(identity: &Identity, req: Request, scheme: &str) -> Response {
    let uri = req.uri().clone();
    let host = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "localhost".into());
    let origin = format!("{scheme}://{host}");
    match route(uri.path()) {
        Some(Route::Token { tenant, version }) => {
            grant::token(identity, req, &origin, tenant, version).await
        }
        Some(Route::OpenIdConfiguration { tenant, v2 }) => {
            discovery::openid_configuration(identity, &origin, tenant, v2)
        }
        Some(Route::InstanceDiscovery) => discovery::instance(&origin, uri.query().unwrap_or("")),
        Some(Route::Keys { tenant, v2 }) => discovery::jwks(identity, &origin, tenant, v2),
        Some(Route::ManagedIdentity(style)) => managed::token(identity, &req, style),
        None => super::wire::json(
            axum::http::StatusCode::NOT_FOUND,
            serde_json::json!({"error": "not_found", "error_description": "No such endpoint."}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_paths_never_take_key_vault_routes() {
        assert_eq!(
            route("/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"),
            Some(Route::Token {
                tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47",
                version: Version::V2
            })
        );
        assert_eq!(
            route("/common/discovery/instance"),
            Some(Route::InstanceDiscovery)
        );
        assert_eq!(
            route("/t/v2.0/.well-known/openid-configuration"),
            Some(Route::OpenIdConfiguration {
                tenant: "t",
                v2: true
            })
        );
        assert_eq!(
            route("/msi/token"),
            Some(Route::ManagedIdentity(Style::AppService))
        );
        // A certificate named "oauth2" with a version "token" stays Key Vault's.
        assert_eq!(route("/certificates/oauth2/token"), None);
        assert_eq!(route("/keys/discovery/keys"), None);
        assert_eq!(route("/secrets/x/oauth2/token"), None);
        assert_eq!(route("/_admin/health"), None);
        assert_eq!(route("//oauth2/token"), None);
        assert_eq!(route("/certificates"), None);
    }
}
