//! The Keys and Secrets API shapes of a certificate's linked key and secret (read side, sign
//! and verify).

use super::common::{Attributes, Tags};
use super::enums::{ContentType, CurveName, KeyOperation, SignatureAlgorithm};
use serde::{Deserialize, Serialize};

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
