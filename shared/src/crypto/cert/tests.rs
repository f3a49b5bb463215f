//! Tests of certificate issuance: every profile field round-trips, chains verify (ours,
//! x509-parser's and, when installed, `openssl verify`), and bad profiles are errors.

use super::*;
use crate::crypto::csr::build_csr;
use crate::crypto::keys::{jwk_from_spki, KeySpec};
use crate::crypto::parse::{parse_certificate, verify_certificate_signature, KEY_USAGE_BITS};
use crate::crypto::pem::pem_encode;
use crate::crypto::test_support::{ca_profile, key, leaf_profile, p256, rsa2048};
use crate::models::{CurveName, KeyUsage, SubjectAlternativeNames};
use x509_parser::prelude::{FromDer, X509Certificate};

fn all_sans() -> SubjectAlternativeNames {
    SubjectAlternativeNames {
        emails: Some(vec!["admin@contoso.com".into()]),
        dns_names: Some(vec!["a.contoso.com".into(), "*.contoso.com".into()]),
        upns: Some(vec!["user@contoso.com".into()]),
        uris: Some(vec![
            "https://contoso.com/id".into(),
            "spiffe://contoso/ns/app".into(),
        ]),
        ip_addresses: Some(vec!["10.1.2.3".into(), "2001:db8::1".into()]),
    }
}

#[test]
fn self_signed_round_trips_every_field() {
    let k = p256();
    let mut profile = leaf_profile("CN=a.example, O=Contoso, OU=IT, L=Redmond, ST=WA, C=US");
    profile.sans = all_sans();
    profile.ekus = vec![
        "1.3.6.1.5.5.7.3.1".into(),
        "1.3.6.1.4.1.311.10.3.12".into(),
        "1.2.3.4.5".into(),
    ];
    profile.key_usage = KEY_USAGE_BITS.iter().map(|(ku, _)| *ku).collect();
    let der_bytes = self_signed(&k, &profile).unwrap();
    let info = parse_certificate(&der_bytes).unwrap();
    assert_eq!(info.subject, profile.subject);
    assert_eq!(info.issuer, profile.subject);
    assert_eq!(info.sans, profile.sans);
    assert_eq!(info.ekus, profile.ekus);
    assert_eq!(info.key_usage, profile.key_usage);
    assert_eq!(info.not_before, profile.not_before.unix_timestamp());
    assert_eq!(info.not_after, profile.not_after.unix_timestamp());
    assert_eq!(info.spki_der, k.spki_der());
    assert_eq!(info.key_spec, Some(k.spec()));
    assert!(!info.is_ca);
    assert!(info.self_issued);
    assert_eq!(info.serial_hex.len() % 2, 0);
    assert!(info.serial_hex.len() >= 30, "{}", info.serial_hex);
    verify_certificate_signature(&der_bytes, &der_bytes).unwrap();
    // x509-parser agrees on the structure and the signature.
    let (_, x) = X509Certificate::from_der(&der_bytes).unwrap();
    assert_eq!(x.version().0, 2);
    x.verify_signature(None).unwrap();
    assert!(!x.basic_constraints().unwrap().unwrap().critical);
    assert!(x.key_usage().unwrap().unwrap().critical);
}

#[test]
fn only_key_usages_given_are_set() {
    let mut profile = leaf_profile("CN=ku");
    for kus in [
        vec![KeyUsage::DecipherOnly],
        vec![KeyUsage::CrlSign, KeyUsage::NonRepudiation],
        vec![],
    ] {
        profile.key_usage = kus.clone();
        let info = parse_certificate(&self_signed(&p256(), &profile).unwrap()).unwrap();
        let mut want = kus.clone();
        want.sort_by_key(|ku| KEY_USAGE_BITS.iter().position(|(k, _)| k == ku));
        assert_eq!(info.key_usage, want);
    }
}

#[test]
fn rsa_and_other_curves_self_sign() {
    let profile = leaf_profile("CN=rsa.example");
    let rsa = rsa2048();
    let der_bytes = self_signed(&rsa, &profile).unwrap();
    let info = parse_certificate(&der_bytes).unwrap();
    assert_eq!(info.spki_der, rsa.spki_der());
    assert_eq!(info.key_spec, Some(KeySpec::Rsa { bits: 2048 }));
    assert_eq!(jwk_from_spki(&info.spki_der).unwrap(), rsa.public_jwk());
    let (_, x) = X509Certificate::from_der(&der_bytes).unwrap();
    x.verify_signature(None).unwrap();
    for curve in [CurveName::P384, CurveName::P521] {
        let k = key(KeySpec::Ec { curve });
        let der_bytes = self_signed(&k, &profile).unwrap();
        assert_eq!(
            parse_certificate(&der_bytes).unwrap().key_spec,
            Some(KeySpec::Ec { curve })
        );
        verify_certificate_signature(&der_bytes, &der_bytes).unwrap();
    }
}

