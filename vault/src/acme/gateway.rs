//! The ACME gateway's state: [`Acme`], the process-wide part (nonces, validator, settings,
//! clock, metrics, and the local CA and chaos engine once they land), and [`VaultAcme`], one
//! vault's part (its store, its issuance worker, the hot account cache and the in-flight sets
//! that keep background work single per object).
//!
//! Nothing here is lost on restart but nonces and caches: every object lives in the vault's
//! store, and the in-flight sets are rebuilt lazily (a `processing` object without a running
//! task gets one when it is next read, see `handlers`).

use super::jwk::Jwk;
use super::nonce::NonceStore;
use super::validate::Validator;
use crate::config::AcmeConfig;
use crate::issuance::Issuance;
use crate::metrics::Metrics;
use crate::model::acme::AccountRecord;
use crate::store::Db;
use shared::clock::Clock;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use tokio_util::task::TaskTracker;

/// Outstanding nonces kept at most (about 3.5 MB); older ones are evicted first.
const NONCE_CAPACITY: usize = 100_000;
/// Accounts kept in the per-vault cache before it is emptied and refilled.
const ACCOUNT_CACHE: usize = 10_000;

/// The process-wide ACME state, shared by every vault (`http::App.acme`).
pub struct Acme {
    /// `--acme-*` flags.
    pub settings: AcmeConfig,
    /// Anti-replay nonces (RFC 8555 §6.5); in memory, so a restart invalidates them all.
    pub nonces: NonceStore,
    /// Challenge validation (http-01, dns-01, tls-alpn-01, or always-valid).
    pub validator: Validator,
    /// The vault clock: expiry, validity and windows follow `/_admin/clock`.
    pub clock: Arc<dyn Clock>,
    /// The process's counters (`/metrics`).
    pub metrics: Arc<Metrics>,
    /// Background validations and signatures, so shutdown waits for them.
    pub tracker: TaskTracker,
}

impl Acme {
    /// Builds the gateway's process-wide state from the configuration. Blocking parts (the
    /// local CA's files) run on the blocking pool.
    pub async fn start(
        config: &crate::Config,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
        tracker: TaskTracker,
    ) -> crate::error::Result<Acme> {
        let validator = Validator::new(&config.acme).map_err(crate::error::Error::Config)?;
        tracing::info!(
            validation = ?config.acme.validation,
            http01_port = config.acme.http01_port,
            tlsalpn01_port = config.acme.tlsalpn01_port,
            dns_resolver = ?config.acme.dns_resolver,
            hosts = config.acme.hosts.len(),
            eab_required = config.acme.eab_required,
            "acme gateway settings"
        );
        Ok(Acme {
            settings: config.acme.clone(),
            nonces: NonceStore::new(NONCE_CAPACITY),
            validator,
            clock,
            metrics,
            tracker,
        })
    }

    /// Unix seconds on the vault clock.
    pub fn now(&self) -> i64 {
        self.clock.unix()
    }
}

/// One vault's ACME state (`vaults::VaultInstance.acme`).
pub struct VaultAcme {
    /// The vault's name.
    pub name: String,
    /// The vault's store: every ACME object of this vault lives there.
    pub db: Db,
    /// The vault's issuance worker: partner-profile orders become its operations.
    pub issuance: Arc<Issuance>,
    /// Accounts by id with their parsed keys (every `kid` request reads one); written
    /// through on every change.
    accounts: RwLock<HashMap<String, Arc<KnownAccount>>>,
    /// Authorizations with a validation running in this process.
    pub validating: InFlight,
    /// Orders being signed by the local CA in this process.
    pub signing: InFlight,
}

impl VaultAcme {
    pub fn new(name: &str, db: Db, issuance: Arc<Issuance>) -> Self {
        VaultAcme {
            name: name.to_string(),
            db,
            issuance,
            accounts: RwLock::default(),
            validating: InFlight::default(),
            signing: InFlight::default(),
        }
    }

    /// The cached account `id`, if it was read or written since start.
    pub fn cached_account(&self, id: &str) -> Option<Arc<KnownAccount>> {
        self.accounts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Puts `account` in the cache (after it was read from or written to the store).
    pub fn cache_account(&self, account: Arc<KnownAccount>) {
        let mut map = self.accounts.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= ACCOUNT_CACHE && !map.contains_key(&account.record.id) {
            map.clear();
        }
        map.insert(account.record.id.clone(), account);
    }
}

/// An account with its key parsed once.
#[derive(Debug)]
pub struct KnownAccount {
    pub record: AccountRecord,
    pub key: Jwk,
}

impl KnownAccount {
    /// Parses the record's key; a stored key always parsed once already.
    pub fn new(record: AccountRecord) -> Result<KnownAccount, super::jws_error::JwsError> {
        let key = Jwk::from_value(&record.jwk)?;
        Ok(KnownAccount { record, key })
    }
}

/// Ids of objects with background work running in this process; [`InFlight::start`] admits
/// one task per id, and its guard releases the id when the task ends (or panics).
#[derive(Default)]
pub struct InFlight(Arc<Mutex<HashSet<String>>>);

impl InFlight {
    /// `Some(guard)` when no task runs for `id` yet.
    pub fn start(&self, id: &str) -> Option<InFlightGuard> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(id.to_string()).then(|| InFlightGuard {
            set: self.0.clone(),
            id: id.to_string(),
        })
    }

    /// Whether a task runs for `id`.
    pub fn contains(&self, id: &str) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(id)
    }
}

/// Releases its id from the [`InFlight`] set when dropped.
pub struct InFlightGuard {
    set: Arc<Mutex<HashSet<String>>>,
    id: String,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}
