//! The access document, in exactly the TOML shape of `--access FILE` (issue 14): principals
//! (who can get tokens) and vaults (which exist and who may do what in each). Fields beyond
//! the example (`location`, `subscription_id`, `resource_group`) only shape the 403
//! messages and have documented defaults (docs/access.md).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Region named in 403 messages (`…;location=<region>`) when a vault declares none.
pub const DEFAULT_LOCATION: &str = "eastus";
/// Subscription in RBAC resource ids when a vault declares none.
pub const DEFAULT_SUBSCRIPTION_ID: &str = "00000000-0000-0000-0000-000000000000";
/// Resource group in RBAC resource ids when a vault declares none.
pub const DEFAULT_RESOURCE_GROUP: &str = "vault-emulator";
/// The tenant when the access document names none (the one vault's challenges always named).
pub const DEFAULT_TENANT: &str = "00000000-0000-0000-0000-000000000000";

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

impl AccessDoc {
    /// The tenant tokens are issued in: `tenant_id`, else [`DEFAULT_TENANT`].
    pub fn tenant(&self) -> &str {
        self.tenant_id
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or(DEFAULT_TENANT)
    }
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
    /// PEM certificate whose key signs client assertions. Relative paths are relative to the
    /// access file's directory; [`crate::access::Access::load`] resolves them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<PathBuf>,
    /// Generated and kept stable when absent ([`Principal::object_id_or_derived`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// A managed identity: tokens from the managed-identity endpoints, no secret.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub managed_identity: bool,
}

impl Principal {
    /// The principal's object id (`oid`): the declared one, else a UUID-shaped value derived
    /// from SHA-256 of the tenant and the client id, so it is the same on every start without
    /// being stored anywhere.
    pub fn object_id_or_derived(&self, tenant: &str) -> String {
        if let Some(oid) = self.object_id.as_deref().filter(|o| !o.is_empty()) {
            return oid.to_string();
        }
        derived_object_id(tenant, &self.client_id)
    }
}

/// A UUID (version 8, "custom", RFC 9562 §5.8) from SHA-256 of `tenant` NUL `client_id`.
fn derived_object_id(tenant: &str, client_id: &str) -> String {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(tenant.to_ascii_lowercase().as_bytes());
    ctx.update(&[0]);
    ctx.update(client_id.to_ascii_lowercase().as_bytes());
    let digest = ctx.finish();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest.as_ref()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// One vault and its access model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultDecl {
    pub name: String,
    #[serde(default)]
    pub authorization: Authorization,
    /// Azure region for 403 messages; [`DEFAULT_LOCATION`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Subscription of the RBAC resource id; [`DEFAULT_SUBSCRIPTION_ID`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    /// Resource group of the RBAC resource id; [`DEFAULT_RESOURCE_GROUP`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    #[serde(default)]
    pub access_policies: Vec<AccessPolicy>,
    #[serde(default)]
    pub role_assignments: Vec<RoleAssignment>,
}

impl VaultDecl {
    pub fn location(&self) -> &str {
        self.location.as_deref().unwrap_or(DEFAULT_LOCATION)
    }

    pub fn subscription_id(&self) -> &str {
        self.subscription_id
            .as_deref()
            .unwrap_or(DEFAULT_SUBSCRIPTION_ID)
    }

    pub fn resource_group(&self) -> &str {
        self.resource_group
            .as_deref()
            .unwrap_or(DEFAULT_RESOURCE_GROUP)
    }
}

/// A vault's permission model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Authorization {
    #[default]
    AccessPolicy,
    Rbac,
}

/// One access-policy entry: the permission words a principal holds per object kind.
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

/// One RBAC role assignment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleAssignment {
    /// A principal's `name`.
    pub principal: String,
    /// A built-in role name, e.g. "Key Vault Certificates Officer".
    pub role: String,
    /// `/certificates/NAME` (or `/keys/NAME`, `/secrets/NAME`) for one object; the whole
    /// vault when absent or `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}
