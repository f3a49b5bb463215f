//! The ACME gateway's state: [`Acme`], the process-wide part (nonces, validator, settings,
//! clock, metrics, and the local CA and chaos engine once they land), and [`VaultAcme`], one
//! vault's part (its store, its issuance worker, the hot account cache and the in-flight sets
//! that keep background work single per object).
//!
//! Nothing here is lost on restart but nonces and caches: every object lives in the vault's
//! store, and the in-flight sets are rebuilt lazily (a `processing` object without a running
//! task gets one when it is next read, see `handlers`).

use super::ca::LocalCa;
use super::chaos::Chaos;
use super::validate::Validator;
use crate::config::AcmeConfig;
use crate::issuance::Issuance;
use crate::metrics::Metrics;
use crate::model::acme::AccountRecord;
use crate::store::Db;
use shared::acme::jwk::Jwk;
use shared::acme::nonce::NonceStore;
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
    /// Chaos knobs and rate limits (`--acme-chaos`, `/_admin/acme/chaos`); off by default.
    pub chaos: Chaos,
    /// The local CA (profiles `local` and `shortlived`), loaded or created at start.
    pub ca: Arc<LocalCa>,
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
        config: &crate::config::Config,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
        tracker: TaskTracker,
    ) -> crate::error::Result<Acme> {
        let validator = Validator::new(&config.acme).map_err(crate::error::Error::Config)?;
        let chaos =
            Chaos::from_config(config.acme.chaos.as_ref()).map_err(crate::error::Error::Config)?;
        let (data_dir, master_key, now) = (
            config.data_dir.clone(),
            config.master_key.clone(),
            clock.unix(),
        );
        let ca = tokio::task::spawn_blocking(move || {
            LocalCa::load_or_create(&data_dir, master_key.as_deref(), now)
        })
        .await
        .map_err(|e| crate::error::Error::Internal(format!("acme CA task: {e}")))?
        .map_err(|e| crate::error::Error::Config(e.to_string()))?;
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
            chaos,
            ca: Arc::new(ca),
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
    /// The vault's own URL (`https://host[:port]`, as its mail uses): the local CA's leaves
    /// point at `{url}/acme/crl`, the same whichever host a client used.
    pub url: String,
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
    /// Serialises read-modify-writes of one object (order, authorization, account) by id,
    /// striped so unrelated objects never wait on each other.
    pub locks: Stripes,
    /// Serialises the use of one account key (by thumbprint: new-account, key-change). Taken
    /// before any of `locks`, never after, so the two never deadlock.
    pub key_locks: Stripes,
    /// Serialises read-modify-writes of one authorization; taken before `locks` (a validated
    /// authorization's order is written with it), never after.
    pub authz_locks: Stripes,
    /// Held while an external account binding key is bound (rare: new accounts with EAB).
    pub eab_lock: tokio::sync::Mutex<()>,
}

impl VaultAcme {
    pub fn new(name: &str, url: &str, db: Db, issuance: Arc<Issuance>) -> Self {
        VaultAcme {
            name: name.to_string(),
            url: url.trim_end_matches('/').to_string(),
            db,
            issuance,
            accounts: RwLock::default(),
            validating: InFlight::default(),
            signing: InFlight::default(),
            locks: Stripes::default(),
            key_locks: Stripes::default(),
            authz_locks: Stripes::default(),
            eab_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The local CA's CRL distribution point for this vault's leaves.
    pub fn crl_url(&self) -> String {
        format!("{}/acme/crl", self.url)
    }

    /// Account `id` of this vault, from the cache or the store (then cached).
    pub async fn account(&self, id: &str) -> Result<Option<Arc<KnownAccount>>, String> {
        if let Some(hit) = self.cached_account(id) {
            return Ok(Some(hit));
        }
        let key = id.to_string();
        let Some(record) = self
            .db
            .run(move |s| s.acme_account(&key))
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let known = Arc::new(KnownAccount::new(record).map_err(|e| e.to_string())?);
        self.cache_account(known.clone());
        Ok(Some(known))
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
    pub fn new(record: AccountRecord) -> Result<KnownAccount, shared::acme::jws_error::JwsError> {
        let key = Jwk::from_value(&record.jwk)?;
        Ok(KnownAccount { record, key })
    }
}

/// Stripes of async locks chosen by a hash of the object's id: holding one serialises the
/// read-modify-write of that object (and of the few others sharing its stripe).
pub struct Stripes(Vec<tokio::sync::Mutex<()>>);

/// Lock stripes per vault: enough that 64 concurrent clients rarely share one.
const STRIPES: usize = 256;

impl Default for Stripes {
    fn default() -> Self {
        Stripes((0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect())
    }
}

impl Stripes {
    /// Waits for the stripe of `id`.
    pub async fn lock(&self, id: &str) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::{BuildHasher, Hasher};
        let mut h =
            std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
                .build_hasher();
        h.write(id.as_bytes());
        self.0[(h.finish() as usize) % self.0.len()].lock().await
    }
}

/// A random id for a new object: 16 bytes from the system RNG, base64url (22 characters).
pub fn random_id() -> Result<String, String> {
    random_b64(16)
}

/// `n` random bytes, base64url without padding (challenge tokens use 32).
pub fn random_b64(n: usize) -> Result<String, String> {
    use base64::Engine;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(n)?))
}

/// `n` bytes from the system RNG: every random value of the gateway (ids, tokens, EAB keys,
/// partner request ids) comes from here.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    let mut bytes = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| "the random number generator failed".to_string())?;
    Ok(bytes)
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
