//! A DigiCert CertCentral client written from DigiCert's documented shapes (raw JSON,
//! `X-DC-DEVKEY`), shared by the DigiCert test files, and DigiCert's date-time forms.

use super::{csr, eventually, Sim};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const KEY: &str = "sim-dc-key";

pub struct Dc<'a> {
    pub sim: &'a Sim,
    pub key: String,
}

impl<'a> Dc<'a> {
    /// A client of the default account.
    pub fn new(sim: &'a Sim) -> Self {
        Self::keyed(sim, KEY)
    }

    /// A client of the account whose API key is `key`.
    pub fn keyed(sim: &'a Sim, key: &str) -> Self {
        Self {
            sim,
            key: key.into(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/services/v2/{path}", self.sim.url)
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, String) {
        let mut r = self.request(method, path);
        if let Some(b) = body {
            r = r.body(b.to_string());
        }
        let resp = r.send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    pub async fn json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (s, t) = self.send(method, path, body).await;
        (s, serde_json::from_str(&t).unwrap_or(Value::Null))
    }

    pub async fn order(
        &self,
        product: &str,
        cn: &str,
        org: u64,
        skip_approval: bool,
    ) -> (StatusCode, Value, shared::crypto::PrivateKey) {
        let (key, csr) = csr(cn, &[cn]);
        let (s, v) = self
            .json(
                reqwest::Method::POST,
                &format!("order/certificate/{product}"),
                Some(order_body(cn, &csr, org, skip_approval)),
            )
            .await;
        (s, v, key)
    }

    /// `GET path`, the answer as JSON.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.json(reqwest::Method::GET, path, None).await
    }

    /// `PUT path` with a JSON body, the answer as JSON (`Null` when empty, as a 204 is).
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.json(reqwest::Method::PUT, path, Some(body)).await
    }

    /// `POST order/certificate/ssl_basic` with a hand-written body.
    pub async fn post_order(&self, body: Value) -> (StatusCode, Value) {
        self.json(
            reqwest::Method::POST,
            "order/certificate/ssl_basic",
            Some(body),
        )
        .await
    }

    /// The order's detail, `GET order/certificate/{id}`.
    pub async fn detail(&self, id: impl std::fmt::Display) -> (StatusCode, Value) {
        self.get(&format!("order/certificate/{id}")).await
    }

    /// A certificate download, `GET certificate/{cert_id}/download/format/{format}`.
    pub async fn download(
        &self,
        cert_id: impl std::fmt::Display,
        format: &str,
    ) -> (StatusCode, String) {
        let path = format!("certificate/{cert_id}/download/format/{format}");
        self.send(reqwest::Method::GET, &path, None).await
    }

    /// Approves an order's request (`PUT request/{id}/status`), as a CertCentral approver does.
    pub async fn approve_request(&self, request_id: impl std::fmt::Display) -> StatusCode {
        let path = format!("request/{request_id}/status");
        self.put(&path, json!({"status": "approved"})).await.0
    }

    /// Places an `ssl_basic` order for `cn` (organization 100001) under a profile that waits
    /// for approval, approves its request and waits for it to be issued: (order id, detail).
    pub async fn order_approved(&self, cn: &str) -> (u64, Value) {
        let (_, v, _) = self.order_basic(cn).await;
        let id = v["id"].as_u64().unwrap();
        let s = self.approve_request(&v["requests"][0]["id"]).await;
        assert_eq!(s, 204);
        (id, self.poll_until(id, "issued").await)
    }

    /// [`Dc::order`] of `ssl_basic` for `cn` in the validated organization, skipping approval.
    pub async fn order_basic(&self, cn: &str) -> (StatusCode, Value, shared::crypto::PrivateKey) {
        self.order("ssl_basic", cn, 100001, true).await
    }

    /// The request as `reqwest` would send it (for answers that never come).
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.sim
            .client
            .request(method, self.url(path))
            .header("X-DC-DEVKEY", &self.key)
            .header("Content-Type", "application/json")
    }

    pub async fn poll_until(&self, id: u64, status: &str) -> Value {
        eventually(status, || async {
            let (s, v) = self.detail(id).await;
            assert_eq!(s, 200, "{v}");
            (v["status"] == status).then_some(v)
        })
        .await
    }
}

pub fn error_code(v: &Value) -> String {
    v["errors"][0]["code"].as_str().unwrap_or("").to_string()
}

/// A DigiCert date-time (`yyyy-MM-dd HH:mm:ss`) in MDT (UTC-6), DigiCert's documented zone.
pub fn mdt(unix: i64) -> String {
    date_time(unix - 6 * 3600, ' ', "")
}

/// ISO 8601 UTC (`2026-01-02T03:04:05Z`).
pub fn iso_utc(unix: i64) -> String {
    date_time(unix, 'T', "Z")
}

/// `unix` as `yyyy-MM-dd{sep}HH:mm:ss{zone}`.
fn date_time(unix: i64, sep: char, zone: &str) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    format!(
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}{zone}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// An order body as CertCentral documents it (plus a field clients send that must be ignored).
pub fn order_body(cn: &str, csr: &str, org: u64, skip_approval: bool) -> Value {
    json!({
        "certificate": {"common_name": cn, "dns_names": [format!("www.{cn}")], "csr": csr,
                         "signature_hash": "sha256", "server_platform": {"id": 45}},
        "organization": {"id": org},
        "order_validity": {"years": 1},
        "payment_method": "balance",
        "skip_approval": skip_approval,
        "api_key": "clients sometimes send this; it must be ignored",
    })
}

/// A fresh CSR for `cn` and the [`order_body`] that sends it ([`Dc::order_basic`]'s), to send
/// by hand.
pub fn basic_order_body(cn: &str) -> (String, Value) {
    let (_, csr_pem) = csr(cn, &[]);
    let body = order_body(cn, &csr_pem, 100001, true);
    (csr_pem, body)
}

/// The body of a PEM block, whitespace removed (to compare CSRs across armorings).
pub fn pem_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect()
}
