//! CertificatePolicy (spec §3.5) and its members, also the shape of partial policies in
//! create and PATCH bodies.

use super::common::Attributes;
use super::enums::{ActionType, ContentType, CurveName, KeyType, KeyUsage};
use serde::{Deserialize, Serialize};

/// `key_props` (§3.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exportable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kty: Option<KeyType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_size: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reuse_key: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<CurveName>,
}

/// `secret_props` (§3.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretProperties {
    #[serde(rename = "contentType", skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
}

/// `x509_props.sans` (§3.5; `uris` and `ipAddresses` since 2025-07-01).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectAlternativeNames {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_names: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upns: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uris: Option<Vec<String>>,
    #[serde(rename = "ipAddresses", skip_serializing_if = "Option::is_none")]
    pub ip_addresses: Option<Vec<String>>,
}

impl SubjectAlternativeNames {
    /// True when no list has an entry (an empty `sans` object means "unchanged" in a PATCH).
    pub fn is_empty(&self) -> bool {
        [
            &self.emails,
            &self.dns_names,
            &self.upns,
            &self.uris,
            &self.ip_addresses,
        ]
        .iter()
        .all(|l| l.as_ref().is_none_or(|v| v.is_empty()))
    }
}

/// `x509_props` (§3.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct X509Properties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sans: Option<SubjectAlternativeNames>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ekus: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<Vec<KeyUsage>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validity_months: Option<u32>,
}

/// A lifetime action's trigger: exactly one member is set (§4.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_percentage: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_before_expiry: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Action {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_type: Option<ActionType>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LifetimeAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Trigger>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

/// `issuer` inside a policy or an operation (§3.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IssuerParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_transparency: Option<bool>,
}

/// CertificatePolicy (§3.5). Also the shape of a partial policy in create and PATCH bodies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificatePolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_props: Option<KeyProperties>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_props: Option<SecretProperties>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x509_props: Option<X509Properties>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_actions: Option<Vec<LifetimeAction>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<IssuerParameters>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Attributes>,
    /// `{"certificateUsage", "metadata"}` (2026-03-01-preview and later, "internal use only").
    /// Kept as raw JSON so it is returned exactly as sent, schema-less `metadata` included;
    /// vault reads and validates it in `model::platform` (docs/api-versions.md).
    #[serde(rename = "platformManaged", skip_serializing_if = "Option::is_none")]
    pub platform_managed: Option<serde_json::Value>,
}
