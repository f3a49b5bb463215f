//! [`Chaos`], the seeded decision engine the gateway asks on every request, and the holder of
//! the document in force (replaced whole by `PUT /_admin/acme/chaos`).
//!
//! Cost when off: each question first reads one atomic bit set of the knobs that are on, so
//! with chaos off (the default, and the benches) no lock is taken and nothing is drawn. When
//! on, the document in force is an `Arc` behind a read-mostly lock (held only to clone the
//! `Arc`); each knob draws from its own counter-based stream ([`super::rng`]), so decisions
//! take no lock either and a seed replays the same decisions for the same request sequence.
//! Replacing the document restarts every stream and empties the rate-limit windows.

use super::doc::ChaosDoc;
use super::endpoint::Endpoint;
use super::fault::Fault;
use super::limits::Limits;
use super::rng::{fresh_seed, Stream};
use crate::model::acme::Identifier;
use shared::acme::problem::Problem;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tracing::info;

/// Bits of [`Chaos::on`]: which questions can have an answer other than "no chaos".
const FAULTS: u8 = 1;
const REUSE: u8 = 2;
const DELAYS: u8 = 4;
const LIMITS: u8 = 8;

/// Stream ids besides the endpoints' (which are their indexes).
const NONCE_STREAM: u64 = 100;
const REUSE_STREAM: u64 = 101;

/// An endpoint's faults as cumulative thresholds of one draw in `[0, 1)`.
struct Thresholds {
    drop: f64,
    server_error: f64,
    rate_limited: f64,
    status: u16,
    retry_after: u64,
}

/// The document in force, compiled.
struct Active {
    /// The effective document (seed and limit defaults filled in), as shown.
    doc: ChaosDoc,
    endpoints: Vec<Option<Thresholds>>,
    endpoint_draws: Vec<Stream>,
    bad_nonce_rate: f64,
    nonce_draws: Stream,
    reuse_rate: f64,
    reuse_draws: Stream,
    validation_delay: Duration,
    finalize_delay: Duration,
    limits: Limits,
}

impl Active {
    fn compile(doc: &ChaosDoc) -> (Active, u8) {
        let doc = doc.effective(fresh_seed());
        let seed = doc.seed.unwrap_or_default();
        let any = doc.endpoints.get(super::doc::ANY_ENDPOINT);
        let endpoints: Vec<Option<Thresholds>> = Endpoint::ALL
            .iter()
            .map(|e| {
                let f = doc.endpoints.get(e.name()).or(any)?;
                (!f.is_off()).then(|| Thresholds {
                    drop: f.drop,
                    server_error: f.drop + f.server_error,
                    rate_limited: f.drop + f.server_error + f.rate_limited,
                    status: f.status,
                    retry_after: f.retry_after.0.as_secs().max(1),
                })
            })
            .collect();
        let mut on = 0;
        if endpoints.iter().any(Option::is_some) || doc.bad_nonce_rate > 0.0 {
            on |= FAULTS;
        }
        if doc.authz_reuse_rate.is_some_and(|r| r < 1.0) {
            on |= REUSE;
        }
        if !doc.validation_delay.is_zero() || !doc.finalize_delay.is_zero() {
            on |= DELAYS;
        }
        let limits = Limits::new(&doc.limits);
        if !limits.is_off() {
            on |= LIMITS;
        }
        let active = Active {
            endpoints,
            endpoint_draws: (0..Endpoint::ALL.len() as u64)
                .map(|i| Stream::new(seed, i))
                .collect(),
            bad_nonce_rate: doc.bad_nonce_rate,
            nonce_draws: Stream::new(seed, NONCE_STREAM),
            reuse_rate: doc.authz_reuse_rate.unwrap_or(1.0),
            reuse_draws: Stream::new(seed, REUSE_STREAM),
            validation_delay: doc.validation_delay.0,
            finalize_delay: doc.finalize_delay.0,
            limits,
            doc,
        };
        (active, on)
    }
}

/// The gateway's chaos: faults, delays, authorization reuse and rate limits. One per process
/// (in `acme::gateway::Acme`), shared by every vault's gateway.
pub struct Chaos {
    /// Which knobs are on (`FAULTS`, `REUSE`, `DELAYS`, `LIMITS`): the cheap first check.
    on: AtomicU8,
    active: RwLock<Arc<Active>>,
}

impl Default for Chaos {
    fn default() -> Self {
        Self::new(&ChaosDoc::default())
    }
}

impl Chaos {
    /// Chaos running `doc` (assumed valid: [`ChaosDoc::parse`] validates).
    pub fn new(doc: &ChaosDoc) -> Self {
        let (active, on) = Active::compile(doc);
        Self {
            on: AtomicU8::new(on),
            active: RwLock::new(Arc::new(active)),
        }
    }

