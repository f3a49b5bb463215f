//! Members several resources share: tags, certificate attributes, the error body, list pages
//! and the backup blob.

use super::enums::RecoveryLevel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// A page of a list (§7). `nextLink` is always emitted, `null` on the last page as Azure does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListResult<T> {
    pub value: Vec<T>,
    #[serde(rename = "nextLink")]
    pub next_link: Option<String>,
}

/// `{"value": "<base64url>"}`: the backup result and the restore body (§4.8).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupBlob {
    pub value: String,
}
