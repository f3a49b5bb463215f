//! Issuing X.509 v3 certificates from a [`CertProfile`]: self-signed, signed by a CA for one
//! of our keys, or signed by a CA for the public key of a PKCS#10 request. The profile's
//! extensions come from [`super::profile`]; this file adds the key identifiers and signs.
//!
//! Every certificate gets a random positive 127-bit serial, subjectKeyIdentifier and
//! authorityKeyIdentifier (SHA-1 of the public key bits, RFC 5280 method 1, or the issuer's own
//! SKI), and is signed with sha256WithRSAEncryption or ECDSA with the hash matching the curve.

use super::csr::verified_csr_spki;
use super::der;
use super::error::CryptoError;
use super::keys::{spki_parts, PrivateKey};
use super::parse::{parse_x509, Extensions, OID_AKI, OID_SKI};
use super::profile::{extension, profile_extensions, profile_subject, CertProfile};
use aws_lc_rs::digest;

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
    extra_extensions: Vec<Vec<u8>>,
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
    exts.extend(extra_extensions);
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
    build_certificate(key.spki_der(), profile, None, key, Vec::new())
}

/// A self-signed certificate with extensions beyond the profile's (already encoded, e.g. the
/// name constraints of [`super::name_constraints`]).
pub(crate) fn self_signed_with(
    key: &PrivateKey,
    profile: &CertProfile,
    extra_extensions: Vec<Vec<u8>>,
) -> Result<Vec<u8>, CryptoError> {
    build_certificate(key.spki_der(), profile, None, key, extra_extensions)
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
    build_certificate(
        subject_key.spki_der(),
        profile,
        Some(issuer),
        issuer_key,
        Vec::new(),
    )
}

/// A certificate for the public key of a PKCS#10 request, after checking the request's
/// signature. Names and extensions come from `profile`, not from the request.
pub fn sign_csr(
    csr_der: &[u8],
    profile: &CertProfile,
    issuer_key: &PrivateKey,
    issuer_cert_der: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let spki = verified_csr_spki(csr_der)?;
    let issuer = Issuer::from_cert(issuer_key, issuer_cert_der)?;
    build_certificate(&spki, profile, Some(issuer), issuer_key, Vec::new())
}

#[cfg(test)]
mod tests;
