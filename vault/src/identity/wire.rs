//! Microsoft Entra ID's error JSON, the wire of a *different* service than Key Vault: token
//! endpoint failures are `{"error", "error_description": "AADSTS…: …", "error_codes",
//! "timestamp", "trace_id", "correlation_id", "error_uri"}` with Entra's status codes, not Key
//! Vault's `{"error":{"code","message"}}`. Every such failure is one [`EntraError`] variant,
//! rendered by [`EntraError::render`]; the managed-identity endpoints' own small errors too.

use super::files::random_uuid;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A token-service failure, in Entra's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntraError {
    /// AADSTS7000215 (401): the secret does not match.
    BadSecret { client_id: String },
    /// AADSTS7000218 (401): neither a secret nor an assertion was sent.
    NoCredential,
    /// AADSTS700027 (401): the client assertion does not verify (signature, certificate,
    /// audience, thumbprint); the reason is appended.
    BadAssertion { reason: String },
    /// AADSTS700024 (401): the client assertion is outside its validity window.
    AssertionTime,
    /// AADSTS700021 (401): the assertion's `iss`/`sub` are not the `client_id`.
    AssertionSubject,
    /// AADSTS70011 (400): the scope is missing or not one this service issues for.
    InvalidScope { scope: Option<String> },
    /// AADSTS500011 (400): v1 `resource=` this service does not issue for.
    InvalidResource { resource: String, tenant: String },
    /// AADSTS700016 (400): no such application in the tenant.
    UnknownClient { client_id: String, tenant: String },
    /// AADSTS90002 (400): no such tenant (`invalid_tenant` from the discovery documents).
    UnknownTenant { tenant: String, discovery: bool },
    /// AADSTS50059 (400): an app token asked for at `common`/`organizations`.
    NoTenant,
    /// AADSTS70003 (400): not `client_credentials`.
    UnsupportedGrant { grant: String },
    /// AADSTS900144 (400): a required form parameter is missing.
    MissingParameter { name: &'static str },
    /// AADSTS900561 (400): the token endpoint was not called with POST.
    NotPost { method: String },
    /// AADSTS50000 (500): signing failed on our side (logged where it happened).
    ServerError,
    /// Managed identity (IMDS style) without `Metadata: true` (400).
    ImdsMetadataHeader,
    /// Managed identity (App Service style) with a missing or wrong `X-IDENTITY-HEADER`.
    IdentityHeader { present: bool },
    /// Managed identity: no such identity, or `resource` missing or not served (400).
    ManagedIdentity { description: String },
}

impl EntraError {
    fn parts(&self) -> (StatusCode, &'static str, u32, String) {
        use EntraError::*;
        let bad = StatusCode::BAD_REQUEST;
        let unauthorized = StatusCode::UNAUTHORIZED;
        match self {
            BadSecret { client_id } => (unauthorized, "invalid_client", 7000215, format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            )),
            NoCredential => (unauthorized, "invalid_client", 7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into()),
            BadAssertion { reason } => (unauthorized, "invalid_client", 700027, format!(
                "Client assertion failed signature validation. [Reason - {reason}]"
            )),
            AssertionTime => (unauthorized, "invalid_client", 700024,
                "Client assertion is not within its valid time range.".into()),
            AssertionSubject => (unauthorized, "invalid_client", 700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.".into()),
            InvalidScope { scope: None } => (bad, "invalid_scope", 70011,
                "The provided request must include a 'scope' input parameter.".into()),
            InvalidScope { scope: Some(scope) } => (bad, "invalid_scope", 70011, format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            )),
            InvalidResource { resource, tenant } => (bad, "invalid_resource", 500011, format!(
                "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            )),
            UnknownClient { client_id, tenant } => (bad, "unauthorized_client", 700016, format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            )),
            UnknownTenant { tenant, discovery } => (bad, if *discovery { "invalid_tenant" } else { "invalid_request" }, 90002, format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            )),
            UnsupportedGrant { grant } => (bad, "unsupported_grant_type", 70003, format!(
                "The app requested an unsupported grant type '{grant}'."
            )),
            MissingParameter { name } => (bad, "invalid_request", 900144, format!(
                "The request body must contain the following parameter: '{name}'."
            )),
            ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "server_error", 50000,
                "There was an error issuing a token or an issue with our sign-in service.".into()),
            NoTenant => (bad, "invalid_request", 50059,
                "No tenant-identifying information found in either the request or implied by any provided credentials.".into()),
            NotPost { method } => (bad, "invalid_request", 900561, format!(
                "The endpoint only accepts POST, OPTIONS requests. Received a {method} request."
            )),
            ImdsMetadataHeader | IdentityHeader { .. } | ManagedIdentity { .. } => {
                (bad, "invalid_request", 0, String::new())
            }
        }
    }

    /// The response: Entra's JSON (or the managed-identity endpoints' shapes).
    pub fn render(&self, correlation_id: Option<&str>) -> Response {
        match self {
            // IMDS's own words.
            EntraError::ImdsMetadataHeader => {
                return json(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}),
                )
            }
            EntraError::IdentityHeader { present } => {
                let (status, message) = if *present {
                    (
                        StatusCode::UNAUTHORIZED,
                        "The X-IDENTITY-HEADER value is not valid.",
                    )
                } else {
                    (
                        StatusCode::BAD_REQUEST,
                        "The X-IDENTITY-HEADER header is required.",
                    )
                };
                return json(
                    status,
                    serde_json::json!({"statusCode": status.as_u16(), "message": message}),
                );
            }
            EntraError::ManagedIdentity { description } => {
                return json(
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({"error": "invalid_request", "error_description": description}),
                )
            }
            _ => {}
        }
        let (status, error, code, text) = self.parts();
        let trace_id = random_uuid();
        let correlation_id = correlation_id
            .filter(|c| !c.is_empty() && c.len() <= 64)
            .map_or_else(random_uuid, str::to_string);
        let timestamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default();
        let description = format!(
            "AADSTS{code}: {text} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
        );
        json(
            status,
            serde_json::json!({
                "error": error,
                "error_description": description,
                "error_codes": [code],
                "timestamp": timestamp,
                "trace_id": trace_id,
                "correlation_id": correlation_id,
                "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
            }),
        )
    }
}

/// A JSON response with Entra's cache headers.
pub fn json(status: StatusCode, body: serde_json::Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    resp
}
