//! Certificate policy rules (spec §3.5, §4.5): server defaults for the members a client left
//! out, validation (every failure a 400 BadParameter with a message naming the member), and
//! the member-by-member merge a policy PATCH performs.

use crate::error::{Error, Result};
use shared::models::{
    Action, ActionType, CertificatePolicy, ContentType, CurveName, IssuerParameters, KeyProperties,
    KeyType, KeyUsage, LifetimeAction, SecretProperties, SubjectAlternativeNames, Trigger,
    X509Properties,
};

use crate::model::{ISSUER_SELF, ISSUER_UNKNOWN};
const DEFAULT_VALIDITY_MONTHS: u32 = 12;
/// Practical upper bound for self-signed validity (portal limit, spec §4.5).
const MAX_VALIDITY_MONTHS: u32 = 1200;
const DEFAULT_EKUS: [&str; 2] = ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"];

/// How the issuer name of a policy is handled (spec §4.1 table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerKind {
    SelfSigned,
    Unknown,
    /// The name of an issuer object (partner CA).
    Named(String),
}

pub fn issuer_kind(policy: &CertificatePolicy) -> IssuerKind {
    let name = policy
        .issuer
        .as_ref()
        .and_then(|i| i.name.as_deref())
        .unwrap_or(ISSUER_UNKNOWN);
    if name.eq_ignore_ascii_case(ISSUER_SELF) {
        IssuerKind::SelfSigned
    } else if name.eq_ignore_ascii_case(ISSUER_UNKNOWN) {
        IssuerKind::Unknown
    } else {
        IssuerKind::Named(name.to_string())
    }
}

/// Fills in every member a client may omit, with Azure's observed defaults (§3.5), and
/// normalises casing (issuer names Self/Unknown are stored canonically).
pub fn with_defaults(mut p: CertificatePolicy) -> CertificatePolicy {
    p.id = None;
    p.attributes = None;

    let key = p.key_props.get_or_insert_with(KeyProperties::default);
    let kty = *key.kty.get_or_insert(KeyType::Rsa);
    key.exportable.get_or_insert(!kty.is_hsm());
    key.reuse_key.get_or_insert(false);
    if kty.is_ec() {
        let crv = *key.crv.get_or_insert(CurveName::P256);
        key.key_size.get_or_insert(crv.bits());
    } else if kty.is_rsa() {
        key.key_size.get_or_insert(2048);
    }

    p.secret_props
        .get_or_insert_with(SecretProperties::default)
        .content_type
        .get_or_insert(ContentType::Pkcs12);

    let x509 = p.x509_props.get_or_insert_with(X509Properties::default);
    x509.validity_months.get_or_insert(DEFAULT_VALIDITY_MONTHS);
    x509.ekus
        .get_or_insert_with(|| DEFAULT_EKUS.iter().map(|s| s.to_string()).collect());
    x509.key_usage.get_or_insert_with(|| {
        if kty.is_ec() {
            vec![KeyUsage::DigitalSignature]
        } else {
            vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment]
        }
    });
    if let Some(sans) = &x509.sans {
        if sans.is_empty() {
            x509.sans = None;
        }
    }

    // A platform-managed policy's default issuer is not `Unknown` (that means "merge it
    // yourself", and the Python SDK stops polling for it): the platform CA issues it.
    let default_issuer = if p.platform_managed.is_some() {
        crate::model::platform::ISSUER_PLATFORM
    } else {
        ISSUER_UNKNOWN
    };
    let issuer = p.issuer.get_or_insert_with(IssuerParameters::default);
    let name = issuer
        .name
        .get_or_insert_with(|| default_issuer.to_string());
    if name.eq_ignore_ascii_case(ISSUER_SELF) {
        *name = ISSUER_SELF.to_string();
    } else if name.eq_ignore_ascii_case(ISSUER_UNKNOWN) {
        *name = ISSUER_UNKNOWN.to_string();
    }

    if p.lifetime_actions.is_none() {
        let action_type = if issuer_kind(&p) == IssuerKind::Unknown {
            ActionType::EmailContacts
        } else {
            ActionType::AutoRenew
        };
        p.lifetime_actions = Some(vec![LifetimeAction {
            trigger: Some(Trigger {
                lifetime_percentage: Some(80),
                days_before_expiry: None,
            }),
            action: Some(Action {
                action_type: Some(action_type),
            }),
        }]);
    }
    p
}

