//! Account public keys as JWKs (RFC 7517/7518): parsing an RSA, EC (P-256/384/521) or OKP
//! Ed25519 key from JSON, verifying a JWS signature with it over aws-lc-rs, and its RFC 7638
//! SHA-256 thumbprint (the `key authorization` of challenges).

use super::jws_error::JwsError;
use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents, VerificationAlgorithm};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// A signature algorithm of an outer JWS (RFC 7518 §3; `none` and HMAC never get here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Es256,
    Es384,
    Es512,
    EdDsa,
}

impl Alg {
    /// The `alg` name; anything else (including `none` and `HS*`) is `badSignatureAlgorithm`.
    pub fn from_name(name: &str) -> Result<Alg, JwsError> {
        Ok(match name {
            "RS256" => Alg::Rs256,
            "RS384" => Alg::Rs384,
            "RS512" => Alg::Rs512,
            "PS256" => Alg::Ps256,
            "ES256" => Alg::Es256,
            "ES384" => Alg::Es384,
            "ES512" => Alg::Es512,
            "EdDSA" => Alg::EdDsa,
            other => {
                return Err(JwsError::BadSignatureAlgorithm(format!(
                    "The JWS algorithm '{other}' is not supported."
                )))
            }
        })
    }
}

/// An elliptic curve of an `EC` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    /// Bytes of one coordinate (and of `r`, `s` in a JWS signature).
    fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// JWS ECDSA signatures are raw `r || s` (RFC 7518 §3.4), hence the `FIXED` variants.
    fn verification(self) -> &'static dyn VerificationAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// `n`, `e` without leading zero bytes (aws-lc-rs refuses them).
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// The uncompressed point `04 || x || y`, decoded once.
    Ec {
        curve: Curve,
        key: Parsed,
    },
    Ed25519 {
        key: Parsed,
    },
}

/// A public key decoded and checked (on the curve) once, when the JWK is read, and kept for
/// every verification: accounts are cached, so each request no longer decodes the point.
#[derive(Debug, Clone)]
struct Parsed(ParsedPublicKey);

impl PartialEq for Parsed {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_ref() == other.0.as_ref()
    }
}

impl Eq for Parsed {}

/// A public key from a JWK. The member strings are kept as sent: the thumbprint is over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    key: Key,
    /// The required members (RFC 7638 §3.2) as sent, in lexicographic order of name.
    required: Vec<(&'static str, String)>,
}

fn member<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<&'a str, JwsError> {
    obj.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| JwsError::BadPublicKey(format!("The JWK has no string member '{name}'.")))
}

fn decode(obj: &Map<String, Value>, name: &str) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD
        .decode(member(obj, name)?)
        .map_err(|_| JwsError::BadPublicKey(format!("The JWK member '{name}' is not base64url.")))
}