#[test]
fn san_only_certificate_has_empty_subject_and_critical_san() {
    let mut profile = leaf_profile("");
    profile.sans = SubjectAlternativeNames {
        dns_names: Some(vec!["only.example".into()]),
        ..Default::default()
    };
    let der_bytes = self_signed(&p256(), &profile).unwrap();
    let info = parse_certificate(&der_bytes).unwrap();
    assert_eq!(info.subject, "");
    assert_eq!(info.sans.dns_names, Some(vec!["only.example".to_string()]));
    assert!(info.sans.emails.is_none() && info.sans.upns.is_none());
    let (_, x) = X509Certificate::from_der(&der_bytes).unwrap();
    assert!(x.subject_alternative_name().unwrap().unwrap().critical);
    profile.sans = SubjectAlternativeNames::default();
    assert!(matches!(
        self_signed(&p256(), &profile),
        Err(CryptoError::InvalidName(_))
    ));
}

#[test]
fn chain_root_intermediate_leaf_verifies() {
    let root_key = rsa2048();
    let root = self_signed(&root_key, &ca_profile("CN=Test Root, O=Emulator", Some(1))).unwrap();
    let inter_key = key(KeySpec::Ec {
        curve: CurveName::P384,
    });
    let inter = issue_for_key(
        &inter_key,
        &ca_profile("CN=Test Intermediate, DC=contoso, DC=com", Some(0)),
        &root_key,
        &root,
    )
    .unwrap();
    let leaf_key = p256();
    let leaf = issue_for_key(
        &leaf_key,
        &leaf_profile("CN=leaf.example"),
        &inter_key,
        &inter,
    )
    .unwrap();
    let csr_key = key(KeySpec::Ec {
        curve: CurveName::P521,
    });
    let csr = build_csr(&csr_key, &leaf_profile("CN=ignored")).unwrap();
    let from_csr = sign_csr(
        &csr,
        &leaf_profile("CN=from-csr.example"),
        &inter_key,
        &inter,
    )
    .unwrap();

    let root_info = parse_certificate(&root).unwrap();
    let inter_info = parse_certificate(&inter).unwrap();
    let leaf_info = parse_certificate(&leaf).unwrap();
    let csr_info = parse_certificate(&from_csr).unwrap();
    assert!(root_info.is_ca && root_info.self_issued);
    assert!(inter_info.is_ca && !inter_info.self_issued);
    assert_eq!(inter_info.issuer, "CN=Test Root, O=Emulator");
    assert_eq!(
        inter_info.subject,
        "CN=Test Intermediate, DC=contoso, DC=com"
    );
    assert_eq!(leaf_info.issuer, inter_info.subject);
    assert!(!leaf_info.is_ca);
    assert_eq!(csr_info.subject, "CN=from-csr.example");
    assert_eq!(csr_info.spki_der, csr_key.spki_der());

    verify_certificate_signature(&root, &root).unwrap();
    verify_certificate_signature(&inter, &root).unwrap();
    verify_certificate_signature(&leaf, &inter).unwrap();
    verify_certificate_signature(&from_csr, &inter).unwrap();
    assert!(verify_certificate_signature(&leaf, &root).is_err());

    // x509-parser's own verification (it supports RSA and P-256/P-384 issuers).
    let parse = |d: &[u8]| {
        X509Certificate::from_der(d)
            .unwrap()
            .1
            .public_key()
            .raw
            .to_vec()
    };
    let (_, x_inter) = X509Certificate::from_der(&inter).unwrap();
    let (_, x_root) = X509Certificate::from_der(&root).unwrap();
    x_inter.verify_signature(Some(x_root.public_key())).unwrap();
    let (_, x_leaf) = X509Certificate::from_der(&leaf).unwrap();
    x_leaf.verify_signature(Some(x_inter.public_key())).unwrap();
    assert!(x_leaf.verify_signature(Some(x_root.public_key())).is_err());
    assert_eq!(parse(&leaf), leaf_key.spki_der());
    // Names link byte for byte, and AKI = issuer SKI.
    assert_eq!(x_leaf.issuer().as_raw(), x_inter.subject().as_raw());
    let aki = x_leaf
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.clone()
            }
            _ => None,
        })
        .unwrap();
    let ski = x_inter
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(s) => Some(s.0.to_vec()),
            _ => None,
        })
        .unwrap();
    assert_eq!(aki.0, ski.as_slice());
    let bc = x_inter.basic_constraints().unwrap().unwrap();
    assert!(bc.critical && bc.value.ca && bc.value.path_len_constraint == Some(0));
}

