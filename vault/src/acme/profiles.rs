//! ACME profiles (draft-aaron-acme-profiles): which issuer fulfils an order. Every vault
//! offers the built-in `local` (the default: the gateway's local CA, 90-day certificates) and
//! `shortlived` (local CA, 6 days, like Let's Encrypt's profile of that name), plus one
//! profile per issuer of that vault whose provider is a partner CA (DigiCert, GlobalSign,
//! WoSign): the profile's name is the issuer's name, and its orders go to that CA through the
//! provider adapter and the issuance worker.
//!
//! The list is read from the vault's store on each use, so an issuer created or deleted
//! through the Key Vault API shows up in (or leaves) `meta.profiles` at once. Built-in names
//! win over an issuer of the same name; a disabled issuer is not offered.

use crate::model::{key_of, IssuerRecord};
use crate::store::{Db, StoreError};
use shared::acme::problem::{ErrorType, Problem};
use shared::models::ProviderKind;
use std::time::Duration;

/// The profile an order gets when it names none.
pub const DEFAULT_PROFILE: &str = "local";
/// The built-in short-lived profile.
pub const SHORTLIVED_PROFILE: &str = "shortlived";
/// Validity of a `local` certificate (Let's Encrypt's classic 90 days).
pub const LOCAL_VALIDITY: Duration = Duration::from_secs(90 * 24 * 3600);
/// Validity of a `shortlived` certificate (Let's Encrypt's `shortlived`: 6 days).
pub const SHORTLIVED_VALIDITY: Duration = Duration::from_secs(6 * 24 * 3600);

/// How an order under a profile is fulfilled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profile {
    /// Signed by the gateway's local CA (`acme::ca`) with this validity.
    Local { validity: Duration },
    /// Ordered from a partner CA through the vault issuer `issuer` (its stored name).
    Partner {
        issuer: String,
        provider: ProviderKind,
    },
}

impl Profile {
    pub fn is_partner(&self) -> bool {
        matches!(self, Profile::Partner { .. })
    }
}

/// A profile as the directory lists it: `meta.profiles[name] = description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedProfile {
    /// The name orders carry (`OrderRecord::profile`).
    pub name: String,
    pub description: String,
    pub profile: Profile,
}

/// The built-in profiles, default first.
pub fn builtin() -> [NamedProfile; 2] {
    [
        NamedProfile {
            name: DEFAULT_PROFILE.into(),
            description: "The gateway's local CA; 90-day certificates (the default).".into(),
            profile: Profile::Local {
                validity: LOCAL_VALIDITY,
            },
        },
        NamedProfile {
            name: SHORTLIVED_PROFILE.into(),
            description: "The gateway's local CA; 6-day certificates.".into(),
            profile: Profile::Local {
                validity: SHORTLIVED_VALIDITY,
            },
        },
    ]
}

/// The validity of a built-in (local CA) profile; `None` for any other name (a partner
/// issuer's). Needs no store read.
pub fn local_validity(name: &str) -> Option<Duration> {
    builtin().into_iter().find_map(|b| match b.profile {
        Profile::Local { validity } if b.name == name => Some(validity),
        _ => None,
    })
}

/// Every profile of the vault behind `db`: the built-ins, then one per enabled issuer whose
/// provider is a partner CA, in the issuers' key order.
pub async fn list(db: &Db) -> Result<Vec<NamedProfile>, StoreError> {
    let issuers = db.run(all_issuers).await?;
    let mut out: Vec<NamedProfile> = builtin().into();
    for issuer in issuers {
        if let Some(p) = partner_profile(&issuer) {
            if !out.iter().any(|b| b.name.eq_ignore_ascii_case(&p.name)) {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// The profile an order names (`None`: the default). Built-in names are matched exactly
/// (they are lower case on the wire), issuer names case-insensitively like everywhere in the
/// Key Vault API; the result's `name` is the canonical spelling to store on the order. An
/// unknown name, or an issuer that is not a partner CA or is disabled, is `invalidProfile`.
pub async fn resolve(db: &Db, requested: Option<&str>) -> Result<NamedProfile, Problem> {
    let name = requested.unwrap_or(DEFAULT_PROFILE);
    if let Some(b) = builtin().into_iter().find(|b| b.name == name) {
        return Ok(b);
    }
    let unknown = || {
        Problem::new(
            ErrorType::InvalidProfile,
            format!(
                "'{name}' is not a profile of this server; the directory's meta.profiles lists \
                 them"
            ),
        )
    };
    // Issuer names are [0-9a-zA-Z-]; anything else cannot name one (and is not looked up).
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(unknown());
    }
    let key = key_of(name);
    let issuer = db
        .run(move |s| s.issuer(&key))
        .await
        .map_err(|e| Problem::new(ErrorType::ServerInternal, format!("store: {e}")))?;
    issuer
        .as_ref()
        .and_then(partner_profile)
        .ok_or_else(unknown)
}

/// `meta.profiles` of the directory: `{name: description}` in list order.
pub fn meta(profiles: &[NamedProfile]) -> serde_json::Value {
    let map = profiles
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                serde_json::Value::String(p.description.clone()),
            )
        })
        .collect::<serde_json::Map<_, _>>();
    serde_json::Value::Object(map)
}

/// The profile an issuer offers, if its provider is a partner CA and it is not disabled.
fn partner_profile(issuer: &IssuerRecord) -> Option<NamedProfile> {
    let disabled = issuer.bundle.attributes.as_ref().and_then(|a| a.enabled) == Some(false);
    if disabled {
        return None;
    }
    let provider = issuer
        .bundle
        .provider
        .as_deref()?
        .parse::<ProviderKind>()
        .ok()?;
    Some(NamedProfile {
        name: issuer.name.clone(),
        description: format!(
            "Issued by the partner CA {provider} through this vault's issuer '{}'.",
            issuer.name
        ),
        profile: Profile::Partner {
            issuer: issuer.name.clone(),
            provider,
        },
    })
}

/// Every issuer of the store, in key order (pages of 100).
fn all_issuers(s: &dyn crate::store::Store) -> Result<Vec<IssuerRecord>, StoreError> {
    let mut out: Vec<IssuerRecord> = Vec::new();
    loop {
        let after = out.last().map(|i| i.key.clone());
        let page = s.issuers(after.as_deref(), 100)?;
        let done = page.len() < 100;
        out.extend(page);
        if done {
            return Ok(out);
        }
    }
}