    /// The start-up chaos from `--acme-chaos` (a JSON document; `None`: off), validated, and
    /// its effective settings logged (with the seed, so the run can be replayed).
    pub fn from_config(value: Option<&serde_json::Value>) -> Result<Self, String> {
        let doc = match value {
            Some(v) => ChaosDoc::from_value(v.clone()).map_err(|e| format!("--acme-chaos: {e}"))?,
            None => ChaosDoc::default(),
        };
        let chaos = Self::new(&doc);
        chaos.log("start");
        Ok(chaos)
    }

    /// Puts `doc` in force (counters and windows start afresh) and returns its effective
    /// form.
    pub fn put(&self, doc: &ChaosDoc) -> ChaosDoc {
        let (active, on) = Active::compile(doc);
        let effective = active.doc.clone();
        {
            let mut slot = self.active.write().unwrap_or_else(|p| p.into_inner());
            *slot = Arc::new(active);
            // Under the write lock, so the bits never describe an older document than the
            // one a reader then finds.
            self.on.store(on, Ordering::Release);
        }
        self.log("admin");
        effective
    }

    /// The effective document in force.
    pub fn document(&self) -> ChaosDoc {
        self.active().doc.clone()
    }

    fn active(&self) -> Arc<Active> {
        self.active
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn is_on(&self, bit: u8) -> bool {
        self.on.load(Ordering::Acquire) & bit != 0
    }

    /// The limits in force, `None` while the `LIMITS` fault is off.
    fn limits(&self) -> Option<Arc<Active>> {
        self.is_on(LIMITS).then(|| self.active())
    }

    fn log(&self, source: &'static str) {
        let doc = self.document();
        if doc.is_off() {
            info!(source, "acme chaos: off");
        } else {
            let settings = serde_json::to_string(&doc).unwrap_or_default();
            info!(source, seed = doc.seed, %settings, "acme chaos: on");
        }
    }

    /// The fault for this request to `endpoint`, if any: one draw decides drop, 5xx or 429
    /// (in that order of thresholds); then, for endpoints whose requests carry a nonce, the
    /// bad-nonce draw.
    pub fn before(&self, endpoint: Endpoint) -> Option<Fault> {
        if !self.is_on(FAULTS) {
            return None;
        }
        let active = self.active();
        let i = endpoint.index();
        if let Some(t) = &active.endpoints[i] {
            let u = active.endpoint_draws[i].draw();
            if u < t.drop {
                return Some(Fault::Drop);
            }
            if u < t.server_error {
                return Some(Fault::ServerError {
                    status: t.status,
                    retry_after: t.retry_after,
                });
            }
            if u < t.rate_limited {
                return Some(Fault::RateLimited {
                    retry_after: t.retry_after,
                });
            }
        }
        (endpoint.carries_nonce() && active.nonce_draws.chance(active.bad_nonce_rate))
            .then_some(Fault::BadNonce)
    }

    /// Whether to reuse a valid authorization the account already holds for an identifier
    /// (asked only when one exists). Always, unless `authz_reuse_rate` says otherwise.
    pub fn reuse_authz(&self) -> bool {
        if !self.is_on(REUSE) {
            return true;
        }
        let active = self.active();
        active.reuse_draws.chance(active.reuse_rate)
    }

    /// How long to wait before validating a challenge.
    pub fn validation_delay(&self) -> Duration {
        if !self.is_on(DELAYS) {
            return Duration::ZERO;
        }
        self.active().validation_delay
    }

    /// How long to wait before signing a finalized order.
    pub fn finalize_delay(&self) -> Duration {
        if !self.is_on(DELAYS) {
            return Duration::ZERO;
        }
        self.active().finalize_delay
    }

    /// A new order (see [`Limits::check_new_order`]); `now` is the vault's clock.
    pub fn check_new_order(
        &self,
        account: &str,
        identifiers: &[Identifier],
        now: i64,
    ) -> Result<(), Problem> {
        self.limits().map_or(Ok(()), |a| {
            a.limits.check_new_order(account, identifiers, now)
        })
    }

    /// A certificate was issued for `identifiers`.
    pub fn record_issued(&self, identifiers: &[Identifier], now: i64) {
        if let Some(a) = self.limits() {
            a.limits.record_issued(identifiers, now);
        }
    }

    /// A validation of `identifier` for `account` failed.
    pub fn record_failed_validation(&self, account: &str, identifier: &Identifier, now: i64) {
        if let Some(a) = self.limits() {
            a.limits.record_failed_validation(account, identifier, now);
        }
    }

    /// Whether `account` may have `identifier` validated now.
    pub fn check_validation(
        &self,
        account: &str,
        identifier: &Identifier,
        now: i64,
    ) -> Result<(), Problem> {
        self.limits().map_or(Ok(()), |a| {
            a.limits.check_validation(account, identifier, now)
        })
    }
}
