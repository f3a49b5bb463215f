//! How long to wait before trying again: exponential back-off with jitter for retries, and the
//! CA's Retry-After honoured (never earlier, a little later so a herd of operations spreads
//! out). The jitter's randomness needs no seed: it only spreads load, it decides nothing.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Longest wait between two looks at one operation.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// `base × factor^step`, capped at [`MAX_BACKOFF`].
pub fn backoff(base: Duration, step: u32, factor: f64) -> Duration {
    let secs = base.as_secs_f64() * factor.powi(step.min(30) as i32);
    Duration::from_secs_f64(secs.min(MAX_BACKOFF.as_secs_f64()))
}

/// The wait before retry number `failures` (from 1): the CA's `retry_after` plus up to a
/// tenth more when it asked for one, else the doubling back-off from `base` with "equal
/// jitter" (half fixed, half random), so retries of many operations do not fall in step.
pub fn retry_delay(base: Duration, failures: u32, retry_after: Option<Duration>) -> Duration {
    match retry_after {
        Some(asked) => asked + asked.mul_f64(0.1 * unit()),
        None => {
            let full = backoff(base, failures.saturating_sub(1), 2.0);
            full / 2 + (full / 2).mul_f64(unit())
        }
    }
}

/// A random number in `[0, 1)` from the standard library's per-instance hash keys.
fn unit() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x9e37_79b9_7f4a_7c15);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A random 64-bit value (owner ids).
pub fn random_u64() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(std::process::id() as u64);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_secs(1);
        assert_eq!(backoff(base, 0, 2.0), Duration::from_secs(1));
        assert_eq!(backoff(base, 3, 2.0), Duration::from_secs(8));
        assert_eq!(backoff(base, 20, 2.0), MAX_BACKOFF);
    }

    #[test]
    fn retries_jitter_within_bounds_and_honour_retry_after() {
        let base = Duration::from_secs(1);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50 {
            let d = retry_delay(base, 4, None);
            assert!(
                d >= Duration::from_secs(4) && d <= Duration::from_secs(8),
                "{d:?}"
            );
            seen.insert(d);
            let asked = Duration::from_secs(7);
            let d = retry_delay(base, 4, Some(asked));
            assert!(d >= asked && d <= asked + asked / 10, "{d:?}");
        }
        assert!(seen.len() > 1, "no jitter: {seen:?}");
    }
}
