//! Tests of ACME request authentication: JWS signed here with freshly generated keys of every
//! algorithm, the forms and tamperings that must be refused, RFC 7638's thumbprint and EAB.

use super::{Eab, Jws, KeyRef};
use crate::acme::jwk::Jwk;
use crate::acme::jws_error::JwsError;
use crate::acme::problem::{ErrorType, Problem};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

const URL: &str = "https://acme.example/acme/new-order";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs a message the way the key's `alg` says.
type Signer = Box<dyn Fn(&[u8]) -> Vec<u8>>;

/// A test key: its JWK, the `alg` it signs with and how it signs.
struct TestKey {
    jwk: Value,
    alg: &'static str,
    sign: Signer,
}

fn rsa_key(alg: &'static str) -> TestKey {
    let pair = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
    let public = pair.public_key();
    let jwk = json!({
        "kty": "RSA",
        "n": b64(public.modulus().big_endian_without_leading_zero()),
        "e": b64(public.exponent().big_endian_without_leading_zero()),
    });
    let padding: &'static dyn signature::RsaEncoding = match alg {
        "RS256" => &signature::RSA_PKCS1_SHA256,
        "RS384" => &signature::RSA_PKCS1_SHA384,
        "RS512" => &signature::RSA_PKCS1_SHA512,
        _ => &signature::RSA_PSS_SHA256,
    };
    let sign = Box::new(move |msg: &[u8]| {
        let mut sig = vec![0u8; pair.public_modulus_len()];
        pair.sign(padding, &SystemRandom::new(), msg, &mut sig)
            .unwrap();
        sig
    });
    TestKey { jwk, alg, sign }
}

fn ec_key(alg: &'static str) -> TestKey {
    let (fixed, crv, len) = match alg {
        "ES256" => (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32),
        "ES384" => (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48),
        _ => (&signature::ECDSA_P521_SHA512_FIXED_SIGNING, "P-521", 66),
    };
    let pair = EcdsaKeyPair::generate(fixed).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    let jwk = json!({
        "kty": "EC",
        "crv": crv,
        "x": b64(&point[1..1 + len]),
        "y": b64(&point[1 + len..]),
    });
    let sign = Box::new(move |msg: &[u8]| {
        pair.sign(&SystemRandom::new(), msg)
            .unwrap()
            .as_ref()
            .to_vec()
    });
    TestKey { jwk, alg, sign }
}

fn ed25519_key() -> TestKey {
    let pair = Ed25519KeyPair::generate().unwrap();
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64(pair.public_key().as_ref())});
    let sign = Box::new(move |msg: &[u8]| pair.sign(msg).as_ref().to_vec());
    TestKey {
        jwk,
        alg: "EdDSA",
        sign,
    }
}

fn all_keys() -> Vec<TestKey> {
    let mut keys: Vec<TestKey> = ["RS256", "RS384", "RS512", "PS256"]
        .into_iter()
        .map(rsa_key)
        .collect();
    keys.extend(["ES256", "ES384", "ES512"].into_iter().map(ec_key));
    keys.push(ed25519_key());
    keys
}

/// A flattened JWS of `payload` under `header`, signed by `key`.
fn sign_with(key: &TestKey, header: &Value, payload: &[u8]) -> Value {
    let protected = b64(header.to_string().as_bytes());
    let payload = b64(payload);
    let sig = (key.sign)(format!("{protected}.{payload}").as_bytes());
    json!({"protected": protected, "payload": payload, "signature": b64(&sig)})
}

fn jwk_header(key: &TestKey) -> Value {
    json!({"alg": key.alg, "nonce": "n0nce", "url": URL, "jwk": key.jwk})
}

