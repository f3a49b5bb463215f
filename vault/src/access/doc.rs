//! The access document, in exactly the TOML shape of `--access FILE` (issue 14): principals
//! (who can get tokens) and vaults (which exist and who may do what in each).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessDoc {
    /// The tenant tokens are issued in; a fixed documented default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub principals: Vec<Principal>,
    #[serde(default)]
    pub vaults: Vec<VaultDecl>,
}

/// An application (service principal) or managed identity that can get tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// For logs, messages and references from policies and assignments.
    pub name: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// PEM certificate (path, relative to the access file) whose key signs client assertions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<PathBuf>,
    /// Generated and kept stable when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// A managed identity: tokens from the managed-identity endpoints, no secret.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub managed_identity: bool,
}

/// One vault and its access model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultDecl {
    pub name: String,
    #[serde(default)]
    pub authorization: Authorization,
    #[serde(default)]
    pub access_policies: Vec<AccessPolicy>,
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
}

/// A vault's permission model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Authorization {
    #[default]
    AccessPolicy,
    Rbac,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPolicy {
    /// A principal's `name`.
    pub principal: String,
    #[serde(default)]
    pub certificates: Vec<String>,
    #[serde(default)]
    pub secrets: Vec<String>,
    #[serde(default)]
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleAssignment {
    /// A principal's `name`.
    pub principal: String,
    /// A built-in role name, e.g. "Key Vault Certificates Officer".
    pub role: String,
    /// `/certificates/NAME` for one certificate; the whole vault when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}
