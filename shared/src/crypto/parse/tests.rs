//! Tests of certificate parsing: x5t, and no parser of the crypto module panics on truncated
//! or mangled input.

use super::*;

#[test]
fn x5t_is_27_chars_of_sha1() {
    let t = x5t(b"abc");
    assert_eq!(t.len(), 27);
    assert_eq!(
        b64::decode_lenient(&t).unwrap(),
        hex::decode("a9993e364706816aba3e25717850c26c9cd0d89d").unwrap()
    );
}

#[test]
fn mangled_inputs_never_panic() {
    use crate::crypto::cert::self_signed;
    use crate::crypto::csr::{build_csr, parse_csr};
    use crate::crypto::keys::PrivateKey;
    use crate::crypto::pem::{pem_blocks, pem_encode};
    use crate::crypto::pkcs12::{pkcs12_build, pkcs12_parse};
    use crate::crypto::test_support::{leaf_profile, p256};
    let k = p256();
    let mut profile = leaf_profile("CN=mangle, O=Contoso");
    profile.sans.upns = Some(vec!["u@x".into()]);
    profile.sans.ip_addresses = Some(vec!["::1".into()]);
    let cert = self_signed(&k, &profile).unwrap();
    let csr = build_csr(&k, &profile).unwrap();
    let pfx = pkcs12_build(Some(&k), std::slice::from_ref(&cert)).unwrap();
    let inputs = [cert.clone(), csr.clone(), k.pkcs8_der().to_vec()];
    for input in &inputs {
        for cut in 0..input.len() {
            let _ = parse_certificate(&input[..cut]);
            let _ = parse_csr(&input[..cut]);
            let _ = PrivateKey::from_pkcs8_der(&input[..cut]);
        }
        for i in 0..input.len() {
            let mut m = input.clone();
            m[i] ^= 0x55;
            let _ = parse_certificate(&m);
            let _ = parse_csr(&m);
            let _ = PrivateKey::from_pkcs8_der(&m);
            let _ = verify_certificate_signature(&m, &cert);
        }
    }
    for cut in (0..pfx.len()).step_by(7) {
        let _ = pkcs12_parse(&pfx[..cut], "");
    }
    for i in (0..pfx.len()).step_by(5) {
        let mut m = pfx.clone();
        m[i] ^= 0x55;
        let _ = pkcs12_parse(&m, "");
    }
    let pem = pem_encode("CERTIFICATE", &cert);
    for cut in 0..pem.len() {
        let _ = pem_blocks(&pem[..cut]);
    }
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for bad in [&b""[..], b"junk", &[0x30, 0x82, 0xff, 0xff], &[0x30, 0x00]] {
        assert!(matches!(
            parse_certificate(bad),
            Err(CryptoError::InvalidCertificate(_))
        ));
    }
}
