//! The token endpoints, `POST /{tenant}/oauth2/v2.0/token` (`scope=`) and
//! `POST /{tenant}/oauth2/token` (v1, `resource=`), for the client-credentials grant: the
//! client proves itself with its secret or a certificate-signed client assertion, and gets
//! an access token for one resource. Failures are Entra's ([`super::wire`]).

use super::assertion::{self, JWT_BEARER};
use super::issue::{Minted, Proof};
use super::service::Identity;
use super::verify::unix_now;
use super::wire::{json, EntraError};
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use std::collections::HashMap;

/// Largest form body read (assertions and MSAL's `claims` fit easily).
const FORM_LIMIT: usize = 64 * 1024;

/// Scopes MSAL may add that name no resource.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "offline_access", "email"];

/// Which token endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// Answers a token request. `origin` is `scheme://host[:port]` as the client used it.
pub async fn token(
    identity: &Identity,
    req: Request,
    origin: &str,
    tenant: &str,
    version: Version,
) -> Response {
    let correlation = req
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let basic = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(basic_credentials);
    let result = match *req.method() {
        Method::POST => match axum::body::to_bytes(req.into_body(), FORM_LIMIT).await {
            Ok(body) => {
                let mut form: HashMap<String, String> =
                    url::form_urlencoded::parse(&body).into_owned().collect();
                // `client_secret_basic`: the form's own fields win.
                if let Some((id, secret)) = basic {
                    form.entry("client_id".into()).or_insert(id);
                    form.entry("client_secret".into()).or_insert(secret);
                }
                grant(identity, &form, origin, tenant, version)
            }
            Err(_) => Err(EntraError::MissingParameter { name: "grant_type" }),
        },
        ref method => Err(EntraError::NotPost {
            method: method.to_string(),
        }),
    };
    match result {
        Ok(minted) => success(&minted, version),
        Err(e) => {
            tracing::info!(tenant, error = ?e, "token request refused");
            e.render(correlation.as_deref())
        }
    }
}

fn grant(
    identity: &Identity,
    form: &HashMap<String, String>,
    origin: &str,
    tenant: &str,
    version: Version,
) -> Result<Minted, EntraError> {
    let param = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let our_tenant = identity.tenant();
    if ["common", "organizations", "consumers"]
        .iter()
        .any(|t| tenant.eq_ignore_ascii_case(t))
    {
        return Err(EntraError::NoTenant);
    }
    if !tenant.eq_ignore_ascii_case(&our_tenant) {
        return Err(EntraError::UnknownTenant {
            tenant: tenant.to_string(),
            discovery: false,
        });
    }
    let grant = param("grant_type").ok_or(EntraError::MissingParameter { name: "grant_type" })?;
    if grant != "client_credentials" {
        return Err(EntraError::UnsupportedGrant {
            grant: grant.to_string(),
        });
    }
    let client_id = param("client_id").ok_or(EntraError::MissingParameter { name: "client_id" })?;
    let principal = identity
        .principal(client_id)
        .ok_or_else(|| EntraError::UnknownClient {
            client_id: client_id.to_string(),
            tenant: our_tenant.clone(),
        })?;
    let resource = match version {
        Version::V2 => scope_resource(identity, param("scope"))?,
        Version::V1 => {
            let resource =
                param("resource").ok_or(EntraError::MissingParameter { name: "resource" })?;
            identity
                .resource_audience(resource)
                .ok_or_else(|| EntraError::InvalidResource {
                    resource: resource.to_string(),
                    tenant: our_tenant.clone(),
                })?
        }
    };
    let proof = if let Some(kind) = param("client_assertion_type") {
        if kind != JWT_BEARER {
            return Err(EntraError::BadAssertion {
                reason: format!("The client_assertion_type '{kind}' is not supported."),
            });
        }
        let assertion = param("client_assertion").ok_or(EntraError::MissingParameter {
            name: "client_assertion",
        })?;
        // The endpoint the client was told about, v1 or v2, on the host it used.
        let audiences = [
            format!("{origin}/{tenant}/oauth2/v2.0/token"),
            format!("{origin}/{tenant}/oauth2/token"),
            format!("{origin}/{our_tenant}/oauth2/v2.0/token"),
            format!("{origin}/{our_tenant}/oauth2/token"),
        ];
        assertion::verify(
            assertion,
            &principal.client_id,
            principal.certificate.as_deref(),
            &audiences,
            unix_now(),
        )?;
        Proof::Certificate
    } else if let Some(secret) = param("client_secret") {
        let matches = principal.client_secret.as_deref().is_some_and(|expected| {
            aws_lc_rs::constant_time::verify_slices_are_equal(
                secret.as_bytes(),
                expected.as_bytes(),
            )
            .is_ok()
        });
        if !matches {
            return Err(EntraError::BadSecret {
                client_id: principal.client_id.clone(),
            });
        }
        Proof::Secret
    } else {
        return Err(EntraError::NoCredential);
    };
    identity
        .mint(&principal, &our_tenant, &resource, proof)
        .map_err(|e| {
            tracing::error!(error = %e, "minting a token failed");
            EntraError::ServerError
        })
}

/// `Authorization: Basic base64(client_id:client_secret)`, each part form-encoded
/// (RFC 6749 §2.3.1).
fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = shared::b64::decode_lenient(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// The resource of a v2 `scope`: exactly one `{resource}/.default` besides OIDC scopes.
fn scope_resource(identity: &Identity, scope: Option<&str>) -> Result<String, EntraError> {
    let scope = scope.ok_or(EntraError::InvalidScope { scope: None })?;
    let invalid = || EntraError::InvalidScope {
        scope: Some(scope.to_string()),
    };
    let mut resources = scope
        .split_whitespace()
        .filter(|s| !OIDC_SCOPES.contains(s));
    let only = resources.next().ok_or_else(invalid)?;
    if resources.next().is_some() {
        return Err(invalid());
    }
    let resource = only.strip_suffix("/.default").ok_or_else(invalid)?;
    identity.resource_audience(resource).ok_or_else(invalid)
}

fn success(minted: &Minted, version: Version) -> Response {
    let body = match version {
        Version::V2 => serde_json::json!({
            "token_type": "Bearer",
            "expires_in": super::issue::LIFETIME_SECS,
            "ext_expires_in": super::issue::LIFETIME_SECS,
            "access_token": minted.access_token,
        }),
        // v1 answers with strings, as Entra's v1 endpoint does.
        Version::V1 => serde_json::json!({
            "token_type": "Bearer",
            "expires_in": super::issue::LIFETIME_SECS.to_string(),
            "ext_expires_in": super::issue::LIFETIME_SECS.to_string(),
            "expires_on": minted.expires_on.to_string(),
            "not_before": minted.not_before.to_string(),
            "resource": minted.resource,
            "access_token": minted.access_token,
        }),
    };
    json(StatusCode::OK, body)
}
