//! From a (complete, validated) policy to what the crypto layer needs: the key to generate,
//! the certificate profile, and the linked key's `key_ops` (spec §4.3).

use crate::error::{Error, Result};
use shared::crypto::{CertProfile, KeySpec};
use shared::models::{CertificatePolicy, CurveName, KeyOperation, KeyType, KeyUsage};
use time::OffsetDateTime;

pub fn key_spec(policy: &CertificatePolicy) -> Result<KeySpec> {
    let key = policy.key_props.clone().unwrap_or_default();
    let kty = key.kty.unwrap_or(KeyType::Rsa);
    if kty.is_ec() {
        Ok(KeySpec::Ec {
            curve: key.crv.unwrap_or(CurveName::P256),
        })
    } else if kty.is_rsa() {
        Ok(KeySpec::Rsa {
            bits: key.key_size.unwrap_or(2048),
        })
    } else {
        Err(Error::bad(format!(
            "Key type {kty} is not supported for certificates."
        )))
    }
}

/// The wire `kty` of the linked key.
pub fn kty(policy: &CertificatePolicy) -> KeyType {
    policy
        .key_props
        .as_ref()
        .and_then(|k| k.kty)
        .unwrap_or(KeyType::Rsa)
}

pub fn exportable(policy: &CertificatePolicy) -> bool {
    let kty = kty(policy);
    policy
        .key_props
        .as_ref()
        .and_then(|k| k.exportable)
        .unwrap_or(!kty.is_hsm())
        && !kty.is_hsm()
}

/// Validity starts at `now` and lasts `validity_months` calendar months.
pub fn cert_profile(policy: &CertificatePolicy, now: OffsetDateTime) -> CertProfile {
    let x509 = policy.x509_props.clone().unwrap_or_default();
    let months = x509.validity_months.unwrap_or(12);
    CertProfile {
        subject: x509.subject.unwrap_or_default(),
        sans: x509.sans.unwrap_or_default(),
        ekus: x509.ekus.unwrap_or_default(),
        key_usage: x509.key_usage.unwrap_or_default(),
        not_before: now,
        not_after: add_months(now, months),
        is_ca: false,
        path_len: None,
    }
}

/// Key usage → `key_ops` as Key Vault maps them (spec §4.3), in a stable order.
pub fn key_ops(policy: &CertificatePolicy) -> Vec<KeyOperation> {
    let usages = policy
        .x509_props
        .as_ref()
        .and_then(|x| x.key_usage.clone())
        .unwrap_or_default();
    let mut ops = Vec::new();
    let mut add = |op| {
        if !ops.contains(&op) {
            ops.push(op);
        }
    };
    for usage in usages {
        match usage {
            KeyUsage::DigitalSignature
            | KeyUsage::NonRepudiation
            | KeyUsage::KeyCertSign
            | KeyUsage::CrlSign => {
                add(KeyOperation::Sign);
                add(KeyOperation::Verify);
            }
            KeyUsage::KeyEncipherment => {
                add(KeyOperation::WrapKey);
                add(KeyOperation::UnwrapKey);
            }
            KeyUsage::DataEncipherment => {
                add(KeyOperation::Encrypt);
                add(KeyOperation::Decrypt);
            }
            KeyUsage::EncipherOnly => add(KeyOperation::Encrypt),
            KeyUsage::DecipherOnly => add(KeyOperation::Decrypt),
            KeyUsage::KeyAgreement => {}
        }
    }
    ops
}

/// Adds calendar months, clamping the day to the target month's length.
pub fn add_months(dt: OffsetDateTime, months: u32) -> OffsetDateTime {
    let total = dt.month() as i64 - 1 + months as i64;
    let year = dt.year() as i64 + total.div_euclid(12);
    let month_index = total.rem_euclid(12) as u8 + 1;
    let Ok(month) = time::Month::try_from(month_index) else {
        return dt;
    };
    let year = year.clamp(-9999, 9999) as i32;
    let day = dt.day().min(time::util::days_in_month(month, year));
    match time::Date::from_calendar_date(year, month, day) {
        Ok(date) => dt.replace_date(date),
        Err(_) => dt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn months_are_calendar_months_with_clamped_days() {
        assert_eq!(
            add_months(datetime!(2026-01-31 10:00 UTC), 1),
            datetime!(2026-02-28 10:00 UTC)
        );
        assert_eq!(
            add_months(datetime!(2026-11-27 00:00 UTC), 12),
            datetime!(2027-11-27 00:00 UTC)
        );
        assert_eq!(
            add_months(datetime!(2024-12-15 00:00 UTC), 14),
            datetime!(2026-02-15 00:00 UTC)
        );
    }

    #[test]
    fn key_usage_maps_to_key_ops() {
        let policy: CertificatePolicy = serde_json::from_str(
            r#"{"x509_props":{"key_usage":["digitalSignature","keyEncipherment","decipherOnly"]}}"#,
        )
        .unwrap();
        assert_eq!(
            key_ops(&policy),
            vec![
                KeyOperation::Sign,
                KeyOperation::Verify,
                KeyOperation::WrapKey,
                KeyOperation::UnwrapKey,
                KeyOperation::Decrypt
            ]
        );
    }
}
