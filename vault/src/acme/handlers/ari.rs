//! ACME Renewal Information (RFC 9773): the suggested renewal window
//! (`GET /acme/renewal-info/{certID}`, §4.2; certIDs are computed by `acme::ca::ari_cert_id`
//! when a certificate is recorded) and `replaces` on new-order (§5): [`check_replaces`] when
//! the order is created, [`replacement`] in the batch that makes it `valid`.
//!
//! The window follows Let's Encrypt (Boulder's `RenewalInfoSimple`): the ideal renewal time
//! is one third of the lifetime before expiry (one half for lifetimes under 10 days), and the
//! window spans 1 % of the lifetime on each side of it (90 days: day 60 ± 21.6 h; 6 days:
//! day 3 ± 1.4 h). A revoked certificate's window lies wholly in the past (it should be
//! replaced now); an administrator's window (`PUT /_admin/acme/renewal-info`) wins over the
//! derived one. Every time is on the vault clock, so `/_admin/clock` moves certificates into
//! and past their windows.

use crate::acme::reply::{malformed, Reply};
use crate::acme::request::Cx;
use crate::acme::wire::rfc3339;
use crate::model::acme::{AcmeCertRecord, Identifier, OrderRecord};
use crate::store::{Change, Store, StoreResult};
use axum::http::StatusCode;
use serde_json::json;
use shared::acme::problem::{ErrorType, Problem};

/// `Retry-After` of a renewal-info answer: clients ask again after this (Boulder: 6 hours).
pub const RETRY_AFTER_SECS: u64 = 6 * 3600;
/// Lifetimes under this use the half-life rule (Let's Encrypt's short-lived certificates).
const SHORT_LIFETIME: i64 = 10 * 24 * 3600;

/// The suggested renewal window `(start, end)` of `cert` at `now` (unix seconds; see the
/// module doc).
pub fn suggested_window(cert: &AcmeCertRecord, now: i64) -> (i64, i64) {
    if cert.revoked.is_some() {
        // Boulder's RenewalInfoImmediate: a window that already began and ended.
        return (now - 3600, now - 1800);
    }
    if let Some(window) = cert.renewal_window {
        return window;
    }
    // RFC 5280 validity is inclusive of its last second.
    let lifetime = (cert.not_after + 1 - cert.not_before).max(1);
    let offset = if lifetime < SHORT_LIFETIME {
        lifetime / 2
    } else {
        lifetime / 3
    };
    let ideal = cert.not_after + 1 - offset;
    let margin = lifetime / 100;
    (ideal - margin, ideal + margin)
}

/// A certID as clients send it: two base64url parts (padding tolerated and dropped), the
/// canonical text returned.
pub fn parse_cert_id(text: &str) -> Result<String, Problem> {
    let bad = || {
        malformed(format!(
            "'{text}' is not an ARI certID (base64url(AKI keyIdentifier).base64url(serial))."
        ))
    };
    let (aki, serial) = text.split_once('.').ok_or_else(bad)?;
    let clean = |part: &str| -> Option<String> {
        let part = part.trim_end_matches('=');
        let ok = part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| part.to_string())
    };
    let (aki, serial) = (clean(aki).ok_or_else(bad)?, clean(serial).ok_or_else(bad)?);
    if serial.is_empty() {
        return Err(bad());
    }
    Ok(format!("{aki}.{serial}"))
}

/// `GET /acme/renewal-info/{certID}` (RFC 9773 §4.2): the suggested window and
/// `Retry-After`; an unknown certificate is 404.
pub async fn get(cx: &Cx, cert_id: &str) -> Result<Reply, Problem> {
    let id = parse_cert_id(cert_id)?;
    let cert = cx.store(move |s| s.acme_cert_by_ari_id(&id)).await?;
    let Some(cert) = cert else {
        let mut p = malformed(format!(
            "No certificate issued here has the certID {cert_id}."
        ));
        p.status = StatusCode::NOT_FOUND.as_u16();
        return Err(p);
    };
    let (start, end) = suggested_window(&cert, cx.now());
    let mut doc = json!({
        "suggestedWindow": { "start": rfc3339(start), "end": rfc3339(end) },
    });
    if cert.revoked.is_some() {
        doc["explanationURL"] = json!(cx.urls.at("crl"));
    }
    Ok(Reply::json(&doc).retry_after(RETRY_AFTER_SECS))
}

