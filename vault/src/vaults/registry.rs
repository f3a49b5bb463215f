//! Name → vault ([`Vaults`]): which vault names exist, and opening them. At start: the
//! default vault, the `--vault` names, the access document's `[[vaults]]` and every vault
//! found on disk (its pending work and lifetime actions run without waiting for a request).
//! Later: a name the access document declares now (it changes at runtime), or in `--auth dev`
//! any valid name, is opened on first use, once however many requests race for it. The one
//! clock moves every vault at once.

use super::instance::VaultInstance;
use super::open::{Shared, VAULTS_DIR};
use crate::access::Access;
use crate::clock::ClockControl;
use crate::config::AuthMode;
use crate::error::{Error, Result};
use crate::hosts::valid_vault_name;
use crate::store::Db;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

/// Vaults opened on first use in `--auth dev` past this many are refused: a client spraying
/// host names must not fill the disk with stores.
pub const MAX_VAULTS: usize = 1000;

/// Every open vault, by name.
pub struct Vaults {
    shared: Shared,
    /// The vault `localhost` and IP addresses reach, without a map lookup.
    default: Arc<VaultInstance>,
    by_name: RwLock<HashMap<String, Arc<VaultInstance>>>,
    /// Serialises opening, so concurrent first uses of a name open it once.
    opening: tokio::sync::Mutex<()>,
    /// `--vault` names (lower case).
    declared: Vec<String>,
    /// The access document in force: its `[[vaults]]` exist too.
    access: Arc<Access>,
    auth: AuthMode,
}

impl Vaults {
    /// Assembles the default vault on `default_db` (already open: the clock's offset is read
    /// from it first), then opens the declared vaults and those found on disk.
    pub async fn start(
        shared: Shared,
        default_db: Db,
        declared: &[String],
        access: Arc<Access>,
        auth: AuthMode,
    ) -> Result<Self> {
        let start_error = |what: &str, name: &str| {
            Error::Config(format!("{what} {name}: {}", invalid_name_rule(name)))
        };
        let default_name = shared.default_vault.clone();
        if !valid_vault_name(&default_name) {
            return Err(start_error("--default-vault", &default_name));
        }
        let mut names = BTreeSet::new();
        for name in declared {
            let lower = name.to_ascii_lowercase();
            if !valid_vault_name(&lower) {
                return Err(start_error("--vault", name));
            }
            names.insert(lower);
        }
        let declared: Vec<String> = names.iter().cloned().collect();
        for decl in &access.doc().vaults {
            let lower = decl.name.to_ascii_lowercase();
            if !valid_vault_name(&lower) {
                return Err(start_error("the access file's vault", &decl.name));
            }
            names.insert(lower);
        }
        names.extend(on_disk(&shared));
        names.remove(&default_name);

        let default = shared.assemble(&default_name, default_db).await?;
        let this = Self {
            shared,
            default: default.clone(),
            by_name: RwLock::new(HashMap::from([(default_name, default)])),
            opening: tokio::sync::Mutex::new(()),
            declared,
            access,
            auth,
        };
        for name in &names {
            this.open(name).await?;
        }
        Ok(this)
    }

    /// The vault `localhost` and IP addresses reach.
    pub fn default_vault(&self) -> &Arc<VaultInstance> {
        &self.default
    }

    /// The vault a request's host named (`name` lower case). Unknown names are opened when
    /// declared, or in `--auth dev` when valid (400 naming the rule otherwise); in
    /// `--auth entra` an undeclared name is 404 `VaultNotFound`.
    pub async fn resolve(&self, name: &str) -> Result<Arc<VaultInstance>> {
        if let Some(vault) = self.get(name) {
            return Ok(vault);
        }
        if !valid_vault_name(name) {
            return Err(Error::bad(invalid_name_rule(name)));
        }
        if self.is_declared(name) {
            return self.open(name).await;
        }
        match self.auth {
            AuthMode::Entra => Err(not_found(name)),
            AuthMode::Dev => {
                let count = self.by_name.read().map_or(0, |m| m.len());
                if count >= MAX_VAULTS {
                    return Err(Error::bad(format!(
                        "The vault {name} cannot be created: this emulator serves at most \
                         {MAX_VAULTS} vaults."
                    )));
                }
                self.open(name).await
            }
        }
    }

