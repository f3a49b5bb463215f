//! WoSign adapter for the proposed HMAC-signed JSON dialect (partner-dialects.md §4.3 [P], §6).
//!
//! Owns the translation between one [`CaProvider`] call and WoSign's JSON, and the request
//! signature. Every request carries:
//! - `X-WoSign-AccountId: {credentials.account_id}`
//! - `X-WoSign-Timestamp: {unix seconds}`
//! - `X-WoSign-Signature: lowercase hex( HMAC-SHA256( key = the API key's UTF-8 bytes
//!   (credentials.pwd), message = METHOD + PATH + TIMESTAMP + lowercase hex(SHA-256(body)) ) )`
//!
//! where METHOD is the upper-case HTTP method, PATH the request URL's path exactly as sent
//! (percent-encoded, without the query string, e.g. `/api/v1/orders`), TIMESTAMP the header's
//! decimal text, and body the exact bytes sent (empty for GET, so its hash is
//! `e3b0c442…b855`). The four parts are concatenated without separators.
//!
//! Calls (paths relative to the base, e.g. `https://127.0.0.1:9443/api/v1`):
//! - submit: `POST orders {csr, commonName, subjectAltNames, validityYears, contact?,
//!   clientOrderId}` → `data.orderNo`, `data.status`.
//! - poll: `GET orders/{orderNo}` → `data.status`; once `ISSUED`,
//!   `GET orders/{orderNo}/certificate?format=pem` → `data.certificate` + `data.chain[]`.
//! - cancel: `POST orders/{orderNo}/cancel {"reason"}`.
//! - find: `GET orders?clientOrderId={reference}` → `data.orders[0].orderNo`; our documented
//!   extension of the proposed dialect (an unknown route answers Refused "lookup unsupported").
//!
//! Errors come as HTTP 200 with a non-zero `code`: 1001 (bad signature) and 1002 (account
//! disabled) → Credentials; 9999 (busy) → Ambiguous (it does not say whether the order was
//! written first); 2001, 2002, 3001 and anything else → Refused with the CA's message. HTTP
//! 5xx and 429 (the dialect documents none) → Ambiguous, 401/403 → Credentials.
//!
//! This file makes the calls; `wire.rs` signs requests and reads the answer envelope;
//! `tests.rs` runs the adapter against a wiremock WoSign.

mod wire;

#[cfg(test)]
mod tests;

pub use wire::{signature, HEADER_ACCOUNT, HEADER_SIGNATURE, HEADER_TIMESTAMP};

use super::convert::{pem_certs, scalar, validity_years};
use super::http;
use super::types::{
    CaProvider, CancelOutcome, Credentials, OrderRequest, OrderStatus, ProviderError, Submitted,
};
use reqwest::Method;
use serde_json::{json, Value};
use shared::models::ProviderKind;
use url::Url;
use wire::{check_code, envelope_message};

pub struct WoSign {
    base: Url,
    client: reqwest::Client,
}

impl WoSign {
    /// `base` is the API root, e.g. `https://127.0.0.1:9443/api/v1`.
    pub fn new(base: Url, client: reqwest::Client) -> Self {
        WoSign { base, client }
    }

    fn url(&self, path: &str) -> Url {
        http::join(&self.base, path)
    }