fn body(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

fn no_lookup(_: &str) -> Result<Jwk, JwsError> {
    Err(JwsError::AccountDoesNotExist("no account".into()))
}

fn verify(value: &Value) -> Result<Jwk, JwsError> {
    Jws::parse(&body(value))?.verify(no_lookup)
}

#[test]
fn every_algorithm_verifies_with_its_jwk_and_with_a_kid_lookup() {
    for key in all_keys() {
        let jws = Jws::parse(&body(&sign_with(&key, &jwk_header(&key), b"{\"a\":1}"))).unwrap();
        assert_eq!(jws.header.nonce, "n0nce");
        assert_eq!(jws.header.url, URL);
        assert_eq!(jws.payload, b"{\"a\":1}");
        let used = jws
            .verify(no_lookup)
            .unwrap_or_else(|e| panic!("{}: {e}", key.alg));
        assert_eq!(used, Jwk::from_value(&key.jwk).unwrap());

        // The same key found by account URL; POST-as-GET has an empty payload.
        let header =
            json!({"alg": key.alg, "nonce": "n", "url": URL, "kid": "https://acme.example/acct/7"});
        let jws = Jws::parse(&body(&sign_with(&key, &header, b""))).unwrap();
        assert_eq!(
            jws.header.key,
            KeyRef::Kid("https://acme.example/acct/7".into())
        );
        assert!(jws.payload.is_empty());
        let jwk = key.jwk.clone();
        jws.verify(|kid| {
            assert_eq!(kid, "https://acme.example/acct/7");
            Jwk::from_value(&jwk)
        })
        .unwrap_or_else(|e| panic!("{} by kid: {e}", key.alg));
        assert!(matches!(
            jws.verify(no_lookup),
            Err(JwsError::AccountDoesNotExist(_))
        ));
    }
}

#[test]
fn tampered_payload_protected_or_signature_is_unauthorized() {
    for key in all_keys() {
        let good = sign_with(&key, &jwk_header(&key), b"{\"a\":1}");
        let mut payload = good.clone();
        payload["payload"] = b64(b"{\"a\":2}").into();
        let mut protected = good.clone();
        let mut other = jwk_header(&key);
        other["url"] = "https://acme.example/acme/revoke-cert".into();
        protected["protected"] = b64(other.to_string().as_bytes()).into();
        let mut sig = good.clone();
        let mut bytes = URL_SAFE_NO_PAD
            .decode(good["signature"].as_str().unwrap())
            .unwrap();
        bytes[5] ^= 1;
        sig["signature"] = b64(&bytes).into();
        for bad in [payload, protected, sig] {
            assert!(
                matches!(verify(&bad), Err(JwsError::Unauthorized(_))),
                "{}",
                key.alg
            );
        }
    }
}

#[test]
fn an_algorithm_that_does_not_fit_the_key_is_refused() {
    let rsa = rsa_key("RS256");
    let p256 = ec_key("ES256");
    let ed = ed25519_key();
    for (key, alg) in [
        (&rsa, "ES256"),
        (&rsa, "EdDSA"),
        (&p256, "ES384"),
        (&p256, "RS256"),
        (&ed, "ES256"),
    ] {
        let mut header = jwk_header(key);
        header["alg"] = alg.into();
        assert!(
            matches!(
                verify(&sign_with(key, &header, b"{}")),
                Err(JwsError::BadSignatureAlgorithm(_))
            ),
            "{} with {alg}",
            key.alg
        );
    }
}

#[test]
fn none_and_mac_algorithms_are_refused() {
    let key = ec_key("ES256");
    for alg in ["none", "HS256", "ES256K", ""] {
        let mut header = jwk_header(&key);
        header["alg"] = alg.into();
        let mut jws = sign_with(&key, &header, b"{}");
        if alg == "none" {
            jws["signature"] = "".into();
        }
        assert!(
            matches!(verify(&jws), Err(JwsError::BadSignatureAlgorithm(_))),
            "{alg}"
        );
    }
}

#[test]
fn exactly_one_of_jwk_and_kid() {
    let key = ed25519_key();
    let mut both = jwk_header(&key);
    both["kid"] = "https://acme.example/acct/1".into();
    let mut neither = jwk_header(&key);
    neither.as_object_mut().unwrap().remove("jwk");
    for header in [both, neither] {
        assert!(matches!(
            verify(&sign_with(&key, &header, b"{}")),
            Err(JwsError::Malformed(_))
        ));
    }
}

#[test]
fn missing_nonce_or_url_is_malformed() {
    let key = ed25519_key();
    for member in ["nonce", "url", "alg"] {
        let mut header = jwk_header(&key);
        header.as_object_mut().unwrap().remove(member);
        assert!(
            matches!(
                verify(&sign_with(&key, &header, b"{}")),
                Err(JwsError::Malformed(_))
            ),
            "{member}"
        );
    }
}

#[test]
fn a_der_encoded_ecdsa_signature_is_refused() {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let fixed =
        EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .unwrap();
    let der = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
        .unwrap();
    let point = fixed.public_key().as_ref().to_vec();
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..])});
    let make = |pair: EcdsaKeyPair| TestKey {
        jwk: jwk.clone(),
        alg: "ES256",
        sign: Box::new(move |msg: &[u8]| {
            pair.sign(&SystemRandom::new(), msg)
                .unwrap()
                .as_ref()
                .to_vec()
        }),
    };
    let (fixed, der) = (make(fixed), make(der));
    assert!(verify(&sign_with(&fixed, &jwk_header(&fixed), b"{}")).is_ok());
    assert!(matches!(
        verify(&sign_with(&der, &jwk_header(&der), b"{}")),
        Err(JwsError::Unauthorized(_))
    ));
}

