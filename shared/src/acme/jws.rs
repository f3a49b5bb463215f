//! RFC 8555 §6.2 request authentication: a POST body is a flattened JWS JSON object
//! (`protected`, `payload`, `signature`, base64url without padding; no unprotected `header`,
//! no general or compact form). Its protected header carries `alg`, `nonce`, `url` and exactly
//! one of `jwk` (new accounts, revocation by certificate key) or `kid` (the account URL, looked
//! up by the caller). Also the external account binding of §7.3.4 (an inner HMAC JWS over the
//! account key). Checking the nonce and that `url` is the request's URL is the caller's part.

use super::jwk::{Alg, Jwk};
use super::jws_error::{malformed, JwsError};
use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

/// Who signed: the key itself or the account it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// `jwk`: the parsed key and the member as sent (EAB compares its payload to it).
    Jwk(Box<Jwk>, Value),
    /// `kid`: the account URL.
    Kid(String),
}

/// The protected header of an ACME request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub alg: Alg,
    pub nonce: String,
    pub url: String,
    pub key: KeyRef,
}

/// A parsed, not yet verified, ACME request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jws {
    pub header: Header,
    /// The decoded payload; empty for POST-as-GET.
    pub payload: Vec<u8>,
    signing_input: String,
    signature: Vec<u8>,
}

/// The three members of a flattened JWS, decoded, with the protected header as JSON.
struct Flattened {
    protected: Map<String, Value>,
    payload: Vec<u8>,
    signing_input: String,
    signature: Vec<u8>,
}

fn b64(text: &str, what: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| malformed(format!("The JWS {what} is not base64url without padding.")))
}

fn flattened(value: &Value) -> Result<Flattened, JwsError> {
    let obj = value
        .as_object()
        .ok_or_else(|| malformed("The JWS is not a JSON object (flattened serialization)."))?;
    if obj.contains_key("signatures") {
        return Err(malformed(
            "The JWS must use the flattened JSON serialization.",
        ));
    }
    if obj.contains_key("header") {
        return Err(malformed("The JWS must not have an unprotected header."));
    }
    let text = |name: &str| {
        obj.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(format!("The JWS has no string member '{name}'.")))
    };
    let (protected_b64, payload_b64) = (text("protected")?, text("payload")?);
    let signature = b64(text("signature")?, "signature")?;
    let protected: Value = serde_json::from_slice(&b64(protected_b64, "protected header")?)
        .map_err(|_| malformed("The JWS protected header is not JSON."))?;
    let Value::Object(protected) = protected else {
        return Err(malformed("The JWS protected header is not a JSON object."));
    };
    // RFC 7515 §4.1.11: an extension we do not understand must make us refuse.
    if protected.contains_key("crit") {
        return Err(malformed("The JWS 'crit' header is not supported."));
    }
    Ok(Flattened {
        protected,
        payload: b64(payload_b64, "payload")?,
        signing_input: format!("{protected_b64}.{payload_b64}"),
        signature,
    })
}

fn header_str<'a>(h: &'a Map<String, Value>, name: &str) -> Result<&'a str, JwsError> {
    match h.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(malformed(format!(
            "The JWS header '{name}' is not a string."
        ))),
        None => Err(malformed(format!("The JWS header has no '{name}'."))),
    }
}

fn key_ref(h: &Map<String, Value>) -> Result<KeyRef, JwsError> {
    match (h.get("jwk"), h.get("kid")) {
        (Some(jwk), None) => Ok(KeyRef::Jwk(Box::new(Jwk::from_value(jwk)?), jwk.clone())),
        (None, Some(_)) => Ok(KeyRef::Kid(header_str(h, "kid")?.to_string())),
        (Some(_), Some(_)) => Err(malformed("The JWS header has both 'jwk' and 'kid'.")),
        (None, None) => Err(malformed("The JWS header has neither 'jwk' nor 'kid'.")),
    }
}

