//! The chaos document: one JSON shape for `--acme-chaos` and `GET|PUT /_admin/acme/chaos`
//! (documented in docs/acme.md), its validation and its effective form.
//!
//! Every knob is off when absent, so `{}` is "no chaos". Invalid documents are refused with a
//! message naming the field (never clamped). The effective form ([`ChaosDoc::effective`]) is
//! what the gateway runs and the admin API shows: the seed filled in (drawn when the
//! document had none, so every run can be replayed) and each rate limit's LE default count
//! and window written out.

use super::endpoint::Endpoint;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::time::Duration;

/// The name in `endpoints` that applies to every endpoint not listed by its own name.
pub const ANY_ENDPOINT: &str = "*";
/// Longest validation or finalize delay a document may ask for: a client's poll gives up
/// long before.
pub const MAX_DELAY: Duration = Duration::from_secs(600);

/// The chaos settings of the gateway.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaosDoc {
    /// Seeds every decision: the same seed and the same request sequence give the same
    /// decisions. Drawn at random (and shown) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Share (0..=1) of good nonces answered `badNonce` (Pebble's `PEBBLE_WFE_NONCEREJECT`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bad_nonce_rate: f64,
    /// Share (0..=1) of reusable valid authorizations that are reused for a new order;
    /// absent: always (Let's Encrypt). Pebble's `PEBBLE_AUTHZREUSE` is 50 %.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authz_reuse_rate: Option<f64>,
    /// Wait before each challenge validation (Pebble's `PEBBLE_VA_SLEEPTIME`, not random).
    #[serde(default, skip_serializing_if = "Span::is_zero")]
    pub validation_delay: Span,
    /// Wait before the CA signs a finalized order (a slow finalize, Pebble #399).
    #[serde(default, skip_serializing_if = "Span::is_zero")]
    pub finalize_delay: Span,
    /// Faults per endpoint, by directory name (`newOrder`, `finalize`, ...); `"*"` applies to
    /// every endpoint not named.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoints: BTreeMap<String, EndpointFaults>,
    /// Let's Encrypt-shaped rate limits, on the vault's clock.
    #[serde(default, skip_serializing_if = "LimitsDoc::is_empty")]
    pub limits: LimitsDoc,
}

/// The faults of one endpoint. One seeded draw per request picks at most one: `drop` first,
/// then `server_error`, then `rate_limited`; their sum is at most 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointFaults {
    /// Share answered `status` with a `serverInternal` problem.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub server_error: f64,
    /// The 5xx status of `server_error` (500 by default; 503 also carries `Retry-After`).
    #[serde(default = "default_status")]
    pub status: u16,
    /// Share answered 429 `rateLimited` with `Retry-After`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rate_limited: f64,
    /// Share whose connection is closed without an answer.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub drop: f64,
    /// `Retry-After` of the 429 and 503 answers (whole seconds, at least 1).
    #[serde(default = "default_retry_after")]
    pub retry_after: Span,
}

impl Default for EndpointFaults {
    fn default() -> Self {
        Self {
            server_error: 0.0,
            status: default_status(),
            rate_limited: 0.0,
            drop: 0.0,
            retry_after: default_retry_after(),
        }
    }
}

/// The rate limits, each off when absent. Defaults are Let's Encrypt's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsDoc {
    /// Certificates per registered domain (LE: 50 per 7 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificates_per_domain: Option<Limit>,
    /// New orders per account (LE: 300 per 3 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_per_account: Option<Limit>,
    /// Failed validations per account and identifier (LE: 5 per hour); once over, new
    /// orders and challenges for that identifier are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_validations: Option<Limit>,
}

impl LimitsDoc {
    pub fn is_empty(&self) -> bool {
        self.certificates_per_domain.is_none()
            && self.orders_per_account.is_none()
            && self.failed_validations.is_none()
    }
}

/// At most `count` events per sliding `window`; either absent takes the limit's LE default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Span>,
}

/// Let's Encrypt's figures: (count, window).
pub const LE_CERTIFICATES_PER_DOMAIN: (u32, Duration) = (50, Duration::from_secs(7 * 86_400));
pub const LE_ORDERS_PER_ACCOUNT: (u32, Duration) = (300, Duration::from_secs(3 * 3600));
pub const LE_FAILED_VALIDATIONS: (u32, Duration) = (5, Duration::from_secs(3600));

impl Limit {
    /// `(count, window)` with the defaults filled in.
    pub fn resolve(self, default: (u32, Duration)) -> (u32, Duration) {
        (
            self.count.unwrap_or(default.0),
            self.window.map_or(default.1, |w| w.0),
        )
    }
}

/// A duration in a chaos document: read in the workspace's grammar (`250ms`, `5s`, `3h`,
/// `7d`, or a number of seconds), written back in the largest unit that is exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span(pub Duration);

impl Span {
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ms = self.0.as_millis();
        let text = [
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1000, "s"),
        ]
        .into_iter()
        .find(|(unit, _)| ms > 0 && ms.is_multiple_of(*unit))
        .map_or_else(
            || format!("{ms}ms"),
            |(unit, u)| format!("{}{u}", ms / unit),
        );
        s.serialize_str(&text)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        shared::duration::Dur::deserialize(d).map(|d| Span(d.0))
    }
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn default_status() -> u16 {
    500
}