#[test]
fn only_the_flattened_form_without_unprotected_header_is_accepted() {
    let key = ed25519_key();
    let good = sign_with(&key, &jwk_header(&key), b"{}");
    assert!(verify(&good).is_ok());

    let mut unprotected = good.clone();
    unprotected["header"] = json!({"kid": "x"});
    let general = json!({
        "payload": good["payload"],
        "signatures": [{"protected": good["protected"], "signature": good["signature"]}],
    });
    let compact = Value::from(format!(
        "{}.{}.{}",
        good["protected"].as_str().unwrap(),
        good["payload"].as_str().unwrap(),
        good["signature"].as_str().unwrap()
    ));
    let mut padded = good.clone();
    padded["signature"] = format!("{}==", good["signature"].as_str().unwrap()).into();
    let mut crit = jwk_header(&key);
    crit["crit"] = json!(["b64"]);
    crit["b64"] = false.into();
    let crit = sign_with(&key, &crit, b"{}");
    for bad in [unprotected, general, compact, padded, crit] {
        assert!(matches!(verify(&bad), Err(JwsError::Malformed(_))), "{bad}");
    }
    // base64url only: the standard alphabet's '+' and '/' are refused.
    assert_eq!(super::b64("-_8", "x").unwrap(), [0xfb, 0xff]);
    assert!(matches!(
        super::b64("+/8", "x"),
        Err(JwsError::Malformed(_))
    ));
    assert!(matches!(
        Jws::parse(b"not json"),
        Err(JwsError::Malformed(_))
    ));
}

#[test]
fn bad_public_keys_are_refused() {
    let ec = ec_key("ES256");
    let mut off_curve = ec.jwk.clone();
    off_curve["y"] = off_curve["x"].clone();
    let mut private = ec.jwk.clone();
    private["d"] = b64(&[1u8; 32]).into();
    let small_rsa = json!({"kty": "RSA", "n": b64(&[0xc5u8; 128]), "e": "AQAB"});
    let unknown = json!({"kty": "oct", "k": "AAAA"});
    let x448 = json!({"kty": "OKP", "crv": "Ed448", "x": b64(&[1u8; 57])});
    for jwk in [off_curve, private, small_rsa, unknown, x448] {
        assert!(
            matches!(Jwk::from_value(&jwk), Err(JwsError::BadPublicKey(_))),
            "{jwk}"
        );
    }
}

