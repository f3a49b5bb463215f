//! How a client paces its polls ([`PollPolicy`]) and reads vault's `Retry-After`.

use reqwest::header::HeaderMap;
use shared::duration;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The wait when a 429 or a `retry-after` poll carries no usable header.
pub(super) const DEFAULT_RETRY: Duration = Duration::from_secs(1);

/// How a client waits between two polls of an operation in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PollPolicy {
    /// `fixed:1s`: always the same wait.
    Fixed(Duration),
    /// `retry-after`: what vault's `retry-after-ms` (else `Retry-After`) header says.
    RetryAfter,
    /// `backoff:1s..30s`: from the first, doubling, at most the second.
    Backoff { first: Duration, max: Duration },
}

impl FromStr for PollPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("retry-after") {
            return Ok(PollPolicy::RetryAfter);
        }
        if let Some(d) = s.strip_prefix("fixed:") {
            return Ok(PollPolicy::Fixed(duration::parse(d)?));
        }
        if let Some(range) = s.strip_prefix("backoff:") {
            let (a, b) = range
                .split_once("..")
                .ok_or_else(|| format!("invalid poll policy '{s}' (write backoff:1s..30s)"))?;
            let (first, max) = (duration::parse(a)?, duration::parse(b)?);
            if first.is_zero() || max < first {
                return Err(format!("invalid poll policy '{s}': need 0 < first <= max"));
            }
            return Ok(PollPolicy::Backoff { first, max });
        }
        Err(format!(
            "invalid poll policy '{s}' (use fixed:1s, retry-after or backoff:1s..30s)"
        ))
    }
}

impl fmt::Display for PollPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PollPolicy::Fixed(d) => write!(f, "fixed:{}ms", d.as_millis()),
            PollPolicy::RetryAfter => f.write_str("retry-after"),
            PollPolicy::Backoff { first, max } => {
                write!(f, "backoff:{}ms..{}ms", first.as_millis(), max.as_millis())
            }
        }
    }
}

impl PollPolicy {
    /// The wait before poll number `attempt` (0-based), given the last answer's headers.
    pub fn wait(&self, attempt: u32, headers: &HeaderMap) -> Duration {
        match self {
            PollPolicy::Fixed(d) => *d,
            PollPolicy::RetryAfter => retry_after(headers).unwrap_or(DEFAULT_RETRY),
            PollPolicy::Backoff { first, max } => first
                .checked_mul(1u32 << attempt.min(20))
                .unwrap_or(*max)
                .min(*max),
        }
    }
}

/// `retry-after-ms` (milliseconds), else `Retry-After` (delta-seconds).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<u64>().ok()) {
        return Some(Duration::from_millis(ms));
    }
    text("retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_policies_parse_and_wait() {
        let h = HeaderMap::new();
        let p: PollPolicy = "fixed:250ms".parse().unwrap();
        assert_eq!(p.wait(3, &h), Duration::from_millis(250));
        let p: PollPolicy = "backoff:1s..30s".parse().unwrap();
        assert_eq!(p.wait(0, &h), Duration::from_secs(1));
        assert_eq!(p.wait(2, &h), Duration::from_secs(4));
        assert_eq!(p.wait(10, &h), Duration::from_secs(30));
        let p: PollPolicy = "retry-after".parse().unwrap();
        assert_eq!(p.wait(0, &h), DEFAULT_RETRY);
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(p.wait(0, &h), Duration::from_secs(2));
        h.insert("retry-after-ms", "50".parse().unwrap());
        assert_eq!(p.wait(0, &h), Duration::from_millis(50));
        assert!("sometimes".parse::<PollPolicy>().is_err());
        assert!("backoff:5s..1s".parse::<PollPolicy>().is_err());
    }
}
