//! The client side of ACME's JOSE (RFC 8555 §6.2, RFC 7515, RFC 7638): the account key's
//! public JWK and thumbprint, flattened-JSON JWS *signing* (ES256 over P-256), and the external
//! account binding (§7.3.4, HS256 keyed by the CA's EAB key). Written from the RFCs: vault's
//! ACME server only verifies, so nothing here is shared with it.

use aws_lc_rs::{digest, hmac};
use serde_json::{json, Value};
use shared::b64::url_encode;
use shared::crypto::PrivateKey;
use shared::models::SignatureAlgorithm;

/// Who signs a request: a brand-new key presents its JWK (newAccount), a known account its
/// URL (`kid`, every other request).
pub(crate) enum Signer<'a> {
    Jwk,
    Kid(&'a str),
}

/// An account key and its derived public forms.
#[derive(Clone)]
pub(crate) struct AccountKey {
    key: PrivateKey,
    /// The public JWK in RFC 7638's member order (`crv`, `kty`, `x`, `y`).
    jwk: Value,
    /// base64url(SHA-256(canonical JWK)): the key authorization's suffix.
    thumbprint: String,
}

impl AccountKey {
    /// A P-256 key (ES256 is the one algorithm every ACME CA must accept).
    pub(crate) fn new(key: PrivateKey) -> Result<Self, String> {
        let public = key.public_jwk();
        let (Some(x), Some(y)) = (public.x, public.y) else {
            return Err("the ACME account key is not an EC key".into());
        };
        // RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let thumbprint = url_encode(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref());
        let jwk = json!({"crv": "P-256", "kty": "EC", "x": x, "y": y});
        Ok(AccountKey {
            key,
            jwk,
            thumbprint,
        })
    }

    pub(crate) fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// `token.thumbprint` (RFC 8555 §8.1).
    pub(crate) fn key_authorization(&self, token: &str) -> String {
        format!("{token}.{}", self.thumbprint)
    }

    /// The flattened JWS for `url`: `payload` `None` is POST-as-GET (empty payload).
    pub(crate) fn sign(
        &self,
        signer: Signer<'_>,
        nonce: &str,
        url: &str,
        payload: Option<&Value>,
    ) -> Result<Value, String> {
        let mut protected = json!({"alg": "ES256", "nonce": nonce, "url": url});
        match signer {
            Signer::Jwk => protected["jwk"] = self.jwk.clone(),
            Signer::Kid(kid) => protected["kid"] = json!(kid),
        }
        let protected = url_encode(protected.to_string().as_bytes());
        let payload = payload
            .map(|p| url_encode(p.to_string().as_bytes()))
            .unwrap_or_default();
        let input = format!("{protected}.{payload}");
        let hash = digest::digest(&digest::SHA256, input.as_bytes());
        let signature = self
            .key
            .sign_digest(SignatureAlgorithm::Es256, hash.as_ref())
            .map_err(|e| format!("cannot sign the ACME request: {e}"))?;
        Ok(json!({
            "protected": protected,
            "payload": payload,
            "signature": url_encode(&signature),
        }))
    }
}

/// The `externalAccountBinding` member of newAccount (RFC 8555 §7.3.4): a JWS over the
/// account's JWK, MAC'd with the CA-issued key `hmac_key` under the key id `kid`.
pub(crate) fn external_account_binding(
    account_jwk: &Value,
    kid: &str,
    hmac_key: &[u8],
    new_account_url: &str,
) -> Value {
    let protected = json!({"alg": "HS256", "kid": kid, "url": new_account_url});
    let protected = url_encode(protected.to_string().as_bytes());
    let payload = url_encode(account_jwk.to_string().as_bytes());
    let key = hmac::Key::new(hmac::HMAC_SHA256, hmac_key);
    let tag = hmac::sign(&key, format!("{protected}.{payload}").as_bytes());
    json!({
        "protected": protected,
        "payload": payload,
        "signature": url_encode(tag.as_ref()),
    })
}
