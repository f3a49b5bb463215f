//! A WoSign client that signs every request per the documented HMAC recipe:
//! hex(HMAC-SHA256(key, method + path + timestamp + hex(SHA-256(body)))), shared by the test
//! files that order through WoSign.

use super::Sim;
use aws_lc_rs::{digest, hmac};
use serde_json::{json, Value};

/// One WoSign account's client; `skew` moves its clock (seconds) to test the timestamp check.
pub struct Ws<'a> {
    pub sim: &'a Sim,
    pub account: &'a str,
    pub key: &'a str,
    pub skew: i64,
}

/// The client of the default account `ws-sim-001`.
pub fn ws(sim: &Sim) -> Ws<'_> {
    Ws {
        sim,
        account: "ws-sim-001",
        key: "sim-ws-key",
        skew: 0,
    }
}

impl Ws<'_> {
    /// A signed request: (HTTP status, JSON body or `Null`).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let r = self.send(method, path, body).await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// A signed `GET path`.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// A signed `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Places an order (`POST /api/v1/orders`) with `body`.
    pub async fn create(&self, body: Value) -> (u16, Value) {
        self.post("/api/v1/orders", body).await
    }

    /// The order `no` as `GET /api/v1/orders/{no}` answers it.
    pub async fn detail(&self, no: &str) -> Value {
        self.get(&format!("/api/v1/orders/{no}")).await.1
    }

    /// A signed request as sent (a dropped connection is an `Err`).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Result<reqwest::Response> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let ts = (time::OffsetDateTime::now_utc().unix_timestamp() + self.skew).to_string();
        let body_hash = hex::encode(digest::digest(&digest::SHA256, body.as_bytes()));
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.key.as_bytes());
        let sig = hex::encode(hmac::sign(
            &key,
            format!(
                "{}{}{}{}",
                method.as_str(),
                path.split('?').next().unwrap(),
                ts,
                body_hash
            )
            .as_bytes(),
        ));
        self.sim
            .client
            .request(method, format!("{}{path}", self.sim.url))
            .header("X-WoSign-AccountId", self.account)
            .header("X-WoSign-Timestamp", ts)
            .header("X-WoSign-Signature", sig)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
    }
}

/// The `orderNo` of a create answer.
pub fn order_no(v: &Value) -> String {
    v["data"]["orderNo"]
        .as_str()
        .unwrap_or_else(|| panic!("no orderNo: {v}"))
        .to_string()
}

/// An order body as WoSign documents it, for `cn` with the SAN `www.{cn}`.
pub fn order_body(cn: &str, csr: &str) -> Value {
    json!({"csr": csr, "commonName": cn, "subjectAltNames": [format!("www.{cn}")], "validityYears": 1,
           "contact": {"name": "Li Lei", "email": "li@example.cn", "phone": "+86 10 5555 0100"}})
}
