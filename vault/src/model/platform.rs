//! `platformManaged` policies (API 2026-03-01-preview and 2026-04-01): the policy member
//! `{"certificateUsage": "<string>", "metadata": {<free-form>}}` that Azure documents as
//! internal-use and issues from a platform CA. The member is stored and returned exactly as
//! the client sent it; this module only reads what issuance needs from it: the usage (which
//! decides the EKUs) and the names in `metadata.sans`. The known usages and the name keys are
//! listed in docs/api-versions.md.

use serde_json::Value;
use shared::crypto::{CertProfile, PrivateKey};
use shared::models::SubjectAlternativeNames;

/// The issuer name a platform-managed policy gets when it names none.
pub const ISSUER_PLATFORM: &str = "Platform";

/// id-kp-serverAuth (RFC 5280 §4.2.1.12).
pub const SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
/// id-kp-clientAuth.
pub const CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";

/// The `certificateUsage` values vault knows (matched case-insensitively) and their EKUs:
/// the name says the EKU (`…ServerAuth`, `…ClientAuth`, `…ServerAndClientAuth`). Neither the
/// SDKs nor the REST specs enumerate the values; `PublicTLSServerAuth` is the one the issue
/// and Azure's samples use, the rest follow its pattern.
pub const KNOWN_USAGES: &[(&str, &[&str])] = &[
    ("PublicTLSServerAuth", &[SERVER_AUTH]),
    ("PublicTLSClientAuth", &[CLIENT_AUTH]),
    ("PublicTLSServerAndClientAuth", &[SERVER_AUTH, CLIENT_AUTH]),
    ("PrivateTLSServerAuth", &[SERVER_AUTH]),
    ("PrivateTLSClientAuth", &[CLIENT_AUTH]),
    ("PrivateTLSServerAndClientAuth", &[SERVER_AUTH, CLIENT_AUTH]),
];

/// What issuance reads from a `platformManaged` member.
#[derive(Debug, Clone, PartialEq)]
pub struct PlatformRequest {
    /// The canonical spelling of the usage.
    pub usage: &'static str,
    /// Dotted EKU OIDs for the usage.
    pub ekus: Vec<String>,
    /// `metadata.sans`, empty when absent.
    pub sans: SubjectAlternativeNames,
}

/// The CA that signs platform-managed certificates: vault's built-in local CA (the ACME
/// gateway's, `acme::ca`). Issuance holds it behind this trait so it does not depend on the
/// gateway and tests can swap it.
pub trait PlatformCa: Send + Sync {
    /// A certificate for `key` with `profile`'s names, EKUs, key usage and validity; the chain
    /// leaf first, up to the CA's root. CPU-bound: callers run it on the blocking pool.
    fn issue(&self, key: &PrivateKey, profile: &CertProfile) -> Result<Vec<Vec<u8>>, String>;
}

/// Reads a `platformManaged` member. The error is a sentence for a 400 naming the member.
pub fn parse(value: &Value) -> Result<PlatformRequest, String> {
    let Value::Object(map) = value else {
        return Err("platformManaged must be an object with certificateUsage and metadata.".into());
    };
    let usage = match map.get("certificateUsage") {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => {
            return Err("platformManaged.certificateUsage is required.".into());
        }
        Some(_) => return Err("platformManaged.certificateUsage must be a string.".into()),
    };
    let Some((canonical, ekus)) = KNOWN_USAGES
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(usage))
    else {
        let known: Vec<&str> = KNOWN_USAGES.iter().map(|(k, _)| *k).collect();
        return Err(format!(
            "platformManaged.certificateUsage '{usage}' is not supported; use one of {}.",
            known.join(", ")
        ));
    };
    let sans = match map.get("metadata") {
        None | Some(Value::Null) => SubjectAlternativeNames::default(),
        Some(Value::Object(metadata)) => match metadata.get("sans") {
            None | Some(Value::Null) => SubjectAlternativeNames::default(),
            Some(sans) => names(sans)?,
        },
        Some(_) => return Err("platformManaged.metadata must be a JSON object.".into()),
    };
    Ok(PlatformRequest {
        usage: canonical,
        ekus: ekus.iter().map(|s| s.to_string()).collect(),
        sans,
    })
}

/// `metadata.sans`: lists of strings under the keys of `x509_props.sans` (`dns_names`,
/// `emails`, `upns`, `uris`, `ipAddresses`), with `ip_addresses`, `ips` and `dnsNames` read
/// too. Other keys are left alone (the metadata has no schema).
fn names(value: &Value) -> Result<SubjectAlternativeNames, String> {
    let Value::Object(map) = value else {
        return Err("platformManaged.metadata.sans must be a JSON object of string lists.".into());
    };
    let mut sans = SubjectAlternativeNames::default();
    for (key, list) in map {
        let slot = match key.as_str() {
            "dns_names" | "dnsNames" => &mut sans.dns_names,
            "emails" => &mut sans.emails,
            "upns" => &mut sans.upns,
            "uris" => &mut sans.uris,
            "ipAddresses" | "ip_addresses" | "ips" => &mut sans.ip_addresses,
            _ => continue,
        };
        let items = match list {
            Value::Null => continue,
            Value::Array(items) => items,
            _ => {
                return Err(format!(
                    "platformManaged.metadata.sans.{key} must be a list of strings."
                ))
            }
        };
        let strings = items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                format!("platformManaged.metadata.sans.{key} must be a list of strings.")
            })?;
        slot.get_or_insert_with(Vec::new).extend(strings);
    }
    Ok(sans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_issue_example_parses() {
        let pm = json!({"certificateUsage": "PublicTLSServerAuth", "metadata": {"sans": {"dns_names": ["app.example.test"]}}});
        let req = parse(&pm).unwrap();
        assert_eq!(req.usage, "PublicTLSServerAuth");
        assert_eq!(req.ekus, vec![SERVER_AUTH.to_string()]);
        assert_eq!(
            req.sans.dns_names,
            Some(vec!["app.example.test".to_string()])
        );
        let both =
            parse(&json!({"certificateUsage": "privatetlsserverandclientauth", "ips": 1})).unwrap();
        assert_eq!(both.ekus.len(), 2);
        assert!(both.sans.is_empty());
    }

    #[test]
    fn unknown_usage_and_bad_metadata_are_refused() {
        assert!(parse(&json!({"certificateUsage": "CodeSigning"}))
            .unwrap_err()
            .contains("not supported"));
        assert!(parse(&json!({"metadata": {}}))
            .unwrap_err()
            .contains("required"));
        assert!(
            parse(&json!({"certificateUsage": "PublicTLSServerAuth", "metadata": "x"}))
                .unwrap_err()
                .contains("metadata")
        );
        assert!(parse(&json!({"certificateUsage": "PublicTLSServerAuth", "metadata": {"sans": {"dns_names": [1]}}})).is_err());
        assert!(parse(&json!("PublicTLSServerAuth")).is_err());
    }
}
