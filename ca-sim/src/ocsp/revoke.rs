//! Revoking a certificate by serial, for every caller that names a certificate rather than an
//! order: the admin API (`POST /admin/certificates/{serial}/revoke`) and ACME's revokeCert.
//! The order book's revoke (`OrderBook::revoke`, what DigiCert, GlobalSign and WoSign call)
//! writes the one revocation record per certificate, the store's certificate row, that the
//! CRLs (`admin::crl`) and the OCSP responder ([`super::lookup`]) both read; a certificate
//! without an order in the book gets the same record written here. Times are ca-sim's clock.

use crate::app::App;
use crate::error::Result;
use crate::store::CertRow;

/// RFC 5280 §5.3.1 CRLReason codes with their ASN.1 names and the words ca-sim stores
/// (DigiCert's). 7 is unused and removeFromCRL (8) is no revocation.
const REASONS: [(u8, &str, &str); 9] = [
    (0, "unspecified", "unspecified"),
    (1, "keyCompromise", "key_compromise"),
    (2, "cACompromise", "ca_compromise"),
    (3, "affiliationChanged", "affiliation_changed"),
    (4, "superseded", "superseded"),
    (5, "cessationOfOperation", "cessation_of_operation"),
    (6, "certificateHold", "certificate_hold"),
    (9, "privilegeWithdrawn", "privilege_withdrawn"),
    (10, "aACompromise", "aa_compromise"),
];

/// The ASN.1 name of CRLReason `code` (`keyCompromise`); `None` for codes no revocation may
/// carry.
pub fn reason_name(code: u8) -> Option<&'static str> {
    REASONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, name, _)| *name)
}

/// The stored word of CRLReason `code`; `None` for codes no revocation may carry.
pub fn reason_word(code: u8) -> Option<&'static str> {
    REASONS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, word)| *word)
}

/// A reason as clients send it: the code, the ASN.1 name (`keyCompromise`) or the stored
/// word (`key_compromise`), any case; `Ok(None)` when absent (JSON null).
pub fn parse_reason(value: &serde_json::Value) -> Result<Option<u8>, String> {
    let known = || {
        REASONS
            .iter()
            .map(|(c, name, _)| format!("{name} ({c})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => n
            .as_u64()
            .and_then(|c| u8::try_from(c).ok())
            .filter(|c| reason_word(*c).is_some())
            .map(Some)
            .ok_or_else(|| format!("unknown revocation reason {n}; known: {}", known())),
        serde_json::Value::String(s) => {
            let squash = |t: &str| t.to_ascii_lowercase().replace(['_', ' ', '-'], "");
            REASONS
                .iter()
                .find(|(_, name, _)| squash(name) == squash(s))
                .map(|(c, _, _)| Some(*c))
                .ok_or_else(|| format!("unknown revocation reason '{s}'; known: {}", known()))
        }
        _ => Err("the reason is a name or a CRLReason code".into()),
    }
}

/// What [`revoke_serial`] did.
#[derive(Debug, Clone)]
pub enum Revocation {
    /// Revoked now; the record as written.
    Revoked(CertRow),
    /// It was revoked before; the record as it stands (ACME: `alreadyRevoked`).
    AlreadyRevoked(CertRow),
    /// ca-sim issued no certificate with that serial.
    NotFound,
}

/// The store's form of a serial typed by a person or taken from a certificate: hex without
/// `0x`, colons or leading zero octets, uppercase. `None` when it is not hex.
pub fn normalize_serial(serial: &str) -> Option<String> {
    let hex_text: String = serial
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| *c != ':')
        .collect();
    let bytes = hex::decode(if hex_text.len() % 2 == 1 {
        format!("0{hex_text}")
    } else {
        hex_text
    })
    .ok()?;
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    (!bytes.is_empty()).then(|| hex::encode_upper(&bytes[start..]))
}

/// Revokes the certificate with `serial` (any form [`normalize_serial`] reads) for `reason`
/// (a CRLReason code; `None` is stored as `unspecified`, as the vendor dialects do), at
/// ca-sim's now. The order book revokes it when the certificate has an order there (its
/// status becomes `revoked`); else the record is written directly.
pub fn revoke_serial(app: &App, serial: &str, reason: Option<u8>) -> Result<Revocation> {
    let Some(serial) = normalize_serial(serial) else {
        return Ok(Revocation::NotFound);
    };
    let Some(row) = app.store.cert(&serial)? else {
        return Ok(Revocation::NotFound);
    };
    if row.revoked_at.is_some() {
        return Ok(Revocation::AlreadyRevoked(row));
    }
    let word = reason.and_then(reason_word).unwrap_or("unspecified");
    if app.orders.get(&row.order_id).is_some() {
        // An order no longer `issued` was revoked meanwhile: the read-back below tells.
        let _ = app.orders.revoke(&row.order_id, word.to_string())?;
    } else {
        app.store.put_cert(&CertRow {
            revoked_at: Some(app.clock.now_ms().div_euclid(1000)),
            reason: Some(word.to_string()),
            ..row.clone()
        })?;
    }
    // Read back: a concurrent revoke may have won; its record is the one that stands.
    match app.store.cert(&serial)? {
        Some(now) if now.revoked_at.is_some() && now.reason.as_deref() == Some(word) => {
            Ok(Revocation::Revoked(now))
        }
        Some(now) if now.revoked_at.is_some() => Ok(Revocation::AlreadyRevoked(now)),
        _ => Ok(Revocation::AlreadyRevoked(row)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_serials() {
        assert_eq!(
            parse_reason(&serde_json::json!("keyCompromise")),
            Ok(Some(1))
        );
        assert_eq!(
            parse_reason(&serde_json::json!("key_compromise")),
            Ok(Some(1))
        );
        assert_eq!(parse_reason(&serde_json::json!(4)), Ok(Some(4)));
        assert_eq!(parse_reason(&serde_json::Value::Null), Ok(None));
        assert!(parse_reason(&serde_json::json!(7)).is_err());
        assert!(parse_reason(&serde_json::json!(8)).is_err());
        assert!(parse_reason(&serde_json::json!("bored")).is_err());
        assert_eq!(normalize_serial("0x00:1a:2B").as_deref(), Some("1A2B"));
        assert_eq!(normalize_serial("ABC").as_deref(), Some("0ABC"));
        assert_eq!(normalize_serial("xyz"), None);
    }
}