/// RFC 9773 §5, at new-order: `replaces` must name a certificate of this vault, issued to
/// the same account, sharing an identifier with the new order, and not replaced yet.
/// Returns the canonical certID to store on the order.
pub async fn check_replaces(
    cx: &Cx,
    account_id: &str,
    identifiers: &[Identifier],
    replaces: &str,
) -> Result<String, Problem> {
    let id = parse_cert_id(replaces)?;
    let key = id.clone();
    let found = cx
        .store(move |s| {
            let Some(cert) = s.acme_cert_by_ari_id(&key)? else {
                return Ok(None);
            };
            let order = s.acme_order(&cert.order_id)?;
            Ok(Some((cert, order)))
        })
        .await?;
    let Some((cert, old_order)) = found else {
        return Err(malformed(format!(
            "'replaces' names {replaces}, which is no certificate issued here."
        )));
    };
    if cert.account_id != account_id {
        return Err(Problem::new(
            ErrorType::Unauthorized,
            format!(
                "The certificate {replaces} named in 'replaces' was issued to another account."
            ),
        ));
    }
    if let Some(by) = &cert.replaced_by {
        return Err(Problem::new(
            ErrorType::AlreadyReplaced,
            format!("The certificate {replaces} was already replaced by order {by}."),
        ));
    }
    let shares = old_order
        .as_ref()
        .is_some_and(|o| o.identifiers.iter().any(|i| identifiers.contains(i)));
    if !shares {
        return Err(malformed(format!(
            "The order shares no identifier with the certificate {replaces} it replaces."
        )));
    }
    Ok(id)
}

/// At the moment `order` becomes `valid`: the write that marks the certificate it replaces
/// (RFC 9773 `replaces`) as replaced by it, for the same batch as the order's own write.
pub fn replacement(s: &dyn Store, order: &OrderRecord) -> StoreResult<Option<Change>> {
    let Some(cert_id) = &order.replaces else {
        return Ok(None);
    };
    let Some(mut cert) = s.acme_cert_by_ari_id(cert_id)? else {
        return Ok(None);
    };
    if cert.replaced_by.is_some() {
        return Ok(None);
    }
    cert.replaced_by = Some(order.id.clone());
    Ok(Some(Change::PutAcmeCert(cert)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(not_before: i64, days: i64) -> AcmeCertRecord {
        AcmeCertRecord {
            id: "c".into(),
            order_id: "o".into(),
            account_id: "a".into(),
            profile: "local".into(),
            serial_hex: "01".into(),
            ari_cert_id: "x.AQ".into(),
            chain: Vec::new(),
            not_before,
            not_after: not_before + days * 86400 - 1,
            revoked: None,
            renewal_window: None,
            replaced_by: None,
            created: not_before,
        }
    }

    #[test]
    fn ninety_days_renew_around_day_sixty() {
        let c = cert(1_000_000, 90);
        let (start, end) = suggested_window(&c, 0);
        let day60 = 1_000_000 + 60 * 86400;
        assert_eq!((start, end), (day60 - 77_760, day60 + 77_760));
    }

    #[test]
    fn six_days_renew_at_half_life() {
        let c = cert(0, 6);
        let (start, end) = suggested_window(&c, 0);
        assert_eq!((start + end) / 2, 3 * 86400);
        assert_eq!(end - start, 2 * (6 * 86400 / 100));
    }

    #[test]
    fn revoked_is_in_the_past_and_admin_window_wins() {
        let mut c = cert(0, 90);
        c.renewal_window = Some((5, 6));
        assert_eq!(suggested_window(&c, 100), (5, 6));
        c.revoked = Some(crate::model::acme::Revocation { reason: 1, at: 50 });
        let (start, end) = suggested_window(&c, 10_000);
        assert!(start < end && end < 10_000);
    }

    #[test]
    fn cert_ids_are_checked_and_normalised() {
        assert_eq!(
            parse_cert_id("aYhba4dGQEH.AIdlQyE=").unwrap(),
            "aYhba4dGQEH.AIdlQyE"
        );
        for bad in ["", "abc", "a.b.c", "a+b.cd", "ab."] {
            assert!(parse_cert_id(bad).is_err(), "{bad}");
        }
    }
}
