//! Revocation (RFC 8555 §7.6) and this vault's CRL.
//!
//! `POST /acme/revoke-cert` `{"certificate": base64url(DER), "reason"?: n}` is accepted from
//! the account the certificate was issued to (`kid`) or from the certificate's own key
//! (`jwk` = the certificate's public key); another account is `unauthorized`. Reasons are
//! RFC 5280 CRLReason codes 0–10 except 7 (unused), else `badRevocationReason`; revoking twice
//! is `alreadyRevoked`. The certificate must be one this vault issued, byte for byte.
//!
//! `GET /acme/crl` is the local CA's CRL of this vault (DER, `application/pkix-crl`), built
//! on each request from the store's revoked certificates, signed by `acme::ca`. Certificates
//! of partner profiles are revoked in the gateway's records (ARI then says "renew now") but
//! are not listed: the local CA's CRL can only speak for certificates the local CA signed.

use crate::acme::profiles;
use crate::acme::reply::{internal, malformed, unauthorized, Reply};
use crate::acme::request::{AcmeRequest, Cx, Signer};
use crate::model::acme::Revocation;
use crate::store::Change;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use shared::acme::jwk::Jwk;
use shared::acme::problem::{ErrorType, Problem};
use tracing::info;

/// RFC 5280 §5.3.1: `7` is not assigned.
const UNUSED_REASON: u8 = 7;
/// The highest CRLReason code (`aACompromise`).
const MAX_REASON: u8 = 10;

/// The revocation request's payload.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokePayload {
    certificate: String,
    #[serde(default)]
    reason: Option<i64>,
}

/// `POST /acme/revoke-cert`.
pub async fn revoke(cx: &Cx, req: AcmeRequest) -> Result<Reply, Problem> {
    let payload: RevokePayload = req.payload()?;
    let reason = check_reason(payload.reason)?;
    let der = URL_SAFE_NO_PAD
        .decode(payload.certificate.trim_end_matches('='))
        .map_err(|_| malformed("'certificate' is not base64url DER."))?;
    let leaf = shared::crypto::parse_certificate(&der)
        .map_err(|e| malformed(format!("'certificate' is not a certificate: {e}")))?;
    let serial = leaf.serial_hex.to_ascii_lowercase();
    let key = serial.clone();
    let stored = cx.store(move |s| s.acme_cert_by_serial(&key)).await?;
    let not_ours = || {
        let mut p = malformed("This certificate was not issued by this server.");
        p.status = StatusCode::NOT_FOUND.as_u16();
        p
    };
    let mut cert = stored.ok_or_else(not_ours)?;
    if cert.chain.first() != Some(&der) {
        return Err(not_ours());
    }
    match &req.signer {
        Signer::Account(account) if account.record.id == cert.account_id => {}
        Signer::Account(_) => {
            return Err(unauthorized(
                "The certificate was issued to another account; only that account or the \
                 certificate's key can revoke it.",
            ))
        }
        Signer::Key(key, _) => {
            let cert_key = Jwk::from_spki_der(&leaf.spki_der).ok_or_else(|| {
                unauthorized(
                    "The certificate's key cannot sign ACME requests; revoke it with its account.",
                )
            })?;
            if !key.same_key(&cert_key) {
                return Err(unauthorized(
                    "The request is signed with a 'jwk' that is not the certificate's key.",
                ));
            }
        }
    }
    if cert.revoked.is_some() {
        return Err(Problem::new(
            ErrorType::AlreadyRevoked,
            format!("The certificate with serial {serial} is already revoked."),
        ));
    }
    cert.revoked = Some(Revocation {
        reason,
        at: cx.now(),
    });
    let id = cert.id.clone();
    cx.store(move |s| s.apply(vec![Change::PutAcmeCert(cert)]))
        .await?;
    info!(acme.cert = %id, serial = %serial, reason, "acme certificate revoked");
    Ok(Reply::empty(StatusCode::OK))
}

/// `GET /acme/crl`: see the module doc.
pub async fn crl(cx: &Cx) -> Result<Reply, Problem> {
    let revoked = cx.store(|s| s.acme_revoked_certs()).await?;
    let entries: Vec<(String, i64, u8)> = revoked
        .into_iter()
        .filter(|c| profiles::local_validity(&c.profile).is_some())
        .filter_map(|c| c.revoked.map(|r| (c.serial_hex, r.at, r.reason)))
        .collect();
    let ca = cx.acme.ca.clone();
    let now = cx.now();
    let der = tokio::task::spawn_blocking(move || ca.crl(&entries, now))
        .await
        .map_err(internal)?
        .map_err(internal)?;
    Ok(Reply::bytes("application/pkix-crl", der))
}

/// The payload's reason code (absent: 0, unspecified).
fn check_reason(reason: Option<i64>) -> Result<u8, Problem> {
    let Some(code) = reason else {
        return Ok(0);
    };
    match u8::try_from(code) {
        Ok(c) if c <= MAX_REASON && c != UNUSED_REASON => Ok(c),
        _ => Err(Problem::new(
            ErrorType::BadRevocationReason,
            format!(
                "{code} is not a revocation reason this server accepts (RFC 5280 CRLReason \
                 0-10, except 7)."
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_zero_to_ten_except_seven() {
        assert_eq!(check_reason(None).unwrap(), 0);
        for ok in [0, 1, 4, 6, 8, 10] {
            assert_eq!(check_reason(Some(ok)).unwrap(), ok as u8);
        }
        for bad in [-1, 7, 11, 256] {
            let p = check_reason(Some(bad)).unwrap_err();
            assert_eq!(p.kind, ErrorType::BadRevocationReason);
        }
    }
}
