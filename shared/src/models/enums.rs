//! The wire enums (spec §3.5, §3.1, §4.1) with canonical casing and case-insensitive parsing,
//! the partner provider names, and [`UnknownVariant`], the error for a string none of them is.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
