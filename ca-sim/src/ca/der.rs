//! The few DER structures ca-sim writes that neither `shared::crypto` nor rcgen offer: the
//! Authority Information Access extension value, a certs-only PKCS#7 bundle (`p7b`,
//! GlobalSign `PKCS7Cert`), the primitives the OCSP responder (`crate::ocsp`) writes its
//! responses with, and the random serial of each certificate ca-sim signs.

use crate::error::{Error, Result};
use rcgen::SerialNumber;

/// A fresh certificate serial: 16 random bytes, positive, with a non-zero top nibble so its
/// DER length never varies (RFC 5280 §4.1.2.2: at most 20 octets, unique per CA).
pub fn random_serial() -> Result<SerialNumber> {
    let mut serial = [0u8; 16];
    aws_lc_rs::rand::fill(&mut serial).map_err(|_| Error::Internal("random serial".into()))?;
    serial[0] &= 0x7f;
    serial[0] |= 0x10;
    Ok(SerialNumber::from_slice(&serial))
}

/// One DER element: `tag`, definite length, `content`.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// An OBJECT IDENTIFIER element from its arcs.
pub fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut body = Vec::new();
    let first = arcs.first().copied().unwrap_or(0) * 40 + arcs.get(1).copied().unwrap_or(0);
    let mut push = |mut v: u64| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        body.extend_from_slice(&tmp);
    };
    push(first);
    for a in arcs.iter().skip(2) {
        push(*a);
    }
    tlv(0x06, &body)
}

/// OID of the AIA extension (id-pe-authorityInfoAccess).
pub const OID_AIA: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 1];

/// `AuthorityInfoAccessSyntax` (RFC 5280 §4.2.2.1) with an OCSP responder URI (id-ad-ocsp)
/// and a caIssuers URI (id-ad-caIssuers), in that order, as public CAs write them.
pub fn aia(ocsp_uri: &str, ca_issuers_uri: &str) -> Vec<u8> {
    let access = |method: u64, uri: &str| {
        tlv(
            0x30,
            &[
                oid(&[1, 3, 6, 1, 5, 5, 7, 48, method]),
                tlv(0x86, uri.as_bytes()),
            ]
            .concat(),
        )
    };
    tlv(
        0x30,
        &[access(1, ocsp_uri), access(2, ca_issuers_uri)].concat(),
    )
}

/// GeneralizedTime `YYYYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5.2: UTC, whole seconds), as OCSP
/// writes every time (RFC 6960 §4.2.1).
pub fn generalized_time(t: time::OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    tlv(0x18, text.as_bytes())
}

/// A degenerate (certs-only) PKCS#7 SignedData over `certs` (DER).
pub fn pkcs7_certs_only(certs: &[Vec<u8>]) -> Vec<u8> {
    let signed_data = [
        tlv(0x02, &[1]),
        tlv(0x31, &[]),
        tlv(0x30, &oid(&[1, 2, 840, 113549, 1, 7, 1])),
        tlv(0xa0, &certs.concat()),
        tlv(0x31, &[]),
    ]
    .concat();
    tlv(
        0x30,
        &[
            oid(&[1, 2, 840, 113549, 1, 7, 2]),
            tlv(0xa0, &tlv(0x30, &signed_data)),
        ]
        .concat(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_encode() {
        assert_eq!(
            oid(&[1, 2, 840, 113549, 1, 7, 2]),
            vec![0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]
        );
    }
}
