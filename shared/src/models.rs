//! Azure Key Vault certificates wire models (spec §3). Field names match the REST API exactly;
//! enums carry their canonical wire casing and parse input case-insensitively (§1.3: store the
//! canonical form). Everything optional is `Option` and skipped when absent so partial bodies
//! (the Python SDK sends only what the user set) round-trip.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Declares a string enum with canonical wire names, case-insensitive parsing and serde.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $(if s.eq_ignore_ascii_case($wire) { return Ok($name::$variant); })+
                Err(UnknownVariant { kind: stringify!($name), value: s.to_string() })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A string that is not one of an enum's wire values.
#[derive(Debug, Clone, thiserror::Error)]
#[error("'{value}' is not a valid {kind}")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
}

wire_enum!(
    /// `key_props.kty` (§3.5). `oct` kinds exist on the wire but are refused for certificates.
    KeyType { Rsa => "RSA", RsaHsm => "RSA-HSM", Ec => "EC", EcHsm => "EC-HSM", Oct => "oct", OctHsm => "oct-HSM" }
);

impl KeyType {
    pub fn is_hsm(self) -> bool {
        matches!(self, KeyType::RsaHsm | KeyType::EcHsm | KeyType::OctHsm)
    }
    pub fn is_ec(self) -> bool {
        matches!(self, KeyType::Ec | KeyType::EcHsm)
    }
    pub fn is_rsa(self) -> bool {
        matches!(self, KeyType::Rsa | KeyType::RsaHsm)
    }
}

wire_enum!(
    /// `key_props.crv` (§3.5).
    CurveName { P256 => "P-256", P384 => "P-384", P521 => "P-521", P256K => "P-256K" }
);

impl CurveName {
    /// The key size Key Vault associates with the curve (`key_size` must match it, §4.5).
    pub fn bits(self) -> u32 {
        match self {
            CurveName::P256 | CurveName::P256K => 256,
            CurveName::P384 => 384,
            CurveName::P521 => 521,
        }
    }
}

wire_enum!(
    /// `x509_props.key_usage` (§3.5).
    KeyUsage {
        DigitalSignature => "digitalSignature",
        NonRepudiation => "nonRepudiation",
        KeyEncipherment => "keyEncipherment",
        DataEncipherment => "dataEncipherment",
        KeyAgreement => "keyAgreement",
        KeyCertSign => "keyCertSign",
        CrlSign => "cRLSign",
        EncipherOnly => "encipherOnly",
        DecipherOnly => "decipherOnly",
    }
);

wire_enum!(
    /// `secret_props.contentType` and the bundle's `contentType` (§3.5).
    ContentType { Pkcs12 => "application/x-pkcs12", Pem => "application/x-pem-file" }
);

wire_enum!(
    /// `lifetime_actions[].action.action_type` (§3.5).
    ActionType { EmailContacts => "EmailContacts", AutoRenew => "AutoRenew" }
);

wire_enum!(
    /// The pending operation's `status` (§4.1). Spelled exactly: JS compares case-sensitively.
    OperationStatus { InProgress => "inProgress", Completed => "completed", Cancelled => "cancelled", Failed => "failed" }
);

wire_enum!(
    /// `attributes.recoveryLevel` (§3.1).
    RecoveryLevel {
        Purgeable => "Purgeable",
        RecoverablePurgeable => "Recoverable+Purgeable",
        Recoverable => "Recoverable",
        RecoverableProtectedSubscription => "Recoverable+ProtectedSubscription",
        CustomizedRecoverablePurgeable => "CustomizedRecoverable+Purgeable",
        CustomizedRecoverable => "CustomizedRecoverable",
        CustomizedRecoverableProtectedSubscription => "CustomizedRecoverable+ProtectedSubscription",
    }
);

/// Partner providers an issuer may name (partner-dialects.md §1), plus vault's extension `ACME`
/// / `ACME-<label>` (any RFC 8555 CA, several told apart by a lower-case label; not Azure's).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ProviderKind {
    DigiCert,
    GlobalSign,
    WoSign,
    /// The canonical name: `ACME` or `ACME-<label>`.
    Acme(String),
}

impl ProviderKind {
    pub fn as_str(&self) -> &str {
        match self {
            ProviderKind::DigiCert => "DigiCert",
            ProviderKind::GlobalSign => "GlobalSign",
            ProviderKind::WoSign => "WoSign",
            ProviderKind::Acme(name) => name,
        }
    }
}

