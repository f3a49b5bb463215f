//! The ACME objects on the wire (RFC 8555 §7.1): their URLs ([`Urls`]), their JSON, and the
//! random ids and tokens they are named by. Their stored shapes are `domain::acme`.

use crate::domain::acme::{AcmeAccount, Authz, Challenge};
use crate::error::{Error, Result};
use serde_json::{json, Value};

/// The URLs of ACME objects under `base` (`https://host:port`).
pub struct Urls<'a>(pub &'a str);

impl Urls<'_> {
    pub fn directory(&self) -> String {
        format!("{}/acme/directory", self.0)
    }
    pub fn account(&self, id: &str) -> String {
        format!("{}/acme/acct/{id}", self.0)
    }
    pub fn account_orders(&self, id: &str) -> String {
        format!("{}/acme/acct/{id}/orders", self.0)
    }
    pub fn order(&self, id: &str) -> String {
        format!("{}/acme/order/{id}", self.0)
    }
    pub fn finalize(&self, id: &str) -> String {
        format!("{}/acme/order/{id}/finalize", self.0)
    }
    pub fn certificate(&self, id: &str) -> String {
        format!("{}/acme/cert/{id}", self.0)
    }
    pub fn authz(&self, id: &str) -> String {
        format!("{}/acme/authz/{id}", self.0)
    }
    pub fn challenge(&self, authz: &str, kind: &str) -> String {
        format!("{}/acme/chall/{authz}/{kind}", self.0)
    }
    /// The account id of a `kid` URL.
    pub fn account_id<'k>(&self, kid: &'k str) -> Option<&'k str> {
        kid.strip_prefix(self.0)?.strip_prefix("/acme/acct/")
    }
}

/// RFC 3339 (UTC, seconds) of unix milliseconds.
pub fn rfc3339(ms: i64) -> String {
    crate::orders::clock::rfc3339(ms)
}

impl AcmeAccount {
    pub fn to_json(&self, urls: &Urls) -> Value {
        json!({
            "status": self.status,
            "contact": self.contact,
            "orders": urls.account_orders(&self.id),
            "key": self.jwk,
        })
    }
}

impl Authz {
    pub fn to_json(&self, urls: &Urls) -> Value {
        let challenges: Vec<Value> = self
            .challenges
            .iter()
            .map(|c| c.to_json(urls, &self.id))
            .collect();
        let mut v = json!({
            "status": self.status,
            "expires": rfc3339(self.expires_ms),
            "identifier": self.identifier,
            "challenges": challenges,
        });
        if self.wildcard {
            v["wildcard"] = json!(true);
        }
        v
    }
}

impl Challenge {
    pub fn to_json(&self, urls: &Urls, authz: &str) -> Value {
        let mut v = json!({
            "type": self.kind,
            "url": urls.challenge(authz, &self.kind),
            "token": self.token,
            "status": self.status,
        });
        if let Some(at) = &self.validated {
            v["validated"] = json!(at);
        }
        if let Some(e) = &self.error {
            v["error"] = json!(e);
        }
        v
    }
}

/// A fresh random id (128 bits, hex): object ids and challenge tokens are not outcome-shaping,
/// so they come from the system RNG, not the seeded one.
pub fn random_id() -> Result<String> {
    let mut raw = [0u8; 16];
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| Error::Internal("rng failed".into()))?;
    Ok(hex::encode(raw))
}

/// A challenge token (RFC 8555 §8.1: at least 128 bits, base64url).
pub fn random_token() -> Result<String> {
    use base64::Engine;
    let mut raw = [0u8; 32];
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| Error::Internal("rng failed".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw))
}
