//! The null-password reader: checked against OpenSSL's and keytool's files with their real
//! password (so the KDF, the MAC and the PBES1 ciphers agree with OpenSSL's), then on PFX built
//! here under the null password the way .NET lays them out.

use super::*;
use crate::crypto::cert::{issue_for_key, self_signed};
use crate::crypto::pkcs12::pkcs12_build;
use crate::crypto::test_support::{ca_profile, fixture, leaf_profile, p256, FIXTURE_PASSWORD};
use cbc::cipher::BlockModeEncrypt;

fn oid(text: &str) -> Vec<u8> {
    der::oid_from_str(text).unwrap()
}

fn chain() -> Vec<Vec<u8>> {
    let root_key = p256();
    let root = self_signed(&root_key, &ca_profile("CN=Null Root", None)).unwrap();
    let leaf = issue_for_key(&p256(), &leaf_profile("CN=null.example"), &root_key, &root).unwrap();
    vec![leaf, root]
}

fn cert_bag(cert: &[u8]) -> Vec<u8> {
    let cert_bag = der::sequence(&[
        &oid(OID_X509_CERT),
        &der::tlv(der::ctx_cons(0), &der::octet_string(cert)),
    ]);
    der::sequence(&[&oid(OID_CERT_BAG), &der::tlv(der::ctx_cons(0), &cert_bag)])
}

fn data_info(content: &[u8]) -> Vec<u8> {
    der::sequence(&[
        &oid(OID_DATA),
        &der::tlv(der::ctx_cons(0), &der::octet_string(content)),
    ])
}

/// An encryptedData ContentInfo under a PKCS#12 PBES1 scheme.
fn encrypted_info(scheme: &str, plain: &[u8], password: Password) -> Vec<u8> {
    let salt = [7u8; 8];
    let rounds = 2000;
    let sha1 = &digest::SHA1_FOR_LEGACY_USE_ONLY;
    let pass = password.kdf_bytes();
    let key_len = if scheme == OID_PBE_RC2_40 { 5 } else { 24 };
    let key = kdf(sha1, &pass, &salt, 1, rounds, key_len);
    let iv = kdf(sha1, &pass, &salt, 2, rounds, 8);
    let ciphertext = if scheme == OID_PBE_RC2_40 {
        cbc::Encryptor::<rc2::Rc2>::new_from_slices(&key, &iv)
            .unwrap()
            .encrypt_padded_vec::<Pkcs7>(plain)
    } else {
        cbc::Encryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
            .unwrap()
            .encrypt_padded_vec::<Pkcs7>(plain)
    };
    let params = der::sequence(&[&der::octet_string(&salt), &der::small_uint(rounds.into())]);
    let alg = der::sequence(&[&oid(scheme), &params]);
    let eci = der::sequence(&[
        &oid(OID_DATA),
        &alg,
        &der::tlv(der::ctx_prim(0), &ciphertext),
    ]);
    let encrypted_data = der::sequence(&[&der::small_uint(0), &eci]);
    der::sequence(&[
        &oid(OID_ENCRYPTED_DATA),
        &der::tlv(der::ctx_cons(0), &encrypted_data),
    ])
}

/// A PFX of the given safes with an HMAC-SHA1 MAC under `password`, as .NET writes it.
fn pfx(safes: &[Vec<u8>], password: Password) -> Vec<u8> {
    let refs: Vec<&[u8]> = safes.iter().map(Vec::as_slice).collect();
    let auth_safe = der::sequence(&refs);
    let salt = [9u8; 20];
    let sha1 = &digest::SHA1_FOR_LEGACY_USE_ONLY;
    let key = kdf(sha1, &password.kdf_bytes(), &salt, 3, 2000, 20);
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key),
        &auth_safe,
    );
    let digest_info = der::sequence(&[
        &der::sequence(&[&oid("1.3.14.3.2.26"), &der::null()]),
        &der::octet_string(tag.as_ref()),
    ]);
    let mac = der::sequence(&[
        &digest_info,
        &der::octet_string(&salt),
        &der::small_uint(2000),
    ]);
    der::sequence(&[&der::small_uint(3), &data_info(&auth_safe), &mac])
}

#[test]
fn agrees_with_openssl_and_keytool_files_under_their_password() {
    for (name, password, certs) in [
        ("rsa-chain-legacy-3des.pfx", FIXTURE_PASSWORD, 3), // RC2-40 certs, 3DES key, SHA-1 MAC
        ("rsa-chain-aes.pfx", FIXTURE_PASSWORD, 3),         // PBES2 safes, SHA-256 MAC
        ("rsa-chain-nopass.pfx", "", 3),
        ("java-keytool.p12", FIXTURE_PASSWORD, 1),
        ("rsa-cert-only.pfx", FIXTURE_PASSWORD, 1),
    ] {
        let der = fixture(name);
        let archive = Pkcs12Archive::from_pkcs12(&der, password).unwrap();
        let expected: Vec<Vec<u8>> = archive
            .certs
            .iter()
            .map(|b| b.cert.as_der().to_vec())
            .collect();
        let (got, keys) =
            read(&der, Password::Text(password)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.len(), certs, "{name}");
        assert_eq!(got, expected, "{name}: same certificates as p12-keystore");
        assert_eq!(keys, archive.keys.len(), "{name}");
        assert!(
            matches!(
                read(&der, Password::Text("wrong")),
                Err(CryptoError::WrongPassword)
            ),
            "{name}"
        );
        // The empty password is not the null one.
        assert!(
            matches!(read(&der, Password::Null), Err(CryptoError::WrongPassword)),
            "{name}"
        );
    }
}

