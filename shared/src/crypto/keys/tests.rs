//! Tests of keys: generation and import per key type, Key Vault signing and verification per
//! algorithm, JWKs, and the messages for keys we refuse.

use super::*;
use crate::crypto::test_support::{key, p256, rsa2048};
use SignatureAlgorithm::*;

fn hash(alg: SignatureAlgorithm, msg: &[u8]) -> Vec<u8> {
    digest::digest(hash_for(alg), msg).as_ref().to_vec()
}

#[test]
fn ec_keys_generate_for_each_curve_with_fixed_size_jwk() {
    for (curve, len) in [
        (CurveName::P256, 32),
        (CurveName::P384, 48),
        (CurveName::P521, 66),
    ] {
        let k = key(KeySpec::Ec { curve });
        assert_eq!(k.spec(), KeySpec::Ec { curve });
        let jwk = k.public_jwk();
        assert_eq!(jwk.kty, "EC");
        assert_eq!(jwk.crv, Some(curve));
        assert_eq!(
            b64::decode_lenient(jwk.x.as_ref().unwrap()).unwrap().len(),
            len
        );
        assert_eq!(
            b64::decode_lenient(jwk.y.as_ref().unwrap()).unwrap().len(),
            len
        );
        assert!(jwk.kid.is_none() && jwk.key_ops.is_empty() && jwk.n.is_none());
        assert_eq!(spki_key_spec(k.spki_der()), Some(k.spec()));
        // PKCS#8 round trip, DER and PEM.
        let again = PrivateKey::from_pkcs8_der(k.pkcs8_der()).unwrap();
        assert_eq!(again.spki_der(), k.spki_der());
        let from_pem = PrivateKey::from_pem(&k.pkcs8_pem()).unwrap();
        assert_eq!(from_pem.pkcs8_der(), k.pkcs8_der());
    }
}

#[test]
fn rsa_2048_generates_with_matching_jwk() {
    let k = rsa2048();
    assert_eq!(k.spec(), KeySpec::Rsa { bits: 2048 });
    let jwk = k.public_jwk();
    assert_eq!(jwk.kty, "RSA");
    assert_eq!(jwk.e.as_deref(), Some("AQAB"));
    assert_eq!(
        b64::decode_lenient(jwk.n.as_ref().unwrap()).unwrap().len(),
        256
    );
    assert!(k.pkcs8_pem().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert_eq!(
        PrivateKey::from_pkcs8_der(k.pkcs8_der())
            .unwrap()
            .spki_der(),
        k.spki_der()
    );
}

#[test]
fn unsupported_specs_are_refused() {
    assert!(matches!(
        PrivateKey::generate(KeySpec::Ec { curve: CurveName::P256K }),
        Err(CryptoError::Unsupported(m)) if m.contains("P-256K")
    ));
    assert!(matches!(
        PrivateKey::generate(KeySpec::Rsa { bits: 1024 }),
        Err(CryptoError::Unsupported(_))
    ));
}

#[test]
fn debug_does_not_print_key_material() {
    let k = p256();
    let dbg = format!("{k:?}");
    assert!(dbg.contains("P256"));
    assert!(!dbg.contains(&hex::encode(&k.pkcs8_der()[40..50])));
    assert!(dbg.len() < 80, "{dbg}");
}

#[test]
fn sign_then_verify_all_algorithms() {
    let rsa = rsa2048();
    let cases = [
        (Rs256, rsa.clone()),
        (Rs384, rsa.clone()),
        (Ps256, rsa.clone()),
        (Ps512, rsa.clone()),
        (Es256, p256()),
        (
            Es384,
            key(KeySpec::Ec {
                curve: CurveName::P384,
            }),
        ),
        (
            Es512,
            key(KeySpec::Ec {
                curve: CurveName::P521,
            }),
        ),
    ];
    for (alg, k) in cases {
        let d = hash(alg, b"hello key vault");
        let sig = k.sign_digest(alg, &d).unwrap();
        match k.spec() {
            KeySpec::Ec { curve } => assert_eq!(sig.len(), 2 * coordinate_len(curve), "{alg}"),
            KeySpec::Rsa { .. } => assert_eq!(sig.len(), 256),
        }
        assert!(verify_digest(k.spki_der(), alg, &d, &sig).unwrap(), "{alg}");
        let mut tampered = d.clone();
        tampered[0] ^= 1;
        assert!(
            !verify_digest(k.spki_der(), alg, &tampered, &sig).unwrap(),
            "{alg} tampered digest"
        );
        let mut bad_sig = sig.clone();
        bad_sig[5] ^= 1;
        assert!(
            !verify_digest(k.spki_der(), alg, &d, &bad_sig).unwrap(),
            "{alg} tampered sig"
        );
        assert!(
            !verify_digest(k.spki_der(), alg, &d, &sig[1..]).unwrap(),
            "{alg} short sig"
        );
    }
}

#[test]
fn es256_matches_a_full_message_verification() {
    // The prehash path must produce ordinary ECDSA signatures over the message.
    let k = p256();
    let msg = b"message";
    let sig = k.sign_digest(Es256, &hash(Es256, msg)).unwrap();
    let (_, _, point) = spki_parts(k.spki_der()).unwrap();
    UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(msg, &sig)
        .unwrap();
    let rsa = rsa2048();
    let sig = rsa.sign_digest(Ps256, &hash(Ps256, msg)).unwrap();
    UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, rsa.spki_der())
        .verify(msg, &sig)
        .unwrap();
}

