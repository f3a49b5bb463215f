//! Let's Encrypt-shaped rate limits on the vault's clock: certificates per registered domain,
//! new orders per account, failed validations per account and identifier. Each is a sliding
//! window (at most `count` events in the last `window`); a refusal is `rateLimited` with
//! `Retry-After` = the seconds until the oldest event in the window leaves it.
//!
//! Times are the caller's `now` (the vault's clock, so `/_admin/clock` frees a window). The
//! logs are split into shards by key, each behind its own mutex held for one key's update;
//! each key keeps only its newest `count` events (older ones can never decide anything), and
//! a shard drops keys whose events all left the window once it holds many.

use super::doc::{
    LimitsDoc, LE_CERTIFICATES_PER_DOMAIN, LE_FAILED_VALIDATIONS, LE_ORDERS_PER_ACCOUNT,
};
use super::domain::registered_domain;
use crate::model::acme::Identifier;
use shared::acme::problem::Problem;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

const SHARDS: usize = 16;
/// Keys a shard holds before it sweeps those whose window has passed.
const SWEEP_AT: usize = 4096;

type Log = HashMap<String, VecDeque<i64>>;

/// One sliding-window limit over many keys.
struct Window {
    count: usize,
    secs: i64,
    shards: Vec<Mutex<Log>>,
}

impl Window {
    fn new((count, window): (u32, Duration)) -> Self {
        Self {
            count: count.max(1) as usize,
            secs: window.as_secs().max(1) as i64,
            shards: (0..SHARDS).map(|_| Mutex::new(Log::new())).collect(),
        }
    }

    fn shard(&self, key: &str) -> MutexGuard<'_, Log> {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        let i = (h.finish() as usize) % self.shards.len();
        // A panic while holding the lock leaves a log that is still consistent.
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seconds until a slot frees, when `count` events already lie in the window.
    fn full(&self, events: Option<&VecDeque<i64>>, now: i64) -> Option<u64> {
        let start = now - self.secs;
        let mut inside = events?.iter().filter(|t| **t > start);
        let earliest = inside.clone().min().copied()?;
        (inside.by_ref().count() >= self.count)
            .then(|| (earliest + self.secs - now).max(1).unsigned_abs())
    }

    fn push(&self, log: &mut Log, key: &str, now: i64) {
        if log.len() >= SWEEP_AT && !log.contains_key(key) {
            let start = now - self.secs;
            log.retain(|_, events| events.iter().any(|t| *t > start));
        }
        let events = log.entry(key.to_owned()).or_default();
        events.push_back(now);
        while events.len() > self.count {
            events.pop_front();
        }
    }

    fn check(&self, key: &str, now: i64) -> Result<(), u64> {
        match self.full(self.shard(key).get(key), now) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    fn record(&self, key: &str, now: i64) {
        let mut log = self.shard(key);
        self.push(&mut log, key, now);
    }

    /// Checks and counts under one lock, so concurrent requests cannot both take the last
    /// slot.
    fn take(&self, key: &str, now: i64) -> Result<(), u64> {
        let mut log = self.shard(key);
        if let Some(wait) = self.full(log.get(key), now) {
            return Err(wait);
        }
        self.push(&mut log, key, now);
        Ok(())
    }

    fn describe(&self) -> String {
        format!("{} in the last {}s", self.count, self.secs)
    }
}

/// The rate limits of one chaos document.
pub struct Limits {
    certificates: Option<Window>,
    orders: Option<Window>,
    failures: Option<Window>,
}

impl Limits {
    pub fn new(doc: &LimitsDoc) -> Self {
        Self {
            certificates: doc
                .certificates_per_domain
                .map(|l| Window::new(l.resolve(LE_CERTIFICATES_PER_DOMAIN))),
            orders: doc
                .orders_per_account
                .map(|l| Window::new(l.resolve(LE_ORDERS_PER_ACCOUNT))),
            failures: doc
                .failed_validations
                .map(|l| Window::new(l.resolve(LE_FAILED_VALIDATIONS))),
        }
    }

    pub fn is_off(&self) -> bool {
        self.certificates.is_none() && self.orders.is_none() && self.failures.is_none()
    }

    /// A new order from `account` for `identifiers`: refused while an identifier has too many
    /// failed validations, a registered domain too many certificates, or the account too
    /// many orders; counted against the account's orders when accepted.
    pub fn check_new_order(
        &self,
        account: &str,
        identifiers: &[Identifier],
        now: i64,
    ) -> Result<(), Problem> {
        for id in identifiers {
            self.check_validation(account, id, now)?;
        }
        if let Some(w) = &self.certificates {
            let domains: BTreeSet<String> = identifiers.iter().map(registered_domain).collect();
            for domain in &domains {
                w.check(domain, now).map_err(|wait| {
                    Problem::rate_limited(
                        format!(
                            "too many certificates ({}) already issued for \"{domain}\": \
                             retry after {wait}s",
                            w.describe()
                        ),
                        wait,
                    )
                })?;
            }
        }
        if let Some(w) = &self.orders {
            w.take(account, now).map_err(|wait| {
                Problem::rate_limited(
                    format!(
                        "too many new orders ({}) from this account: retry after {wait}s",
                        w.describe()
                    ),
                    wait,
                )
            })?;
        }
        Ok(())
    }

    /// A certificate was issued for `identifiers`: one more for each registered domain.
    pub fn record_issued(&self, identifiers: &[Identifier], now: i64) {
        if let Some(w) = &self.certificates {
            let domains: BTreeSet<String> = identifiers.iter().map(registered_domain).collect();
            for domain in &domains {
                w.record(domain, now);
            }
        }
    }

    /// A validation of `identifier` for `account` failed.
    pub fn record_failed_validation(&self, account: &str, identifier: &Identifier, now: i64) {
        if let Some(w) = &self.failures {
            w.record(&failure_key(account, identifier), now);
        }
    }

    /// Whether `account` may have `identifier` validated (a challenge, a new order).
    pub fn check_validation(
        &self,
        account: &str,
        identifier: &Identifier,
        now: i64,
    ) -> Result<(), Problem> {
        let Some(w) = &self.failures else {
            return Ok(());
        };
        w.check(&failure_key(account, identifier), now)
            .map_err(|wait| {
                Problem::rate_limited(
                    format!(
                        "too many failed validations ({}) of \"{}\" for this account: retry \
                         after {wait}s",
                        w.describe(),
                        identifier.value
                    ),
                    wait,
                )
            })
    }
}

/// Per account and identifier; a wildcard counts for its base name (validated the same way).
fn failure_key(account: &str, identifier: &Identifier) -> String {
    format!(
        "{account} {}",
        identifier
            .value
            .trim_start_matches("*.")
            .to_ascii_lowercase()
    )
}
