//! Unit tests of the masking: each credential shape the dialects carry.

use super::*;
use serde_json::json;

#[test]
fn json_credentials_and_private_jwk_members() {
    let mut v = json!({
        "api_key": "k1", "Password": "p", "pwd": "pwdval", "client-secret": "s",
        "nested": [{"secret": "deep", "name": "keep"}],
        "jwk": {"kty": "EC", "crv": "P-256", "x": "pub", "d": "priv"},
        "token": "acme-challenge-token"
    });
    json(&mut v);
    let text = v.to_string();
    for secret in ["k1", "\"p\"", "pwdval", "\"s\"", "deep", "priv"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(v["nested"][0]["name"], "keep");
    assert_eq!(v["jwk"]["x"], "pub");
    assert_eq!(v["token"], "acme-challenge-token");
}

#[test]
fn soap_password_and_pem_private_keys() {
    let soap =
        "<a:AuthToken><UserName>PAR</UserName><Password>pw&amp;1</Password></a:AuthToken><ns:pwd/>";
    let out = body(soap.as_bytes(), 10_000);
    assert!(out.contains("<UserName>PAR</UserName>"));
    assert!(out.contains("<Password>***</Password>"), "{out}");
    assert!(!out.contains("pw&amp;1"));
    let pem = "x\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let out = pem_private_keys(pem);
    assert!(!out.contains("MHcCAQEE"));
    assert!(out.contains("MIIB"));
    assert!(out.contains("-----END EC PRIVATE KEY-----"));
}

#[test]
fn acme_jws_is_decoded_and_the_eab_hmac_masked() {
    let b64 = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    let eab = json!({
        "protected": b64(&json!({"alg": "HS256", "kid": "kid-1"})),
        "payload": b64(&json!({"kty": "EC", "x": "pub"})),
        "signature": "THE-HMAC",
    });
    let jws = json!({
        "protected": b64(&json!({"alg": "ES256", "nonce": "n1"})),
        "payload": b64(&json!({"termsOfServiceAgreed": true, "externalAccountBinding": eab})),
        "signature": "account-sig",
    });
    let out = body(jws.to_string().as_bytes(), 100_000);
    assert!(!out.contains("THE-HMAC"), "{out}");
    assert!(out.contains("kid-1"), "{out}");
    assert!(out.contains("termsOfServiceAgreed"));
    assert!(secret_header("X-DC-DEVKEY") && secret_header("X-WoSign-Signature"));
    assert!(!secret_header("Content-Type"));
}

#[test]
fn long_bodies_are_cut_on_a_char_boundary() {
    let s = "é".repeat(100);
    let out = body(s.as_bytes(), 11);
    assert!(out.starts_with("ééééé"));
    assert!(out.contains("200 bytes"));
}
