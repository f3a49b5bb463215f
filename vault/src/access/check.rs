//! The per-request access decision and Key Vault's 403 bodies (handbook
//! spec/identity-and-access.md §3).
//!
//! A vault the access document does not declare is open: every verified caller may do
//! everything there (vaults from `--vault` or created on first use in dev mode). A declared
//! vault decides by its model: access policies (the permission word must be in the
//! principal's list for that object kind) or RBAC (a role assignment whose role's data
//! actions cover the action and whose scope covers the object).

use super::actions::{self, Needed, Target};
use super::caller::Caller;
use super::doc::{Authorization, VaultDecl};
use super::state::Access;
use crate::error::Error;
use axum::http::Method;

const POLICY_HELP: &str = "https://go.microsoft.com/fwlink/?linkid=2125287";

impl Access {
    /// May `caller` make this request (`method`, `path` under the vault) in vault `vault`?
    /// `Err` is the 403 to send. Paths the route table does not know pass (the router answers
    /// them with 404/405).
    pub fn check(
        &self,
        vault: &str,
        caller: &Caller,
        method: &Method,
        path: &str,
    ) -> Result<(), Error> {
        self.with_index(|index| {
            let Some((decl, grants)) = index.vault(vault) else {
                return Ok(());
            };
            let Some(needed) = actions::lookup(method, path) else {
                return Ok(());
            };
            let allowed = index
                .principal(caller)
                .is_some_and(|p| grants.allows(decl.authorization, p, &needed));
            if allowed {
                return Ok(());
            }
            Err(match decl.authorization {
                Authorization::AccessPolicy => forbidden_by_policy(decl, caller, &needed),
                Authorization::Rbac => forbidden_by_rbac(decl, caller, &needed),
            })
        })
    }

    /// Logs, once at start in entra mode, which of the vaults known now are open to every
    /// verified caller because the document does not declare them.
    pub fn log_open_vaults<'a>(&self, known: impl IntoIterator<Item = &'a str>) {
        let open = self.open_vaults(known);
        if open.is_empty() {
            tracing::info!("every vault is governed by the access document");
        } else {
            tracing::warn!(
                vaults = %open.join(","),
                "vaults not declared in the access document are open to every verified caller"
            );
        }
    }

    /// The vaults among `known` that the document does not declare, i.e. open to every
    /// verified caller.
    pub fn open_vaults<'a>(&self, known: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let doc = self.doc();
        let mut open: Vec<String> = known
            .into_iter()
            .filter(|k| !doc.vaults.iter().any(|v| v.name.eq_ignore_ascii_case(k)))
            .map(str::to_ascii_lowercase)
            .collect();
        open.sort();
        open.dedup();
        open
    }
}

fn vault_label(decl: &VaultDecl) -> String {
    format!("{};location={}", decl.name, decl.location())
}

fn forbidden_by_policy(decl: &VaultDecl, caller: &Caller, needed: &Needed) -> Error {
    let op = needed.op;
    Error::Forbidden {
        message: format!(
            "The user, group or application '{}' does not have {} {} permission on key vault \
             '{}'. For help resolving this issue, please see {POLICY_HELP}",
            caller.describe(),
            op.category.as_str(),
            op.permissions.first().copied().unwrap_or("get"),
            vault_label(decl),
        ),
        inner: Some("ForbiddenByPolicy"),
    }
}

/// The ARM id of the object a request acts on (lower-case provider path, as Key Vault
/// prints it).
fn resource_id(decl: &VaultDecl, needed: &Needed) -> String {
    let vault = format!(
        "/subscriptions/{}/resourcegroups/{}/providers/microsoft.keyvault/vaults/{}",
        decl.subscription_id(),
        decl.resource_group(),
        decl.name
    );
    let kind = match needed.op.target {
        Target::Vault => return vault,
        Target::Certificate | Target::DeletedCertificate => "certificates",
        Target::Key => "keys",
        Target::Secret => "secrets",
    };
    match &needed.name {
        Some(name) => format!("{vault}/{kind}/{name}"),
        None => vault,
    }
}

fn forbidden_by_rbac(decl: &VaultDecl, caller: &Caller, needed: &Needed) -> Error {
    Error::Forbidden {
        message: format!(
            "Caller is not authorized to perform action on resource.\r\nIf role assignments, \
             deny assignments or role definitions were changed recently, please observe \
             propagation time.\r\nCaller: {}\r\nAction: '{}'\r\nResource: '{}'\r\nAssignment: \
             (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \
             \r\nVault: {}\r\n",
            caller.describe(),
            needed.op.data_action,
            resource_id(decl, needed),
            vault_label(decl),
        ),
        inner: Some("ForbiddenByRbac"),
    }
}
