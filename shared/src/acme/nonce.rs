//! ACME anti-replay nonces (RFC 8555 §6.5): [`NonceStore::issue`] hands out a fresh
//! `Replay-Nonce`, [`NonceStore::redeem`] accepts each one exactly once.
//!
//! The choice: a set of outstanding nonces, not a counter+HMAC scheme.
//! - A nonce is 128 bits from the system RNG, base64url without padding (22 characters).
//! - Outstanding nonces live in memory only, so a restart forgets them all: every nonce from
//!   before a restart is unknown and rejected (`badNonce`; clients retry with the fresh nonce
//!   the error carries). No key to persist or rotate, and single use is exact.
//! - Memory is bounded: at most `capacity` nonces are outstanding; issuing past that evicts
//!   the oldest issued (it is then rejected like an unknown one), so a client that fetches
//!   nonces without using them can only push out old ones.
//! - No global hot lock: the set is split into shards (16 by default), each behind its own
//!   mutex, chosen by the nonce's first byte; the bound and the oldest-first order are per
//!   shard (`capacity / shards` each), which with random nonces is the same thing to within
//!   noise. Each lock is held for one hash-set operation.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::{HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};

/// Raw nonce length: 128 bits.
const NONCE_BYTES: usize = 16;
/// Default number of shards (a power of two, indexes by the first byte).
const DEFAULT_SHARDS: usize = 16;

type Raw = [u8; NONCE_BYTES];

/// Why a nonce was refused; both map to `badNonce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NonceRejected {
    /// Not 22 base64url characters decoding to 16 bytes.
    #[error("the nonce is not a base64url 128-bit value")]
    Malformed,
    /// Never issued by this process, already redeemed, or evicted.
    #[error("the nonce is unknown, already used or expired")]
    Unknown,
}

/// The system RNG failed; the caller answers `serverInternal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the random number generator failed")]
pub struct RngFailed;

#[derive(Default)]
struct Shard {
    outstanding: HashSet<Raw>,
    /// Issue order; may hold already-redeemed entries, which eviction skips over for free
    /// (removing them from the set is a no-op). Its length bounds the set's.
    order: VecDeque<Raw>,
}

/// Issues and redeems nonces; share it behind an `Arc`.
pub struct NonceStore {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
}

impl NonceStore {
    /// A store holding at most (about) `capacity` outstanding nonces.
    pub fn new(capacity: usize) -> Self {
        Self::with_shards(capacity, DEFAULT_SHARDS)
    }

    /// `shards` is clamped to 1..=256 (the first byte picks the shard); each shard holds
    /// `ceil(capacity / shards)` (at least one) nonces.
    pub fn with_shards(capacity: usize, shards: usize) -> Self {
        let shards = shards.clamp(1, 256);
        let per_shard = capacity.div_ceil(shards).max(1);
        NonceStore {
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard,
        }
    }

    /// The most nonces that can be outstanding at once.
    pub fn capacity(&self) -> usize {
        self.per_shard * self.shards.len()
    }

    /// A fresh nonce for a `Replay-Nonce` header.
    pub fn issue(&self) -> Result<String, RngFailed> {
        let mut raw: Raw = [0; NONCE_BYTES];
        aws_lc_rs::rand::fill(&mut raw).map_err(|_| RngFailed)?;
        let mut shard = self.shard(&raw);
        if shard.order.len() >= self.per_shard {
            if let Some(oldest) = shard.order.pop_front() {
                shard.outstanding.remove(&oldest);
            }
        }
        shard.order.push_back(raw);
        shard.outstanding.insert(raw);
        Ok(URL_SAFE_NO_PAD.encode(raw))
    }

    /// Accepts `nonce` if this store issued it and it has not been redeemed or evicted since;
    /// it is gone afterwards either way.
    pub fn redeem(&self, nonce: &str) -> Result<(), NonceRejected> {
        // 16 bytes are exactly 22 characters; checking first keeps the decoder off long input.
        if nonce.len() != 22 {
            return Err(NonceRejected::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(nonce)
            .map_err(|_| NonceRejected::Malformed)?;
        let raw: Raw = bytes
            .as_slice()
            .try_into()
            .map_err(|_| NonceRejected::Malformed)?;
        // The stale copy in `order` stays until it reaches the front; it is harmless there.
        if self.shard(&raw).outstanding.remove(&raw) {
            Ok(())
        } else {
            Err(NonceRejected::Unknown)
        }
    }

    /// How many nonces are outstanding now (for tests and metrics).
    pub fn outstanding(&self) -> usize {
        (0..self.shards.len())
            .map(|i| self.lock(i).outstanding.len())
            .sum()
    }

    fn shard(&self, raw: &Raw) -> MutexGuard<'_, Shard> {
        self.lock(usize::from(raw[0]) % self.shards.len())
    }

    fn lock(&self, index: usize) -> MutexGuard<'_, Shard> {
        // A panic while holding a shard cannot leave it inconsistent beyond a nonce too many
        // or too few; keep serving rather than poisoning every later request.
        self.shards[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
#[path = "tests_nonce.rs"]
mod tests;