#[test]
fn thumbprint_matches_rfc_7638_example() {
    // RFC 7638 §3.1; the extra members `alg` and `kid` are not part of the thumbprint.
    let jwk = json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    });
    assert_eq!(
        Jwk::from_value(&jwk).unwrap().thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

/// An EAB inner JWS over `payload` with `mac_key`.
fn eab(alg: &str, mac_key: &[u8], protected: Value, payload: &Value) -> Value {
    let protected = b64(protected.to_string().as_bytes());
    let payload = b64(payload.to_string().as_bytes());
    let algorithm = match alg {
        "HS384" => hmac::HMAC_SHA384,
        "HS512" => hmac::HMAC_SHA512,
        _ => hmac::HMAC_SHA256,
    };
    let tag = hmac::sign(
        &hmac::Key::new(algorithm, mac_key),
        format!("{protected}.{payload}").as_bytes(),
    );
    json!({"protected": protected, "payload": payload, "signature": b64(tag.as_ref())})
}

#[test]
fn external_account_binding() {
    let key = ec_key("ES256");
    let outer = Jws::parse(&body(&sign_with(&key, &jwk_header(&key), b"{}"))).unwrap();
    let mac_key = b"a very secret EAB MAC key value!";
    let inner = |alg: &str| json!({"alg": alg, "kid": "eab-1", "url": URL});
    for alg in ["HS256", "HS384", "HS512"] {
        let eab = Eab::parse(&eab(alg, mac_key, inner(alg), &key.jwk)).unwrap();
        assert_eq!(eab.kid, "eab-1");
        eab.verify(mac_key, &outer.header).unwrap();
        assert!(matches!(
            eab.verify(b"another key", &outer.header),
            Err(JwsError::Unauthorized(_))
        ));
    }
    // Over another account key.
    let other = ec_key("ES256");
    let eab_other = Eab::parse(&eab("HS256", mac_key, inner("HS256"), &other.jwk)).unwrap();
    assert!(matches!(
        eab_other.verify(mac_key, &outer.header),
        Err(JwsError::Unauthorized(_))
    ));
    // For another URL.
    let mut elsewhere = inner("HS256");
    elsewhere["url"] = "https://acme.example/acme/other".into();
    let eab_url = Eab::parse(&eab("HS256", mac_key, elsewhere, &key.jwk)).unwrap();
    assert!(matches!(
        eab_url.verify(mac_key, &outer.header),
        Err(JwsError::Unauthorized(_))
    ));
    // Signature algorithms and nonces have no place in an EAB.
    assert!(matches!(
        Eab::parse(&eab("HS256", mac_key, inner("RS256"), &key.jwk)),
        Err(JwsError::BadSignatureAlgorithm(_))
    ));
    let mut with_nonce = inner("HS256");
    with_nonce["nonce"] = "n".into();
    assert!(matches!(
        Eab::parse(&eab("HS256", mac_key, with_nonce, &key.jwk)),
        Err(JwsError::Malformed(_))
    ));
    // The outer request must carry the key itself.
    let kid_header =
        json!({"alg": "ES256", "nonce": "n", "url": URL, "kid": "https://acme.example/acct/1"});
    let by_kid = Jws::parse(&body(&sign_with(&key, &kid_header, b"{}"))).unwrap();
    let eab_ok = Eab::parse(&eab("HS256", mac_key, inner("HS256"), &key.jwk)).unwrap();
    assert!(matches!(
        eab_ok.verify(mac_key, &by_kid.header),
        Err(JwsError::Malformed(_))
    ));
}

#[test]
fn errors_become_problem_documents() {
    let problem = Problem::from(JwsError::BadSignatureAlgorithm("x".into()));
    assert_eq!(problem.kind, ErrorType::BadSignatureAlgorithm);
    assert_eq!(problem.status, 400);
    assert_eq!(problem.algorithms.as_deref().map(<[String]>::len), Some(8));
    let problem = Problem::from(JwsError::AccountDoesNotExist("no such account".into()));
    assert_eq!(problem.kind, ErrorType::AccountDoesNotExist);
    assert_eq!(problem.detail, "no such account");
    assert_eq!(
        JwsError::Unauthorized("x".into()).kind(),
        ErrorType::Unauthorized
    );
}
