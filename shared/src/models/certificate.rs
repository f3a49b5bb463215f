//! Certificates (spec §3.2–§3.7): bundles, list items, the pending operation and the request
//! bodies of create, import, merge, update and cancel.

use super::common::{Attributes, ErrorDetail, Tags};
use super::enums::{ContentType, OperationStatus};
use super::policy::{CertificatePolicy, IssuerParameters};
use serde::{Deserialize, Serialize};

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
