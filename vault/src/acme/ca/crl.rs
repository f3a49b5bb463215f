//! The local CA's CRL (RFC 5280 §5), signed by the intermediate that issued the leaves, at the
//! URL every leaf names in its CRL distribution point.

use super::error::CaError;
use super::hierarchy::at;
use rcgen::{
    CertificateRevocationListParams, Issuer, KeyIdMethod, KeyPair, RevocationReason,
    RevokedCertParams, SerialNumber,
};
use time::Duration;

/// A CRL (DER) listing `revoked` (serial hex, revocation unix seconds, RFC 5280 reason
/// code), thisUpdate `now`, nextUpdate a day later. Reason 0 (unspecified) is left out of the
/// entry, as §5.3.1 asks; a code RFC 5280 does not define is listed without a reason. A
/// serial that is not hex cannot be one this CA issued and is skipped.
pub fn build(
    issuer: &Issuer<'static, KeyPair>,
    key_id: &[u8],
    revoked: &[(String, i64, u8)],
    now: i64,
    number: u64,
) -> Result<Vec<u8>, CaError> {
    let mut revoked_certs = Vec::with_capacity(revoked.len());
    for (serial_hex, when, reason) in revoked {
        let Ok(serial) = hex::decode(serial_hex) else {
            continue;
        };
        revoked_certs.push(RevokedCertParams {
            serial_number: SerialNumber::from_slice(&serial),
            revocation_time: at(*when)?,
            reason_code: reason_of(*reason),
            invalidity_date: None,
        });
    }
    let this_update = at(now)?;
    let params = CertificateRevocationListParams {
        this_update,
        next_update: this_update + Duration::days(1),
        crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::PreSpecified(key_id.to_vec()),
    };
    Ok(params.signed_by(issuer)?.der().to_vec())
}

fn reason_of(code: u8) -> Option<RevocationReason> {
    Some(match code {
        1 => RevocationReason::KeyCompromise,
        2 => RevocationReason::CaCompromise,
        3 => RevocationReason::AffiliationChanged,
        4 => RevocationReason::Superseded,
        5 => RevocationReason::CessationOfOperation,
        6 => RevocationReason::CertificateHold,
        8 => RevocationReason::RemoveFromCrl,
        9 => RevocationReason::PrivilegeWithdrawn,
        10 => RevocationReason::AaCompromise,
        _ => return None,
    })
}