#[test]
fn reads_dotnet_shaped_null_password_pfx() {
    let certs = chain();
    // .NET writes the cert bags in reverse, in one 3DES safe; Windows' older exports use RC2-40.
    let bags: Vec<Vec<u8>> = certs.iter().rev().map(|c| cert_bag(c)).collect();
    let refs: Vec<&[u8]> = bags.iter().map(Vec::as_slice).collect();
    let safe_contents = der::sequence(&refs);
    for scheme in [OID_PBE_3DES_3KEY, OID_PBE_RC2_40] {
        let file = pfx(
            &[encrypted_info(scheme, &safe_contents, Password::Null)],
            Password::Null,
        );
        let (got, keys) = read(&file, Password::Null).unwrap();
        assert_eq!(
            got,
            certs.iter().rev().cloned().collect::<Vec<_>>(),
            "{scheme}"
        );
        assert_eq!(keys, 0);
        // p12-keystore cannot open it with "", which is why this reader exists; the public
        // entry point falls back to it.
        assert!(Pkcs12Archive::from_pkcs12(&file, "").is_err());
        let public = crate::crypto::pkcs12_certificates(&file, "").unwrap();
        assert_eq!(public.certs.len(), 2);
        assert!(matches!(
            read(&file, Password::Text("")),
            Err(CryptoError::WrongPassword)
        ));
        assert!(matches!(
            crate::crypto::pkcs12_certificates(&file, "x"),
            Err(CryptoError::WrongPassword)
        ));
    }

    // A plain safe with a key bag beside the certificates, and a nested safeContents bag: the
    // key is counted, never read.
    let key_bag = der::sequence(&[
        &oid(OID_SHROUDED_KEY_BAG),
        &der::tlv(der::ctx_cons(0), &der::sequence(&[])),
    ]);
    let nested = der::sequence(&[
        &oid(OID_SAFE_CONTENTS_BAG),
        &der::tlv(der::ctx_cons(0), &der::sequence(&[&cert_bag(&certs[1])])),
    ]);
    let plain = der::sequence(&[&cert_bag(&certs[0]), &key_bag, &nested]);
    let file = pfx(&[data_info(&plain)], Password::Null);
    let (got, keys) = read(&file, Password::Null).unwrap();
    assert_eq!((got, keys), (certs.clone(), 1));

    // A PBES2 safe (ours, written by p12-keystore under "") inside a null-password PFX: the
    // MAC is checked here, the safe decrypted by p12-keystore.
    let aes = pkcs12_build(None, &certs).unwrap();
    let pfx_el = der::single(&aes, TAG_SEQUENCE).unwrap();
    let mut r = Reader::new(pfx_el.content);
    r.next_element();
    let content = data_content(r.next_element().unwrap()).unwrap();
    let safes: Vec<Vec<u8>> = {
        let mut s = Reader::new(der::single(content, TAG_SEQUENCE).unwrap().content);
        std::iter::from_fn(|| s.next_element().map(|e| e.raw.to_vec())).collect()
    };
    let file = pfx(&safes, Password::Null);
    let (got, keys) = read(&file, Password::Null).unwrap();
    assert_eq!((got, keys), (certs, 0));
}

#[test]
fn damage_is_an_error_never_a_panic() {
    let certs = chain();
    let plain = der::sequence(&[&cert_bag(&certs[0])]);
    let file = pfx(
        &[encrypted_info(OID_PBE_3DES_3KEY, &plain, Password::Null)],
        Password::Null,
    );
    for cut in [0, 1, 5, file.len() / 3, file.len() / 2, file.len() - 1] {
        assert!(read(&file[..cut], Password::Null).is_err(), "cut at {cut}");
    }
    for at in (0..file.len()).step_by(7) {
        let mut bad = file.clone();
        bad[at] ^= 0x5a;
        // Bytes the reader does not look at (the digest's NULL parameters) may change freely.
        if let Ok((got, _)) = read(&bad, Password::Null) {
            assert_eq!(got, vec![certs[0].clone()], "flip at {at}");
        }
    }
    // Without a MAC, a wrong key shows up as bad padding or a malformed safe.
    let no_mac = der::sequence(&[
        &der::small_uint(3),
        &data_info(&der::sequence(&[&encrypted_info(
            OID_PBE_3DES_3KEY,
            &plain,
            Password::Text("other"),
        )])),
    ]);
    assert!(read(&no_mac, Password::Null).is_err());
    // Nesting beyond the bound is refused.
    let mut deep = plain.clone();
    for _ in 0..=MAX_NESTING + 1 {
        let bag = der::sequence(&[
            &oid(OID_SAFE_CONTENTS_BAG),
            &der::tlv(der::ctx_cons(0), &deep),
        ]);
        deep = der::sequence(&[&bag]);
    }
    assert!(read(&pfx(&[data_info(&deep)], Password::Null), Password::Null).is_err());
    // An iteration count past the bound is refused before any work.
    assert_eq!(
        iterations(Some(Element {
            tag: TAG_INTEGER,
            content: &[0x7f, 0xff, 0xff, 0xff],
            raw: &[]
        })),
        None
    );
    assert_eq!(
        iterations(Some(Element {
            tag: TAG_INTEGER,
            content: &[0x07, 0xd0],
            raw: &[]
        })),
        Some(2000)
    );
}
