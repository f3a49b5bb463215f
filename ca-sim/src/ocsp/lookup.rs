//! Which CA a CertID names and what that CA says about the serial: the store's certificate
//! row (the one revocation record, also read by the CRLs) for leaves, the hierarchy itself for
//! the intermediates a CA signed, `unknown` for anything else.

use super::request::CertId;
use super::response::CertStatus;
use crate::app::App;
use crate::ca::{reason_code, Hierarchy};
use crate::error::Result;
use shared::crypto;
use time::OffsetDateTime;

/// The id of the CA of `h` that `id` names (by issuer name and key hash), if any.
pub fn issuer_of(h: &Hierarchy, id: &CertId) -> Option<String> {
    let alg = id.hash?;
    h.responders
        .iter()
        .find(|(_, r)| {
            alg.digest(&r.ca_subject_der) == id.issuer_name_hash
                && alg.digest(&r.ca_key_bits) == id.issuer_key_hash
        })
        .map(|(ca_id, _)| ca_id.clone())
}

/// The status of serial `id.serial` among the certificates CA `ca_id` of `h` issued.
pub fn status(app: &App, h: &Hierarchy, ca_id: &str, id: &CertId) -> Result<CertStatus> {
    let serial = id.serial_hex();
    if let Some(row) = app.store.cert(&serial)? {
        if row.dialect == h.dialect.as_str() && row.ca_id == ca_id {
            return Ok(match row.revoked_at {
                Some(secs) => CertStatus::Revoked {
                    at: OffsetDateTime::from_unix_timestamp(secs)
                        .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                    // Unspecified (0) is left out, as the CRL leaves it out (RFC 5280
                    // §5.3.1): both say the same.
                    reason: row
                        .reason
                        .as_deref()
                        .map(|r| reason_code(r) as u8)
                        .filter(|code| *code != 0),
                },
                None => CertStatus::Good,
            });
        }
    }
    // The CA right below `ca_id` in the hierarchy is a certificate it issued, never revoked.
    let child = h.all().skip_while(|c| c.id != ca_id).nth(1);
    if let Some(child) = child {
        if crypto::parse_certificate(&child.der)?.serial_hex == serial {
            return Ok(CertStatus::Good);
        }
    }
    Ok(CertStatus::Unknown)
}
