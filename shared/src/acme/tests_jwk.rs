//! Tests of JWK helpers that need keys: a certificate's key read back as the same JWK.

use super::Jwk;

#[test]
fn a_certificate_key_becomes_the_same_jwk() {
    for spec in [
        crate::crypto::KeySpec::Ec {
            curve: crate::models::CurveName::P384,
        },
        crate::crypto::KeySpec::Rsa { bits: 2048 },
    ] {
        let pk = crate::crypto::PrivateKey::generate(spec).unwrap();
        let from_spki = Jwk::from_spki_der(pk.spki_der()).expect("a JWK");
        let jwk = serde_json::to_value(pk.public_jwk()).unwrap();
        let direct = Jwk::from_value(&jwk).unwrap();
        assert!(from_spki.same_key(&direct));
        assert_eq!(from_spki.thumbprint(), direct.thumbprint());
    }
}
