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
//! - find: `GET order/certificate/status-changes?filters[status_last_updated]={from}...{to}`,
//!   then each listed order's `certificate.csr` is compared with ours. Times are written as
//!   `yyyy-MM-dd HH:mm:ss` (the space form-encoded as `+`, e.g. `2026-01-02+03:04:05`) in
//!   Mountain time (UTC-6, "Timezone is MDT" per DigiCert's docs), from one day before
//!   `not_before` to one day after now, capped at DigiCert's 7-day maximum: the day of slack
//!   on each side absorbs any time-zone reading of the window.
//! - errors: `{"errors":[{"code","message"}]}` (an object instead of an array is tolerated);
//!   401/403 → Credentials, 429 → Transient (Retry-After, else 5 s), 5xx → Transient, other
//!   4xx → Refused, with the CA's `code: message` passed through.

use super::http::{self, Answer};
use super::{
    CaProvider, CancelOutcome, CertType, Credentials, OrderRequest, OrderStatus, ProviderError,
    Submitted,
};
use reqwest::Method;
use serde_json::{json, Value};
use shared::models::ProviderKind;
use std::time::Duration;
use url::Url;

const DEVKEY: &str = "X-DC-DEVKEY";
/// Keyfactor's back-off when a 429 carries no Retry-After (§2.6).
const RATE_LIMIT_BACKOFF: Duration = Duration::from_secs(5);
/// Orders examined by `find` at most.
const FIND_MAX_ORDERS: usize = 200;

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
            None => Err(ProviderError::Malformed {
                message: format!("{what}: the answer has no account_id"),
            }),
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
            // The order said issued; a 4xx here is a stale read (§6 "not ready on fetch").
            Err(ProviderError::Refused { message }) => {
                return Err(ProviderError::Transient {
                    message,
                    retry_after: None,
                })
            }
            Err(e) => return Err(e),
        };
        let chain = pem_certs(&answer.text());
        if chain.is_empty() {
            return Err(ProviderError::Malformed {
                message: format!("{what}: no certificate in the pem_all answer"),
            });
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
            ProviderError::Malformed {
                message: "DigiCert order status: the answer has no status".into(),
            }
        })?;
        Ok(match status {
            "issued" => {
                let certificate_id = order
                    .pointer("/certificate/id")
                    .and_then(scalar)
                    .ok_or_else(|| ProviderError::Malformed {
                        message: format!(
                            "DigiCert order {order_id} is issued but has no certificate.id"
                        ),
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
        let order_id =
            created
                .get("id")
                .and_then(scalar)
                .ok_or_else(|| ProviderError::Malformed {
                    message: format!("{what}: the answer has no order id"),
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
        let what = "DigiCert order lookup (status-changes)";
        let (from, to) = lookup_window(order.not_before, http::unix_now());
        let mut url = self.url("order/certificate/status-changes");
        url.query_pairs_mut()
            .append_pair("filters[status_last_updated]", &format!("{from}...{to}"));
        let listed = match self.get_json(what, credentials, url).await {
            Ok(v) => v,
            Err(ProviderError::Refused { message }) if message.contains("not_found|route") => {
                return Err(ProviderError::Refused {
                    message: format!(
                        "{what} is unsupported by this CA, so an order whose submission went \
                         unanswered cannot be found: {message}"
                    ),
                })
            }
            Err(e) => return Err(e),
        };
        let ours = b64_of(&order.csr_der);
        let ids: Vec<String> = listed
            .get("orders")
            .and_then(Value::as_array)
            .map(|orders| {
                orders
                    .iter()
                    .filter_map(|o| o.get("order_id").and_then(scalar))
                    .collect()
            })
            .unwrap_or_default();
        // Newest first: the order we look for is recent.
        let mut ids = ids;
        ids.sort_by_key(|id| std::cmp::Reverse(id.parse::<u64>().unwrap_or(0)));
        ids.dedup();
        for id in ids.into_iter().take(FIND_MAX_ORDERS) {
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
        Ok(None)
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
        match self
            .call(what, credentials, Method::PUT, url, Some(&body))
            .await
        {
            Ok(_) => Ok(CancelOutcome::Cancelled),
            Err(ProviderError::Refused { message }) => {
                // 400: the status cannot change any more; find out why.
                let order = self.order(credentials, order_id).await?;
                match order.get("status").and_then(Value::as_str) {
                    Some("issued") => Ok(CancelOutcome::AlreadyIssued),
                    Some("canceled") | Some("cancelled") => Ok(CancelOutcome::Cancelled),
                    Some(s @ ("rejected" | "denied" | "revoked" | "expired")) => Ok(
                        CancelOutcome::AlreadyFinal(format!("DigiCert order {order_id} is {s}.")),
                    ),
                    _ => Err(ProviderError::Refused { message }),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// The §2.2 order body.
fn order_body(order: &OrderRequest) -> Result<Value, ProviderError> {
    let org = order
        .credentials
        .org_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ProviderError::Config {
            message: "The DigiCert issuer has no organization id (org_details.id).".into(),
        })?;
    let org_id = match org.parse::<u64>() {
        Ok(n) => json!(n),
        Err(_) => json!(org),
    };
    let common_name = order
        .common_name
        .clone()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| order.dns_names.first().cloned())
        .ok_or_else(|| ProviderError::Refused {
            message: "DigiCert needs a common name or a DNS name for the certificate.".into(),
        })?;
    let mut certificate = json!({
        "common_name": common_name,
        "csr": shared::crypto::pem_encode("CERTIFICATE REQUEST", &order.csr_der),
        "signature_hash": "sha256",
        "server_platform": {"id": -1},
    });
    if !order.dns_names.is_empty() {
        certificate["dns_names"] = json!(order.dns_names);
    }
    Ok(json!({
        "certificate": certificate,
        "organization": {"id": org_id},
        "order_validity": {"years": validity_years(order.validity_months)},
        "payment_method": "balance",
        "skip_approval": true,
        "disable_renewal_notifications": true,
        "comments": format!("Azure Key Vault emulator request {}", order.reference),
    }))
}

/// Whole years covering the months, at least one.
pub(crate) fn validity_years(months: u32) -> u32 {
    months.div_ceil(12).max(1)
}

/// The status-changes window as DigiCert date-times (see the module doc).
fn lookup_window(not_before: i64, now: i64) -> (String, String) {
    const DAY: i64 = 86_400;
    let to = now.max(not_before) + DAY;
    let from = (not_before - DAY).max(to - 7 * DAY);
    (digicert_time(from), digicert_time(to))
}

fn digicert_time(unix: i64) -> String {
    let mdt = time::UtcOffset::from_hms(-6, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let t = time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(mdt);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A JSON number or string as text (DigiCert ids are numbers; be lenient).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn parse_json(what: &str, answer: &Answer) -> Result<Value, ProviderError> {
    serde_json::from_slice(&answer.body).map_err(|e| ProviderError::Malformed {
        message: format!("{what}: the CA's answer is not JSON: {e}"),
    })
}

/// `code: message` of each entry in `errors` (array, or a single object).
fn error_messages(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    let entries: Vec<&Value> = match v.get("errors") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => vec![],
    };
    entries
        .iter()
        .map(|e| {
            let code = e.get("code").and_then(Value::as_str).unwrap_or("");
            let msg = e.get("message").and_then(Value::as_str).unwrap_or("");
            match (code.is_empty(), msg.is_empty()) {
                (false, false) => format!("{code}: {msg}"),
                (false, true) => code.to_string(),
                _ => msg.to_string(),
            }
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

fn error_from(what: &str, answer: &Answer) -> ProviderError {
    http::status_error(
        what,
        answer,
        &error_messages(&answer.body),
        Some(RATE_LIMIT_BACKOFF),
    )
}

/// Every CERTIFICATE block of PEM text, as DER (CRLF tolerated).
fn pem_certs(text: &str) -> Vec<Vec<u8>> {
    shared::crypto::pem_blocks(text)
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect()
}

fn b64_of(der: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(der)
}

/// The base64 body of a PEM (or bare base64) text, without armor lines or whitespace.
fn normalize_pem(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("-----"))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect()
}

/// The CA's own words on a rejection or cancellation, as DigiCert returns them: the request's
/// `processor_comment`, else the order's `notes`.
fn with_reason(summary: String, order: &Value) -> String {
    let reason = order
        .pointer("/requests/0/processor_comment")
        .and_then(Value::as_str)
        .filter(|r| !r.trim().is_empty())
        .or_else(|| {
            order
                .get("notes")
                .and_then(Value::as_str)
                .filter(|r| !r.trim().is_empty())
        });
    match reason {
        Some(reason) => format!("{summary} Reason: {}", reason.trim()),
        None => summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_reason_is_passed_through() {
        let order = serde_json::json!({"status": "rejected",
            "requests": [{"id": 1, "status": "rejected", "processor_comment": "Org validation failed"}]});
        assert_eq!(
            with_reason("DigiCert rejected order 7.".into(), &order),
            "DigiCert rejected order 7. Reason: Org validation failed"
        );
        let notes = serde_json::json!({"status": "canceled", "notes": "duplicate"});
        assert!(with_reason("x".into(), &notes).ends_with("Reason: duplicate"));
        assert_eq!(with_reason("x".into(), &serde_json::json!({})), "x");
    }
    use crate::providers::http::test_support::{chain, client, order, pem};
    use wiremock::matchers::{body_partial_json, header, method, path, query_param};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    fn creds() -> Credentials {
        Credentials {
            account_id: Some("1234567".into()),
            pwd: Some("devkey-secret".into()),
            org_id: Some("654321".into()),
            admin: None,
        }
    }

    async fn setup() -> (MockServer, DigiCert) {
        let server = MockServer::start().await;
        // Trailing slash on purpose.
        let base = Url::parse(&format!("{}/services/v2/", server.uri())).unwrap();
        (server, DigiCert::new(base, client()))
    }

    async fn mount_me(server: &MockServer, account: Value) {
        Mock::given(method("GET"))
            .and(path("/services/v2/user/me"))
            .and(header(DEVKEY, "devkey-secret"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": 11, "username": "api", "account_id": account,
                "access_roles": [{"id": 100, "name": "Orders"}]
            })))
            .mount(server)
            .await;
    }

    fn errors(code: &str, message: &str) -> Value {
        json!({"errors": [{"code": code, "message": message}]})
    }

    #[tokio::test]
    async fn submit_poll_pending_then_issued_with_crlf_four_cert_chain() {
        let (server, dc) = setup().await;
        mount_me(&server, json!(1234567)).await;
        Mock::given(method("POST"))
            .and(path("/services/v2/order/certificate/ssl_securesite_flex"))
            .and(header(DEVKEY, "devkey-secret"))
            .and(header("content-type", "application/json"))
            .and(body_partial_json(json!({
                "certificate": {
                    "common_name": "www.example.com",
                    "dns_names": ["www.example.com", "example.com"],
                    "signature_hash": "sha256",
                    "server_platform": {"id": -1}
                },
                "organization": {"id": 654321},
                "order_validity": {"years": 1},
                "payment_method": "balance",
                "skip_approval": true,
                "disable_renewal_notifications": true
            })))
            .respond_with(ResponseTemplate::new(201).set_body_json(
                json!({"id": 542772, "requests": [{"id": 922432, "status": "pending"}]}),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let o = order("req-1", creds(), CertType::Ov);
        let submitted = dc.submit(&o).await.unwrap();
        assert_eq!(
            submitted,
            Submitted {
                order_id: "542772".into(),
                status: OrderStatus::Pending {
                    ca_status: "pending".into()
                }
            }
        );
        // The body: CSR as PEM, reference in comments, no invented CT field.
        let reqs = server.received_requests().await.unwrap();
        let post = reqs.iter().find(|r| r.method.as_str() == "POST").unwrap();
        let body: Value = serde_json::from_slice(&post.body).unwrap();
        let csr = body["certificate"]["csr"].as_str().unwrap();
        assert!(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        assert_eq!(normalize_pem(csr), b64_of(&o.csr_der));
        assert!(body["comments"].as_str().unwrap().contains("req-1"));
        assert!(!body.to_string().contains("transparency"));

        // Poll: pending.
        let pending = Mock::given(method("GET"))
            .and(path("/services/v2/order/certificate/542772"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"id": 542772, "status": "pending", "certificate": {"common_name": "www.example.com"}}),
            ))
            .up_to_n_times(1)
            .mount_as_scoped(&server)
            .await;
        assert_eq!(
            dc.poll(&creds(), "542772").await.unwrap(),
            OrderStatus::Pending {
                ca_status: "pending".into()
            }
        );
        drop(pending);

        // Poll: issued; pem_all with CRLF and two intermediates.
        let certs = chain(2);
        let pem_all: String = certs.iter().map(|c| pem(c).replace('\n', "\r\n")).collect();
        Mock::given(method("GET"))
            .and(path("/services/v2/order/certificate/542772"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"id": 542772, "status": "issued", "certificate": {"id": 998877}}),
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(
                "/services/v2/certificate/998877/download/format/pem_all",
            ))
            .and(header(DEVKEY, "devkey-secret"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "application/x-pem-file")
                    .set_body_string(pem_all),
            )
            .mount(&server)
            .await;
        assert_eq!(
            dc.poll(&creds(), "542772").await.unwrap(),
            OrderStatus::Issued { chain: certs }
        );
    }

    #[tokio::test]
    async fn immediate_issuance_and_ev_product() {
        let (server, dc) = setup().await;
        mount_me(&server, json!("1234567")).await;
        let certs = chain(1);
        let entries: Vec<Value> = certs
            .iter()
            .map(|c| json!({"subject_common_name": "x", "pem": pem(c)}))
            .collect();
        Mock::given(method("POST"))
            .and(path(
                "/services/v2/order/certificate/ssl_ev_securesite_flex",
            ))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "id": 77, "requests": [{"id": 78, "status": "approved"}],
                "certificate_id": 456789123, "certificate_chain": entries
            })))
            .mount(&server)
            .await;
        let mut o = order("req-2", creds(), CertType::Ev);
        o.validity_months = 13;
        o.credentials.org_id = Some("org-abc".into());
        let s = dc.submit(&o).await.unwrap();
        assert_eq!(s.order_id, "77");
        assert_eq!(s.status, OrderStatus::Issued { chain: certs });
        let reqs = server.received_requests().await.unwrap();
        let body: Value = serde_json::from_slice(&reqs.last().unwrap().body).unwrap();
        assert_eq!(body["order_validity"]["years"], 2);
        assert_eq!(body["organization"]["id"], "org-abc");
    }

    #[tokio::test]
    async fn account_and_config_checks() {
        let (server, dc) = setup().await;
        mount_me(&server, json!(999)).await;
        let err = dc
            .submit(&order("r", creds(), CertType::Ov))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, ProviderError::Credentials { message } if message.contains("999")),
            "{err:?}"
        );

        let mut c = creds();
        c.org_id = None;
        let err = dc.submit(&order("r", c, CertType::Ov)).await.unwrap_err();
        assert!(matches!(err, ProviderError::Config { .. }), "{err:?}");
        let mut c = creds();
        c.pwd = None;
        let err = dc.submit(&order("r", c, CertType::Ov)).await.unwrap_err();
        assert!(matches!(err, ProviderError::Config { .. }), "{err:?}");
        // No POST was made.
        let reqs = server.received_requests().await.unwrap();
        assert!(reqs.iter().all(|r| r.method.as_str() == "GET"));
    }

    async fn submit_error(template: ResponseTemplate) -> ProviderError {
        let (server, dc) = setup().await;
        mount_me(&server, json!(1234567)).await;
        Mock::given(method("POST"))
            .respond_with(template)
            .mount(&server)
            .await;
        dc.submit(&order("r", creds(), CertType::Ov))
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn error_shapes_are_classified() {
        let e = submit_error(ResponseTemplate::new(400).set_body_json(errors(
            "csr_invalid_cannot_parse",
            "Unable to parse the CSR.",
        )))
        .await;
        assert!(
            matches!(&e, ProviderError::Refused { message } if message.contains("csr_invalid_cannot_parse: Unable to parse the CSR.")),
            "{e:?}"
        );

        let e = submit_error(
            ResponseTemplate::new(401).set_body_json(errors("invalid_api_key", "Invalid API key.")),
        )
        .await;
        assert!(
            matches!(&e, ProviderError::Credentials { message } if message.contains("Invalid API key")),
            "{e:?}"
        );

        let e = submit_error(ResponseTemplate::new(403).set_body_json(errors(
            "access_denied|missing_permission",
            "Permission denied.",
        )))
        .await;
        assert!(
            matches!(&e, ProviderError::Credentials { message } if message.contains("missing_permission")),
            "{e:?}"
        );

        let e = submit_error(
            ResponseTemplate::new(404)
                .set_body_json(errors("not_found|product", "Product not found.")),
        )
        .await;
        assert!(
            matches!(&e, ProviderError::Refused { message } if message.contains("not_found|product")),
            "{e:?}"
        );

        let e = submit_error(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "12")
                .set_body_json(errors(
                    "request_limit_exceeded",
                    "Service unavailable, please limit request volume",
                )),
        )
        .await;
        assert_eq!(
            e,
            ProviderError::Transient {
                message: "DigiCert order submission: HTTP 429: request_limit_exceeded: Service unavailable, please limit request volume".into(),
                retry_after: Some(Duration::from_secs(12))
            }
        );
        let e = submit_error(
            ResponseTemplate::new(429).set_body_json(errors("request_limit_exceeded", "slow down")),
        )
        .await;
        assert!(
            matches!(e, ProviderError::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(5)),
            "{e:?}"
        );

        let e = submit_error(
            ResponseTemplate::new(500).set_body_json(errors("internal_error", "boom")),
        )
        .await;
        assert!(
            matches!(&e, ProviderError::Transient { retry_after: None, message } if message.contains("boom")),
            "{e:?}"
        );
        let e = submit_error(ResponseTemplate::new(503).set_body_string("<html>down</html>")).await;
        assert!(matches!(e, ProviderError::Transient { .. }), "{e:?}");

        // Tolerated: errors as an object.
        let e = submit_error(ResponseTemplate::new(404).set_body_json(
            json!({"errors": {"code": "not_found|route", "message": "Route not found"}}),
        ))
        .await;
        assert!(
            matches!(&e, ProviderError::Refused { message } if message.contains("not_found|route")),
            "{e:?}"
        );

        let e = submit_error(ResponseTemplate::new(201).set_body_string("{\"id\": 5,")).await;
        assert!(matches!(e, ProviderError::Malformed { .. }), "{e:?}");
    }

    #[tokio::test]
    async fn poll_final_statuses() {
        let (server, dc) = setup().await;
        for (id, status) in [
            ("1", "rejected"),
            ("2", "canceled"),
            ("3", "revoked"),
            ("4", "needs_approval"),
            ("5", "denied"),
            ("6", "expired"),
        ] {
            Mock::given(method("GET"))
                .and(path(format!("/services/v2/order/certificate/{id}")))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(json!({"id": id, "status": status})),
                )
                .mount(&server)
                .await;
        }
        let c = creds();
        assert!(matches!(
            dc.poll(&c, "1").await.unwrap(),
            OrderStatus::Rejected { .. }
        ));
        assert!(matches!(
            dc.poll(&c, "2").await.unwrap(),
            OrderStatus::Cancelled { .. }
        ));
        assert!(matches!(
            dc.poll(&c, "3").await.unwrap(),
            OrderStatus::Revoked { .. }
        ));
        assert_eq!(
            dc.poll(&c, "4").await.unwrap(),
            OrderStatus::Pending {
                ca_status: "needs_approval".into()
            }
        );
        assert!(matches!(
            dc.poll(&c, "5").await.unwrap(),
            OrderStatus::Rejected { .. }
        ));
        assert!(matches!(
            dc.poll(&c, "6").await.unwrap(),
            OrderStatus::Revoked { .. }
        ));
        let e = dc.poll(&c, "404").await.unwrap_err();
        assert!(matches!(e, ProviderError::Refused { .. }), "{e:?}");
    }

    #[tokio::test]
    async fn cancel_paths() {
        let (server, dc) = setup().await;
        Mock::given(method("PUT"))
            .and(path("/services/v2/order/certificate/10/status"))
            .and(header(DEVKEY, "devkey-secret"))
            .and(body_partial_json(json!({"status": "canceled"})))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
        assert_eq!(
            dc.cancel(&creds(), "10").await.unwrap(),
            CancelOutcome::Cancelled
        );
        let put = server.received_requests().await.unwrap().pop().unwrap();
        let body: Value = serde_json::from_slice(&put.body).unwrap();
        assert!(body["note"].as_str().is_some_and(|n| !n.is_empty()));

        for (id, status) in [("11", "issued"), ("12", "rejected"), ("13", "pending")] {
            Mock::given(method("PUT"))
                .and(path(format!("/services/v2/order/certificate/{id}/status")))
                .respond_with(
                    ResponseTemplate::new(400)
                        .set_body_json(errors("invalid_status", "Order status cannot be changed.")),
                )
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path(format!("/services/v2/order/certificate/{id}")))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(json!({"id": id, "status": status})),
                )
                .mount(&server)
                .await;
        }
        assert_eq!(
            dc.cancel(&creds(), "11").await.unwrap(),
            CancelOutcome::AlreadyIssued
        );
        assert!(matches!(
            dc.cancel(&creds(), "12").await.unwrap(),
            CancelOutcome::AlreadyFinal(_)
        ));
        let e = dc.cancel(&creds(), "13").await.unwrap_err();
        assert!(
            matches!(&e, ProviderError::Refused { message } if message.contains("cannot be changed")),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn find_matches_the_csr() {
        let (server, dc) = setup().await;
        let o = order("req-find", creds(), CertType::Ov);
        let ours =
            shared::crypto::pem_encode("CERTIFICATE REQUEST", &o.csr_der).replace('\n', "\r\n");
        let other = shared::crypto::pem_encode(
            "CERTIFICATE REQUEST",
            &crate::providers::http::test_support::csr(),
        );
        Mock::given(method("GET"))
            .and(path("/services/v2/order/certificate/status-changes"))
            .and(header(DEVKEY, "devkey-secret"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"orders": [
                {"order_id": 300, "certificate_id": 1, "status": "pending"},
                {"order_id": 301, "certificate_id": 2, "status": "issued"}
            ]})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/services/v2/order/certificate/300"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"id": 300, "status": "pending", "certificate": {"csr": ours}}),
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/services/v2/order/certificate/301"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"id": 301, "status": "issued", "certificate": {"id": 2, "csr": other}}),
            ))
            .mount(&server)
            .await;
        assert_eq!(dc.find(&o).await.unwrap(), Some("300".into()));

        // The filter: `from...to`, DigiCert date-times.
        let reqs = server.received_requests().await.unwrap();
        let list: &Request = reqs
            .iter()
            .find(|r| r.url.path().ends_with("status-changes"))
            .unwrap();
        assert!(list
            .url
            .query()
            .unwrap()
            .starts_with("filters%5Bstatus_last_updated%5D="));
        let filter = list
            .url
            .query_pairs()
            .find(|(k, _)| k == "filters[status_last_updated]")
            .unwrap()
            .1
            .into_owned();
        let (from, to) = filter.split_once("...").unwrap();
        for t in [from, to] {
            assert_eq!(t.len(), 19, "{t}");
            assert_eq!(&t[10..11], " ");
        }

        // Another request: no match -> None.
        let mut other_order = o.clone();
        other_order.csr_der = crate::providers::http::test_support::csr();
        assert_eq!(dc.find(&other_order).await.unwrap(), None);
    }

    #[tokio::test]
    async fn find_unsupported_route() {
        let (server, dc) = setup().await;
        Mock::given(method("GET"))
            .and(path("/services/v2/order/certificate/status-changes"))
            .respond_with(
                ResponseTemplate::new(404)
                    .set_body_json(errors("not_found|route", "Route not found.")),
            )
            .mount(&server)
            .await;
        let e = dc
            .find(&order("r", creds(), CertType::Ov))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ProviderError::Refused { message } if message.contains("unsupported")),
            "{e:?}"
        );
        let _ = query_param("x", "y");
    }

    #[test]
    fn window_is_at_most_seven_days() {
        let (from, to) = lookup_window(0, 30 * 86_400);
        assert_eq!(to, "1970-01-31 18:00:00");
        assert_eq!(from, "1970-01-24 18:00:00");
        assert_eq!(validity_years(0), 1);
        assert_eq!(validity_years(12), 1);
        assert_eq!(validity_years(24), 2);
    }
}
