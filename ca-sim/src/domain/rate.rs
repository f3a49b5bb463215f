//! Rate limits: rolling windows of at most N requests per key (DigiCert's per-API-key limits),
//! counted in real time.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

/// One rolling window of a rate limit: at most `requests` per `seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateWindow {
    pub requests: u32,
    pub seconds: f64,
}

/// Rolling-window rate limits per key (real time).
pub struct RateLimiter {
    windows: Vec<RateWindow>,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(windows: Vec<RateWindow>) -> Self {
        Self {
            windows,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request for `key`; `Err(seconds until a slot frees)` when over a limit (the
    /// refused request is not counted).
    pub fn check(&self, key: &str) -> Result<(), f64> {
        if self.windows.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        let longest = self
            .windows
            .iter()
            .map(|w| w.seconds)
            .fold(0.0_f64, f64::max);
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let q = hits.entry(key.to_string()).or_default();
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t).as_secs_f64() > longest)
        {
            q.pop_front();
        }
        for w in &self.windows {
            let inside: Vec<&Instant> = q
                .iter()
                .filter(|t| now.duration_since(**t).as_secs_f64() <= w.seconds)
                .collect();
            if inside.len() >= w.requests as usize {
                let oldest = inside
                    .first()
                    .map(|t| now.duration_since(**t).as_secs_f64());
                return Err((w.seconds - oldest.unwrap_or(0.0)).max(0.0));
            }
        }
        q.push_back(now);
        Ok(())
    }
}