fn strip_leading_zeros(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

impl Jwk {
    /// Parses a public JWK. Private keys (`d`, `p`, …) are refused: a client must never send one.
    pub fn from_value(value: &Value) -> Result<Jwk, JwsError> {
        let bad = |d: &str| JwsError::BadPublicKey(d.to_string());
        let obj = value
            .as_object()
            .ok_or_else(|| JwsError::Malformed("The JWK is not a JSON object.".into()))?;
        if obj.contains_key("d") {
            return Err(bad("The JWK contains a private key."));
        }
        let keep = |names: &[&'static str]| -> Result<Vec<(&'static str, String)>, JwsError> {
            names
                .iter()
                .map(|n| Ok((*n, member(obj, n)?.to_string())))
                .collect()
        };
        match member(obj, "kty")? {
            "RSA" => {
                let n = strip_leading_zeros(&decode(obj, "n")?);
                let e = strip_leading_zeros(&decode(obj, "e")?);
                let bits = n
                    .first()
                    .map_or(0, |b| n.len() * 8 - b.leading_zeros() as usize);
                if !(2048..=8192).contains(&bits) {
                    return Err(bad("The RSA modulus must be 2048 to 8192 bits."));
                }
                if e.is_empty() || e.len() > 4 || e.last().is_some_and(|b| b & 1 == 0) {
                    return Err(bad("The RSA public exponent is not valid."));
                }
                Ok(Jwk {
                    key: Key::Rsa { n, e },
                    required: keep(&["e", "kty", "n"])?,
                })
            }
            "EC" => {
                let curve = match member(obj, "crv")? {
                    "P-256" => Curve::P256,
                    "P-384" => Curve::P384,
                    "P-521" => Curve::P521,
                    other => return Err(bad(&format!("The EC curve '{other}' is not supported."))),
                };
                let (x, y) = (decode(obj, "x")?, decode(obj, "y")?);
                let len = curve.coordinate_len();
                if x.len() != len || y.len() != len {
                    return Err(bad(
                        "The EC coordinates have the wrong length for the curve.",
                    ));
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                // Checks the point is on the curve now, so a bad key is badPublicKey and not a
                // failed signature.
                let key = ParsedPublicKey::new(curve.verification(), &point)
                    .map_err(|_| bad("The EC point is not on the curve."))?;
                Ok(Jwk {
                    key: Key::Ec {
                        curve,
                        key: Parsed(key),
                    },
                    required: keep(&["crv", "kty", "x", "y"])?,
                })
            }
            "OKP" => {
                let crv = member(obj, "crv")?;
                if crv != "Ed25519" {
                    return Err(bad(&format!("The OKP curve '{crv}' is not supported.")));
                }
                let x = decode(obj, "x")?;
                let key = ParsedPublicKey::new(&signature::ED25519, &x)
                    .map_err(|_| bad("The Ed25519 public key is not valid."))?;
                Ok(Jwk {
                    key: Key::Ed25519 { key: Parsed(key) },
                    required: keep(&["crv", "kty", "x"])?,
                })
            }
            other => Err(bad(&format!("The key type '{other}' is not supported."))),
        }
    }

    /// Whether `other` is the same public key (however its members were spelled).
    pub fn same_key(&self, other: &Jwk) -> bool {
        self.key == other.key
    }

    /// RFC 7638 thumbprint: SHA-256 over the required members as compact JSON in
    /// lexicographic order, base64url without padding.
    pub fn thumbprint(&self) -> String {
        let mut canonical = String::from("{");
        for (i, (name, value)) in self.required.iter().enumerate() {
            if i > 0 {
                canonical.push(',');
            }
            // serde_json writes a JSON string literal; members are base64url or names anyway.
            canonical.push_str(&Value::from(*name).to_string());
            canonical.push(':');
            canonical.push_str(&Value::from(value.as_str()).to_string());
        }
        canonical.push('}');
        URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes()))
    }

    /// A certificate's public key (its SubjectPublicKeyInfo, DER) as a JWK, to compare with a
    /// `jwk`-signed request's key (revocation by the certificate's key, RFC 8555 §7.6): RSA,
    /// EC P-256/384/521, Ed25519; anything else cannot have signed an ACME request.
    pub fn from_spki_der(spki_der: &[u8]) -> Option<Jwk> {
        let (_, spki) = SubjectPublicKeyInfo::from_der(spki_der).ok()?;
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let value: Value = match spki.parsed().ok()? {
            PublicKey::RSA(rsa) => serde_json::json!({
                "kty": "RSA",
                "n": b64(&strip_leading_zeros(rsa.modulus)),
                "e": b64(&strip_leading_zeros(rsa.exponent)),
            }),
            PublicKey::EC(point) => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())?
                    .to_id_string();
                let crv = match curve.as_str() {
                    "1.2.840.10045.3.1.7" => "P-256",
                    "1.3.132.0.34" => "P-384",
                    "1.3.132.0.35" => "P-521",
                    _ => return None,
                };
                let data = point.data();
                let len = data.len().checked_sub(1)? / 2;
                if data.first() != Some(&4) || len == 0 {
                    return None;
                }
                serde_json::json!({
                    "kty": "EC",
                    "crv": crv,
                    "x": b64(&data[1..1 + len]),
                    "y": b64(&data[1 + len..]),
                })
            }
            _ if spki.algorithm.algorithm.to_id_string() == "1.3.101.112" => serde_json::json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64(&spki.subject_public_key.data),
            }),
            _ => return None,
        };
        Jwk::from_value(&value).ok()
    }

    /// Verifies `signature` over `message` with `alg`, which must fit this key's type and
    /// curve (else `badSignatureAlgorithm`); a wrong signature is `unauthorized`.
    pub fn verify(&self, alg: Alg, message: &[u8], sig: &[u8]) -> Result<(), JwsError> {
        let mismatch = || {
            JwsError::BadSignatureAlgorithm(format!(
                "The JWS algorithm {alg:?} does not fit the account key."
            ))
        };
        let failed = || JwsError::Unauthorized("The JWS signature does not verify.".into());
        match &self.key {
            Key::Rsa { n, e } => {
                let params = match alg {
                    Alg::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    Alg::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    Alg::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    Alg::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
                    _ => return Err(mismatch()),
                };
                RsaPublicKeyComponents { n, e }
                    .verify(params, message, sig)
                    .map_err(|_| failed())
            }
            Key::Ec { curve, key } => {
                let fits = matches!(
                    (alg, curve),
                    (Alg::Es256, Curve::P256)
                        | (Alg::Es384, Curve::P384)
                        | (Alg::Es512, Curve::P521)
                );
                if !fits {
                    return Err(mismatch());
                }
                // A DER signature has another length; refuse it plainly (RFC 7518 §3.4).
                if sig.len() != 2 * curve.coordinate_len() {
                    return Err(failed());
                }
                key.0.verify_sig(message, sig).map_err(|_| failed())
            }
            Key::Ed25519 { key } => {
                if alg != Alg::EdDsa {
                    return Err(mismatch());
                }
                key.0.verify_sig(message, sig).map_err(|_| failed())
            }
        }
    }
}

#[cfg(test)]
#[path = "tests_jwk.rs"]
mod tests;