/// Checks a policy that already has its defaults (§4.5).
pub fn validate(p: &CertificatePolicy) -> Result<()> {
    let key = p
        .key_props
        .as_ref()
        .ok_or_else(|| Error::bad("key_props is required"))?;
    let kty = key
        .kty
        .ok_or_else(|| Error::bad("key_props.kty is required"))?;
    match kty {
        KeyType::Oct | KeyType::OctHsm => {
            return Err(Error::bad(format!(
                "Key type {kty} is not supported for certificates; use RSA, RSA-HSM, EC or EC-HSM."
            )))
        }
        KeyType::Rsa | KeyType::RsaHsm => {
            if key.crv.is_some() {
                return Err(Error::bad("key_props.crv is not allowed for RSA keys."));
            }
            let size = key.key_size.unwrap_or(2048);
            if ![2048, 3072, 4096].contains(&size) {
                return Err(Error::bad(format!(
                    "RSA key size {size} is not supported; use 2048, 3072 or 4096."
                )));
            }
        }
        KeyType::Ec | KeyType::EcHsm => {
            let crv = key.crv.unwrap_or(CurveName::P256);
            if crv == CurveName::P256K {
                return Err(Error::bad(
                    "Curve P-256K is not supported by this vault yet; use P-256, P-384 or P-521.",
                ));
            }
            if let Some(size) = key.key_size {
                if size != crv.bits() {
                    return Err(Error::bad(format!(
                        "key_props.key_size {size} does not match curve {crv} ({} bits).",
                        crv.bits()
                    )));
                }
            }
        }
    }
    if kty.is_hsm() && key.exportable == Some(true) {
        return Err(Error::bad(format!(
            "Keys of type {kty} are not exportable; set key_props.exportable to false."
        )));
    }

    let x509 = p
        .x509_props
        .as_ref()
        .ok_or_else(|| Error::bad("x509_props is required"))?;
    let subject = x509.subject.as_deref().unwrap_or("").trim();
    let sans = x509.sans.clone().unwrap_or_default();
    // A platform-managed policy takes its names from its metadata (or the certificate's
    // name), so it needs no subject.
    let platform = p
        .platform_managed
        .as_ref()
        .map(|pm| crate::model::platform::parse(pm).map_err(Error::bad))
        .transpose()?;
    if let Some(platform) = &platform {
        validate_names(&platform.sans, &platform.ekus)?;
    }
    if subject.is_empty() && sans.is_empty() && platform.is_none() {
        return Err(Error::bad(
            "The policy needs a subject (x509_props.subject) or at least one subject alternative name.",
        ));
    }
    if !subject.is_empty() {
        shared::crypto::parse_dn(subject).map_err(|e| {
            Error::bad(format!("x509_props.subject is not a valid X.500 name: {e}"))
        })?;
    }
    validate_names(&sans, x509.ekus.as_deref().unwrap_or_default())?;
    let months = x509.validity_months.unwrap_or(DEFAULT_VALIDITY_MONTHS);
    if !(1..=MAX_VALIDITY_MONTHS).contains(&months) {
        return Err(Error::bad(format!(
            "x509_props.validity_months must be between 1 and {MAX_VALIDITY_MONTHS}."
        )));
    }

    let issuer_kind = issuer_kind(p);
    if let IssuerKind::Named(name) = &issuer_kind {
        super::names::validate_name(name, "issuer name")?;
    }
    if let Some(actions) = &p.lifetime_actions {
        if actions.len() > 1 {
            return Err(Error::bad("At most one lifetime action is supported."));
        }
        for action in actions {
            let trigger = action
                .trigger
                .as_ref()
                .ok_or_else(|| Error::bad("Each lifetime action needs a trigger."))?;
            match (trigger.lifetime_percentage, trigger.days_before_expiry) {
                (Some(pct), None) => {
                    if !(1..=99).contains(&pct) {
                        return Err(Error::bad(
                            "trigger.lifetime_percentage must be between 1 and 99.",
                        ));
                    }
                }
                (None, Some(days)) => {
                    let max = months * 27;
                    if days < 1 || days > max {
                        return Err(Error::bad(format!(
                            "trigger.days_before_expiry must be between 1 and {max} (27 x validity_months)."
                        )));
                    }
                }
                _ => {
                    return Err(Error::bad(
                        "A trigger needs exactly one of lifetime_percentage or days_before_expiry.",
                    ))
                }
            }
            let action_type = action
                .action
                .as_ref()
                .and_then(|a| a.action_type)
                .ok_or_else(|| Error::bad("Each lifetime action needs action.action_type."))?;
            if action_type == ActionType::AutoRenew && issuer_kind == IssuerKind::Unknown {
                return Err(Error::bad(
                    "AutoRenew is not possible with issuer Unknown: renewal needs an issuer. Use EmailContacts.",
                ));
            }
        }
    }
    Ok(())
}