#[test]
fn mismatched_algorithm_or_digest_is_an_error() {
    let ec = p256();
    let d = hash(Es256, b"x");
    assert!(
        matches!(ec.sign_digest(Rs256, &d), Err(CryptoError::InvalidKey(m)) if m.contains("RSA"))
    );
    assert!(matches!(
        ec.sign_digest(Es384, &hash(Es384, b"x")),
        Err(CryptoError::InvalidKey(_))
    ));
    assert!(
        matches!(ec.sign_digest(Es256, &d[..20]), Err(CryptoError::Unsupported(m)) if m.contains("32 bytes"))
    );
    assert!(verify_digest(ec.spki_der(), Es256, &d[..31], &[0; 64]).is_err());
    assert!(verify_digest(b"junk", Es256, &d, &[0; 64]).is_err());
    assert!(verify_digest(ec.spki_der(), Ps256, &d, &[0; 64]).is_err());
}

#[test]
fn bad_key_inputs_are_errors() {
    assert!(matches!(
        PrivateKey::from_pkcs8_der(b""),
        Err(CryptoError::InvalidKey(_))
    ));
    assert!(matches!(
        PrivateKey::from_pkcs8_der(&[0x30, 0x03, 0x02, 0x01, 0x00]),
        Err(CryptoError::InvalidKey(_))
    ));
    assert!(matches!(
        PrivateKey::from_pem("hello"),
        Err(CryptoError::InvalidKey(_))
    ));
    let pkcs1 = pem::pem_encode("RSA PRIVATE KEY", &[0x30, 0x00]);
    assert!(
        matches!(PrivateKey::from_pem(&pkcs1), Err(CryptoError::InvalidKey(m)) if m.contains("PKCS#8"))
    );
    let sec1 = pem::pem_encode("EC PRIVATE KEY", &[0x30, 0x00]);
    assert!(
        matches!(PrivateKey::from_pem(&sec1), Err(CryptoError::InvalidKey(m)) if m.contains("PKCS#8"))
    );
    let enc = pem::pem_encode("ENCRYPTED PRIVATE KEY", &[0x30, 0x00]);
    assert!(
        matches!(PrivateKey::from_pem(&enc), Err(CryptoError::InvalidKey(m)) if m.contains("ncrypted"))
    );
    // An Ed25519 PKCS#8 key (RFC 8410 example).
    let ed =
        b64::decode_lenient("MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC")
            .unwrap();
    assert!(
        matches!(PrivateKey::from_pkcs8_der(&ed), Err(CryptoError::Unsupported(m)) if m.contains("Ed25519"))
    );
}
