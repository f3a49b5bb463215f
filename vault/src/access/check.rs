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
use super::doc::{AccessDoc, Authorization, Principal, VaultDecl};
use super::load::parse_scope;
use super::roles;
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
        let doc = self.doc();
        let Some(decl) = doc
            .vaults
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(vault))
        else {
            return Ok(());
        };
        let Some(needed) = actions::lookup(method, path) else {
            return Ok(());
        };
        let principal = find_principal(&doc, caller);
        let allowed = match (decl.authorization, principal) {
            (_, None) => false,
            (Authorization::AccessPolicy, Some(p)) => policy_allows(decl, p, &needed),
            (Authorization::Rbac, Some(p)) => rbac_allows(decl, p, &needed),
        };
        if allowed {
            return Ok(());
        }
        Err(match decl.authorization {
            Authorization::AccessPolicy => forbidden_by_policy(decl, caller, &needed),
            Authorization::Rbac => forbidden_by_rbac(decl, caller, &needed),
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

/// The principal a token belongs to: by `appid` (client id) or `oid` (object id, derived in
/// the token's tenant when the document has none).
fn find_principal<'d>(doc: &'d AccessDoc, caller: &Caller) -> Option<&'d Principal> {
    doc.principals.iter().find(|p| {
        p.client_id.eq_ignore_ascii_case(&caller.appid)
            || p.object_id_or_derived(&caller.tid)
                .eq_ignore_ascii_case(&caller.oid)
    })
}

fn policy_allows(decl: &VaultDecl, principal: &Principal, needed: &Needed) -> bool {
    let op = needed.op;
    decl.access_policies
        .iter()
        .filter(|a| a.principal == principal.name)
        .flat_map(|a| match op.category {
            actions::Category::Certificates => &a.certificates,
            actions::Category::Keys => &a.keys,
            actions::Category::Secrets => &a.secrets,
        })
        .any(|word| {
            word.eq_ignore_ascii_case("all")
                || op.permissions.iter().any(|p| word.eq_ignore_ascii_case(p))
        })
}

fn rbac_allows(decl: &VaultDecl, principal: &Principal, needed: &Needed) -> bool {
    decl.role_assignments
        .iter()
        .filter(|a| a.principal == principal.name)
        .any(|a| {
            let role_ok = roles::find(&a.role).is_some_and(|r| r.allows(needed.op.data_action));
            role_ok && scope_covers(a.scope.as_deref(), needed)
        })
}

/// Whether an assignment scope covers the request's object. `/certificates/NAME` covers that
/// certificate's paths and its linked key and secret (same name): the Key Vault Certificate
/// User role is meant to be assigned per certificate and "reads certificate contents"
/// through the secret (Azure built-in roles). Deleted certificates and vault-level
/// operations need a vault-wide assignment.
fn scope_covers(scope: Option<&str>, needed: &Needed) -> bool {
    let Some(scope) = scope else {
        return true;
    };
    let Some(parsed) = parse_scope(scope) else {
        return false;
    };
    let Some((kind, name)) = parsed else {
        return true;
    };
    let Some(object) = needed.name.as_deref() else {
        return false;
    };
    let kind_ok = matches!(
        (kind, needed.op.target),
        (
            "certificates",
            Target::Certificate | Target::Key | Target::Secret
        ) | ("keys", Target::Key)
            | ("secrets", Target::Secret)
    );
    kind_ok && name.eq_ignore_ascii_case(object)
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
