//! HTTPS clients: [`VaultClient`] speaks the Key Vault REST API (any bearer token), and
//! [`CaSimClient`] ca-sim's admin API. Both trust only the CA PEM they are given.

use crate::error::Error;
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// The api-version every request carries (unless the path already has one).
pub const API_VERSION: &str = "7.5";

/// One HTTP exchange, body parsed as JSON when it is JSON (else a JSON string, or null).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `error.code` and `error.message` of a Key Vault error body.
    pub fn error(&self) -> Option<(&str, &str)> {
        let e = self.body.get("error")?;
        Some((
            e.get("code").and_then(Value::as_str).unwrap_or(""),
            e.get("message").and_then(Value::as_str).unwrap_or(""),
        ))
    }
}

fn http_client(ca_pem: &str) -> Result<reqwest::Client, Error> {
    let certs = reqwest::Certificate::from_pem_bundle(ca_pem.as_bytes())
        .map_err(|e| Error::Client(format!("CA PEM: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Client("the CA PEM holds no certificate".into()));
    }
    reqwest::Client::builder()
        .tls_certs_only(certs)
        .timeout(Duration::from_secs(30))
        .no_proxy()
        .build()
        .map_err(|e| Error::Client(e.to_string()))
}

async fn exchange(rb: reqwest::RequestBuilder) -> Result<Reply, Error> {
    let resp = rb
        .send()
        .await
        .map_err(|e| Error::Client(format!("{e}: {}", source_chain(&e))))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| Error::Client(e.to_string()))?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Ok(Reply { status, body })
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut out = Vec::new();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push(s.to_string());
        cur = s.source();
    }
    out.join(": ")
}

/// Key Vault data plane over HTTPS.
#[derive(Clone)]
pub struct VaultClient {
    http: reqwest::Client,
    base: String,
}

impl VaultClient {
    pub fn new(base: &str, ca_pem: &str) -> Result<Self, Error> {
        Ok(Self {
            http: http_client(ca_pem)?,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `path` is relative to the vault (`/certificates/x`) or an absolute id from a response.
    /// Key Vault paths get `api-version`; the ACME gateway's (`/acme/…`, `/_admin/acme/…`) do
    /// not, as they are another protocol (its admin API refuses unknown query parameters).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        authorized: bool,
    ) -> Result<Reply, Error> {
        let mut url = if path.starts_with("https://") || path.starts_with("http://") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        };
        if !url.contains("api-version=") && !is_acme(&url) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str("api-version=");
            url.push_str(API_VERSION);
        }
        let mut rb = self.http.request(method, url);
        if authorized {
            rb = rb.bearer_auth("scenarios");
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        exchange(rb).await
    }

    pub async fn get(&self, path: &str) -> Result<Reply, Error> {
        self.send(Method::GET, path, None, true).await
    }
}

/// Whether `url` is one of the ACME gateway's paths.
fn is_acme(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| {
        let path = u.path();
        ["/acme", "/_admin/acme"]
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    })
}

/// ca-sim's admin API.
#[derive(Clone)]
pub struct CaSimClient {
    http: reqwest::Client,
    base: String,
}

impl CaSimClient {
    pub fn new(base: &str, ca_pem: &str) -> Result<Self, Error> {
        Ok(Self {
            http: http_client(ca_pem)?,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, Error> {
        let mut rb = self
            .http
            .request(method, format!("{}/admin{}", self.base, path));
        if let Some(b) = body {
            rb = rb.json(b);
        }
        exchange(rb).await
    }

    /// Like [`CaSimClient::send`], but a non-2xx answer is an error.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, Error> {
        let r = self.send(method.clone(), path, body).await?;
        if !r.is_success() {
            return Err(Error::Client(format!(
                "ca-sim {method} /admin{path}: {} {}",
                r.status, r.body
            )));
        }
        Ok(r.body)
    }

    /// The newest ACME order (`GET /admin/acme/orders`, with its wire status) naming
    /// `identifier`: unlike [`CaSimClient::order_for`] it also sees orders not finalized yet.
    pub async fn acme_order_for(&self, identifier: &str) -> Result<Option<Value>, Error> {
        let v = self.call(Method::GET, "/acme/orders", None).await?;
        Ok(v["orders"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|o| {
                o["identifiers"]
                    .as_array()
                    .is_some_and(|ids| ids.iter().any(|i| i["value"] == identifier))
            })
            .max_by(|a, b| {
                let created = |o: &Value| o["created"].as_str().unwrap_or("").to_string();
                created(a).cmp(&created(b))
            }))
    }

    /// Every order, newest last.
    pub async fn orders(&self) -> Result<Vec<Value>, Error> {
        let v = self.call(Method::GET, "/orders", None).await?;
        Ok(v["orders"].as_array().cloned().unwrap_or_default())
    }

    /// The newest order for `common_name` whose sequence number is above `after`.
    pub async fn order_for(&self, common_name: &str, after: u64) -> Result<Option<Value>, Error> {
        let orders = self.orders().await?;
        Ok(orders
            .into_iter()
            .filter(|o| o["common_name"].as_str() == Some(common_name))
            .filter(|o| o["seq"].as_u64().unwrap_or(0) > after)
            .max_by_key(|o| o["seq"].as_u64().unwrap_or(0)))
    }

    /// The highest order sequence number so far (0 without orders).
    pub async fn last_order_seq(&self) -> Result<u64, Error> {
        Ok(self
            .orders()
            .await?
            .iter()
            .filter_map(|o| o["seq"].as_u64())
            .max()
            .unwrap_or(0))
    }

    pub async fn requests(&self) -> Result<Vec<Value>, Error> {
        let v = self.call(Method::GET, "/requests", None).await?;
        Ok(v["requests"].as_array().cloned().unwrap_or_default())
    }
}