/// Every SAN and EKU through the checks the certificate and CSR builders apply themselves
/// (`shared::crypto`), so a policy accepted here never fails later in the builder.
fn validate_names(sans: &SubjectAlternativeNames, ekus: &[String]) -> Result<()> {
    shared::crypto::validate_sans(sans).map_err(|e| Error::bad(e.to_string()))?;
    for eku in ekus {
        shared::crypto::validate_eku(eku).map_err(|e| Error::bad(e.to_string()))?;
    }
    Ok(())
}

/// Defaults then validation: the policy a create stores.
pub fn complete(p: CertificatePolicy) -> Result<CertificatePolicy> {
    let p = with_defaults(p);
    validate(&p)?;
    Ok(p)
}

/// A policy PATCH: members the client set replace the stored ones; empty objects (the Python
/// SDK sends `"sans": {}`) leave them unchanged (spec §11).
pub fn merge(stored: &CertificatePolicy, patch: CertificatePolicy) -> Result<CertificatePolicy> {
    let mut out = stored.clone();
    if let Some(k) = patch.key_props {
        let cur = out.key_props.get_or_insert_with(Default::default);
        let kty_changed = k.kty.is_some() && k.kty != cur.kty;
        if kty_changed {
            // A new key type invalidates the size/curve of the old one unless given again.
            cur.key_size = None;
            cur.crv = None;
            cur.exportable = None;
        }
        overlay(&mut cur.exportable, k.exportable);
        overlay(&mut cur.kty, k.kty);
        overlay(&mut cur.key_size, k.key_size);
        overlay(&mut cur.reuse_key, k.reuse_key);
        overlay(&mut cur.crv, k.crv);
    }
    if let Some(s) = patch.secret_props {
        overlay(
            &mut out
                .secret_props
                .get_or_insert_with(Default::default)
                .content_type,
            s.content_type,
        );
    }
    if let Some(x) = patch.x509_props {
        let cur = out.x509_props.get_or_insert_with(Default::default);
        overlay(&mut cur.subject, x.subject);
        if let Some(sans) = x.sans {
            if !sans.is_empty() {
                cur.sans = Some(sans);
            }
        }
        overlay(&mut cur.ekus, x.ekus);
        overlay(&mut cur.key_usage, x.key_usage);
        overlay(&mut cur.validity_months, x.validity_months);
    }
    overlay(&mut out.lifetime_actions, patch.lifetime_actions);
    if let Some(i) = patch.issuer {
        let cur = out.issuer.get_or_insert_with(Default::default);
        overlay(&mut cur.name, i.name);
        overlay(&mut cur.cty, i.cty);
        overlay(&mut cur.cert_transparency, i.cert_transparency);
    }
    overlay(&mut out.platform_managed, patch.platform_managed);
    complete(out)
}

