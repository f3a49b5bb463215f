//! DigiCert CertCentral Services API v2 adapter (partner-dialects.md §2, §1.3, §6).
//!
//! Owns the translation between one [`CaProvider`] call and CertCentral's JSON:
//! - auth: `X-DC-DEVKEY: {credentials.pwd}` and `Content-Type: application/json` on every call;
//!   `credentials.account_id`, when set, is checked against `GET user/me` → `account_id` before
//!   each submission (a mismatch is a misconfigured issuer → `Credentials`).
//! - submit: `POST order/certificate/ssl_securesite_flex` (OV) or `ssl_ev_securesite_flex` (EV)
//!   with the §2.2 body; a 201 carrying `certificate_chain` is an immediate issuance.
//! - poll: `GET order/certificate/{id}`; once `issued`,
//!   `GET certificate/{certificate.id}/download/format/pem_all` split into DER certificates.
//! - cancel: `PUT order/certificate/{id}/status {"status":"canceled",...}` → 204; a 400 is
//!   checked against the order's status (already issued / already final).
//! - find (DigiCert has no client-chosen order id, so vault finds its order by what it sent):
//!   `GET order/certificate?filters[common_name]={cn}&limit=1000&offset={n}`, the order list,
//!   paged to the end (`page.total`), then each listed order's `certificate.csr`
//!   (`GET order/certificate/{id}`) is compared with ours, newest first, until one matches.
//!   No date filter: DigiCert reads dates on its own clock, and neither vault's shiftable clock
//!   nor the wall clock is guaranteed to agree with it (a simulator may even run faster), so a
//!   window could miss the order; the common name keeps the candidates few, and no cap on
//!   orders examined means a large account cannot hide it either.
//! - errors: `{"errors":[{"code","message"}]}` (an object instead of an array is tolerated);
//!   401/403 → Credentials, 429 with `request_limit_exceeded` → Throttled (not processed, per
//!   DigiCert; Retry-After, else 5 s), any other 429 and 5xx → Ambiguous, other 4xx → Refused,
//!   with the CA's `code: message` passed through.
//! - `cert_transparency` from the policy is sent as `disable_ct` (its negation).
//!
//! This file makes the calls; `wire.rs` writes and reads CertCentral's JSON (the order body,
//! the lookup window's date-times, the error list, CSR comparison); `tests.rs` runs the adapter
//! against a wiremock CertCentral.

mod wire;

#[cfg(test)]
mod tests;

use super::convert::{pem_certs, scalar};
use super::http::{self, Answer};
use super::types::{
    CaProvider, CancelOutcome, CertType, Credentials, OrderRequest, OrderStatus, ProviderError,
    Submitted,
};
use reqwest::Method;
use serde_json::{json, Value};
use shared::models::ProviderKind;
use std::collections::HashSet;
use url::Url;
use wire::{
    b64_of, common_name, error_from, normalize_pem, order_body, parse_json, with_reason, DEVKEY,
};

/// Orders per page of a lookup (DigiCert's cap on `limit`).
const PAGE_LIMIT: usize = 1000;

pub struct DigiCert {
    base: Url,
    client: reqwest::Client,
}

impl DigiCert {
    /// `base` is the Services API root, e.g. `https://127.0.0.1:9443/services/v2`.
    pub fn new(base: Url, client: reqwest::Client) -> Self {
        DigiCert { base, client }
    }

    fn api_key(credentials: &Credentials) -> Result<&str, ProviderError> {
        match credentials.pwd.as_deref() {
            Some(k) if !k.trim().is_empty() => Ok(k),
            _ => Err(ProviderError::Config {
                message: "The DigiCert issuer has no API key (credentials.pwd).".into(),
            }),
        }
    }