impl FromStr for ProviderKind {
    type Err = UnknownVariant;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fine = |l: &str| {
            (1..=64).contains(&l.len())
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        Ok(match s.to_ascii_lowercase().as_str() {
            "digicert" => ProviderKind::DigiCert,
            "globalsign" => ProviderKind::GlobalSign,
            "wosign" => ProviderKind::WoSign,
            "acme" => ProviderKind::Acme("ACME".into()),
            other => match other.strip_prefix("acme-") {
                Some(label) if fine(label) => ProviderKind::Acme(format!("ACME-{label}")),
                _ => {
                    return Err(UnknownVariant {
                        kind: "ProviderKind",
                        value: s.to_string(),
                    })
                }
            },
        })
    }
}

impl TryFrom<String> for ProviderKind {
    type Error = UnknownVariant;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ProviderKind> for String {
    fn from(kind: ProviderKind) -> String {
        kind.as_str().to_string()
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

wire_enum!(
    /// JWS algorithms accepted by `POST /keys/{name}/{version}/sign` and `/verify`.
    SignatureAlgorithm { Rs256 => "RS256", Rs384 => "RS384", Rs512 => "RS512", Ps256 => "PS256", Ps384 => "PS384", Ps512 => "PS512", Es256 => "ES256", Es384 => "ES384", Es512 => "ES512" }
);

wire_enum!(
    /// JWK `key_ops` (Keys API).
    KeyOperation { Encrypt => "encrypt", Decrypt => "decrypt", Sign => "sign", Verify => "verify", WrapKey => "wrapKey", UnwrapKey => "unwrapKey" }
);

/// Tags: string to string, per version.
pub type Tags = BTreeMap<String, String>;

/// CertificateAttributes (§3.1); list items omit the recovery members.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attributes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<i64>,
    #[serde(rename = "recoverableDays", skip_serializing_if = "Option::is_none")]
    pub recoverable_days: Option<i64>,
    #[serde(rename = "recoveryLevel", skip_serializing_if = "Option::is_none")]
    pub recovery_level: Option<RecoveryLevel>,
}

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
    /// 2026-xx, "internal use only": accepted and echoed.
    #[serde(rename = "platformManaged", skip_serializing_if = "Option::is_none")]
    pub platform_managed: Option<serde_json::Value>,
}

/// The `error` member of an error response or a failed operation (§3.10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    /// Empty (and omitted) only in an `innererror`, which carries just a code.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub innererror: Option<Box<ErrorDetail>>,
}

/// `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

/// CertificateBundle (§3.2) and DeletedCertificateBundle (§3.3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateBundle {
    pub id: String,
    pub kid: String,
    pub sid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cer: Option<String>,
    #[serde(rename = "contentType", skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
    pub attributes: Attributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<CertificatePolicy>,
    #[serde(rename = "preserveCertOrder", skip_serializing_if = "Option::is_none")]
    pub preserve_cert_order: Option<bool>,
    #[serde(rename = "recoveryId", skip_serializing_if = "Option::is_none")]
    pub recovery_id: Option<String>,
    #[serde(rename = "deletedDate", skip_serializing_if = "Option::is_none")]
    pub deleted_date: Option<i64>,
    #[serde(rename = "scheduledPurgeDate", skip_serializing_if = "Option::is_none")]
    pub scheduled_purge_date: Option<i64>,
}

/// CertificateItem and DeletedCertificateItem (§3.4).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateItem {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    pub attributes: Attributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(rename = "recoveryId", skip_serializing_if = "Option::is_none")]
    pub recovery_id: Option<String>,
    #[serde(rename = "deletedDate", skip_serializing_if = "Option::is_none")]
    pub deleted_date: Option<i64>,
    #[serde(rename = "scheduledPurgeDate", skip_serializing_if = "Option::is_none")]
    pub scheduled_purge_date: Option<i64>,
}

/// A page of a list (§7). `nextLink` is always emitted, `null` on the last page as Azure does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListResult<T> {
    pub value: Vec<T>,
    #[serde(rename = "nextLink")]
    pub next_link: Option<String>,
}

/// CertificateOperation (§3.7).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CertificateOperation {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<IssuerParameters>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csr: Option<String>,
    pub cancellation_requested: bool,
    pub status: Option<OperationStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_details: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(rename = "preserveCertOrder", skip_serializing_if = "Option::is_none")]
    pub preserve_cert_order: Option<bool>,
}

/// Body of `POST /certificates/{name}/create` (§3.6).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CertificateCreateParameters {
    #[serde(default)]
    pub policy: Option<CertificatePolicy>,
    #[serde(default)]
    pub attributes: Option<Attributes>,
    #[serde(default)]
    pub tags: Option<Tags>,
    #[serde(default, rename = "preserveCertOrder")]
    pub preserve_cert_order: Option<bool>,
}

