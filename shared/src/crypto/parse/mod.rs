//! Reading certificates: [`parse_certificate`] into [`CertInfo`], [`x5t`], the extension
//! decoders shared with CSR parsing (SAN, EKU, KeyUsage, basicConstraints, SKI), and
//! verification of X.509 signatures (certificates and CSRs) with aws-lc-rs.

use super::der;
use super::dn::DistinguishedName;
use super::error::CryptoError;
use super::keys::{spki_key_spec, KeySpec};
use crate::b64;
use crate::models::{CurveName, KeyUsage, SubjectAlternativeNames};
use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use std::net::{Ipv4Addr, Ipv6Addr};
use x509_parser::prelude::{FromDer, X509Certificate, X509Extension};

pub(crate) const OID_SAN: &str = "2.5.29.17";
pub(crate) const OID_EKU: &str = "2.5.29.37";
pub(crate) const OID_KEY_USAGE: &str = "2.5.29.15";
pub(crate) const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
pub(crate) const OID_SKI: &str = "2.5.29.14";
pub(crate) const OID_AKI: &str = "2.5.29.35";
pub(crate) const OID_UPN: &str = "1.3.6.1.4.1.311.20.2.3";

/// KeyUsage bit positions (RFC 5280 §4.2.1.3).
pub(crate) const KEY_USAGE_BITS: [(KeyUsage, usize); 9] = [
    (KeyUsage::DigitalSignature, 0),
    (KeyUsage::NonRepudiation, 1),
    (KeyUsage::KeyEncipherment, 2),
    (KeyUsage::DataEncipherment, 3),
    (KeyUsage::KeyAgreement, 4),
    (KeyUsage::KeyCertSign, 5),
    (KeyUsage::CrlSign, 6),
    (KeyUsage::EncipherOnly, 7),
    (KeyUsage::DecipherOnly, 8),
];

/// What [`parse_certificate`] reports.
#[derive(Debug, Clone, PartialEq)]
pub struct CertInfo {
    /// Normalized DN text (see [`super::parse_dn`]); empty when the subject is empty.
    pub subject: String,
    pub issuer: String,
    /// Uppercase hex of the serial number, leading zero bytes removed.
    pub serial_hex: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    pub spki_der: Vec<u8>,
    /// Each list is `None` when the certificate has no entry of that kind.
    pub sans: SubjectAlternativeNames,
    /// Dotted OIDs in certificate order.
    pub ekus: Vec<String>,
    /// Empty when there is no KeyUsage extension.
    pub key_usage: Vec<KeyUsage>,
    /// `None` for keys other than RSA and EC P-256/384/521/P-256K.
    pub key_spec: Option<KeySpec>,
    /// basicConstraints CA:true.
    pub is_ca: bool,
    /// Subject and issuer names are identical.
    pub self_issued: bool,
}

/// Extension contents this crate cares about.
#[derive(Debug, Default)]
pub(crate) struct Extensions {
    pub sans: SubjectAlternativeNames,
    pub ekus: Vec<String>,
    pub key_usage: Vec<KeyUsage>,
    pub is_ca: bool,
    pub ski: Option<Vec<u8>>,
}

