//! A hand-made ACME client for the requests `instant-acme` will not send: an ES256 account
//! key (aws-lc-rs), flattened JWS with `jwk` or `kid`, and helpers to tamper with each part.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// base64url without padding.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An ES256 key with its public JWK.
pub struct Key {
    pair: EcdsaKeyPair,
    pub jwk: Value,
}

impl Key {
    pub fn generate() -> Key {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let point = pair.public_key().as_ref().to_vec();
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": b64(&point[1..33]),
            "y": b64(&point[33..65]),
        });
        Key { pair, jwk }
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    /// A flattened JWS over `payload` (`None` = POST-as-GET) with this protected header.
    pub fn jws(&self, protected: &Value, payload: Option<&Value>) -> Value {
        let protected = b64(protected.to_string().as_bytes());
        let payload = payload.map_or_else(String::new, |p| b64(p.to_string().as_bytes()));
        let signature = self.sign(format!("{protected}.{payload}").as_bytes());
        json!({ "protected": protected, "payload": payload, "signature": b64(&signature) })
    }
}

/// A response as the tests read it.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The problem type's short name (`badNonce`), or "" when the body is no problem.
    pub fn problem(&self) -> &str {
        self.body["type"]
            .as_str()
            .and_then(|t| t.strip_prefix("urn:ietf:params:acme:error:"))
            .unwrap_or("")
    }

    /// The text at the JSON pointer `pointer` of the body (`/challenges/0/url`); panics if
    /// there is none.
    pub fn text_at(&self, pointer: &str) -> String {
        let text = self.body.pointer(pointer).and_then(Value::as_str);
        text.unwrap_or_else(|| panic!("no text at {pointer}: {}", self.text))
            .to_string()
    }

    /// The `Location` header (the created object's URL); panics if there is none.
    pub fn location(&self) -> String {
        self.header("location")
            .expect("a Location header")
            .to_string()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn links(&self, rel: &str) -> Vec<String> {
        let suffix = format!(">;rel=\"{rel}\"");
        self.headers
            .get_all("link")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.strip_suffix(suffix.as_str()))
            .filter_map(|v| v.strip_prefix('<'))
            .map(str::to_string)
            .collect()
    }
}

/// An account driven by hand.
pub struct Raw {
    pub http: reqwest::Client,
    pub base: String,
    pub key: Key,
    /// The account URL once created.
    pub kid: Option<String>,
}

impl Raw {
    pub fn new(http: reqwest::Client, base: &str) -> Raw {
        Raw {
            http,
            base: base.to_string(),
            key: Key::generate(),
            kid: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/acme/{path}", self.base)
    }

    pub async fn nonce(&self) -> String {
        let resp = self.http.head(self.url("new-nonce")).send().await.unwrap();
        resp.headers()["replay-nonce"].to_str().unwrap().to_string()
    }

    /// The protected header for `url` with a fresh nonce: `kid` once the account exists.
    pub async fn header(&self, url: &str) -> Value {
        let mut h = json!({ "alg": "ES256", "nonce": self.nonce().await, "url": url });
        match &self.kid {
            Some(kid) => h["kid"] = json!(kid),
            None => h["jwk"] = self.key.jwk.clone(),
        }
        h
    }

    /// POSTs `body` as `application/jose+json`.
    pub async fn send(&self, url: &str, body: &Value) -> Answer {
        self.send_bytes(url, body.to_string().into_bytes(), "application/jose+json")
            .await
    }

    pub async fn send_bytes(&self, url: &str, body: Vec<u8>, content_type: &str) -> Answer {
        let resp = self
            .http
            .post(url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    /// A correctly signed POST (`None` = POST-as-GET).
    pub async fn post(&self, url: &str, payload: Option<&Value>) -> Answer {
        let header = self.header(url).await;
        self.send(url, &self.key.jws(&header, payload)).await
    }

    /// Polls `url` (POST-as-GET) every 20 ms until its status is `want`, for 20 s at most.
    pub async fn poll_status(&self, url: &str, want: &str) -> Answer {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let answer = self.post(url, None).await;
            if answer.body["status"] == want {
                return answer;
            }
            assert!(Instant::now() < deadline, "never {want}: {}", answer.text);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Creates the account (agreeing to the terms) and keeps its URL.
    pub async fn create(&mut self) -> Answer {
        let url = self.url("new-account");
        let answer = self
            .post(&url, Some(&json!({ "termsOfServiceAgreed": true })))
            .await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        self.kid = answer.header("location").map(str::to_string);
        answer
    }

    /// A new order for DNS names; returns the answer (its `Location` is the order URL).
    pub async fn order(&self, names: &[&str]) -> Answer {
        let identifiers: Vec<Value> = names
            .iter()
            .map(|n| json!({ "type": "dns", "value": n }))
            .collect();
        let url = self.url("new-order");
        self.post(&url, Some(&json!({ "identifiers": identifiers })))
            .await
    }
}
