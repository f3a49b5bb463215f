//! The access document compiled for the per-request decision, built once each time a document
//! is put in force ([`super::state`]): principals by client id and object id, declared vaults
//! by name, and per (vault, principal) what the policies and role assignments grant. The
//! decision ([`super::check`]) then does a few hash look-ups and bit tests instead of scanning
//! the document, deriving object ids and matching role patterns on every request.

use super::actions::{self, Category, Needed, Target, OPERATIONS};
use super::caller::Caller;
use super::doc::{AccessDoc, Authorization, Principal, VaultDecl};
use super::load::parse_scope;
use super::roles;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// A document and its look-up tables.
pub struct DocIndex {
    pub doc: Arc<AccessDoc>,
    /// Lower-cased client id → first principal with it.
    by_client_id: HashMap<String, usize>,
    /// Lower-cased object id (derived in [`Self::oid_tenant`] when undeclared) → first
    /// principal with it.
    by_object_id: HashMap<String, usize>,
    /// The tenant `by_object_id` was derived in: the document's.
    oid_tenant: String,
    /// Lower-cased vault name → first declaration.
    vaults: HashMap<String, VaultIndex>,
}

/// One declared vault: its declaration and the grants of each principal (by index).
pub struct VaultIndex {
    decl: usize,
    grants: Vec<Grants>,
}

/// What one principal holds in one vault.
#[derive(Default)]
struct Grants {
    /// Access policies: the principal's permission words per [`Category`] (certificates,
    /// keys, secrets), as bits of [`Category::words`], all its policies together.
    policy: [u32; 3],
    /// Role assignments, in document order.
    assignments: Vec<Assignment>,
}

/// One role assignment, resolved.
struct Assignment {
    /// Per row of [`OPERATIONS`]: does the role grant its data action?
    allows: Vec<bool>,
    scope: Scope,
}

/// A parsed assignment scope.
enum Scope {
    /// Absent, empty or `/`.
    Vault,
    /// `/{kind}/{name}`.
    Object { kind: String, name: String },
    /// Covers nothing (validation refuses it; a document put in force unvalidated may have it).
    Malformed,
}

impl DocIndex {
    pub fn new(doc: Arc<AccessDoc>) -> Self {
        let oid_tenant = doc.tenant().to_string();
        let mut by_client_id = HashMap::new();
        let mut by_object_id = HashMap::new();
        for (i, p) in doc.principals.iter().enumerate() {
            by_client_id
                .entry(p.client_id.to_ascii_lowercase())
                .or_insert(i);
            by_object_id
                .entry(p.object_id_or_derived(&oid_tenant).to_ascii_lowercase())
                .or_insert(i);
        }
        let mut vaults = HashMap::new();
        for (i, decl) in doc.vaults.iter().enumerate() {
            vaults
                .entry(decl.name.to_ascii_lowercase())
                .or_insert_with(|| VaultIndex {
                    decl: i,
                    grants: doc.principals.iter().map(|p| grants(decl, p)).collect(),
                });
        }
        Self {
            doc,
            by_client_id,
            by_object_id,
            oid_tenant,
            vaults,
        }
    }

    /// The declaration of `vault` (case-insensitive), `None` when the vault is undeclared.
    pub fn vault(&self, vault: &str) -> Option<(&VaultDecl, &VaultIndex)> {
        let index = self.vaults.get(lower(vault).as_ref())?;
        Some((self.doc.vaults.get(index.decl)?, index))
    }

    /// The principal a token belongs to: the first in the document whose client id is the
    /// token's `appid` or whose object id (derived in the token's tenant when the document
    /// has none) is its `oid`.
    pub fn principal(&self, caller: &Caller) -> Option<usize> {
        let by_client = self
            .by_client_id
            .get(lower(&caller.appid).as_ref())
            .copied();
        if by_client == Some(0) {
            // Nothing comes before the first principal.
            return by_client;
        }
        if caller.tid.eq_ignore_ascii_case(&self.oid_tenant) {
            let by_oid = self.by_object_id.get(lower(&caller.oid).as_ref()).copied();
            return match (by_client, by_oid) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        // A token of another tenant: derive object ids in it, for the principals ahead of
        // the client-id match only.
        let ahead = by_client.unwrap_or(self.doc.principals.len());
        self.doc.principals[..ahead]
            .iter()
            .position(|p| oid_matches(p, caller))
            .or(by_client)
    }
}

impl VaultIndex {
    /// Whether principal `principal` (an index from [`DocIndex::principal`]) may do `needed`
    /// under the vault's model.
    pub fn allows(&self, model: Authorization, principal: usize, needed: &Needed) -> bool {
        let Some(grants) = self.grants.get(principal) else {
            return false;
        };
        match model {
            Authorization::AccessPolicy => {
                let held = grants.policy[category_slot(needed.op.category)];
                // Bit 0 is `all`.
                held & (needed.permissions | 1) != 0
            }
            Authorization::Rbac => grants.assignments.iter().any(|a| {
                a.allows.get(needed.index).copied().unwrap_or(false) && a.scope.covers(needed)
            }),
        }
    }
}

fn oid_matches(p: &Principal, caller: &Caller) -> bool {
    p.object_id_or_derived(&caller.tid)
        .eq_ignore_ascii_case(&caller.oid)
}

fn category_slot(category: Category) -> usize {
    match category {
        Category::Certificates => 0,
        Category::Keys => 1,
        Category::Secrets => 2,
    }
}

/// What `decl`'s policies and assignments (those naming `principal`) grant it.
fn grants(decl: &VaultDecl, principal: &Principal) -> Grants {
    let mut g = Grants::default();
    for a in decl
        .access_policies
        .iter()
        .filter(|a| a.principal == principal.name)
    {
        for (category, words) in [
            (Category::Certificates, &a.certificates),
            (Category::Keys, &a.keys),
            (Category::Secrets, &a.secrets),
        ] {
            g.policy[category_slot(category)] |=
                actions::permission_bits(category, words.iter().map(String::as_str));
        }
    }
    g.assignments = decl
        .role_assignments
        .iter()
        .filter(|a| a.principal == principal.name)
        .map(|a| {
            let role = roles::find(&a.role);
            Assignment {
                allows: OPERATIONS
                    .iter()
                    .map(|op| role.is_some_and(|r| r.allows(op.data_action)))
                    .collect(),
                scope: Scope::parse(a.scope.as_deref()),
            }
        })
        .collect();
    g
}

impl Scope {
    fn parse(scope: Option<&str>) -> Scope {
        let Some(scope) = scope else {
            return Scope::Vault;
        };
        match parse_scope(scope) {
            None => Scope::Malformed,
            Some(None) => Scope::Vault,
            Some(Some((kind, name))) => Scope::Object {
                kind: kind.to_string(),
                name: name.to_string(),
            },
        }
    }

    /// Whether the scope covers the request's object. `/certificates/NAME` covers that
    /// certificate's paths and its linked key and secret (same name): the Key Vault
    /// Certificate User role is meant to be assigned per certificate and "reads certificate
    /// contents" through the secret (Azure built-in roles). Deleted certificates and
    /// vault-level operations need a vault-wide assignment.
    fn covers(&self, needed: &Needed) -> bool {
        let (kind, name) = match self {
            Scope::Vault => return true,
            Scope::Malformed => return false,
            Scope::Object { kind, name } => (kind.as_str(), name),
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
}

/// `s` lower-cased, borrowed when it already is (ids and vault names usually are).
fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}
