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
//! disabled) → Credentials; 9999 (busy) → Transient; 2001, 2002, 3001 and anything else →
//! Refused with the CA's message. HTTP 429/5xx → Transient, 401/403 → Credentials.

use super::http::{self, Answer};
use super::{
    CaProvider, CancelOutcome, Credentials, OrderRequest, OrderStatus, ProviderError, Submitted,
};
use aws_lc_rs::{digest, hmac};
use reqwest::Method;
use serde_json::{json, Value};
use shared::models::ProviderKind;
use url::Url;

pub const HEADER_ACCOUNT: &str = "X-WoSign-AccountId";
pub const HEADER_TIMESTAMP: &str = "X-WoSign-Timestamp";
pub const HEADER_SIGNATURE: &str = "X-WoSign-Signature";

pub struct WoSign {
    base: Url,
    client: reqwest::Client,
}

/// The signature of one request (see the module doc).
pub fn signature(api_key: &str, method: &str, path: &str, timestamp: &str, body: &[u8]) -> String {
    let body_hash = hex::encode(digest::digest(&digest::SHA256, body));
    let key = hmac::Key::new(hmac::HMAC_SHA256, api_key.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(method.to_ascii_uppercase().as_bytes());
    ctx.update(path.as_bytes());
    ctx.update(timestamp.as_bytes());
    ctx.update(body_hash.as_bytes());
    hex::encode(ctx.sign().as_ref())
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
            return Err(http::status_error(what, &answer, &message, None));
        }
        let v = parsed.map_err(|e| ProviderError::Malformed {
            message: format!("{what}: the CA's answer is not JSON: {e}"),
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
            .ok_or_else(|| ProviderError::Malformed {
                message: format!("{what}: the answer has no data.status"),
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
            .ok_or_else(|| ProviderError::Malformed {
                message: format!("{what}: the answer has no data.certificate"),
            })?;
        let mut chain = pem_certs(leaf);
        if chain.is_empty() {
            return Err(ProviderError::Malformed {
                message: format!("{what}: data.certificate is not a PEM certificate"),
            });
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
            "validityYears": super::digicert::validity_years(order.validity_months),
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
        let order_id =
            data.get("orderNo")
                .and_then(scalar)
                .ok_or_else(|| ProviderError::Malformed {
                    message: format!("{what}: the answer has no data.orderNo"),
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
                return Err(ProviderError::Refused {
                    message: format!(
                        "{what}: lookup unsupported by this CA, so an order whose submission \
                         went unanswered cannot be found ({message})"
                    ),
                })
            }
            Err(e) => return Err(e),
        };
        let orders = data
            .get("orders")
            .and_then(Value::as_array)
            .ok_or_else(|| ProviderError::Malformed {
                message: format!("{what}: the answer has no data.orders list"),
            })?;
        match orders.first() {
            None => Ok(None),
            Some(o) => o.get("orderNo").and_then(scalar).map(Some).ok_or_else(|| {
                ProviderError::Malformed {
                    message: format!("{what}: data.orders[0] has no orderNo"),
                }
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
        match self
            .call(what, credentials, Method::POST, url, Some(&body))
            .await
        {
            Ok(_) => Ok(CancelOutcome::Cancelled),
            Err(ProviderError::Refused { message }) => {
                // Refused: maybe too late; the order's state says which.
                let (status, _) = self.order_status(credentials, order_id).await?;
                match status.as_str() {
                    "ISSUED" => Ok(CancelOutcome::AlreadyIssued),
                    "CANCELLED" | "CANCELED" => Ok(CancelOutcome::Cancelled),
                    "REJECTED" | "REVOKED" => Ok(CancelOutcome::AlreadyFinal(format!(
                        "WoSign order {order_id} is {status}."
                    ))),
                    _ => Err(ProviderError::Refused { message }),
                }
            }
            Err(e) => Err(e),
        }
    }
}

/// `code` and `message` of a WoSign envelope, as text.
fn envelope_message(v: &Value) -> String {
    let code = v.get("code").map(|c| c.to_string()).unwrap_or_default();
    let message = v.get("message").and_then(Value::as_str).unwrap_or("");
    match (code.is_empty(), message.is_empty()) {
        (false, false) => format!("code {code}: {message}"),
        (false, true) => format!("code {code}"),
        _ => message.to_string(),
    }
}

/// `data` of a `code: 0` envelope, else the classified error.
fn check_code(what: &str, answer: &Answer, v: Value) -> Result<Value, ProviderError> {
    let code = match v.get("code") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| ProviderError::Malformed {
        message: format!(
            "{what}: the CA's answer (HTTP {}) has no numeric code",
            answer.status.as_u16()
        ),
    })?;
    if code == 0 {
        return Ok(v.get("data").cloned().unwrap_or(Value::Null));
    }
    let message = format!("{what}: WoSign error {}", envelope_message(&v));
    Err(match code {
        1001 | 1002 => ProviderError::Credentials { message },
        9999 => ProviderError::Transient {
            message,
            retry_after: http::retry_after(&answer.headers),
        },
        _ => ProviderError::Refused { message },
    })
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn pem_certs(text: &str) -> Vec<Vec<u8>> {
    shared::crypto::pem_blocks(text)
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::http::test_support::{chain, client, order, pem};
    use crate::providers::CertType;
    use shared::models::AdministratorDetails;
    use wiremock::matchers::{body_partial_json, header, method, path, query_param};
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    const KEY: &str = "wosign-hmac-key";

    fn creds() -> Credentials {
        Credentials {
            account_id: Some("WS-ACC-1".into()),
            pwd: Some(KEY.into()),
            org_id: None,
            admin: Some(AdministratorDetails {
                first_name: Some("Jane".into()),
                last_name: Some("Doe".into()),
                email: Some("jane@example.com".into()),
                phone: Some("+1 617 555 0100".into()),
            }),
        }
    }

    async fn setup() -> (MockServer, WoSign) {
        let server = MockServer::start().await;
        let base = Url::parse(&format!("{}/api/v1", server.uri())).unwrap();
        (server, WoSign::new(base, client()))
    }

    fn ok(data: Value) -> ResponseTemplate {
        ResponseTemplate::new(200)
            .set_body_json(json!({"code": 0, "message": "success", "data": data}))
    }

    fn fail(code: i64, message: &str) -> ResponseTemplate {
        ResponseTemplate::new(200)
            .set_body_json(json!({"code": code, "message": message, "data": null}))
    }

    /// Recomputes the signature from what the server received, independently of `signature`.
    fn assert_signed(r: &Request) {
        let h = |n: &str| r.headers.get(n).unwrap().to_str().unwrap().to_string();
        assert_eq!(h(HEADER_ACCOUNT), "WS-ACC-1");
        let ts = h(HEADER_TIMESTAMP);
        let ts_num: i64 = ts.parse().unwrap();
        assert!((ts_num - http::unix_now()).abs() < 60);
        let body_hash = hex::encode(digest::digest(&digest::SHA256, &r.body));
        let message = format!("{}{}{}{}", r.method.as_str(), r.url.path(), ts, body_hash);
        let key = hmac::Key::new(hmac::HMAC_SHA256, KEY.as_bytes());
        let expected = hex::encode(hmac::sign(&key, message.as_bytes()).as_ref());
        let got = h(HEADER_SIGNATURE);
        assert_eq!(got, expected);
        assert!(got
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert!(hmac::verify(&key, message.as_bytes(), &hex::decode(&got).unwrap()).is_ok());
    }

    #[test]
    fn signature_recipe_known_answer() {
        // Empty body: SHA-256("") = e3b0c442...; computed independently of the helper.
        let message = "GET/api/v1/orders/WS11700000000e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"k");
        let expected = hex::encode(hmac::sign(&key, message.as_bytes()).as_ref());
        assert_eq!(
            signature("k", "get", "/api/v1/orders/WS1", "1700000000", b""),
            expected
        );
    }

    #[tokio::test]
    async fn submit_poll_pending_then_issued() {
        let (server, ws) = setup().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/orders"))
            .and(header("content-type", "application/json"))
            .and(body_partial_json(json!({
                "commonName": "www.example.com",
                "subjectAltNames": ["www.example.com", "example.com"],
                "validityYears": 1,
                "contact": {"name": "Jane Doe", "email": "jane@example.com", "phone": "+1 617 555 0100"},
                "clientOrderId": "req-ws-1"
            })))
            .respond_with(ok(json!({"orderNo": "WS20161020000001", "certType": "OV", "status": "PENDING_VALIDATION"})))
            .expect(1)
            .mount(&server)
            .await;
        let o = order("req-ws-1", creds(), CertType::Ov);
        let s = ws.submit(&o).await.unwrap();
        assert_eq!(s.order_id, "WS20161020000001");
        assert_eq!(
            s.status,
            OrderStatus::Pending {
                ca_status: "PENDING_VALIDATION".into()
            }
        );
        let reqs = server.received_requests().await.unwrap();
        assert_signed(&reqs[0]);
        let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
        assert!(body["csr"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE REQUEST-----"));

        let pending = Mock::given(method("GET"))
            .and(path("/api/v1/orders/WS20161020000001"))
            .respond_with(ok(json!({"orderNo": "WS20161020000001", "status": "PENDING_ISSUE", "rejectReason": null})))
            .mount_as_scoped(&server)
            .await;
        assert_eq!(
            ws.poll(&creds(), "WS20161020000001").await.unwrap(),
            OrderStatus::Pending {
                ca_status: "PENDING_ISSUE".into()
            }
        );
        drop(pending);

        let certs = chain(1);
        Mock::given(method("GET"))
            .and(path("/api/v1/orders/WS20161020000001"))
            .respond_with(ok(
                json!({"orderNo": "WS20161020000001", "status": "ISSUED", "rejectReason": null}),
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/orders/WS20161020000001/certificate"))
            .and(query_param("format", "pem"))
            .respond_with(ok(
                json!({"certificate": pem(&certs[0]), "chain": [pem(&certs[1]), pem(&certs[2])]}),
            ))
            .mount(&server)
            .await;
        assert_eq!(
            ws.poll(&creds(), "WS20161020000001").await.unwrap(),
            OrderStatus::Issued { chain: certs }
        );
        for r in server.received_requests().await.unwrap() {
            assert_signed(&r);
            if r.method.as_str() == "GET" {
                assert!(r.body.is_empty());
            }
        }
    }

    #[tokio::test]
    async fn final_statuses() {
        let (server, ws) = setup().await;
        for (no, status) in [("A", "REJECTED"), ("B", "CANCELLED"), ("C", "REVOKED")] {
            Mock::given(method("GET"))
                .and(path(format!("/api/v1/orders/{no}")))
                .respond_with(ok(json!({"orderNo": no, "status": status, "rejectReason": "Domain not validated"})))
                .mount(&server)
                .await;
        }
        assert_eq!(
            ws.poll(&creds(), "A").await.unwrap(),
            OrderStatus::Rejected {
                message: "WoSign rejected order A: Domain not validated".into()
            }
        );
        assert!(matches!(
            ws.poll(&creds(), "B").await.unwrap(),
            OrderStatus::Cancelled { .. }
        ));
        assert!(matches!(
            ws.poll(&creds(), "C").await.unwrap(),
            OrderStatus::Revoked { .. }
        ));
    }

    async fn submit_error(t: ResponseTemplate) -> ProviderError {
        let (server, ws) = setup().await;
        Mock::given(method("POST"))
            .respond_with(t)
            .mount(&server)
            .await;
        ws.submit(&order("r", creds(), CertType::Ov))
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn error_codes_in_http_200() {
        let e = submit_error(fail(1001, "invalid signature")).await;
        assert!(
            matches!(&e, ProviderError::Credentials { message } if message.contains("1001") && message.contains("invalid signature")),
            "{e:?}"
        );
        let e = submit_error(fail(1002, "account disabled")).await;
        assert!(matches!(e, ProviderError::Credentials { .. }), "{e:?}");
        let e = submit_error(fail(2001, "CSR invalid")).await;
        assert!(
            matches!(&e, ProviderError::Refused { message } if message.contains("CSR invalid")),
            "{e:?}"
        );
        let e = submit_error(fail(2002, "domain not validated")).await;
        assert!(matches!(e, ProviderError::Refused { .. }), "{e:?}");
        let e = submit_error(fail(3001, "insufficient balance")).await;
        assert!(matches!(e, ProviderError::Refused { .. }), "{e:?}");
        let e = submit_error(fail(9999, "system busy")).await;
        assert!(matches!(e, ProviderError::Transient { .. }), "{e:?}");
        let e = submit_error(fail(4242, "something else")).await;
        assert!(
            matches!(&e, ProviderError::Refused { message } if message.contains("something else")),
            "{e:?}"
        );
        let e =
            submit_error(ResponseTemplate::new(200).set_body_string("{\"code\":0,\"data\":")).await;
        assert!(matches!(e, ProviderError::Malformed { .. }), "{e:?}");
        let e = submit_error(ResponseTemplate::new(200).set_body_json(json!({"data": {}}))).await;
        assert!(matches!(e, ProviderError::Malformed { .. }), "{e:?}");
        let e = submit_error(ResponseTemplate::new(503).set_body_string("busy")).await;
        assert!(matches!(e, ProviderError::Transient { .. }), "{e:?}");
        let e = submit_error(ResponseTemplate::new(429).insert_header("Retry-After", "3")).await;
        assert!(
            matches!(e, ProviderError::Transient { retry_after: Some(d), .. } if d.as_secs() == 3),
            "{e:?}"
        );
        let e = submit_error(ok(json!({"status": "PENDING_VALIDATION"}))).await;
        assert!(matches!(e, ProviderError::Malformed { .. }), "{e:?}");
    }

    #[tokio::test]
    async fn missing_credentials_is_config() {
        let (server, ws) = setup().await;
        let mut c = creds();
        c.pwd = None;
        let e = ws.submit(&order("r", c, CertType::Ov)).await.unwrap_err();
        assert!(
            matches!(&e, ProviderError::Config { message } if message.contains("API key")),
            "{e:?}"
        );
        assert!(server.received_requests().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn contact_omitted_without_admin() {
        let (server, ws) = setup().await;
        Mock::given(method("POST"))
            .respond_with(ok(
                json!({"orderNo": "N1", "certType": "EV", "status": "PENDING_VALIDATION"}),
            ))
            .mount(&server)
            .await;
        let mut c = creds();
        c.admin = None;
        let mut o = order("r", c, CertType::Ev);
        o.validity_months = 25;
        ws.submit(&o).await.unwrap();
        let r = server.received_requests().await.unwrap().pop().unwrap();
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(body.get("contact").is_none());
        assert_eq!(body["validityYears"], 3);
    }

    #[tokio::test]
    async fn cancel_paths() {
        let (server, ws) = setup().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/orders/N1/cancel"))
            .and(body_partial_json(
                json!({"reason": "Cancelled by the Key Vault certificate owner."}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": 0})))
            .mount(&server)
            .await;
        assert_eq!(
            ws.cancel(&creds(), "N1").await.unwrap(),
            CancelOutcome::Cancelled
        );
        assert_signed(&server.received_requests().await.unwrap()[0]);

        for (no, status) in [
            ("N2", "ISSUED"),
            ("N3", "REVOKED"),
            ("N4", "PENDING_VALIDATION"),
        ] {
            Mock::given(method("POST"))
                .and(path(format!("/api/v1/orders/{no}/cancel")))
                .respond_with(fail(4001, "order status does not allow cancellation"))
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path(format!("/api/v1/orders/{no}")))
                .respond_with(ok(json!({"orderNo": no, "status": status})))
                .mount(&server)
                .await;
        }
        assert_eq!(
            ws.cancel(&creds(), "N2").await.unwrap(),
            CancelOutcome::AlreadyIssued
        );
        assert!(matches!(
            ws.cancel(&creds(), "N3").await.unwrap(),
            CancelOutcome::AlreadyFinal(_)
        ));
        assert!(matches!(
            ws.cancel(&creds(), "N4").await.unwrap_err(),
            ProviderError::Refused { .. }
        ));
        Mock::given(method("POST"))
            .and(path("/api/v1/orders/N5/cancel"))
            .respond_with(fail(9999, "system busy"))
            .mount(&server)
            .await;
        assert!(matches!(
            ws.cancel(&creds(), "N5").await.unwrap_err(),
            ProviderError::Transient { .. }
        ));
    }

    #[tokio::test]
    async fn find_paths() {
        let (server, ws) = setup().await;
        Mock::given(method("GET"))
            .and(path("/api/v1/orders"))
            .and(query_param("clientOrderId", "req-found"))
            .respond_with(ok(
                json!({"orders": [{"orderNo": "WS9", "status": "PENDING_ISSUE"}]}),
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/orders"))
            .and(query_param("clientOrderId", "req-none"))
            .respond_with(ok(json!({"orders": []})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/orders"))
            .and(query_param("clientOrderId", "req-unsupported"))
            .respond_with(fail(4004, "unknown route"))
            .mount(&server)
            .await;
        assert_eq!(
            ws.find(&order("req-found", creds(), CertType::Ov))
                .await
                .unwrap(),
            Some("WS9".into())
        );
        assert_eq!(
            ws.find(&order("req-none", creds(), CertType::Ov))
                .await
                .unwrap(),
            None
        );
        let e = ws
            .find(&order("req-unsupported", creds(), CertType::Ov))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, ProviderError::Refused { message } if message.contains("lookup unsupported")),
            "{e:?}"
        );
        // Signed over the path without the query.
        for r in server.received_requests().await.unwrap() {
            assert_eq!(r.url.path(), "/api/v1/orders");
            assert_signed(&r);
        }
    }
}