    /// A vault that exists (open, or declared and opened now); anything else is 404 in every
    /// mode. For the admin API, which must not create vaults by asking about them.
    pub async fn existing(&self, name: &str) -> Result<Arc<VaultInstance>> {
        let name = name.to_ascii_lowercase();
        if let Some(vault) = self.get(&name) {
            return Ok(vault);
        }
        if valid_vault_name(&name) && self.is_declared(&name) {
            return self.open(&name).await;
        }
        Err(not_found(&name))
    }

    /// Every open vault, the default first, then by name.
    pub fn all(&self) -> Vec<Arc<VaultInstance>> {
        let by_name = self.by_name.read().unwrap_or_else(|p| p.into_inner());
        let mut others: Vec<_> = by_name
            .values()
            .filter(|v| !Arc::ptr_eq(v, &self.default))
            .cloned()
            .collect();
        others.sort_by(|a, b| a.name.cmp(&b.name));
        let mut all = vec![self.default.clone()];
        all.extend(others);
        all
    }

    /// The one clock.
    pub fn clock(&self) -> &ClockControl {
        &self.shared.clock
    }

    /// Moves the clock by `secs` (persisted) and wakes every vault's schedulers.
    pub async fn advance_clock(&self, secs: i64) -> Result<i64> {
        let offset = self.shared.clock.advance(secs).await?;
        self.clock_changed();
        Ok(offset)
    }

    /// Sets the clock offset (persisted) and wakes every vault's schedulers.
    pub async fn set_clock_offset(&self, offset: i64) -> Result<i64> {
        let offset = self.shared.clock.set(offset).await?;
        self.clock_changed();
        Ok(offset)
    }

    fn clock_changed(&self) {
        for vault in self.all() {
            vault.lifetime.clock_changed();
        }
    }

    fn get(&self, name: &str) -> Option<Arc<VaultInstance>> {
        let by_name = self.by_name.read().unwrap_or_else(|p| p.into_inner());
        by_name.get(name).cloned()
    }

    fn is_declared(&self, name: &str) -> bool {
        self.declared.iter().any(|d| d == name)
            || self
                .access
                .doc()
                .vaults
                .iter()
                .any(|v| v.name.eq_ignore_ascii_case(name))
    }

    /// Opens `name` unless a racing request already did.
    async fn open(&self, name: &str) -> Result<Arc<VaultInstance>> {
        let _opening = self.opening.lock().await;
        if let Some(vault) = self.get(name) {
            return Ok(vault);
        }
        let vault = self.shared.open(name).await?;
        let mut by_name = self.by_name.write().unwrap_or_else(|p| p.into_inner());
        by_name.insert(name.to_string(), vault.clone());
        Ok(vault)
    }
}

/// The names of the vault stores under `DATA_DIR/vaults/` (folders with a valid name).
fn on_disk(shared: &Shared) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(shared.data_dir.join(VAULTS_DIR)) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| valid_vault_name(n) && *n == n.to_ascii_lowercase())
        .collect()
}

/// Key Vault's vault-name rule, for a name that breaks it.
fn invalid_name_rule(name: &str) -> String {
    format!(
        "The vault name '{name}' is not valid: a vault name is 3-24 characters long, contains \
         only letters, digits and hyphens, starts with a letter, ends with a letter or digit, \
         and has no consecutive hyphens."
    )
}

/// 404 `VaultNotFound` for a name nothing declares (`--auth entra`).
fn not_found(name: &str) -> Error {
    Error::NotFound {
        code: "VaultNotFound",
        message: format!(
            "The vault '{name}' does not exist. Declare it in the access file ([[vaults]] \
             name = \"{name}\") or start vault with --vault {name}."
        ),
    }
}
