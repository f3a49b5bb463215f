//! Issuing X.509 v3 certificates from a [`CertProfile`]: self-signed, signed by a CA for one
//! of our keys, or signed by a CA for the public key of a PKCS#10 request. Also the extension
//! encoders (KeyUsage, EKU, SAN, basicConstraints) that CSRs reuse.
//!
//! Every certificate gets a random positive 127-bit serial, subjectKeyIdentifier and
//! authorityKeyIdentifier (SHA-1 of the public key bits, RFC 5280 method 1, or the issuer's own
//! SKI), and is signed with sha256WithRSAEncryption or ECDSA with the hash matching the curve.

use super::dn::{parse_dn, DistinguishedName};
use super::keys::spki_parts;
use super::parse::{
    parse_x509, Extensions, KEY_USAGE_BITS, OID_AKI, OID_BASIC_CONSTRAINTS, OID_EKU, OID_KEY_USAGE,
    OID_SAN, OID_SKI, OID_UPN,
};
use super::{csr, der, CryptoError, PrivateKey};
use crate::models::{KeyUsage, SubjectAlternativeNames};
use aws_lc_rs::digest;
use std::net::IpAddr;
use time::OffsetDateTime;

/// What goes into a certificate besides the keys.
#[derive(Debug, Clone, PartialEq)]
pub struct CertProfile {
    /// X.500 DN text as Key Vault accepts it (see [`parse_dn`]); may be empty when SANs exist.
    pub subject: String,
    pub sans: SubjectAlternativeNames,
    /// Dotted OIDs.
    pub ekus: Vec<String>,
    /// Empty means no KeyUsage extension.
    pub key_usage: Vec<KeyUsage>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// basicConstraints CA:true (with `path_len`), else CA:false.
    pub is_ca: bool,
    pub path_len: Option<u8>,
}

fn extension(oid: &str, critical: bool, value: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let oid = der::oid_from_str(oid)
        .ok_or_else(|| CryptoError::Internal(format!("bad OID constant {oid}")))?;
    let value = der::octet_string(value);
    Ok(if critical {
        der::sequence(&[&oid, &der::boolean(true), &value])
    } else {
        der::sequence(&[&oid, &value])
    })
}

fn bad_name(msg: String) -> CryptoError {
    CryptoError::InvalidName(msg)
}

/// The GeneralNames of a SAN extension; `None` when there are no names.
fn san_value(sans: &SubjectAlternativeNames) -> Result<Option<Vec<u8>>, CryptoError> {
    let list = |l: &Option<Vec<String>>| l.clone().unwrap_or_default();
    let mut names: Vec<Vec<u8>> = Vec::new();
    for dns in list(&sans.dns_names) {
        let d = dns.trim();
        let ok = !d.is_empty()
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*' | '_'));
        if !ok {
            return Err(bad_name(format!("'{dns}' is not a valid DNS name.")));
        }
        names.push(der::tlv(der::ctx_prim(2), d.as_bytes()));
    }
    for email in list(&sans.emails) {
        let e = email.trim();
        if e.is_empty() || !e.is_ascii() || e.contains(char::is_whitespace) || !e.contains('@') {
            return Err(bad_name(format!("'{email}' is not a valid email address.")));
        }
        names.push(der::tlv(der::ctx_prim(1), e.as_bytes()));
    }
    for upn in list(&sans.upns) {
        let u = upn.trim();
        if u.is_empty() {
            return Err(bad_name(
                "A UPN in the subject alternative names is empty.".into(),
            ));
        }
        let oid = der::oid_from_str(OID_UPN)
            .ok_or_else(|| CryptoError::Internal("bad UPN OID".into()))?;
        let value = der::tlv(
            der::ctx_cons(0),
            &der::tlv(der::TAG_UTF8_STRING, u.as_bytes()),
        );
        names.push(der::cons(der::ctx_cons(0), &[&oid, &value]));
    }
    for uri in list(&sans.uris) {
        let u = uri.trim();
        let scheme_ok = u.split_once(':').is_some_and(|(s, _)| {
            s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        });
        if !scheme_ok || !u.is_ascii() || u.contains(char::is_whitespace) {
            return Err(bad_name(format!("'{uri}' is not a valid absolute URI.")));
        }
        names.push(der::tlv(der::ctx_prim(6), u.as_bytes()));
    }
    for ip in list(&sans.ip_addresses) {
        let addr: IpAddr = ip
            .trim()
            .parse()
            .map_err(|_| bad_name(format!("'{ip}' is not a valid IPv4 or IPv6 address.")))?;
        let octets = match addr {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        };
        names.push(der::tlv(der::ctx_prim(7), &octets));
    }
    if names.is_empty() {
        return Ok(None);
    }
    Ok(Some(der::sequence(
        &names.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    )))
}

