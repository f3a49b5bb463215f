//! PKCS#10 certification requests: building one for a pending certificate operation (subject,
//! public key, extensionRequest with basicConstraints, KeyUsage, EKU and SAN, signed by the
//! key) and reading one back with its signature checked.

use super::der;
use super::error::CryptoError;
use super::keys::{spki_key_spec, KeySpec, PrivateKey};
use super::parse::{name_text, verify_x509_signature, Extensions};
use super::profile::{profile_extensions, profile_subject, CertProfile};
use crate::models::{KeyUsage, SubjectAlternativeNames};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::cri_attributes::ParsedCriAttribute;
use x509_parser::prelude::FromDer;

const OID_EXTENSION_REQUEST: &str = "1.2.840.113549.1.9.14";

/// What [`parse_csr`] reports.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrInfo {
    /// Normalized DN text; empty for an empty subject.
    pub subject: String,
    /// From the extensionRequest; each list `None` when empty.
    pub sans: SubjectAlternativeNames,
    pub spki_der: Vec<u8>,
    pub key_usage: Vec<KeyUsage>,
    pub ekus: Vec<String>,
    pub key_spec: Option<KeySpec>,
}

/// A PKCS#10 request (DER) for `key` with the profile's subject and extensions. The validity
/// dates of the profile are not used.
pub fn build_csr(key: &PrivateKey, profile: &CertProfile) -> Result<Vec<u8>, CryptoError> {
    let subject = profile_subject(profile)?;
    let exts = profile_extensions(profile, subject.is_empty())?;
    let ext_req_oid = der::oid_from_str(OID_EXTENSION_REQUEST)
        .ok_or_else(|| CryptoError::Internal("bad OID constant".into()))?;
    let extensions = der::sequence(&exts.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let attribute = der::sequence(&[&ext_req_oid, &der::set_of(vec![extensions])]);
    let info = der::sequence(&[
        &der::small_uint(0),
        &subject.to_der()?,
        key.spki_der(),
        &der::tlv(der::ctx_cons(0), &attribute),
    ]);
    let sig_alg = key.x509_signature_algorithm()?;
    let signature = key.sign_x509(&info)?;
    Ok(der::sequence(&[
        &info,
        &sig_alg,
        &der::bit_string(&signature),
    ]))
}

fn parse_verified(der_bytes: &[u8]) -> Result<X509CertificationRequest<'_>, CryptoError> {
    let (rest, csr) = X509CertificationRequest::from_der(der_bytes).map_err(|_| {
        CryptoError::InvalidCsr("The CSR is not a valid DER-encoded PKCS#10 request.".into())
    })?;
    if !rest.is_empty() {
        return Err(CryptoError::InvalidCsr(
            "Unexpected data follows the CSR.".into(),
        ));
    }
    let info = &csr.certification_request_info;
    verify_x509_signature(
        info.subject_pki.raw,
        &csr.signature_algorithm.algorithm.to_id_string(),
        csr.signature_algorithm.parameters.as_ref().map(|p| p.data),
        &csr.signature_value.data,
        info.raw,
    )
    .map_err(|e| match e {
        CryptoError::Unsupported(m) => {
            CryptoError::InvalidCsr(format!("The CSR cannot be checked: {m}"))
        }
        _ => CryptoError::InvalidCsr(
            "The CSR signature does not verify against its public key.".into(),
        ),
    })?;
    Ok(csr)
}

/// The SubjectPublicKeyInfo of a request whose signature verifies.
pub(crate) fn verified_csr_spki(der_bytes: &[u8]) -> Result<Vec<u8>, CryptoError> {
    Ok(parse_verified(der_bytes)?
        .certification_request_info
        .subject_pki
        .raw
        .to_vec())
}