impl Jws {
    /// Parses a request body (RFC 8555 §6.2). Does not verify: see [`Jws::verify`].
    pub fn parse(body: &[u8]) -> Result<Jws, JwsError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|_| malformed("The request body is not JSON."))?;
        let f = flattened(&value)?;
        // The algorithm comes first so `none` / `HS256` get badSignatureAlgorithm.
        let alg = Alg::from_name(header_str(&f.protected, "alg")?)?;
        let header = Header {
            alg,
            nonce: header_str(&f.protected, "nonce")?.to_string(),
            url: header_str(&f.protected, "url")?.to_string(),
            key: key_ref(&f.protected)?,
        };
        Ok(Jws {
            header,
            payload: f.payload,
            signing_input: f.signing_input,
            signature: f.signature,
        })
    }

    /// Parses the inner JWS of a key rollover (RFC 8555 §7.3.5): the outer request's payload,
    /// signed by the new key, with `jwk` (not `kid`), the outer `url`, and no `nonce` (its
    /// [`Header::nonce`] is left empty). Does not verify: see [`Jws::verify_with`].
    pub fn parse_key_change(value: &Value) -> Result<Jws, JwsError> {
        let f = flattened(value)?;
        let alg = Alg::from_name(header_str(&f.protected, "alg")?)?;
        if f.protected.contains_key("nonce") {
            return Err(malformed(
                "The inner JWS of a key change must not have a 'nonce'.",
            ));
        }
        let key = key_ref(&f.protected)?;
        if !matches!(key, KeyRef::Jwk(..)) {
            return Err(malformed(
                "The inner JWS of a key change must carry the new key as 'jwk'.",
            ));
        }
        let header = Header {
            alg,
            nonce: String::new(),
            url: header_str(&f.protected, "url")?.to_string(),
            key,
        };
        Ok(Jws {
            header,
            payload: f.payload,
            signing_input: f.signing_input,
            signature: f.signature,
        })
    }

    /// Verifies the signature with the header's `jwk`, or with the key `lookup` returns for
    /// `kid` (it answers `accountDoesNotExist` / `unauthorized` itself). Returns the key used.
    pub fn verify(
        &self,
        lookup: impl FnOnce(&str) -> Result<Jwk, JwsError>,
    ) -> Result<Jwk, JwsError> {
        let key = match &self.header.key {
            KeyRef::Jwk(jwk, _) => (**jwk).clone(),
            KeyRef::Kid(kid) => lookup(kid)?,
        };
        self.verify_with(&key)?;
        Ok(key)
    }

    /// Verifies the signature with `key`.
    pub fn verify_with(&self, key: &Jwk) -> Result<(), JwsError> {
        key.verify(
            self.header.alg,
            self.signing_input.as_bytes(),
            &self.signature,
        )
    }
}

/// An `externalAccountBinding` (RFC 8555 §7.3.4), parsed: the caller looks up the MAC key by
/// `kid`, then calls [`Eab::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eab {
    /// The EAB key identifier the CA issued.
    pub kid: String,
    alg: &'static hmac::Algorithm,
    url: String,
    payload: Vec<u8>,
    signing_input: String,
    signature: Vec<u8>,
}

impl Eab {
    /// Parses the `externalAccountBinding` member of a newAccount payload.
    pub fn parse(value: &Value) -> Result<Eab, JwsError> {
        let f = flattened(value)?;
        let alg = match header_str(&f.protected, "alg")? {
            "HS256" => &hmac::HMAC_SHA256,
            "HS384" => &hmac::HMAC_SHA384,
            "HS512" => &hmac::HMAC_SHA512,
            other => {
                return Err(JwsError::BadSignatureAlgorithm(format!(
                    "The external account binding algorithm '{other}' is not HS256/384/512."
                )))
            }
        };
        if f.protected.contains_key("nonce") {
            return Err(malformed(
                "The external account binding must not have a 'nonce'.",
            ));
        }
        Ok(Eab {
            kid: header_str(&f.protected, "kid")?.to_string(),
            alg,
            url: header_str(&f.protected, "url")?.to_string(),
            payload: f.payload,
            signing_input: f.signing_input,
            signature: f.signature,
        })
    }

    /// Checks the MAC with `mac_key`, that `url` is the outer request's, and that the payload
    /// is the outer request's `jwk` (compared as JSON values).
    pub fn verify(&self, mac_key: &[u8], outer: &Header) -> Result<(), JwsError> {
        let KeyRef::Jwk(_, outer_jwk) = &outer.key else {
            return Err(malformed(
                "A request with an external account binding must use 'jwk'.",
            ));
        };
        if self.url != outer.url {
            return Err(JwsError::Unauthorized(
                "The external account binding's 'url' is not the request's.".into(),
            ));
        }
        let key = hmac::Key::new(*self.alg, mac_key);
        hmac::verify(&key, self.signing_input.as_bytes(), &self.signature).map_err(|_| {
            JwsError::Unauthorized("The external account binding's MAC does not verify.".into())
        })?;
        let payload: Value = serde_json::from_slice(&self.payload)
            .map_err(|_| malformed("The external account binding's payload is not JSON."))?;
        if &payload != outer_jwk {
            return Err(JwsError::Unauthorized(
                "The external account binding is not over the account key.".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "tests_jws.rs"]
mod tests;