fn overlay<T>(target: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *target = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> CertificatePolicy {
        serde_json::from_str(
            r#"{"x509_props":{"subject":"CN=DefaultPolicy"},"issuer":{"name":"self"}}"#,
        )
        .unwrap()
    }

    #[test]
    fn defaults_fill_a_minimal_python_policy() {
        let p = complete(minimal()).unwrap();
        let key = p.key_props.as_ref().unwrap();
        assert_eq!(key.kty, Some(KeyType::Rsa));
        assert_eq!(key.key_size, Some(2048));
        assert_eq!(key.exportable, Some(true));
        assert_eq!(p.issuer.as_ref().unwrap().name.as_deref(), Some("Self"));
        let x = p.x509_props.as_ref().unwrap();
        assert_eq!(x.validity_months, Some(12));
        assert_eq!(x.key_usage.as_ref().unwrap().len(), 2);
        assert_eq!(
            p.lifetime_actions.unwrap()[0]
                .action
                .as_ref()
                .unwrap()
                .action_type,
            Some(ActionType::AutoRenew)
        );
    }

    #[test]
    fn ec_defaults_follow_the_curve() {
        let mut p = minimal();
        p.key_props = Some(KeyProperties {
            kty: Some(KeyType::Ec),
            crv: Some(CurveName::P384),
            ..Default::default()
        });
        let p = complete(p).unwrap();
        assert_eq!(p.key_props.as_ref().unwrap().key_size, Some(384));
        assert_eq!(
            p.x509_props.unwrap().key_usage.unwrap(),
            vec![KeyUsage::DigitalSignature]
        );
    }

    #[test]
    fn invalid_policies_are_rejected_with_reasons() {
        let cases: Vec<(&str, &str)> = vec![
            (
                r#"{"key_props":{"kty":"RSA","key_size":1024},"x509_props":{"subject":"CN=a"}}"#,
                "1024",
            ),
            (
                r#"{"key_props":{"kty":"EC","crv":"P-256","key_size":384},"x509_props":{"subject":"CN=a"}}"#,
                "does not match",
            ),
            (
                r#"{"key_props":{"kty":"oct"},"x509_props":{"subject":"CN=a"}}"#,
                "not supported",
            ),
            (
                r#"{"key_props":{"kty":"RSA-HSM","exportable":true},"x509_props":{"subject":"CN=a"}}"#,
                "not exportable",
            ),
            (r#"{"x509_props":{}}"#, "subject"),
            (
                r#"{"x509_props":{"subject":"CN=a","validity_months":0}}"#,
                "validity_months",
            ),
            (
                r#"{"x509_props":{"subject":"CN=a","ekus":["server"]}}"#,
                "ekus",
            ),
            (
                r#"{"x509_props":{"subject":"CN=a","sans":{"ipAddresses":["1.2.3"]}}}"#,
                "ipAddresses",
            ),
            (
                r#"{"x509_props":{"subject":"CN=a"},"issuer":{"name":"Unknown"},"lifetime_actions":[{"trigger":{"lifetime_percentage":80},"action":{"action_type":"AutoRenew"}}]}"#,
                "AutoRenew",
            ),
            (
                r#"{"x509_props":{"subject":"CN=a"},"lifetime_actions":[{"trigger":{"lifetime_percentage":80,"days_before_expiry":3},"action":{"action_type":"EmailContacts"}}]}"#,
                "exactly one",
            ),
            (
                r#"{"x509_props":{"subject":"CN=a"},"lifetime_actions":[{"trigger":{"days_before_expiry":400},"action":{"action_type":"EmailContacts"}}]}"#,
                "324",
            ),
        ];
        for (json, needle) in cases {
            let p: CertificatePolicy = serde_json::from_str(json).unwrap();
            let err = complete(p).unwrap_err().to_string();
            assert!(err.contains(needle), "{json}: {err}");
        }
    }

    fn with_sans(sans: &str) -> CertificatePolicy {
        serde_json::from_str(&format!(
            r#"{{"x509_props":{{"subject":"CN=a","sans":{sans}}},"issuer":{{"name":"Self"}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn every_san_kind_is_checked_with_the_builders_rules() {
        let cases = [
            (r#"{"emails":["a b@x.test"]}"#, "sans.emails", "a b@x.test"),
            (
                r#"{"emails":["josé@x.test"]}"#,
                "sans.emails",
                "josé@x.test",
            ),
            (r#"{"emails":[" a@x.test"]}"#, "sans.emails", " a@x.test"),
            (
                r#"{"dns_names":["a b.example"]}"#,
                "sans.dns_names",
                "a b.example",
            ),
            (
                r#"{"upns":["user name@x.test"]}"#,
                "sans.upns",
                "user name@x.test",
            ),
            (
                r#"{"uris":["https://exa mple.test"]}"#,
                "sans.uris",
                "exa mple",
            ),
            (r#"{"uris":["https://ü.test/"]}"#, "sans.uris", "ü.test"),
            (
                r#"{"ipAddresses":[" 10.0.0.1"]}"#,
                "sans.ipAddresses",
                " 10.0.0.1",
            ),
        ];
        for (sans, field, value) in cases {
            let err = complete(with_sans(sans)).unwrap_err();
            assert!(matches!(err, Error::BadParameter(_)), "{sans}: {err:?}");
            let err = err.to_string();
            assert!(err.contains(field) && err.contains(value), "{sans}: {err}");
        }
        for eku in ["5.1", "1.01", "1.40.1", " 1.3.6.1"] {
            let mut p = minimal();
            p.x509_props.as_mut().unwrap().ekus = Some(vec![eku.into()]);
            let err = complete(p).unwrap_err().to_string();
            assert!(err.contains("x509_props.ekus"), "{eku}: {err}");
        }
    }

    #[test]
    fn an_accepted_policy_builds_its_csr() {
        let policy = complete(with_sans(
            r#"{"dns_names":["a.example","*.example"],"emails":["a@x.test"],"upns":["josé@x.test"],"uris":["spiffe://x/y"],"ipAddresses":["10.0.0.1","::1"]}"#,
        ))
        .unwrap();
        let profile =
            crate::issuance::profile::cert_profile(&policy, time::OffsetDateTime::now_utc());
        let key = shared::crypto::PrivateKey::generate(
            crate::issuance::profile::key_spec(&policy).unwrap(),
        )
        .unwrap();
        let csr = shared::crypto::build_csr(&key, &profile).unwrap();
        let info = shared::crypto::parse_csr(&csr).unwrap();
        assert_eq!(info.sans.upns, Some(vec!["josé@x.test".to_string()]));
    }

    #[test]
    fn merge_keeps_unset_members_and_ignores_empty_sans() {
        let mut p = minimal();
        p.x509_props.as_mut().unwrap().sans = Some(SubjectAlternativeNames {
            dns_names: Some(vec!["a.example".into()]),
            ..Default::default()
        });
        let stored = complete(p).unwrap();
        let patch: CertificatePolicy =
            serde_json::from_str(r#"{"x509_props":{"sans":{},"validity_months":36}}"#).unwrap();
        let merged = merge(&stored, patch).unwrap();
        let x = merged.x509_props.unwrap();
        assert_eq!(x.validity_months, Some(36));
        assert_eq!(
            x.sans.unwrap().dns_names.unwrap(),
            vec!["a.example".to_string()]
        );
        assert_eq!(x.subject.as_deref(), Some("CN=DefaultPolicy"));
    }

    #[test]
    fn merge_to_ec_resets_rsa_size() {
        let stored = complete(minimal()).unwrap();
        let patch: CertificatePolicy =
            serde_json::from_str(r#"{"key_props":{"kty":"EC","crv":"P-256"}}"#).unwrap();
        let merged = merge(&stored, patch).unwrap();
        let key = merged.key_props.unwrap();
        assert_eq!(
            (key.kty, key.crv, key.key_size),
            (Some(KeyType::Ec), Some(CurveName::P256), Some(256))
        );
    }
}
