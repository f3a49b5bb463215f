//! The ACME dialect's state: its config, the nonce store and every account, order and
//! authorization, kept in memory and written to the database (`acme_objects`) before they
//! are visible, so they survive a restart (nonces do not: clients retry on `badNonce`).

use super::sqlite::Store;
use crate::config::AcmeConfig;
use crate::domain::acme::{AcmeAccount, AcmeOrder, Alternate, Authz};
use crate::error::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::acme::nonce::NonceStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Outstanding nonces at most (oldest evicted first).
const NONCE_CAPACITY: usize = 100_000;

#[derive(Default)]
struct Objects {
    accounts: HashMap<String, AcmeAccount>,
    orders: HashMap<String, AcmeOrder>,
    authzs: HashMap<String, Authz>,
}

/// The ACME dialect's state (one per ca-sim, in `App`).
pub struct AcmeState {
    pub config: AcmeConfig,
    pub nonces: NonceStore,
    /// Alternate chains (`acme.alternate_roots`), made at start-up.
    pub alternates: Vec<Alternate>,
    store: Arc<Store>,
    objects: Mutex<Objects>,
}

fn load<T: DeserializeOwned>(store: &Store, kind: &str) -> Result<HashMap<String, T>> {
    store
        .acme_objects(kind)?
        .into_iter()
        .map(|(id, data)| {
            serde_json::from_str(&data)
                .map(|v| (id, v))
                .map_err(|e| Error::Internal(format!("stored acme {kind}: {e}")))
        })
        .collect()
}

fn save<T: Serialize>(store: &Store, kind: &str, id: &str, value: &T) -> Result<()> {
    let data = serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))?;
    store.put_acme(kind, id, &data)
}

impl AcmeState {
    /// Loads every ACME object from the store.
    pub fn load(store: Arc<Store>, config: AcmeConfig, alternates: Vec<Alternate>) -> Result<Self> {
        let mut objects = Objects {
            accounts: load(&store, "account")?,
            orders: load(&store, "order")?,
            authzs: load(&store, "authz")?,
        };
        // A validation that was waiting (`acme.validation_delay`) died with the process: the
        // challenge is `pending` again, so the client can answer it anew.
        for authz in objects.authzs.values_mut() {
            for c in authz
                .challenges
                .iter_mut()
                .filter(|c| c.status == "processing")
            {
                c.status = "pending".into();
            }
        }
        Ok(Self {
            config,
            nonces: NonceStore::new(NONCE_CAPACITY),
            alternates,
            store,
            objects: Mutex::new(objects),
        })
    }

    /// Writes object `id` of `kind` to the database, then makes it visible in its map (chosen
    /// by `map`), under the lock.
    fn put<T: Serialize>(
        &self,
        kind: &str,
        id: String,
        value: T,
        map: impl FnOnce(&mut Objects) -> &mut HashMap<String, T>,
    ) -> Result<()> {
        let mut objects = self.lock();
        save(&self.store, kind, &id, &value)?;
        map(&mut objects).insert(id, value);
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Objects> {
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn account(&self, id: &str) -> Option<AcmeAccount> {
        self.lock().accounts.get(id).cloned()
    }

    pub fn account_by_thumbprint(&self, thumbprint: &str) -> Option<AcmeAccount> {
        self.lock()
            .accounts
            .values()
            .find(|a| a.thumbprint == thumbprint)
            .cloned()
    }

    pub fn accounts(&self) -> Vec<AcmeAccount> {
        let mut v: Vec<_> = self.lock().accounts.values().cloned().collect();
        v.sort_by_key(|a| a.created_ms);
        v
    }

    pub fn put_account(&self, a: AcmeAccount) -> Result<()> {
        self.put("account", a.id.clone(), a, |objects| &mut objects.accounts)
    }

    pub fn order(&self, id: &str) -> Option<AcmeOrder> {
        self.lock().orders.get(id).cloned()
    }

    /// The orders of `account`, oldest first.
    pub fn orders_of(&self, account: &str) -> Vec<AcmeOrder> {
        let mut v: Vec<_> = self
            .lock()
            .orders
            .values()
            .filter(|o| o.account == account)
            .cloned()
            .collect();
        v.sort_by_key(|o| o.created_ms);
        v
    }

    pub fn put_order(&self, o: AcmeOrder) -> Result<()> {
        self.put("order", o.id.clone(), o, |objects| &mut objects.orders)
    }

    pub fn authz(&self, id: &str) -> Option<Authz> {
        self.lock().authzs.get(id).cloned()
    }

    /// A `valid`, unexpired authorization of `account` for `name` (wildcard or not) that a
    /// new order may reuse.
    pub fn reusable_authz(
        &self,
        account: &str,
        name: &str,
        wildcard: bool,
        now_ms: i64,
    ) -> Option<Authz> {
        self.lock()
            .authzs
            .values()
            .filter(|a| {
                a.account == account
                    && a.identifier.value == name
                    && a.wildcard == wildcard
                    && a.status == "valid"
                    && a.expires_ms > now_ms
            })
            .max_by_key(|a| a.expires_ms)
            .cloned()
    }

    pub fn put_authz(&self, a: Authz) -> Result<()> {
        self.put("authz", a.id.clone(), a, |objects| &mut objects.authzs)
    }

    /// Changes authorization `id` with `f` and writes it, under the lock (two challenge
    /// answers race to one result).
    pub fn update_authz(&self, id: &str, f: impl FnOnce(&mut Authz)) -> Result<Option<Authz>> {
        let mut objects = self.lock();
        let Some(mut a) = objects.authzs.get(id).cloned() else {
            return Ok(None);
        };
        f(&mut a);
        save(&self.store, "authz", id, &a)?;
        objects.authzs.insert(id.to_string(), a.clone());
        Ok(Some(a))
    }
}
