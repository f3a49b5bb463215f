//! Reading and validating an access document (the `--access` file, a `PUT /_admin/access`
//! body): TOML or JSON into [`AccessDoc`], then every rule a document must meet, each refusal
//! naming the exact problem. Certificate paths are made absolute against the file's directory.

use super::actions::Category;
use super::doc::AccessDoc;
use super::roles;
use crate::hosts;
use std::collections::HashSet;
use std::path::Path;

/// Parses TOML text. `origin` names the source in messages (a file name, "request body").
pub fn from_toml(text: &str, origin: &str) -> Result<AccessDoc, String> {
    // toml's messages carry the line and column and quote the offending line.
    toml::from_str(text).map_err(|e| format!("{origin}: {}", e.to_string().trim_end()))
}

/// Parses JSON text of the same shape.
pub fn from_json(text: &str, origin: &str) -> Result<AccessDoc, String> {
    serde_json::from_str(text).map_err(|e| format!("{origin}: {e}"))
}

/// Resolves relative certificate paths against `base` (the access file's directory), then
/// validates. `Err` is the first problem found, prefixed with `origin`.
pub fn prepare(mut doc: AccessDoc, base: Option<&Path>, origin: &str) -> Result<AccessDoc, String> {
    if let Some(base) = base {
        for p in &mut doc.principals {
            if let Some(cert) = &p.certificate {
                if cert.is_relative() {
                    p.certificate = Some(base.join(cert));
                }
            }
        }
    }
    validate(&doc).map_err(|e| format!("{origin}: {e}"))?;
    Ok(doc)
}

/// Every rule of the document; the first broken one.
pub fn validate(doc: &AccessDoc) -> Result<(), String> {
    let mut names = HashSet::new();
    let mut client_ids = HashSet::new();
    let mut object_ids = HashSet::new();
    let tenant = doc.tenant_id.as_deref().unwrap_or("");
    for p in &doc.principals {
        if p.name.trim().is_empty() {
            return Err("a principal has an empty name".into());
        }
        if p.client_id.trim().is_empty() {
            return Err(format!("principal \"{}\" has an empty client_id", p.name));
        }
        if !names.insert(p.name.as_str()) {
            return Err(format!("duplicate principal name \"{}\"", p.name));
        }
        if !client_ids.insert(p.client_id.to_ascii_lowercase()) {
            return Err(format!(
                "duplicate client_id \"{}\" (principal \"{}\")",
                p.client_id, p.name
            ));
        }
        if !object_ids.insert(p.object_id_or_derived(tenant).to_ascii_lowercase()) {
            return Err(format!("duplicate object_id for principal \"{}\"", p.name));
        }
        if let Some(cert) = &p.certificate {
            if !cert.is_file() {
                return Err(format!(
                    "principal \"{}\": certificate file {} does not exist",
                    p.name,
                    cert.display()
                ));
            }
        }
    }
    let mut vaults = HashSet::new();
    for v in &doc.vaults {
        if !hosts::valid_vault_name(&v.name) {
            return Err(format!(
                "invalid vault name \"{}\": 3-24 letters, digits and hyphens, starting with a \
                 letter, ending with a letter or digit, no \"--\"",
                v.name
            ));
        }
        if !vaults.insert(v.name.to_ascii_lowercase()) {
            return Err(format!("duplicate vault \"{}\"", v.name));
        }
        for policy in &v.access_policies {
            known_principal(&names, &policy.principal, &v.name, "access policy")?;
            for (category, words) in [
                (Category::Certificates, &policy.certificates),
                (Category::Keys, &policy.keys),
                (Category::Secrets, &policy.secrets),
            ] {
                for word in words {
                    if !category
                        .words()
                        .contains(&word.to_ascii_lowercase().as_str())
                    {
                        return Err(format!(
                            "vault \"{}\", access policy of \"{}\": unknown {} permission \
                             \"{word}\" (known: {})",
                            v.name,
                            policy.principal,
                            category.as_str(),
                            category.words().join(", ")
                        ));
                    }
                }
            }
        }
        for a in &v.role_assignments {
            known_principal(&names, &a.principal, &v.name, "role assignment")?;
            if roles::find(&a.role).is_none() {
                return Err(format!(
                    "vault \"{}\", role assignment of \"{}\": unknown role \"{}\" (built-in \
                     roles: {})",
                    v.name,
                    a.principal,
                    a.role,
                    roles::known_names()
                ));
            }
            if let Some(scope) = &a.scope {
                if parse_scope(scope).is_none() {
                    return Err(format!(
                        "vault \"{}\", role assignment of \"{}\": malformed scope \"{scope}\" \
                         (\"/\", \"/certificates/NAME\", \"/keys/NAME\" or \"/secrets/NAME\")",
                        v.name, a.principal
                    ));
                }
            }
        }
    }
    Ok(())
}

fn known_principal(
    names: &HashSet<&str>,
    principal: &str,
    vault: &str,
    what: &str,
) -> Result<(), String> {
    if names.contains(principal) {
        Ok(())
    } else {
        Err(format!(
            "vault \"{vault}\", {what}: unknown principal \"{principal}\" (not in [[principals]])"
        ))
    }
}

/// An assignment scope: `None` for the whole vault (`/` or empty), else the object kind
/// (`certificates`, `keys`, `secrets`) and its name. `Err`-free: `None` from the outer
/// `Option` means malformed.
pub fn parse_scope(scope: &str) -> Option<Option<(&str, &str)>> {
    let scope = scope.trim();
    if scope.is_empty() || scope == "/" {
        return Some(None);
    }
    let rest = scope.strip_prefix('/')?;
    let (kind, name) = rest.split_once('/')?;
    let kind_ok = ["certificates", "keys", "secrets"].contains(&kind);
    let name_ok = (1..=127).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (kind_ok && name_ok).then_some(Some((kind, name)))
}
