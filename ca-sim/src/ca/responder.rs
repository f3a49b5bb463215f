//! The delegated OCSP responder of one CA (RFC 6960 §4.2.2.2): a P-256 key and a certificate
//! the CA signs with EKU id-kp-OCSPSigning and id-pkix-ocsp-nocheck, so clients trust its
//! answers without asking about the responder itself. Kept beside the CA's own files as
//! `ocsp-{ca id}.pem` / `.key`, and made again when missing or no longer signed by that CA (a
//! new hierarchy). Also holds what a CertID names the CA by: its subject and key bits.

use super::der;
use crate::error::{Error, Result};
use crate::store::files;
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SigningKey,
};
use shared::crypto::{self, KeySpec, PrivateKey};
use shared::models::CurveName;
use std::path::Path;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

/// id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
const OID_OCSP_NOCHECK: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 5];

/// A CA's delegated responder, and the CA's names a CertID is matched against.
pub struct Responder {
    /// The responder certificate (DER), sent in every response's `certs`.
    pub cert_der: Vec<u8>,
    key: KeyPair,
    /// The CA's subject Name (DER): CertID.issuerNameHash hashes it.
    pub ca_subject_der: Vec<u8>,
    /// The CA's subjectPublicKey bits: CertID.issuerKeyHash hashes them.
    pub ca_key_bits: Vec<u8>,
    /// The responder's own subjectPublicKey bits (ResponderID byKey hashes them).
    pub key_bits: Vec<u8>,
}

impl Responder {
    /// Loads the responder of CA `ca_id` from `dir` when the CA signed it, else makes (and,
    /// with a dir, saves) a new one.
    pub fn load_or_create(
        dir: Option<&Path>,
        ca_id: &str,
        ca_common_name: &str,
        ca_key: &PrivateKey,
        ca_der: &[u8],
    ) -> Result<Self> {
        let id = format!("ocsp-{ca_id}");
        let loaded = dir
            .and_then(|d| files::read_ca(d, &id))
            .filter(|(_, der)| crypto::verify_certificate_signature(der, ca_der).is_ok());
        let (key, cert_der) = match loaded {
            Some(pair) => pair,
            None => {
                let key = PrivateKey::generate(KeySpec::Ec {
                    curve: CurveName::P256,
                })?;
                let der = issue(&key, ca_common_name, ca_key, ca_der)?;
                if let Some(d) = dir {
                    files::write_ca(d, &id, &key, &der)?;
                }
                (key, der)
            }
        };
        let (ca_subject_der, ca_key_bits) = names(ca_der)?;
        let (_, key_bits) = names(&cert_der)?;
        Ok(Self {
            cert_der,
            key: KeyPair::try_from(key.pkcs8_der())?,
            ca_subject_der,
            ca_key_bits,
            key_bits,
        })
    }

    /// The AlgorithmIdentifier of [`Self::sign`]: ecdsa-with-SHA256, no parameters
    /// (RFC 5758 §3.2).
    pub fn signature_algorithm(&self) -> Vec<u8> {
        der::tlv(0x30, &der::oid(&[1, 2, 840, 10045, 4, 3, 2]))
    }

    /// Signs `tbs` (the DER of a ResponseData) with the responder key.
    pub fn sign(&self, tbs: &[u8]) -> Result<Vec<u8>> {
        Ok(self.key.sign(tbs)?)
    }
}

/// (subject Name DER, subjectPublicKey bits) of a certificate.
fn names(cert_der: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let (_, cert) = X509Certificate::from_der(cert_der)
        .map_err(|e| Error::Internal(format!("CA certificate: {e}")))?;
    Ok((
        cert.tbs_certificate.subject.as_raw().to_vec(),
        cert.tbs_certificate
            .subject_pki
            .subject_public_key
            .data
            .to_vec(),
    ))
}

/// The responder certificate for `key`, signed by the CA, valid as long as the CA is (the
/// simulated clock may be moved far ahead; a short-lived responder would expire under it).
fn issue(key: &PrivateKey, ca_cn: &str, ca_key: &PrivateKey, ca_der: &[u8]) -> Result<Vec<u8>> {
    let info = crypto::parse_certificate(ca_der)?;
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{ca_cn} OCSP Responder"));
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
    params.custom_extensions = vec![CustomExtension::from_oid_content(
        OID_OCSP_NOCHECK,
        vec![0x05, 0x00],
    )];
    let at = |s: i64| {
        OffsetDateTime::from_unix_timestamp(s)
            .map_err(|e| Error::Internal(format!("CA validity: {e}")))
    };
    params.not_before = at(info.not_before)?;
    params.not_after = at(info.not_after)?;
    params.serial_number = Some(der::random_serial()?);
    params.use_authority_key_identifier_extension = true;
    let subject_key = KeyPair::try_from(key.pkcs8_der())?;
    let issuer = Issuer::from_ca_cert_der(
        &ca_der.to_vec().into(),
        KeyPair::try_from(ca_key.pkcs8_der())?,
    )?;
    Ok(params.signed_by(&subject_key, &issuer)?.der().to_vec())
}
