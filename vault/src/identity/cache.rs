//! Verified tokens, so the signature is checked once per token rather than once per request:
//! a bounded map from the token's bytes to its caller, audience and expiry, split into
//! shards behind read-write locks (hits only read; one hot token never serializes requests).
//! A hit still checks expiry and audience.

use crate::access::Caller;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::RwLock;

const SHARDS: usize = 16;
/// Entries per shard; past it, expired entries go, and if none did the shard is emptied.
const SHARD_CAPACITY: usize = 1024;
/// Bytes of the token's end that are hashed: inside the signature, which differs for every
/// token, so hashing all ~1.3 KB on every request is not needed (hits compare all bytes).
const HASHED_TAIL: usize = 48;

/// What a verified token established.
#[derive(Debug, Clone)]
pub struct Verified {
    pub caller: Caller,
    pub aud: String,
    /// `exp` in Unix seconds.
    pub exp: i64,
}

#[cfg(test)]
impl Verified {
    /// A caller's verified token for the Key Vault audience, expiring at `exp` (unit tests).
    pub(crate) fn sample(exp: i64) -> Self {
        Verified {
            caller: Caller {
                appid: "a".into(),
                oid: "o".into(),
                tid: "t".into(),
            },
            aud: "https://vault.azure.net".into(),
            exp,
        }
    }
}

/// The map's keys are already hashes: pass them through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Tokens by hash; a bucket holds every token with that hash (almost always one).
type Shard = HashMap<u64, Vec<(Box<str>, Verified)>, BuildHasherDefault<PassThrough>>;

pub struct TokenCache {
    hasher: RandomState,
    shards: Vec<RwLock<Shard>>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self {
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| RwLock::new(Shard::default())).collect(),
        }
    }
}

impl TokenCache {
    fn key(&self, token: &str) -> (u64, &RwLock<Shard>) {
        let bytes = token.as_bytes();
        let tail = &bytes[bytes.len().saturating_sub(HASHED_TAIL)..];
        let hash = self.hasher.hash_one((bytes.len(), tail));
        (hash, &self.shards[(hash >> 56) as usize % SHARDS])
    }

    /// Runs `f` on the cached entry of `token`, if any.
    pub fn with<R>(&self, token: &str, f: impl FnOnce(&Verified) -> R) -> Option<R> {
        let (hash, shard) = self.key(token);
        let shard = match shard.read() {
            Ok(shard) => shard,
            Err(poisoned) => poisoned.into_inner(),
        };
        shard
            .get(&hash)?
            .iter()
            .find(|(t, _)| **t == *token)
            .map(|(_, v)| f(v))
    }

    /// Remembers a verified token; `now` (Unix seconds) decides what has expired.
    pub fn insert(&self, token: &str, verified: Verified, now: i64) {
        let (hash, shard) = self.key(token);
        let mut shard = match shard.write() {
            Ok(shard) => shard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if shard.len() >= SHARD_CAPACITY {
            shard.retain(|_, bucket| {
                bucket.retain(|(_, v)| v.exp > now);
                !bucket.is_empty()
            });
            if shard.len() >= SHARD_CAPACITY {
                shard.clear();
            }
        }
        let bucket = shard.entry(hash).or_default();
        match bucket.iter_mut().find(|(t, _)| **t == *token) {
            Some(slot) => slot.1 = verified,
            None => bucket.push((token.into(), verified)),
        }
    }

    /// Forgets every token.
    pub fn clear(&self) {
        for shard in &self.shards {
            match shard.write() {
                Ok(mut s) => s.clear(),
                Err(poisoned) => poisoned.into_inner().clear(),
            }
        }
    }

    /// How many tokens are cached.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().map_or(0, |s| s.values().map(Vec::len).sum()))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_stays_bounded_and_keeps_live_entries_first() {
        let cache = TokenCache::default();
        cache.insert("tok", Verified::sample(100), 0);
        assert_eq!(cache.with("tok", |v| v.exp), Some(100));
        assert_eq!(cache.with("other", |v| v.exp), None);
        // Same tail, different token: never confused (hits compare every byte).
        let long_a = format!("a{}", "x".repeat(100));
        let long_b = format!("b{}", "x".repeat(100));
        cache.insert(&long_a, Verified::sample(7), 0);
        assert_eq!(cache.with(&long_b, |v| v.exp), None);
        cache.insert(&long_b, Verified::sample(8), 0);
        assert_eq!(cache.with(&long_a, |v| v.exp), Some(7));
        assert_eq!(cache.with(&long_b, |v| v.exp), Some(8));
        for i in 0..(SHARDS * SHARD_CAPACITY * 2) {
            cache.insert(&format!("t{i}"), Verified::sample(10), 50);
        }
        assert!(cache.len() <= SHARDS * SHARD_CAPACITY);
        cache.clear();
        assert!(cache.is_empty());
    }
}
