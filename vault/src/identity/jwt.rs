//! JWT compact serialization (RFC 7519) as the token service reads and writes it: base64url
//! segments, the JOSE header, and the claims of the access tokens it issues.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The JOSE header fields this service reads or writes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Header {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    #[serde(default)]
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(rename = "x5t#S256", default, skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
}

/// An access token's claims, as Entra ID's v1 tokens carry them for an application.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    #[serde(default)]
    pub appid: String,
    #[serde(default)]
    pub appidacr: String,
    #[serde(default)]
    pub idp: String,
    #[serde(default)]
    pub idtyp: String,
    #[serde(default)]
    pub oid: String,
    #[serde(default)]
    pub sub: String,
    #[serde(default)]
    pub tid: String,
    #[serde(default)]
    pub uti: String,
    #[serde(default)]
    pub ver: String,
}

/// A compact JWS split into its parts; the signature is decoded.
pub struct Compact<'a> {
    /// `header.payload`: the bytes the signature covers.
    pub signed: &'a str,
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: Vec<u8>,
}

/// Splits `token` into its three parts; `None` when it is not three base64url segments.
pub fn split(token: &str) -> Option<Compact<'_>> {
    let (signed, signature) = token.rsplit_once('.')?;
    let (header, payload) = signed.split_once('.')?;
    if header.is_empty() || payload.is_empty() || payload.contains('.') {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    Some(Compact {
        signed,
        header,
        payload,
        signature,
    })
}

/// Decodes one base64url JSON segment.
pub fn decode_segment<T: serde::de::DeserializeOwned>(segment: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// base64url (no padding) of `value`'s JSON.
pub fn encode_segment<T: Serialize>(value: &T) -> String {
    // Serializing these plain structs and `serde_json::Value`s cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

/// `header.payload` of a token to be signed.
pub fn signing_input<H: Serialize, C: Serialize>(header: &H, claims: &C) -> String {
    let mut out = encode_segment(header);
    out.push('.');
    out.push_str(&encode_segment(claims));
    out
}

/// Appends `.signature` (base64url) to a signing input.
pub fn finish(mut signing_input: String, signature: &[u8]) -> String {
    signing_input.push('.');
    signing_input.push_str(&URL_SAFE_NO_PAD.encode(signature));
    signing_input
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_tokens_split_and_round_trip() {
        let header = Header {
            alg: "RS256".into(),
            kid: Some("k".into()),
            ..Default::default()
        };
        let claims = serde_json::json!({"aud": "a"});
        let token = finish(signing_input(&header, &claims), b"sig");
        let parts = split(&token).unwrap();
        assert_eq!(parts.signature, b"sig");
        let back: Header = decode_segment(parts.header).unwrap();
        assert_eq!(back.kid.as_deref(), Some("k"));
        assert!(split("a.b").is_none());
        assert!(split("a.b.c.d").is_none());
        assert!(split("..").is_none());
    }
}
