//! Client assertions (RFC 7523 `private_key_jwt`): a JWT the client signs with the key of the
//! certificate registered for it (`certificate` in the access document). Checked as Entra
//! checks them: RS256 or PS256 signature with the certificate's public key, `x5t` /
//! `x5t#S256` naming that certificate if present, `iss` = `sub` = client id, `aud` the token
//! endpoint, `nbf`/`exp` (real time).

use super::jwt::{self, Header};
use super::verify::CLOCK_SKEW_SECS;
use super::wire::EntraError;
use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use serde::Deserialize;
use shared::crypto;
use std::path::Path;

/// `client_assertion_type` of a JWT assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[derive(Deserialize)]
struct AssertionClaims {
    #[serde(default)]
    iss: String,
    #[serde(default)]
    sub: String,
    #[serde(default)]
    aud: serde_json::Value,
    // Seconds; MSAL Python sends them as floats.
    exp: Option<f64>,
    nbf: Option<f64>,
}

/// Verifies `assertion` for `client_id`, whose certificate (PEM or DER) is at `cert_path`;
/// `audiences` are the token endpoint URLs the client may name. Blocking (reads the file).
pub fn verify(
    assertion: &str,
    client_id: &str,
    cert_path: Option<&Path>,
    audiences: &[String],
    now: i64,
) -> Result<(), EntraError> {
    let bad = |reason: &str| EntraError::BadAssertion {
        reason: reason.to_string(),
    };
    let parts = jwt::split(assertion).ok_or_else(|| bad("The client assertion is not a JWT."))?;
    let header: Header =
        jwt::decode_segment(parts.header).ok_or_else(|| bad("The JWT header is malformed."))?;
    let alg: &'static dyn VerificationAlgorithm = match header.alg.as_str() {
        "RS256" => &signature::RSA_PKCS1_2048_8192_SHA256,
        "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
        _ => return Err(bad("The signing algorithm is not RS256 or PS256.")),
    };
    let cert_der = cert_path.and_then(read_certificate).ok_or_else(|| {
        bad("The key was not found. No certificate is registered for the application.")
    })?;
    let thumbprint = |claimed: &str| {
        bad(&format!(
            "The key was not found., Thumbprint of key used by client: '{claimed}'"
        ))
    };
    // Thumbprints are compared as bytes: MSAL Python sends base64url *with* padding.
    let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &cert_der);
    let sha256 = digest::digest(&digest::SHA256, &cert_der);
    for (claimed, ours) in [(&header.x5t, sha1), (&header.x5t_s256, sha256)] {
        if let Some(claimed) = claimed {
            if shared::b64::decode_lenient(claimed).ok().as_deref() != Some(ours.as_ref()) {
                return Err(thumbprint(claimed));
            }
        }
    }
    let spki = crypto::parse_certificate(&cert_der)
        .map_err(|_| bad("The registered certificate cannot be read."))?
        .spki_der;
    UnparsedPublicKey::new(alg, &spki)
        .verify(parts.signed.as_bytes(), &parts.signature)
        .map_err(|_| bad("The signature does not verify with the registered certificate's key."))?;
    let claims: AssertionClaims =
        jwt::decode_segment(parts.payload).ok_or_else(|| bad("The JWT payload is malformed."))?;
    if !claims.iss.eq_ignore_ascii_case(client_id) || !claims.sub.eq_ignore_ascii_case(client_id) {
        return Err(EntraError::AssertionSubject);
    }
    let aud_ok = match &claims.aud {
        serde_json::Value::String(a) => audiences.iter().any(|x| x == a),
        serde_json::Value::Array(list) => list
            .iter()
            .filter_map(|a| a.as_str())
            .any(|a| audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(bad("The audience (aud) is not this token endpoint."));
    }
    let Some(exp) = claims.exp else {
        return Err(EntraError::AssertionTime);
    };
    let (now, skew) = (now as f64, CLOCK_SKEW_SECS as f64);
    if exp + skew < now || claims.nbf.is_some_and(|nbf| nbf > now + skew) {
        return Err(EntraError::AssertionTime);
    }
    Ok(())
}

/// The first certificate of a PEM file, or the file itself if it is DER.
fn read_certificate(path: &Path) -> Option<Vec<u8>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read a principal's certificate");
            return None;
        }
    };
    match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN") => crypto::pem_blocks(text)
            .into_iter()
            .find(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| der),
        _ => Some(bytes),
    }
}
