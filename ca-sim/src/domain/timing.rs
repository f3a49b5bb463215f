//! Timing profiles: how long an order waits (in simulated time) before the CA issues it.
//! Spec: partner-dialects.md §6 "Suggested timing profiles" and §2.8.

use super::rng::SplitMix64;
use serde::{Serialize, Serializer};

/// When an order becomes issuable, relative to its creation.
#[derive(Debug, Clone, PartialEq)]
pub enum TimingProfile {
    /// Issued at once (DigiCert `skip_approval` on a validated org: in the 201 itself).
    Instant,
    /// After a fixed simulated delay.
    Fixed(f64),
    /// After a delay drawn uniformly (seeded) from `min..max` seconds.
    Uniform(f64, f64),
    /// OV vetting: 4 h to 3 days.
    RealisticOv,
    /// EV vetting: 1 to 5 days, with a 10% tail up to 10 days.
    RealisticEv,
    /// Never issued (DigiCert `needs_approval`, GlobalSign 8, WoSign PENDING) until an admin
    /// approves it.
    Stuck,
}

const HOUR: f64 = 3600.0;
const DAY: f64 = 86400.0;

impl TimingProfile {
    /// `instant`, `fixed:2s`, `uniform:1s..10m`, `realistic-ov`, `realistic-ev`, `stuck`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let secs = |t: &str| shared::duration::parse(t).map(|d| d.as_secs_f64());
        match text {
            "instant" => return Ok(Self::Instant),
            "realistic-ov" => return Ok(Self::RealisticOv),
            "realistic-ev" => return Ok(Self::RealisticEv),
            "stuck" => return Ok(Self::Stuck),
            _ => {}
        }
        if let Some(rest) = text.strip_prefix("fixed:") {
            return Ok(Self::Fixed(secs(rest)?));
        }
        if let Some(rest) = text.strip_prefix("uniform:") {
            let (a, b) = rest
                .split_once("..")
                .ok_or_else(|| format!("'{text}': use uniform:MIN..MAX, e.g. uniform:1s..30s"))?;
            let (a, b) = (secs(a)?, secs(b)?);
            if b < a {
                return Err(format!("'{text}': MIN is above MAX"));
            }
            return Ok(Self::Uniform(a, b));
        }
        Err(format!(
            "unknown timing profile '{text}'; use instant, fixed:DURATION, uniform:MIN..MAX, realistic-ov, realistic-ev or stuck"
        ))
    }

    /// Simulated seconds until issuance; `None` for `stuck`.
    pub fn delay_secs(&self, rng: &mut SplitMix64) -> Option<f64> {
        match *self {
            Self::Instant => Some(0.0),
            Self::Fixed(s) => Some(s),
            Self::Uniform(a, b) => Some(a + (b - a) * rng.next_f64()),
            Self::RealisticOv => Some(4.0 * HOUR + (3.0 * DAY - 4.0 * HOUR) * rng.next_f64()),
            Self::RealisticEv => {
                if rng.next_f64() < 0.1 {
                    Some(5.0 * DAY + 5.0 * DAY * rng.next_f64())
                } else {
                    Some(DAY + 4.0 * DAY * rng.next_f64())
                }
            }
            Self::Stuck => None,
        }
    }

    pub fn is_instant(&self) -> bool {
        matches!(self, Self::Instant)
    }
}

impl std::fmt::Display for TimingProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Instant => f.write_str("instant"),
            Self::Fixed(s) => write!(f, "fixed:{s}s"),
            Self::Uniform(a, b) => write!(f, "uniform:{a}s..{b}s"),
            Self::RealisticOv => f.write_str("realistic-ov"),
            Self::RealisticEv => f.write_str("realistic-ev"),
            Self::Stuck => f.write_str("stuck"),
        }
    }
}

impl Serialize for TimingProfile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_and_sample_deterministically() {
        assert_eq!(
            TimingProfile::parse("instant").unwrap(),
            TimingProfile::Instant
        );
        assert_eq!(
            TimingProfile::parse("fixed:2s").unwrap(),
            TimingProfile::Fixed(2.0)
        );
        let u = TimingProfile::parse("uniform:1s..1m").unwrap();
        let a = u.delay_secs(&mut SplitMix64::new(7)).unwrap();
        let b = u.delay_secs(&mut SplitMix64::new(7)).unwrap();
        assert_eq!(a, b);
        assert!((1.0..=60.0).contains(&a));
        assert!(TimingProfile::parse("uniform:5s..1s").is_err());
        assert!(TimingProfile::parse("soon").is_err());
        assert_eq!(
            TimingProfile::Stuck.delay_secs(&mut SplitMix64::new(1)),
            None
        );
        let ov = TimingProfile::RealisticOv
            .delay_secs(&mut SplitMix64::new(3))
            .unwrap();
        assert!((4.0 * HOUR..=3.0 * DAY).contains(&ov));
    }
}
