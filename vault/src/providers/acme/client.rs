//! The transport to one ACME CA (RFC 8555 §6, §7.1.1, §7.2): the directory (read once), the
//! nonce pool (every answer's `Replay-Nonce` is kept; `HEAD newNonce` when the pool is empty),
//! and signed POSTs, retried with a fresh nonce when the CA answers `badNonce` (§6.5: the CA
//! refused the request before acting, so sending it again is safe).

use super::jws::{AccountKey, Signer};
use super::wire::{error_from, parse, problem};
use crate::providers::http::{self, Answer};
use crate::providers::types::ProviderError;
use serde_json::Value;
use std::sync::Mutex;
use url::Url;

/// How many `badNonce` answers in a row one request tolerates.
const NONCE_RETRIES: usize = 5;
/// Nonces kept at most (older ones are dropped; the CA may have expired them anyway).
const NONCE_POOL: usize = 32;

/// The directory's URLs this client uses (§7.1.1).
#[derive(Debug, Clone)]
pub(crate) struct Directory {
    pub new_nonce: String,
    pub new_account: String,
    pub new_order: String,
    /// `meta.externalAccountRequired`.
    pub eab_required: bool,
}

pub(crate) struct Client {
    directory_url: Url,
    http: reqwest::Client,
    directory: tokio::sync::OnceCell<Directory>,
    nonces: Mutex<Vec<String>>,
}

impl Client {
    pub(crate) fn new(directory_url: Url, http: reqwest::Client) -> Self {
        Client {
            directory_url,
            http,
            directory: tokio::sync::OnceCell::new(),
            nonces: Mutex::new(Vec::new()),
        }
    }

    pub(crate) async fn directory(&self) -> Result<&Directory, ProviderError> {
        self.directory
            .get_or_try_init(|| async {
                let what = "ACME directory";
                let answer = http::send(what, self.http.get(self.directory_url.clone())).await?;
                if !answer.status.is_success() {
                    return Err(error_from(what, &answer));
                }
                let doc: Value = parse(what, &answer)?;
                let url = |name: &str| {
                    doc.get(name)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| ProviderError::unreadable(format!("{what}: no {name} URL")))
                };
                Ok(Directory {
                    new_nonce: url("newNonce")?,
                    new_account: url("newAccount")?,
                    new_order: url("newOrder")?,
                    eab_required: doc
                        .pointer("/meta/externalAccountRequired")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
            })
            .await
    }

    fn keep_nonce(&self, answer: &Answer) {
        let Some(nonce) = answer
            .headers
            .get("replay-nonce")
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        if let Ok(mut pool) = self.nonces.lock() {
            if pool.len() >= NONCE_POOL {
                pool.remove(0);
            }
            pool.push(nonce.to_string());
        }
    }

    async fn nonce(&self) -> Result<String, ProviderError> {
        if let Some(n) = self.nonces.lock().ok().and_then(|mut p| p.pop()) {
            return Ok(n);
        }
        let what = "ACME newNonce";
        let url = self.directory().await?.new_nonce.clone();
        let answer = http::send(what, self.http.head(url)).await?;
        answer
            .headers
            .get("replay-nonce")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| error_from(what, &answer))
    }

    /// A signed POST to `url` (`payload` `None`: POST-as-GET). `Ok` only for 2xx; a `badNonce`
    /// is retried with a fresh nonce up to [`NONCE_RETRIES`] times.
    pub(crate) async fn post(
        &self,
        what: &str,
        key: &AccountKey,
        kid: Option<&str>,
        url: &str,
        payload: Option<&Value>,
        accept: Option<&str>,
    ) -> Result<Answer, ProviderError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let nonce = self.nonce().await?;
            let signer = match kid {
                Some(kid) => Signer::Kid(kid),
                None => Signer::Jwk,
            };
            let body = key
                .sign(signer, &nonce, url, payload)
                .map_err(|message| ProviderError::Config { message })?;
            let mut request = self
                .http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/jose+json")
                .body(body.to_string());
            if let Some(accept) = accept {
                request = request.header(reqwest::header::ACCEPT, accept);
            }
            let answer = http::send(what, request).await?;
            self.keep_nonce(&answer);
            if answer.status.is_success() {
                return Ok(answer);
            }
            let bad_nonce = problem(&answer).is_some_and(|p| p.name() == "badNonce");
            if bad_nonce && attempt < NONCE_RETRIES {
                continue;
            }
            return Err(error_from(what, &answer));
        }
    }
}
