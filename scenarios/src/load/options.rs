//! What a load run is asked to do ([`LoadOptions`]), its bounds, and the loopback-only rule.

use super::mix::Mix;
use super::poll::PollPolicy;
use crate::error::Error;
use serde_json::{json, Value};
use std::time::Duration;

/// Most virtual clients one run may have.
pub const MAX_CLIENTS: usize = 4096;
/// Most certificates one run may create.
pub const MAX_CERTIFICATES: u64 = 1_000_000;

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Virtual clients (each runs one certificate at a time over its own connection).
    pub clients: usize,
    /// Stop after this many certificates.
    pub certificates: Option<u64>,
    /// Start no new certificate after this long.
    pub duration: Option<Duration>,
    pub mix: Mix,
    pub poll: PollPolicy,
    /// A certificate not completed this long after its create counts as an error (`timeout`).
    pub cert_timeout: Duration,
    /// The whole run stops after this long; certificates still in flight count as incomplete.
    pub max_time: Duration,
    /// Live progress bar on stderr (drawn only on a terminal).
    pub progress: bool,
}

impl LoadOptions {
    pub(super) fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::Client(m));
        if self.clients == 0 || self.clients > MAX_CLIENTS {
            return bad(format!("clients must be 1..={MAX_CLIENTS}"));
        }
        if let Some(k) = self.certificates {
            if k == 0 || k > MAX_CERTIFICATES {
                return bad(format!("certificates must be 1..={MAX_CERTIFICATES}"));
            }
        }
        if self.certificates.is_none() && self.duration.is_none() {
            return bad("give a number of certificates or a duration".into());
        }
        if self.max_time.is_zero() || self.cert_timeout.is_zero() {
            return bad("max time and certificate timeout must be positive".into());
        }
        Ok(())
    }

    /// A JSON description for the report.
    pub fn describe(&self) -> Value {
        json!({
            "clients": self.clients,
            "certificates": self.certificates,
            "duration_s": self.duration.map(|d| d.as_secs_f64()),
            "mix": self.mix.0.iter().map(|(i, w)| (i.label().to_string(), json!(w))).collect::<serde_json::Map<_, _>>(),
            "poll": self.poll.to_string(),
            "cert_timeout_s": self.cert_timeout.as_secs_f64(),
            "max_time_s": self.max_time.as_secs_f64(),
        })
    }
}

/// Refuses anything but loopback: a load run must never leave the machine.
pub fn ensure_loopback(url: &str) -> Result<(), Error> {
    let u = url::Url::parse(url).map_err(|e| Error::Client(format!("{url}: {e}")))?;
    let ok = match u.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::Client(format!(
            "{url}: load runs only against loopback addresses (127.0.0.0/8, ::1, localhost)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback() {
        assert!(ensure_loopback("https://127.0.0.1:8443").is_ok());
        assert!(ensure_loopback("https://[::1]:8443").is_ok());
        assert!(ensure_loopback("https://localhost:1").is_ok());
        assert!(ensure_loopback("https://example.com").is_err());
        assert!(ensure_loopback("https://10.0.0.1").is_err());
    }
}
