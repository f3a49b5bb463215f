//! [`CertProfile`], what goes into a certificate besides the keys, and the extension encoders
//! (basicConstraints, KeyUsage, EKU, SAN) that certificates ([`super::cert`]) and PKCS#10
//! requests ([`super::csr`]) both build from it. Invalid names, SANs and EKUs are
//! [`CryptoError::InvalidName`] errors meant for users; SANs are checked by
//! [`super::san::validate_san`] and EKUs by [`validate_eku`], the checks policy validation uses.

use super::der;
use super::dn::{parse_dn, DistinguishedName};
use super::error::CryptoError;
use super::parse::{
    KEY_USAGE_BITS, OID_BASIC_CONSTRAINTS, OID_EKU, OID_KEY_USAGE, OID_SAN, OID_UPN,
};
use super::san::{validate_san, SanKind};
use crate::models::{KeyUsage, SubjectAlternativeNames};
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

pub(crate) fn extension(oid: &str, critical: bool, value: &[u8]) -> Result<Vec<u8>, CryptoError> {
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

/// The GeneralNames of a SAN extension; `None` when there are no names. Each name passes
/// [`validate_san`] first, the same check a policy gets when it is given.
fn san_value(sans: &SubjectAlternativeNames) -> Result<Option<Vec<u8>>, CryptoError> {
    let mut names: Vec<Vec<u8>> = Vec::new();
    for kind in SanKind::ALL {
        for value in kind.values(sans) {
            validate_san(kind, value)?;
            names.push(general_name(kind, value)?);
        }
    }
    if names.is_empty() {
        return Ok(None);
    }
    Ok(Some(der::sequence(
        &names.iter().map(Vec::as_slice).collect::<Vec<_>>(),
    )))
}

/// One GeneralName (RFC 5280 §4.2.1.6) for a name that passed [`validate_san`].
fn general_name(kind: SanKind, value: &str) -> Result<Vec<u8>, CryptoError> {
    Ok(match kind {
        SanKind::Dns => der::tlv(der::ctx_prim(2), value.as_bytes()),
        SanKind::Email => der::tlv(der::ctx_prim(1), value.as_bytes()),
        SanKind::Upn => {
            let oid = der::oid_from_str(OID_UPN)
                .ok_or_else(|| CryptoError::Internal("bad UPN OID".into()))?;
            let inner = der::tlv(
                der::ctx_cons(0),
                &der::tlv(der::TAG_UTF8_STRING, value.as_bytes()),
            );
            der::cons(der::ctx_cons(0), &[&oid, &inner])
        }
        SanKind::Uri => der::tlv(der::ctx_prim(6), value.as_bytes()),
        SanKind::Ip => {
            let addr: IpAddr = value
                .parse()
                .map_err(|_| CryptoError::Internal(format!("unchecked IP address {value}")))?;
            let octets = match addr {
                IpAddr::V4(a) => a.octets().to_vec(),
                IpAddr::V6(a) => a.octets().to_vec(),
            };
            der::tlv(der::ctx_prim(7), &octets)
        }
    })
}

/// Checks one extended key usage: a dotted OID that encodes (first arc 0..=2, no leading
/// zeros, arcs that fit). Policy validation and the EKU encoder both use it.
pub fn validate_eku(eku: &str) -> Result<(), CryptoError> {
    match der::oid_from_str(eku) {
        Some(_) if eku.trim() == eku => Ok(()),
        _ => Err(bad_name(format!(
            "x509_props.ekus contains '{}', which is not a dotted object identifier such as 1.3.6.1.5.5.7.3.1.",
            eku.escape_debug()
        ))),
    }
}

fn eku_value(ekus: &[String]) -> Result<Vec<u8>, CryptoError> {
    let oids = ekus
        .iter()
        .map(|e| {
            validate_eku(e)?;
            der::oid_from_str(e).ok_or_else(|| CryptoError::Internal(format!("unchecked EKU {e}")))
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
