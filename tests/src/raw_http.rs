//! Raw HTTP against a vault: [`Raw`] sends authorised requests (adding `api-version` when the
//! path has none), [`RawResponse`] buffers the answer and checks Key Vault's error shape, and
//! [`trusting_client`] builds the reqwest client every harness piece uses (it trusts only the
//! server's dev CA). The certificate-operation flow on top of [`Raw`] is in `operations.rs`.

use std::net::SocketAddr;

use reqwest::{header::HeaderMap, Method, StatusCode};
use serde_json::Value;

use crate::wait::DEADLINE;

/// The api-version the Rust SDK 1.0.0 sends, used for raw HTTP too.
pub const API_VERSION: &str = "2025-07-01";

/// The api-version raw requests use (the Rust SDK's default).
pub fn api() -> &'static str {
    API_VERSION
}

/// A reqwest client that trusts only `ca_pem`; optionally resolves `host` to `addr`.
pub fn trusting_client(ca_pem: &str, resolve: Option<(&str, SocketAddr)>) -> reqwest::Client {
    let certs = reqwest::Certificate::from_pem_bundle(ca_pem.as_bytes()).expect("parse dev CA PEM");
    assert!(!certs.is_empty(), "dev CA PEM holds no certificate");
    let mut builder = reqwest::Client::builder()
        .tls_certs_only(certs)
        .timeout(DEADLINE)
        .no_proxy();
    if let Some((host, addr)) = resolve {
        builder = builder.resolve(host, addr);
    }
    builder.build().expect("build reqwest client")
}

/// Authorised raw HTTP against one base URL. Paths without `api-version` get `?api-version=`.
#[derive(Clone)]
pub struct Raw {
    pub client: reqwest::Client,
    pub base: String,
}

/// A buffered response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Raw {
    pub fn new(client: reqwest::Client, base: impl Into<String>) -> Raw {
        Raw {
            client,
            base: base.into(),
        }
    }

    /// `base + path`, with `api-version` appended when the path has none.
    pub fn url(&self, path: &str) -> String {
        with_api_version(&format!("{}{}", self.base, path))
    }

    pub async fn get(&self, path: &str) -> RawResponse {
        self.send(Method::GET, path, None).await
    }

    pub async fn delete(&self, path: &str) -> RawResponse {
        self.send(Method::DELETE, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> RawResponse {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> RawResponse {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> RawResponse {
        self.send(Method::PATCH, path, Some(body)).await
    }

    /// Sends an authorised request; the body (if any) as JSON.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> RawResponse {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth("e2e-raw-token");
        if let Some(body) = body {
            req = req.json(body);
        }
        RawResponse::read(req.send().await.expect("send request")).await
    }

    /// Sends exactly what the builder says (no api-version or auth added).
    pub async fn send_built(req: reqwest::RequestBuilder) -> RawResponse {
        RawResponse::read(req.send().await.expect("send request")).await
    }

    /// Follows an absolute URL (e.g. a `nextLink`) verbatim, authorised.
    pub async fn get_absolute(&self, url: &str) -> RawResponse {
        let req = self.client.get(url).bearer_auth("e2e-raw-token");
        RawResponse::read(req.send().await.expect("send request")).await
    }
}

/// Appends `api-version={API_VERSION}` unless the URL already carries one.
pub fn with_api_version(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    if lower.contains("api-version=") || lower.contains("api%2dversion=") {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}api-version={API_VERSION}")
}

impl RawResponse {
    pub async fn read(rsp: reqwest::Response) -> RawResponse {
        let status = rsp.status();
        let headers = rsp.headers().clone();
        let text = rsp.text().await.expect("read body");
        RawResponse {
            status,
            headers,
            text,
        }
    }

    /// The body as JSON (panics with the body text otherwise).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|err| {
            panic!(
                "status {}: body is not JSON ({err}): {:?}",
                self.status, self.text
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_string())
    }

    /// `Content-Type` normalised: lowercase without spaces.
    pub fn content_type(&self) -> String {
        self.header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .replace(' ', "")
    }

    /// Asserts the Key Vault error shape and content type; returns the `error` object.
    pub fn assert_kv_error(&self) -> Value {
        assert!(
            !self.status.is_success(),
            "expected an error status, got {}: {}",
            self.status,
            self.text
        );
        assert_eq!(
            self.content_type(),
            "application/json;charset=utf-8",
            "error content type (status {}, body {:?})",
            self.status,
            self.text
        );
        let body = self.json();
        let error = body
            .get("error")
            .unwrap_or_else(|| panic!("no `error` member in {body}"))
            .clone();
        assert!(
            error
                .get("code")
                .and_then(Value::as_str)
                .is_some_and(|c| !c.is_empty()),
            "error.code must be a non-empty string: {body}"
        );
        assert!(
            error
                .get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| !m.is_empty()),
            "error.message must be a non-empty string: {body}"
        );
        error
    }

    /// Asserts status and Key Vault error code; returns the `error` object.
    pub fn assert_error(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "status; body: {}", self.text);
        let error = self.assert_kv_error();
        assert_eq!(error["code"], code, "error code; body: {}", self.text);
        error
    }

    /// Asserts a 4xx with the Key Vault error shape (never 5xx).
    pub fn assert_client_error(&self) -> Value {
        assert!(
            self.status.is_client_error(),
            "expected 4xx, got {}: {}",
            self.status,
            self.text
        );
        self.assert_kv_error()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_version_is_appended_once() {
        assert_eq!(
            with_api_version("https://h/c"),
            format!("https://h/c?api-version={API_VERSION}")
        );
        assert_eq!(
            with_api_version("https://h/c?maxresults=1"),
            format!("https://h/c?maxresults=1&api-version={API_VERSION}")
        );
        assert_eq!(
            with_api_version("https://h/c?api%2Dversion=7.5"),
            "https://h/c?api%2Dversion=7.5"
        );
    }
}
