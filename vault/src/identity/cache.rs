//! Verified tokens, so the signature is checked once per token rather than once per request:
//! a bounded map from the token's bytes to its caller, audience and expiry, split into
//! shards behind read-write locks (hits only read; one hot token never serializes requests).
//! A hit still checks expiry and audience.

use crate::access::Caller;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::RwLock;

const SHARDS: usize = 16;
/// Entries per shard; past it, expired entries go, and if none did the shard is emptied.
const SHARD_CAPACITY: usize = 1024;

/// What a verified token established.
#[derive(Debug, Clone)]
pub struct Verified {
    pub caller: Caller,
    pub aud: String,
    /// `exp` in Unix seconds.
    pub exp: i64,
}

pub struct TokenCache {
    hasher: RandomState,
    shards: Vec<RwLock<HashMap<Box<str>, Verified>>>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self {
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
        }
    }
}

impl TokenCache {
    fn shard(&self, token: &str) -> &RwLock<HashMap<Box<str>, Verified>> {
        let i = (self.hasher.hash_one(token) as usize) % SHARDS;
        &self.shards[i]
    }

    /// Runs `f` on the cached entry of `token`, if any.
    pub fn with<R>(&self, token: &str, f: impl FnOnce(&Verified) -> R) -> Option<R> {
        let shard = match self.shard(token).read() {
            Ok(shard) => shard,
            Err(poisoned) => poisoned.into_inner(),
        };
        shard.get(token).map(f)
    }

    /// Remembers a verified token; `now` (Unix seconds) decides what has expired.
    pub fn insert(&self, token: &str, verified: Verified, now: i64) {
        let mut shard = match self.shard(token).write() {
            Ok(shard) => shard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if shard.len() >= SHARD_CAPACITY {
            shard.retain(|_, v| v.exp > now);
            if shard.len() >= SHARD_CAPACITY {
                shard.clear();
            }
        }
        shard.insert(token.into(), verified);
    }

    /// Forgets every token (the tenant or the signing key changed).
    pub fn clear(&self) {
        for shard in &self.shards {
            match shard.write() {
                Ok(mut s) => s.clear(),
                Err(poisoned) => poisoned.into_inner().clear(),
            }
        }
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().map_or(0, |s| s.len()))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(exp: i64) -> Verified {
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

    #[test]
    fn the_cache_stays_bounded_and_keeps_live_entries_first() {
        let cache = TokenCache::default();
        cache.insert("tok", entry(100), 0);
        assert_eq!(cache.with("tok", |v| v.exp), Some(100));
        assert_eq!(cache.with("other", |v| v.exp), None);
        for i in 0..(SHARDS * SHARD_CAPACITY * 2) {
            cache.insert(&format!("t{i}"), entry(10), 50);
        }
        assert!(cache.len() <= SHARDS * SHARD_CAPACITY);
        cache.clear();
        assert!(cache.is_empty());
    }
}