#[test]
fn openssl_verifies_the_chain() {
    let root_key = rsa2048();
    let root = self_signed(
        &root_key,
        &ca_profile("CN=OpenSSL Root, O=Emulator", Some(1)),
    )
    .unwrap();
    let inter_key = key(KeySpec::Ec {
        curve: CurveName::P384,
    });
    let inter = issue_for_key(
        &inter_key,
        &ca_profile("CN=OpenSSL Inter, OU=a, OU=b", Some(0)),
        &root_key,
        &root,
    )
    .unwrap();
    let mut profile = leaf_profile("CN=leaf.example");
    profile.sans = all_sans();
    let leaf = issue_for_key(&p256(), &profile, &inter_key, &inter).unwrap();
    let dir = std::env::temp_dir().join(format!("shared-chain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, der: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, pem_encode("CERTIFICATE", der)).unwrap();
        p.to_str().unwrap().to_string()
    };
    let (r, i, l) = (
        write("root.pem", &root),
        write("inter.pem", &inter),
        write("leaf.pem", &leaf),
    );
    let out = std::process::Command::new("openssl")
        .args([
            "verify",
            "-x509_strict",
            "-purpose",
            "sslserver",
            "-CAfile",
            &r,
            "-untrusted",
            &i,
            &l,
        ])
        .output();
    {
        let out = out.expect("the openssl CLI is needed for this test (.ci/run installs it)");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("openssl verify: {text}");
        assert!(out.status.success() && text.contains(": OK"), "{text}");
        let text = std::process::Command::new("openssl")
            .args(["x509", "-noout", "-text", "-in", &l])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains("othername: UPN:user@contoso.com") || text.contains("UPN"),
            "{text}"
        );
        assert!(text.contains("IP Address:2001:DB8:0:0:0:0:0:1"), "{text}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn issuer_checks() {
    let root_key = p256();
    let root = self_signed(&root_key, &ca_profile("CN=Root", None)).unwrap();
    let leaf = self_signed(&root_key, &leaf_profile("CN=not a ca")).unwrap();
    let other = key(KeySpec::Ec {
        curve: CurveName::P384,
    });
    let profile = leaf_profile("CN=x");
    assert!(matches!(
        issue_for_key(&other, &profile, &other, &root),
        Err(CryptoError::InvalidKey(_))
    ));
    assert!(matches!(
        issue_for_key(&other, &profile, &root_key, &leaf),
        Err(CryptoError::InvalidCertificate(_))
    ));
    assert!(matches!(
        issue_for_key(&other, &profile, &root_key, b"junk"),
        Err(CryptoError::InvalidCertificate(_))
    ));
    assert!(matches!(
        sign_csr(b"junk", &profile, &root_key, &root),
        Err(CryptoError::InvalidCsr(_))
    ));
}

#[test]
fn bad_profiles_are_errors() {
    let k = p256();
    let base = leaf_profile("CN=x");
    let mut p = base.clone();
    p.ekus = vec!["serverAuth".into()];
    assert!(matches!(
        self_signed(&k, &p),
        Err(CryptoError::InvalidName(_))
    ));
    let mut p = base.clone();
    p.subject = "nonsense".into();
    assert!(matches!(
        self_signed(&k, &p),
        Err(CryptoError::InvalidName(_))
    ));
    for sans in [
        SubjectAlternativeNames {
            dns_names: Some(vec!["bad name".into()]),
            ..Default::default()
        },
        SubjectAlternativeNames {
            emails: Some(vec!["nobody".into()]),
            ..Default::default()
        },
        SubjectAlternativeNames {
            uris: Some(vec!["no-scheme".into()]),
            ..Default::default()
        },
        SubjectAlternativeNames {
            ip_addresses: Some(vec!["300.1.1.1".into()]),
            ..Default::default()
        },
        SubjectAlternativeNames {
            upns: Some(vec![" ".into()]),
            ..Default::default()
        },
    ] {
        let mut p = base.clone();
        p.sans = sans.clone();
        assert!(
            matches!(self_signed(&k, &p), Err(CryptoError::InvalidName(_))),
            "{sans:?}"
        );
    }
    let mut p = base.clone();
    p.not_after = p.not_before;
    assert!(matches!(
        self_signed(&k, &p),
        Err(CryptoError::InvalidCertificate(_))
    ));
}

#[test]
fn far_future_dates_use_generalized_time() {
    let mut p = leaf_profile("CN=long");
    p.not_after = time::macros::datetime!(2099-12-31 23:59:59 UTC);
    let info = parse_certificate(&self_signed(&p256(), &p).unwrap()).unwrap();
    assert_eq!(info.not_after, p.not_after.unix_timestamp());
}