impl Extensions {
    pub fn read(exts: &[X509Extension<'_>], what: &str) -> Result<Self, String> {
        let mut out = Extensions::default();
        let mut emails = Vec::new();
        let mut dns = Vec::new();
        let mut upns = Vec::new();
        let mut uris = Vec::new();
        let mut ips = Vec::new();
        for ext in exts {
            let oid = ext.oid.to_id_string();
            let bad = |name: &str| format!("The {what} has a malformed {name} extension.");
            match oid.as_str() {
                OID_SAN => {
                    let seq = der::single(ext.value, der::TAG_SEQUENCE)
                        .ok_or_else(|| bad("subjectAltName"))?;
                    let mut r = der::Reader::new(seq.content);
                    while !r.is_empty() {
                        let gn = r.next_element().ok_or_else(|| bad("subjectAltName"))?;
                        let text = || {
                            String::from_utf8(gn.content.to_vec())
                                .map_err(|_| bad("subjectAltName"))
                        };
                        match gn.tag {
                            0x81 => emails.push(text()?),
                            0x82 => dns.push(text()?),
                            0x86 => uris.push(text()?),
                            0x87 => match gn.content.len() {
                                4 => ips.push(
                                    Ipv4Addr::from(
                                        <[u8; 4]>::try_from(gn.content).unwrap_or_default(),
                                    )
                                    .to_string(),
                                ),
                                16 => ips.push(
                                    Ipv6Addr::from(
                                        <[u8; 16]>::try_from(gn.content).unwrap_or_default(),
                                    )
                                    .to_string(),
                                ),
                                _ => return Err(bad("subjectAltName")),
                            },
                            0xa0 => {
                                if let Some(upn) = read_upn(gn.content) {
                                    upns.push(upn);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                OID_EKU => {
                    let seq = der::single(ext.value, der::TAG_SEQUENCE)
                        .ok_or_else(|| bad("extendedKeyUsage"))?;
                    let mut r = der::Reader::new(seq.content);
                    while !r.is_empty() {
                        let el = r
                            .next_tagged(der::TAG_OID)
                            .ok_or_else(|| bad("extendedKeyUsage"))?;
                        out.ekus.push(
                            der::oid_to_string(el.content)
                                .ok_or_else(|| bad("extendedKeyUsage"))?,
                        );
                    }
                }
                OID_KEY_USAGE => {
                    let bits = der::single(ext.value, der::TAG_BIT_STRING)
                        .ok_or_else(|| bad("keyUsage"))?;
                    let bytes = bits.content.get(1..).ok_or_else(|| bad("keyUsage"))?;
                    out.key_usage = KEY_USAGE_BITS
                        .iter()
                        .filter(|(_, bit)| {
                            bytes
                                .get(bit / 8)
                                .is_some_and(|b| b & (0x80 >> (bit % 8)) != 0)
                        })
                        .map(|(ku, _)| *ku)
                        .collect();
                }
                OID_BASIC_CONSTRAINTS => {
                    let seq = der::single(ext.value, der::TAG_SEQUENCE)
                        .ok_or_else(|| bad("basicConstraints"))?;
                    let mut r = der::Reader::new(seq.content);
                    if let Some(first) = r.next_element() {
                        out.is_ca = first.tag == der::TAG_BOOLEAN
                            && first.content.first().is_some_and(|b| *b != 0);
                    }
                }
                OID_SKI => {
                    let os = der::single(ext.value, der::TAG_OCTET_STRING)
                        .ok_or_else(|| bad("subjectKeyIdentifier"))?;
                    out.ski = Some(os.content.to_vec());
                }
                _ => {}
            }
        }
        let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
        out.sans = SubjectAlternativeNames {
            emails: some(emails),
            dns_names: some(dns),
            upns: some(upns),
            uris: some(uris),
            ip_addresses: some(ips),
        };
        Ok(out)
    }
}

/// The UPN of an otherName (`type-id` 1.3.6.1.4.1.311.20.2.3, `[0] EXPLICIT UTF8String`).
fn read_upn(content: &[u8]) -> Option<String> {
    let mut r = der::Reader::new(content);
    let oid = der::oid_to_string(r.next_tagged(der::TAG_OID)?.content)?;
    if oid != OID_UPN {
        return None;
    }
    let explicit = r.next_tagged(der::ctx_cons(0))?;
    let inner = der::single(explicit.content, der::TAG_UTF8_STRING)?;
    String::from_utf8(inner.content.to_vec()).ok()
}

pub(crate) fn name_text(raw: &[u8], what: &str) -> Result<String, String> {
    DistinguishedName::from_der(raw)
        .map(|dn| dn.to_string())
        .ok_or_else(|| format!("The {what} has a malformed name."))
}

pub(crate) fn parse_x509(der_bytes: &[u8]) -> Result<X509Certificate<'_>, CryptoError> {
    let (rest, cert) = X509Certificate::from_der(der_bytes).map_err(|_| {
        CryptoError::InvalidCertificate(
            "The certificate is not a valid DER-encoded X.509 certificate.".into(),
        )
    })?;
    if !rest.is_empty() {
        return Err(CryptoError::InvalidCertificate(
            "Unexpected data follows the certificate.".into(),
        ));
    }
    Ok(cert)
}

/// Reads a DER certificate. Does not check its signature or validity period.
pub fn parse_certificate(der_bytes: &[u8]) -> Result<CertInfo, CryptoError> {
    let cert = parse_x509(der_bytes)?;
    let invalid = CryptoError::InvalidCertificate;
    let tbs = &cert.tbs_certificate;
    let subject_raw = tbs.subject.as_raw();
    let issuer_raw = tbs.issuer.as_raw();
    let exts = Extensions::read(tbs.extensions(), "certificate").map_err(invalid)?;
    let serial = tbs.raw_serial();
    let skip = serial
        .iter()
        .take_while(|b| **b == 0)
        .count()
        .min(serial.len().saturating_sub(1));
    let spki_der = tbs.subject_pki.raw.to_vec();
    Ok(CertInfo {
        subject: name_text(subject_raw, "certificate subject").map_err(invalid)?,
        issuer: name_text(issuer_raw, "certificate issuer").map_err(invalid)?,
        serial_hex: hex::encode_upper(&serial[skip..]),
        not_before: tbs.validity.not_before.timestamp(),
        not_after: tbs.validity.not_after.timestamp(),
        key_spec: spki_key_spec(&spki_der),
        spki_der,
        sans: exts.sans,
        ekus: exts.ekus,
        key_usage: exts.key_usage,
        is_ca: exts.is_ca,
        self_issued: subject_raw == issuer_raw,
    })
}

/// `x5t`: base64url (no padding) SHA-1 thumbprint of the DER certificate.
pub fn x5t(der_bytes: &[u8]) -> String {
    b64::url_encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der_bytes).as_ref())
}

/// The hash named by the parameters of RSASSA-PSS (`[0] hashAlgorithm`; SHA-1 by default).
fn pss_hash(params: Option<&[u8]>) -> Option<String> {
    let mut r = der::Reader::new(params?);
    let hash = r.next_tagged(der::ctx_cons(0))?;
    let alg = der::single(hash.content, der::TAG_SEQUENCE)?;
    der::oid_to_string(
        der::Reader::new(alg.content)
            .next_tagged(der::TAG_OID)?
            .content,
    )
}

/// Verifies an X.509 signature (certificate or CSR) made by the key in `signer_spki`.
/// `params` is the content of the AlgorithmIdentifier parameters (RSASSA-PSS only).
pub(crate) fn verify_x509_signature(
    signer_spki: &[u8],
    sig_alg_oid: &str,
    params: Option<&[u8]>,
    signature_bytes: &[u8],
    signed_data: &[u8],
) -> Result<(), CryptoError> {
    let unsupported = || {
        CryptoError::Unsupported(format!(
            "The signature algorithm {sig_alg_oid} is not supported."
        ))
    };
    let spec = spki_key_spec(signer_spki);
    let curve = match spec {
        Some(KeySpec::Ec { curve }) => Some(curve),
        _ => None,
    };
    let alg: &'static dyn VerificationAlgorithm = match (sig_alg_oid, curve) {
        ("1.2.840.113549.1.1.5", None) => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        ("1.2.840.113549.1.1.11", None) => &signature::RSA_PKCS1_2048_8192_SHA256,
        ("1.2.840.113549.1.1.12", None) => &signature::RSA_PKCS1_2048_8192_SHA384,
        ("1.2.840.113549.1.1.13", None) => &signature::RSA_PKCS1_2048_8192_SHA512,
        ("1.2.840.113549.1.1.10", None) => match pss_hash(params).as_deref() {
            Some("2.16.840.1.101.3.4.2.1") => &signature::RSA_PSS_2048_8192_SHA256,
            Some("2.16.840.1.101.3.4.2.2") => &signature::RSA_PSS_2048_8192_SHA384,
            Some("2.16.840.1.101.3.4.2.3") => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return Err(unsupported()),
        },
        ("1.2.840.10045.4.3.2", Some(CurveName::P256)) => &signature::ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Some(CurveName::P256)) => &signature::ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", Some(CurveName::P256)) => &signature::ECDSA_P256_SHA512_ASN1,
        ("1.2.840.10045.4.3.2", Some(CurveName::P384)) => &signature::ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Some(CurveName::P384)) => &signature::ECDSA_P384_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", Some(CurveName::P384)) => &signature::ECDSA_P384_SHA512_ASN1,
        ("1.2.840.10045.4.3.2", Some(CurveName::P521)) => &signature::ECDSA_P521_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", Some(CurveName::P521)) => &signature::ECDSA_P521_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", Some(CurveName::P521)) => &signature::ECDSA_P521_SHA512_ASN1,
        _ => return Err(unsupported()),
    };
    UnparsedPublicKey::new(alg, signer_spki)
        .verify(signed_data, signature_bytes)
        .map_err(|_| CryptoError::InvalidCertificate("The signature does not verify.".into()))
}

/// Checks that `cert_der` was signed by the key of the certificate `issuer_der` (signature
/// only: names, validity and constraints are not checked). `InvalidCertificate` when it was not.
pub fn verify_certificate_signature(cert_der: &[u8], issuer_der: &[u8]) -> Result<(), CryptoError> {
    let cert = parse_x509(cert_der)?;
    let issuer = parse_x509(issuer_der)?;
    verify_x509_signature(
        issuer.tbs_certificate.subject_pki.raw,
        &cert.signature_algorithm.algorithm.to_id_string(),
        cert.signature_algorithm.parameters.as_ref().map(|p| p.data),
        &cert.signature_value.data,
        cert.tbs_certificate.as_ref(),
    )
}

#[cfg(test)]
mod tests;