fn eku_value(ekus: &[String]) -> Result<Vec<u8>, CryptoError> {
    let oids = ekus
        .iter()
        .map(|e| {
            der::oid_from_str(e).ok_or_else(|| {
                bad_name(format!("'{e}' is not a valid extended key usage; use a dotted OID such as 1.3.6.1.5.5.7.3.1."))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(der::sequence(
        &oids.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    ))
}

fn key_usage_value(kus: &[KeyUsage]) -> Vec<u8> {
    let bits: Vec<usize> = KEY_USAGE_BITS
        .iter()
        .filter(|(ku, _)| kus.contains(ku))
        .map(|(_, b)| *b)
        .collect();
    der::named_bits(&bits)
}

/// Parses the subject and checks that the certificate will have a name at all.
pub(crate) fn profile_subject(profile: &CertProfile) -> Result<DistinguishedName, CryptoError> {
    let dn = parse_dn(&profile.subject)?;
    if dn.is_empty() && profile.sans.is_empty() {
        return Err(bad_name(
            "A subject or at least one subject alternative name is required.".into(),
        ));
    }
    Ok(dn)
}

/// basicConstraints, KeyUsage, EKU and SAN extensions of a profile (certificates and CSRs).
pub(crate) fn profile_extensions(
    profile: &CertProfile,
    subject_empty: bool,
) -> Result<Vec<Vec<u8>>, CryptoError> {
    let mut exts = Vec::new();
    let bc = if profile.is_ca {
        match profile.path_len {
            Some(n) => der::sequence(&[&der::boolean(true), &der::small_uint(u64::from(n))]),
            None => der::sequence(&[&der::boolean(true)]),
        }
    } else {
        der::sequence(&[])
    };
    exts.push(extension(OID_BASIC_CONSTRAINTS, profile.is_ca, &bc)?);
    if !profile.key_usage.is_empty() {
        exts.push(extension(
            OID_KEY_USAGE,
            true,
            &key_usage_value(&profile.key_usage),
        )?);
    }
    if !profile.ekus.is_empty() {
        exts.push(extension(OID_EKU, false, &eku_value(&profile.ekus)?)?);
    }
    if let Some(san) = san_value(&profile.sans)? {
        // RFC 5280: critical when the subject is empty.
        exts.push(extension(OID_SAN, subject_empty, &san)?);
    }
    Ok(exts)
}

/// RFC 5280 method 1 key identifier: SHA-1 of the subjectPublicKey bits.
fn key_id(spki: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let (_, _, bits) = spki_parts(spki)
        .ok_or_else(|| CryptoError::InvalidKey("The public key is malformed.".into()))?;
    Ok(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, bits)
        .as_ref()
        .to_vec())
}

fn random_serial() -> Result<Vec<u8>, CryptoError> {
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial)
        .map_err(|_| CryptoError::Internal("random generator failed".into()))?;
    serial[0] &= 0x7f;
    if serial[0] == 0 {
        serial[0] = 0x01;
    }
    Ok(der::uint(&serial))
}

/// The issuer side of a signature: its name bytes, key identifier and key.
struct Issuer<'a> {
    name_der: Vec<u8>,
    key_id: Vec<u8>,
    key: &'a PrivateKey,
}

impl<'a> Issuer<'a> {
    /// From a CA certificate: the name is copied byte for byte so chains link by name.
    fn from_cert(key: &'a PrivateKey, cert_der: &[u8]) -> Result<Self, CryptoError> {
        let cert = parse_x509(cert_der)?;
        let tbs = &cert.tbs_certificate;
        let exts = Extensions::read(tbs.extensions(), "issuer certificate")
            .map_err(CryptoError::InvalidCertificate)?;
        if !exts.is_ca {
            return Err(CryptoError::InvalidCertificate(
                "The issuer certificate is not a CA certificate (basicConstraints CA:true is missing).".into(),
            ));
        }
        let cert_key = spki_parts(tbs.subject_pki.raw).map(|(_, _, bits)| bits);
        let our_key = spki_parts(key.spki_der()).map(|(_, _, bits)| bits);
        if cert_key.is_none() || cert_key != our_key {
            return Err(CryptoError::InvalidKey(
                "The issuer key does not match the issuer certificate.".into(),
            ));
        }
        let key_id = match exts.ski {
            Some(ski) => ski,
            None => key_id(tbs.subject_pki.raw)?,
        };
        Ok(Issuer {
            name_der: tbs.subject.as_raw().to_vec(),
            key_id,
            key,
        })
    }
}

fn build_certificate(
    subject_spki: &[u8],
    profile: &CertProfile,
    issuer: Option<Issuer<'_>>,
    self_key: &PrivateKey,
) -> Result<Vec<u8>, CryptoError> {
    if profile.not_after <= profile.not_before {
        return Err(CryptoError::InvalidCertificate(
            "The certificate must end after it starts (not_after <= not_before).".into(),
        ));
    }
    let subject = profile_subject(profile)?;
    let subject_der = subject.to_der()?;
    let subject_key_id = key_id(subject_spki)?;
    let issuer = match issuer {
        Some(i) => i,
        None => Issuer {
            name_der: subject_der.clone(),
            key_id: subject_key_id.clone(),
            key: self_key,
        },
    };
    let mut exts = profile_extensions(profile, subject.is_empty())?;
    exts.push(extension(
        OID_SKI,
        false,
        &der::octet_string(&subject_key_id),
    )?);
    let aki = der::sequence(&[&der::tlv(der::ctx_prim(0), &issuer.key_id)]);
    exts.push(extension(OID_AKI, false, &aki)?);

    let sig_alg = issuer.key.x509_signature_algorithm()?;
    let version = der::tlv(der::ctx_cons(0), &der::small_uint(2));
    let validity = der::sequence(&[
        &der::time(profile.not_before),
        &der::time(profile.not_after),
    ]);
    let extensions = der::tlv(
        der::ctx_cons(3),
        &der::sequence(&exts.iter().map(Vec::as_slice).collect::<Vec<_>>()),
    );
    let tbs = der::sequence(&[
        &version,
        &random_serial()?,
        &sig_alg,
        &issuer.name_der,
        &validity,
        &subject_der,
        subject_spki,
        &extensions,
    ]);
    let signature = issuer.key.sign_x509(&tbs)?;
    Ok(der::sequence(&[
        &tbs,
        &sig_alg,
        &der::bit_string(&signature),
    ]))
}

/// A self-signed certificate for `key` (DER).
pub fn self_signed(key: &PrivateKey, profile: &CertProfile) -> Result<Vec<u8>, CryptoError> {
    build_certificate(key.spki_der(), profile, None, key)
}

/// A certificate for `subject_key` signed by the CA (`issuer_key`, `issuer_cert_der`). The
/// issuer name is copied from the CA certificate and the AKI is its SKI.
pub fn issue_for_key(
    subject_key: &PrivateKey,
    profile: &CertProfile,
    issuer_key: &PrivateKey,
    issuer_cert_der: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let issuer = Issuer::from_cert(issuer_key, issuer_cert_der)?;
    build_certificate(subject_key.spki_der(), profile, Some(issuer), issuer_key)
}

/// A certificate for the public key of a PKCS#10 request, after checking the request's
/// signature. Names and extensions come from `profile`, not from the request.
pub fn sign_csr(
    csr_der: &[u8],
    profile: &CertProfile,
    issuer_key: &PrivateKey,
    issuer_cert_der: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let spki = csr::verified_csr_spki(csr_der)?;
    let issuer = Issuer::from_cert(issuer_key, issuer_cert_der)?;
    build_certificate(&spki, profile, Some(issuer), issuer_key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::parse::verify_certificate_signature;
    use crate::crypto::test_support::{ca_profile, key, leaf_profile, p256, rsa2048};
    use crate::crypto::{build_csr, parse_certificate, KeySpec};
    use crate::models::CurveName;
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
        assert_eq!(
            crate::crypto::keys::jwk_from_spki(&info.spki_der).unwrap(),
            rsa.public_jwk()
        );
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
        let root =
            self_signed(&root_key, &ca_profile("CN=Test Root, O=Emulator", Some(1))).unwrap();
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
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(s) => {
                    Some(s.0.to_vec())
                }
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
            std::fs::write(&p, crate::crypto::pem_encode("CERTIFICATE", der)).unwrap();
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
        if let Ok(out) = out {
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
}