/// Body of `POST /certificates/{name}/import` (§3.6, §4.4).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CertificateImportParameters {
    /// PEM text, base64 of PEM, or base64 of a PKCS#12 file.
    pub value: String,
    #[serde(default)]
    pub pwd: Option<String>,
    #[serde(default)]
    pub policy: Option<CertificatePolicy>,
    #[serde(default)]
    pub attributes: Option<Attributes>,
    #[serde(default)]
    pub tags: Option<Tags>,
    #[serde(default, rename = "preserveCertOrder")]
    pub preserve_cert_order: Option<bool>,
}

/// Body of `POST /certificates/{name}/pending/merge` (§3.6, §4.2).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CertificateMergeParameters {
    /// Base64 DER certificates (items that decode to PEM text are accepted too).
    pub x5c: Vec<String>,
    #[serde(default)]
    pub attributes: Option<Attributes>,
    #[serde(default)]
    pub tags: Option<Tags>,
}

/// `{"value": "<base64url>"}`: the backup result and the restore body (§4.8).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupBlob {
    pub value: String,
}

/// Body of `PATCH /certificates/{name}/{version}` (§3.6).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CertificateUpdateParameters {
    #[serde(default)]
    pub policy: Option<CertificatePolicy>,
    #[serde(default)]
    pub attributes: Option<Attributes>,
    #[serde(default)]
    pub tags: Option<Tags>,
}

/// Body of `PATCH /certificates/{name}/pending` (§3.6).
#[derive(Debug, Clone, Deserialize)]
pub struct CertificateOperationUpdateParameter {
    pub cancellation_requested: bool,
}

/// One contact (§3.9).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// Contacts (§3.9).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<Vec<Contact>>,
}

/// Issuer credentials (§3.8). `pwd` is accepted but never echoed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IssuerCredentials {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pwd: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdministratorDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrganizationDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_details: Option<Vec<AdministratorDetails>>,
}

/// Issuer attributes: only `enabled`, `created`, `updated`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IssuerAttributes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<i64>,
}

/// IssuerBundle (§3.8), also the Set/Update body (all members optional on the way in).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IssuerBundle {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<IssuerCredentials>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_details: Option<OrganizationDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<IssuerAttributes>,
}

/// Issuer list item (§3.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuerItem {
    pub id: String,
    pub provider: String,
}

/// A public JSON Web Key as the Keys API returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JsonWebKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    pub kty: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_ops: Vec<KeyOperation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<CurveName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// KeyBundle (Keys API, read side of the linked key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyBundle {
    pub key: JsonWebKey,
    pub attributes: Attributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    pub managed: bool,
}

/// SecretBundle (Secrets API, read side of the linked secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecretBundle {
    pub value: String,
    pub id: String,
    #[serde(rename = "contentType")]
    pub content_type: ContentType,
    pub kid: String,
    pub attributes: Attributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    pub managed: bool,
}

/// `POST /keys/{name}/{version}/sign` body.
#[derive(Debug, Clone, Deserialize)]
pub struct KeySignParameters {
    pub alg: SignatureAlgorithm,
    pub value: String,
}

/// `POST /keys/{name}/{version}/verify` body.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyVerifyParameters {
    pub alg: SignatureAlgorithm,
    pub digest: String,
    pub value: String,
}

/// Result of sign: `kid` plus base64url signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyOperationResult {
    pub kid: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyVerifyResult {
    pub value: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_case_insensitively_and_emit_canonical_casing() {
        let kty: KeyType = serde_json::from_str("\"rsa-hsm\"").unwrap();
        assert_eq!(kty, KeyType::RsaHsm);
        assert_eq!(serde_json::to_string(&kty).unwrap(), "\"RSA-HSM\"");
        let ku: KeyUsage = serde_json::from_str("\"crlsign\"").unwrap();
        assert_eq!(serde_json::to_string(&ku).unwrap(), "\"cRLSign\"");
        assert!(serde_json::from_str::<CurveName>("\"P-999\"").is_err());
    }

    #[test]
    fn partial_policy_round_trips_without_inventing_members() {
        let json = r#"{"x509_props":{"sans":{},"validity_months":36}}"#;
        let policy: CertificatePolicy = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&policy).unwrap(), json);
        assert!(policy.x509_props.unwrap().sans.unwrap().is_empty());
    }

    #[test]
    fn operation_always_has_status_member() {
        let op = CertificateOperation {
            id: "x".into(),
            status: Some(OperationStatus::InProgress),
            ..Default::default()
        };
        let v = serde_json::to_value(&op).unwrap();
        assert_eq!(v["status"], "inProgress");
        assert_eq!(v["cancellation_requested"], false);
    }
}