    fn account(credentials: &Credentials) -> Result<(&str, &str), ProviderError> {
        fn nonempty(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.trim().is_empty())
        }
        let mut missing = Vec::new();
        let account = nonempty(&credentials.account_id);
        let key = nonempty(&credentials.pwd);
        if account.is_none() {
            missing.push("account id (credentials.account_id)");
        }
        if key.is_none() {
            missing.push("API key (credentials.pwd)");
        }
        match (account, key) {
            (Some(a), Some(k)) => Ok((a, k)),
            _ => Err(ProviderError::Config {
                message: format!("The WoSign issuer lacks its {}.", missing.join(" and ")),
            }),
        }
    }

    /// One signed call; `Ok(data)` only for HTTP 2xx with `code` 0.
    async fn call(
        &self,
        what: &str,
        credentials: &Credentials,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Value, ProviderError> {
        let (account, key) = Self::account(credentials)?;
        let body_bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let timestamp = http::unix_now().to_string();
        let sig = signature(key, method.as_str(), url.path(), &timestamp, &body_bytes);
        let mut request = self
            .client
            .request(method, url)
            .header(HEADER_ACCOUNT, account)
            .header(HEADER_TIMESTAMP, &timestamp)
            .header(HEADER_SIGNATURE, sig)
            .header(reqwest::header::ACCEPT, "application/json");
        if body.is_some() {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body_bytes);
        }
        let answer = http::send(what, request).await?;
        let parsed = serde_json::from_slice::<Value>(&answer.body);
        if !answer.status.is_success() {
            let message = parsed
                .as_ref()
                .ok()
                .map(envelope_message)
                .unwrap_or_default();
            return Err(http::status_error(what, &answer, &message));
        }
        let v = parsed.map_err(|e| {
            ProviderError::unreadable(format!("{what}: the CA's answer is not JSON: {e}"))
        })?;
        check_code(what, &answer, v)
    }

    async fn order_status(
        &self,
        credentials: &Credentials,
        order_no: &str,
    ) -> Result<(String, Value), ProviderError> {
        let what = "WoSign order status";
        let url = self.url(&format!("orders/{}", http::segment(order_no)));
        let data = self.call(what, credentials, Method::GET, url, None).await?;
        let status = data
            .get("status")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ProviderError::unreadable(format!("{what}: the answer has no data.status"))
            })?
            .to_string();
        Ok((status, data))
    }

    async fn certificate(
        &self,
        credentials: &Credentials,
        order_no: &str,
    ) -> Result<Vec<Vec<u8>>, ProviderError> {
        let what = "WoSign certificate download";
        let mut url = self.url(&format!("orders/{}/certificate", http::segment(order_no)));
        url.query_pairs_mut().append_pair("format", "pem");
        let data = self.call(what, credentials, Method::GET, url, None).await?;
        let leaf = data
            .get("certificate")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ProviderError::unreadable(format!("{what}: the answer has no data.certificate"))
            })?;
        let mut chain = pem_certs(leaf);
        if chain.is_empty() {
            return Err(ProviderError::unreadable(format!(
                "{what}: data.certificate is not a PEM certificate"
            )));
        }
        if let Some(cas) = data.get("chain").and_then(Value::as_array) {
            for ca in cas.iter().filter_map(Value::as_str) {
                chain.extend(pem_certs(ca));
            }
        }
        Ok(chain)
    }

    async fn status_from(
        &self,
        credentials: &Credentials,
        order_no: &str,
        status: &str,
        data: &Value,
    ) -> Result<OrderStatus, ProviderError> {
        Ok(match status {
            "ISSUED" => OrderStatus::Issued {
                chain: self.certificate(credentials, order_no).await?,
            },
            "REJECTED" => OrderStatus::Rejected {
                message: data
                    .get("rejectReason")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .map(|r| format!("WoSign rejected order {order_no}: {r}"))
                    .unwrap_or_else(|| format!("WoSign rejected order {order_no}.")),
            },
            "CANCELLED" | "CANCELED" => OrderStatus::Cancelled {
                message: format!("WoSign order {order_no} was cancelled."),
            },
            "REVOKED" => OrderStatus::Revoked {
                message: format!("WoSign order {order_no} is revoked."),
            },
            other => OrderStatus::Pending {
                ca_status: other.to_string(),
            },
        })
    }
}

#[async_trait::async_trait]
impl CaProvider for WoSign {
    fn kind(&self) -> ProviderKind {
        ProviderKind::WoSign
    }