/// Reads a DER PKCS#10 request and checks its signature.
pub fn parse_csr(der_bytes: &[u8]) -> Result<CsrInfo, CryptoError> {
    let csr = parse_verified(der_bytes)?;
    let info = &csr.certification_request_info;
    let mut exts = Extensions::default();
    for attr in info.iter_attributes() {
        if let ParsedCriAttribute::ExtensionRequest(req) = attr.parsed_attribute() {
            exts = Extensions::read(&req.extensions, "CSR").map_err(CryptoError::InvalidCsr)?;
        }
    }
    let spki_der = info.subject_pki.raw.to_vec();
    Ok(CsrInfo {
        subject: name_text(info.subject.as_raw(), "CSR subject")
            .map_err(CryptoError::InvalidCsr)?,
        sans: exts.sans,
        key_spec: spki_key_spec(&spki_der),
        spki_der,
        key_usage: exts.key_usage,
        ekus: exts.ekus,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::pem::{pem_blocks, pem_encode};
    use crate::crypto::test_support::{leaf_profile, p256, rsa2048};
    use crate::models::KeyUsage;

    #[test]
    fn build_then_parse_round_trips() {
        let k = p256();
        let mut profile = leaf_profile("CN=csr.example, O=Contoso, C=US");
        profile.sans = SubjectAlternativeNames {
            emails: Some(vec!["a@contoso.com".into()]),
            dns_names: Some(vec!["csr.example".into()]),
            upns: Some(vec!["u@contoso.com".into()]),
            uris: Some(vec!["urn:example:1".into()]),
            ip_addresses: Some(vec!["192.0.2.1".into(), "::1".into()]),
        };
        profile.ekus = vec!["1.3.6.1.5.5.7.3.2".into(), "1.2.3.4".into()];
        profile.key_usage = vec![KeyUsage::DigitalSignature, KeyUsage::KeyAgreement];
        let csr = build_csr(&k, &profile).unwrap();
        let info = parse_csr(&csr).unwrap();
        assert_eq!(info.subject, profile.subject);
        assert_eq!(info.sans, profile.sans);
        assert_eq!(info.ekus, profile.ekus);
        assert_eq!(info.key_usage, profile.key_usage);
        assert_eq!(info.spki_der, k.spki_der());
        assert_eq!(info.key_spec, Some(k.spec()));
        // x509-parser agrees on the signature.
        let (_, x) = X509CertificationRequest::from_der(&csr).unwrap();
        x.verify_signature().unwrap();
    }

    #[test]
    fn rsa_csr_verifies() {
        let k = rsa2048();
        let csr = build_csr(&k, &leaf_profile("CN=rsa")).unwrap();
        let info = parse_csr(&csr).unwrap();
        assert_eq!(info.key_spec, Some(KeySpec::Rsa { bits: 2048 }));
        assert_eq!(info.sans.dns_names.as_ref().unwrap().len(), 2);
        // OpenSSL accepts it too (the CLI is required; .ci/run installs it).
        {
            let out = openssl(&["req", "-verify", "-noout", "-inform", "DER"], &csr)
                .expect("the openssl CLI is needed for this test (.ci/run installs it)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn openssl(args: &[&str], input: &[u8]) -> std::io::Result<std::process::Output> {
        use std::io::Write;
        let mut child = std::process::Command::new("openssl")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        child.stdin.take().unwrap().write_all(input)?;
        child.wait_with_output()
    }

    #[test]
    fn tampered_or_garbage_csr_is_rejected() {
        let csr = build_csr(&p256(), &leaf_profile("CN=tamper")).unwrap();
        let pem = pem_encode("CERTIFICATE REQUEST", &csr);
        assert_eq!(pem_blocks(&pem)[0].1, csr);
        let pos = csr.windows(6).position(|w| w == b"tamper").unwrap();
        let mut bad = csr.clone();
        bad[pos] = b'T';
        assert!(
            matches!(parse_csr(&bad), Err(CryptoError::InvalidCsr(m)) if m.contains("signature"))
        );
        for junk in [&b""[..], b"junk", &csr[..csr.len() - 1]] {
            assert!(matches!(parse_csr(junk), Err(CryptoError::InvalidCsr(_))));
        }
    }
}