fn default_retry_after() -> Span {
    Span(Duration::from_secs(5))
}

impl ChaosDoc {
    /// Reads and validates a document from JSON text.
    pub fn parse(text: &[u8]) -> Result<ChaosDoc, String> {
        let value: serde_json::Value =
            serde_json::from_slice(text).map_err(|e| format!("chaos document: {e}"))?;
        Self::from_value(value)
    }

    /// Reads and validates a document already parsed as JSON (the `--acme-chaos` flag's).
    pub fn from_value(value: serde_json::Value) -> Result<ChaosDoc, String> {
        // serde would read a struct from an array too; the document is an object.
        if !value.is_object() {
            return Err("chaos document: a JSON object".into());
        }
        let doc: ChaosDoc =
            serde_json::from_value(value).map_err(|e| format!("chaos document: {e}"))?;
        doc.validate()?;
        Ok(doc)
    }

    /// Whether nothing is switched on (a seed alone switches nothing on).
    pub fn is_off(&self) -> bool {
        self.bad_nonce_rate == 0.0
            && self.authz_reuse_rate.is_none()
            && self.validation_delay.is_zero()
            && self.finalize_delay.is_zero()
            && self.endpoints.values().all(EndpointFaults::is_off)
            && self.limits.is_empty()
    }

    /// Every rule a document must keep; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        rate("bad_nonce_rate", self.bad_nonce_rate)?;
        if let Some(r) = self.authz_reuse_rate {
            rate("authz_reuse_rate", r)?;
        }
        for (name, delay) in [
            ("validation_delay", self.validation_delay),
            ("finalize_delay", self.finalize_delay),
        ] {
            if delay.0 > MAX_DELAY {
                return Err(format!("{name}: at most {}s", MAX_DELAY.as_secs()));
            }
        }
        for (name, faults) in &self.endpoints {
            if name != ANY_ENDPOINT && Endpoint::from_name(name).is_none() {
                let known: Vec<&str> = Endpoint::ALL.iter().map(|e| e.name()).collect();
                return Err(format!(
                    "endpoints: unknown endpoint '{name}' (use {ANY_ENDPOINT} or one of {})",
                    known.join(", ")
                ));
            }
            faults.validate(name)?;
        }
        for (name, limit) in [
            (
                "certificates_per_domain",
                self.limits.certificates_per_domain,
            ),
            ("orders_per_account", self.limits.orders_per_account),
            ("failed_validations", self.limits.failed_validations),
        ] {
            let Some(limit) = limit else { continue };
            if limit.count == Some(0) {
                return Err(format!("limits.{name}.count: at least 1"));
            }
            if let Some(w) = limit.window {
                if w.0 < Duration::from_secs(1) {
                    return Err(format!("limits.{name}.window: at least 1s"));
                }
            }
        }
        Ok(())
    }

    /// The form the gateway runs and shows: `seed` set (to `drawn` when absent), each limit's
    /// count and window written out, endpoints without any fault left out.
    pub fn effective(&self, drawn: u64) -> ChaosDoc {
        let mut doc = self.clone();
        doc.seed = Some(self.seed.unwrap_or(drawn));
        doc.endpoints.retain(|_, f| !f.is_off());
        let fill = |limit: Option<Limit>, default: (u32, Duration)| {
            limit.map(|l| {
                let (count, window) = l.resolve(default);
                Limit {
                    count: Some(count),
                    window: Some(Span(window)),
                }
            })
        };
        doc.limits = LimitsDoc {
            certificates_per_domain: fill(
                self.limits.certificates_per_domain,
                LE_CERTIFICATES_PER_DOMAIN,
            ),
            orders_per_account: fill(self.limits.orders_per_account, LE_ORDERS_PER_ACCOUNT),
            failed_validations: fill(self.limits.failed_validations, LE_FAILED_VALIDATIONS),
        };
        doc
    }
}

impl EndpointFaults {
    pub fn is_off(&self) -> bool {
        self.server_error == 0.0 && self.rate_limited == 0.0 && self.drop == 0.0
    }

    fn validate(&self, endpoint: &str) -> Result<(), String> {
        let field = |f: &str| format!("endpoints.{endpoint}.{f}");
        rate(&field("server_error"), self.server_error)?;
        rate(&field("rate_limited"), self.rate_limited)?;
        rate(&field("drop"), self.drop)?;
        // A small tolerance: 0.1 + 0.2 + 0.7 is 1 to a person, not to f64.
        if self.server_error + self.rate_limited + self.drop > 1.0 + 1e-9 {
            return Err(format!(
                "endpoints.{endpoint}: server_error + rate_limited + drop must be at most 1"
            ));
        }
        if !(500..=599).contains(&self.status) {
            return Err(format!("{}: a 5xx status", field("status")));
        }
        if self.retry_after.0 < Duration::from_secs(1) {
            return Err(format!("{}: at least 1s", field("retry_after")));
        }
        Ok(())
    }
}

fn rate(field: &str, value: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(format!("{field}: a rate within 0..=1, not {value}"))
    }
}