    async fn submit(&self, order: &OrderRequest) -> Result<Submitted, ProviderError> {
        let what = "WoSign order submission";
        let common_name = order
            .common_name
            .clone()
            .filter(|c| !c.trim().is_empty())
            .or_else(|| order.dns_names.first().cloned())
            .ok_or_else(|| ProviderError::Refused {
                message: "WoSign needs a common name or a DNS name for the certificate.".into(),
            })?;
        let mut body = json!({
            "csr": shared::crypto::pem_encode("CERTIFICATE REQUEST", &order.csr_der),
            "commonName": common_name,
            "subjectAltNames": order.dns_names,
            "validityYears": validity_years(order.validity_months),
            "clientOrderId": order.reference,
        });
        if let Some(admin) = &order.credentials.admin {
            let name = [admin.first_name.as_deref(), admin.last_name.as_deref()]
                .into_iter()
                .flatten()
                .filter(|s| !s.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let mut contact = serde_json::Map::new();
            if !name.is_empty() {
                contact.insert("name".into(), json!(name));
            }
            for (field, value) in [("email", &admin.email), ("phone", &admin.phone)] {
                if let Some(v) = value.as_deref().filter(|s| !s.trim().is_empty()) {
                    contact.insert(field.into(), json!(v));
                }
            }
            if !contact.is_empty() {
                body["contact"] = Value::Object(contact);
            }
        }
        let data = self
            .call(
                what,
                &order.credentials,
                Method::POST,
                self.url("orders"),
                Some(&body),
            )
            .await?;
        let order_id = data.get("orderNo").and_then(scalar).ok_or_else(|| {
            ProviderError::unreadable(format!("{what}: the answer has no data.orderNo"))
        })?;
        let ca_status = data
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("PENDING_VALIDATION")
            .to_string();
        // The order exists now: whatever happens next, its id must reach the worker, so a
        // failed certificate fetch leaves it pending for the next poll.
        let status = match self
            .status_from(&order.credentials, &order_id, &ca_status, &data)
            .await
        {
            Ok(s) => s,
            Err(_) => OrderStatus::Pending { ca_status },
        };
        Ok(Submitted { order_id, status })
    }

    async fn find(&self, order: &OrderRequest) -> Result<Option<String>, ProviderError> {
        let what = "WoSign order lookup (clientOrderId)";
        let mut url = self.url("orders");
        url.query_pairs_mut()
            .append_pair("clientOrderId", &order.reference);
        let data = match self
            .call(what, &order.credentials, Method::GET, url, None)
            .await
        {
            Ok(d) => d,
            Err(ProviderError::Refused { message }) => {
                return Err(http::lookup_unsupported(what, &message))
            }
            Err(e) => return Err(e),
        };
        let orders = data
            .get("orders")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ProviderError::unreadable(format!("{what}: the answer has no data.orders list"))
            })?;
        match orders.first() {
            None => Ok(None),
            Some(o) => o.get("orderNo").and_then(scalar).map(Some).ok_or_else(|| {
                ProviderError::unreadable(format!("{what}: data.orders[0] has no orderNo"))
            }),
        }
    }

    async fn poll(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<OrderStatus, ProviderError> {
        let (status, data) = self.order_status(credentials, order_id).await?;
        self.status_from(credentials, order_id, &status, &data)
            .await
    }

    async fn cancel(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<CancelOutcome, ProviderError> {
        let what = "WoSign order cancellation";
        let url = self.url(&format!("orders/{}/cancel", http::segment(order_id)));
        let body = json!({"reason": "Cancelled by the Key Vault certificate owner."});
        let sent = self
            .call(what, credentials, Method::POST, url, Some(&body))
            .await;
        // Refused: maybe too late; the order's state says which.
        CancelOutcome::settle(sent, || async {
            let (status, _) = self.order_status(credentials, order_id).await?;
            Ok(match status.as_str() {
                "ISSUED" => Some(CancelOutcome::AlreadyIssued),
                "CANCELLED" | "CANCELED" => Some(CancelOutcome::Cancelled),
                "REJECTED" | "REVOKED" => Some(CancelOutcome::AlreadyFinal(format!(
                    "WoSign order {order_id} is {status}."
                ))),
                _ => None,
            })
        })
        .await
    }
}
