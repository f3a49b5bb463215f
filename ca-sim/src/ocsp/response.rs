//! Writing an OCSPResponse (RFC 6960 §4.2.1): a BasicOCSPResponse signed by a CA's delegated
//! responder, naming the responder by key hash, carrying the responder certificate (and the
//! CA's, when it is not a root, so a client trusting only the root can build the path), and
//! echoing the request's nonce; or a bare error status.

use crate::ca::der::{self, tlv};
use crate::ca::responder::Responder;
use crate::error::Result;
use time::OffsetDateTime;

/// id-pkix-ocsp-basic.
const OID_BASIC: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 1];

/// What the responder says about one certificate (§4.2.1 CertStatus).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    /// With the time on ca-sim's clock and the RFC 5280 CRLReason code, if one was given.
    Revoked {
        at: OffsetDateTime,
        reason: Option<u8>,
    },
    Unknown,
}

/// OCSPResponseStatus values other than `successful` (§4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    MalformedRequest = 1,
    InternalError = 2,
    Unauthorized = 6,
}

/// An OCSPResponse with only an error status.
pub fn failure(status: Failure) -> Vec<u8> {
    tlv(0x30, &tlv(0x0a, &[status as u8]))
}

/// One SingleResponse to write: the CertID as asked (DER) and its status.
pub struct Single<'a> {
    pub cert_id: &'a [u8],
    pub status: CertStatus,
}

/// What a successful response says besides its answers.
pub struct Signed<'a> {
    pub responder: &'a Responder,
    /// Certificates sent after the responder's (the CA's, unless it is a root).
    pub extra_certs: &'a [&'a [u8]],
    /// producedAt and thisUpdate.
    pub now: OffsetDateTime,
    pub next_update: OffsetDateTime,
    /// The request's nonce Extension (DER), echoed as is.
    pub nonce: Option<&'a [u8]>,
}

/// A successful OCSPResponse with a signed BasicOCSPResponse over `answers`.
pub fn successful(signed: &Signed<'_>, answers: &[Single<'_>]) -> Result<Vec<u8>> {
    let responder_id = tlv(
        0xa2,
        &tlv(
            0x04,
            aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
                &signed.responder.key_bits,
            )
            .as_ref(),
        ),
    );
    let this_update = der::generalized_time(signed.now);
    let next_update = tlv(0xa0, &der::generalized_time(signed.next_update));
    let singles: Vec<u8> = answers
        .iter()
        .flat_map(|a| {
            tlv(
                0x30,
                &[a.cert_id, &status(&a.status), &this_update, &next_update].concat(),
            )
        })
        .collect();
    let mut data = [responder_id, this_update.clone(), tlv(0x30, &singles)].concat();
    if let Some(nonce) = signed.nonce {
        data.extend(tlv(0xa1, &tlv(0x30, nonce)));
    }
    let tbs = tlv(0x30, &data);
    let signature = signed.responder.sign(&tbs)?;
    let certs: Vec<u8> = std::iter::once(signed.responder.cert_der.as_slice())
        .chain(signed.extra_certs.iter().copied())
        .flatten()
        .copied()
        .collect();
    let basic = tlv(
        0x30,
        &[
            tbs,
            signed.responder.signature_algorithm(),
            tlv(0x03, &[&[0u8][..], &signature].concat()),
            tlv(0xa0, &tlv(0x30, &certs)),
        ]
        .concat(),
    );
    let bytes = tlv(0x30, &[der::oid(OID_BASIC), tlv(0x04, &basic)].concat());
    Ok(tlv(0x30, &[tlv(0x0a, &[0]), tlv(0xa0, &bytes)].concat()))
}

/// CertStatus: `good [0] IMPLICIT NULL`, `revoked [1] IMPLICIT RevokedInfo`, `unknown [2]
/// IMPLICIT NULL`.
fn status(s: &CertStatus) -> Vec<u8> {
    match s {
        CertStatus::Good => vec![0x80, 0x00],
        CertStatus::Unknown => vec![0x82, 0x00],
        CertStatus::Revoked { at, reason } => {
            let mut info = der::generalized_time(*at);
            if let Some(code) = reason {
                info.extend(tlv(0xa0, &tlv(0x0a, &[*code])));
            }
            tlv(0xa1, &info)
        }
    }
}
