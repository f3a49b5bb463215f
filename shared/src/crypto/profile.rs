//! [`CertProfile`], what goes into a certificate besides the keys, and the extension encoders
//! (basicConstraints, KeyUsage, EKU, SAN) that certificates ([`super::cert`]) and PKCS#10
//! requests ([`super::csr`]) both build from it. Invalid names, SANs and EKUs are
//! [`CryptoError::InvalidName`] errors meant for users.

use super::der;
use super::dn::{parse_dn, DistinguishedName};
use super::error::CryptoError;
use super::parse::{
    KEY_USAGE_BITS, OID_BASIC_CONSTRAINTS, OID_EKU, OID_KEY_USAGE, OID_SAN, OID_UPN,
};
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