    /// One call: JSON in and out, errors classified. `Ok(answer)` only for 2xx.
    async fn call(
        &self,
        what: &str,
        credentials: &Credentials,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Answer, ProviderError> {
        let key = Self::api_key(credentials)?;
        let mut request = self
            .client
            .request(method, url)
            .header(DEVKEY, key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let answer = http::send(what, request).await?;
        if answer.status.is_success() {
            Ok(answer)
        } else {
            Err(error_from(what, &answer))
        }
    }

    async fn get_json(
        &self,
        what: &str,
        credentials: &Credentials,
        url: Url,
    ) -> Result<Value, ProviderError> {
        let answer = self.call(what, credentials, Method::GET, url, None).await?;
        parse_json(what, &answer)
    }

    fn url(&self, path: &str) -> Url {
        http::join(&self.base, path)
    }

    /// `GET user/me` and compare `account_id` (§1.3).
    async fn verify_account(&self, credentials: &Credentials) -> Result<(), ProviderError> {
        let Some(expected) = credentials
            .account_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            return Ok(());
        };
        let what = "DigiCert account check (user/me)";
        let me = self
            .get_json(what, credentials, self.url("user/me"))
            .await?;
        match me.get("account_id").and_then(scalar) {
            Some(actual) if actual == expected => Ok(()),
            Some(actual) => Err(ProviderError::Credentials {
                message: format!(
                    "The DigiCert API key belongs to account {actual}, not to the issuer's \
                     account id {expected}: the issuer is misconfigured."
                ),
            }),
            None => Err(ProviderError::unreadable(format!(
                "{what}: the answer has no account_id"
            ))),
        }
    }

    async fn order(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<Value, ProviderError> {
        let url = self.url(&format!("order/certificate/{}", http::segment(order_id)));
        self.get_json("DigiCert order status", credentials, url)
            .await
    }

    /// `pem_all` for the certificate, as DER (leaf, intermediates, root).
    async fn download(
        &self,
        credentials: &Credentials,
        certificate_id: &str,
    ) -> Result<Vec<Vec<u8>>, ProviderError> {
        let what = "DigiCert certificate download";
        let url = self.url(&format!(
            "certificate/{}/download/format/pem_all",
            http::segment(certificate_id)
        ));
        let answer = match self.call(what, credentials, Method::GET, url, None).await {
            Ok(a) => a,
            // The order said issued; a 4xx here is a stale read (§6 "not ready on fetch"):
            // read again later.
            Err(ProviderError::Refused { message }) => {
                return Err(ProviderError::unreadable(message))
            }
            Err(e) => return Err(e),
        };
        let chain = pem_certs(&answer.text());
        if chain.is_empty() {
            return Err(ProviderError::unreadable(format!(
                "{what}: no certificate in the pem_all answer"
            )));
        }
        Ok(chain)
    }

    async fn status_of(
        &self,
        credentials: &Credentials,
        order_id: &str,
        order: &Value,
    ) -> Result<OrderStatus, ProviderError> {
        let status = order.get("status").and_then(Value::as_str).ok_or_else(|| {
            ProviderError::unreadable("DigiCert order status: the answer has no status")
        })?;
        Ok(match status {
            "issued" => {
                let certificate_id = order
                    .pointer("/certificate/id")
                    .and_then(scalar)
                    .ok_or_else(|| {
                        ProviderError::unreadable(format!(
                            "DigiCert order {order_id} is issued but has no certificate.id"
                        ))
                    })?;
                OrderStatus::Issued {
                    chain: self.download(credentials, &certificate_id).await?,
                }
            }
            "rejected" | "denied" => OrderStatus::Rejected {
                message: with_reason(format!("DigiCert {status} order {order_id}."), order),
            },
            "canceled" | "cancelled" => OrderStatus::Cancelled {
                message: with_reason(format!("DigiCert order {order_id} was canceled."), order),
            },
            "revoked" | "expired" => OrderStatus::Revoked {
                message: format!("DigiCert order {order_id} is {status}."),
            },
            other => OrderStatus::Pending {
                ca_status: other.to_string(),
            },
        })
    }
}

#[async_trait::async_trait]
impl CaProvider for DigiCert {
    fn kind(&self) -> ProviderKind {
        ProviderKind::DigiCert
    }

    async fn submit(&self, order: &OrderRequest) -> Result<Submitted, ProviderError> {
        let credentials = &order.credentials;
        Self::api_key(credentials)?;
        let body = order_body(order)?;
        self.verify_account(credentials).await?;
        let product = match order.cert_type {
            CertType::Ov => "ssl_securesite_flex",
            CertType::Ev => "ssl_ev_securesite_flex",
        };
        let what = "DigiCert order submission";
        let url = self.url(&format!("order/certificate/{product}"));
        let answer = self
            .call(what, credentials, Method::POST, url, Some(&body))
            .await?;
        let created = parse_json(what, &answer)?;
        let order_id = created.get("id").and_then(scalar).ok_or_else(|| {
            ProviderError::unreadable(format!("{what}: the answer has no order id"))
        })?;
        let chain: Vec<Vec<u8>> = created
            .get("certificate_chain")
            .and_then(Value::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e.get("pem").and_then(Value::as_str))
                    .flat_map(pem_certs)
                    .collect()
            })
            .unwrap_or_default();
        let status = if !chain.is_empty() {
            OrderStatus::Issued { chain }
        } else {
            let ca_status = created
                .pointer("/requests/0/status")
                .and_then(Value::as_str)
                .unwrap_or("pending");
            OrderStatus::Pending {
                ca_status: ca_status.to_string(),
            }
        };
        Ok(Submitted { order_id, status })
    }

    async fn find(&self, order: &OrderRequest) -> Result<Option<String>, ProviderError> {
        let credentials = &order.credentials;
        let what = "DigiCert order lookup (order list)";
        let common_name = common_name(order)?;
        let ours = b64_of(&order.csr_der);
        // Orders already compared: pages can shift while new orders arrive at the front.
        let mut seen = HashSet::new();
        let mut offset = 0usize;
        loop {
            let mut url = self.url("order/certificate");
            url.query_pairs_mut()
                .append_pair("filters[common_name]", &common_name)
                .append_pair("limit", &PAGE_LIMIT.to_string())
                .append_pair("offset", &offset.to_string());
            let page = match self.get_json(what, credentials, url).await {
                Ok(v) => v,
                Err(ProviderError::Refused { message }) if message.contains("not_found|route") => {
                    return Err(http::lookup_unsupported(what, &message))
                }
                Err(e) => return Err(e),
            };
            let entries = page
                .get("orders")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    ProviderError::unreadable(format!("{what}: the answer has no orders list"))
                })?;
            for id in entries.iter().filter_map(|o| o.get("id").and_then(scalar)) {
                if !seen.insert(id.clone()) {
                    continue;
                }
                let detail = match self.order(credentials, &id).await {
                    Ok(d) => d,
                    // An order we may not see (another division) is not ours.
                    Err(ProviderError::Refused { .. }) => continue,
                    Err(e) => return Err(e),
                };
                let csr = detail.pointer("/certificate/csr").and_then(Value::as_str);
                if csr.is_some_and(|c| normalize_pem(c) == ours) {
                    return Ok(Some(id));
                }
            }
            // Page to the end: `page.total` says how far; without it, this was the only page.
            let total = page
                .pointer("/page/total")
                .and_then(Value::as_u64)
                .unwrap_or(0) as usize;
            offset += entries.len();
            if entries.is_empty() || offset >= total {
                return Ok(None);
            }
        }
    }

    async fn poll(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<OrderStatus, ProviderError> {
        let order = self.order(credentials, order_id).await?;
        self.status_of(credentials, order_id, &order).await
    }

    async fn cancel(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<CancelOutcome, ProviderError> {
        let what = "DigiCert order cancellation";
        let url = self.url(&format!(
            "order/certificate/{}/status",
            http::segment(order_id)
        ));
        let body = json!({
            "status": "canceled",
            "note": "Canceled by the Key Vault certificate owner (cancellation_requested).",
            "send_emails": false,
        });
        let sent = self
            .call(what, credentials, Method::PUT, url, Some(&body))
            .await;
        // 400: the status cannot change any more; find out why.
        CancelOutcome::settle(sent, || async {
            let order = self.order(credentials, order_id).await?;
            Ok(match order.get("status").and_then(Value::as_str) {
                Some("issued") => Some(CancelOutcome::AlreadyIssued),
                Some("canceled") | Some("cancelled") => Some(CancelOutcome::Cancelled),
                Some(s @ ("rejected" | "denied" | "revoked" | "expired")) => Some(
                    CancelOutcome::AlreadyFinal(format!("DigiCert order {order_id} is {s}.")),
                ),
                _ => None,
            })
        })
        .await
    }
}
