//! Prometheus metrics (text exposition format) served at `GET /metrics`: HTTP requests by
//! route, method and status with latency histograms, CA call latency by provider and call,
//! key generation time by key type; the ACME gateway's requests by endpoint and status and its
//! validations by challenge type and outcome; operations and ACME orders by status and the
//! worker's queue depth are read from the store when scraped.
//!
//! The histogram machinery is `shared::prometheus` (ca-sim uses it too).

use shared::prometheus::{escape, Family};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Every metric vault keeps in memory.
pub struct Metrics {
    requests: Family,
    ca_calls: Family,
    keygen: Family,
    acme_requests: Family,
    acme_validations: Family,
    throttled: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: Family::new(
                "vault_http_request_duration_seconds",
                "HTTP requests by route template, method and status.",
                &["route", "method", "status"],
            ),
            ca_calls: Family::new(
                "vault_ca_call_duration_seconds",
                "Calls to partner CAs by provider, call and outcome.",
                &["provider", "call", "outcome"],
            ),
            keygen: Family::new(
                "vault_key_generation_duration_seconds",
                "Key generation (and signing) time by key type.",
                &["key"],
            ),
            acme_requests: Family::new(
                "vault_acme_request_duration_seconds",
                "ACME gateway requests by endpoint (route template) and status.",
                &["endpoint", "status"],
            ),
            acme_validations: Family::new(
                "vault_acme_validation_duration_seconds",
                "ACME challenge validations by challenge type and outcome (valid, or the \
                 problem type that made them invalid).",
                &["challenge", "outcome"],
            ),
            throttled: AtomicU64::new(0),
        }
    }
}

/// Point-in-time values read from the store at scrape time (summed over the vaults).
#[derive(Debug, Default)]
pub struct StoreGauges {
    pub operations_by_status: Vec<(String, i64)>,
    pub queue_depth: i64,
    /// ACME orders per status (`Store::acme_order_stats`).
    pub acme_orders_by_status: Vec<(String, i64)>,
}

impl StoreGauges {
    /// Adds one vault's operation counts to the totals.
    pub fn add_operations(&mut self, stats: Vec<(String, i64)>) {
        add_counts(&mut self.operations_by_status, stats);
    }

    /// Adds one vault's ACME order counts to the totals.
    pub fn add_acme_orders(&mut self, stats: Vec<(String, i64)>) {
        add_counts(&mut self.acme_orders_by_status, stats);
    }
}

/// Adds `more` to `totals`, matching by label value.
fn add_counts(totals: &mut Vec<(String, i64)>, more: Vec<(String, i64)>) {
    for (label, n) in more {
        match totals.iter_mut().find(|(l, _)| *l == label) {
            Some((_, total)) => *total += n,
            None => totals.push((label, n)),
        }
    }
}

impl Metrics {
    pub fn request(&self, route: &str, method: &str, status: &str, d: Duration) {
        self.requests.observe(&[route, method, status], d);
    }

    pub fn ca_call(&self, provider: &str, call: &str, outcome: &str, d: Duration) {
        self.ca_calls.observe(&[provider, call, outcome], d);
    }

    pub fn key_generation(&self, key: &str, d: Duration) {
        self.keygen.observe(&[key], d);
    }

    /// One ACME request: `endpoint` is the route template (`new-order`, `order/{id}`, …),
    /// `status` the HTTP status answered.
    pub fn acme_request(&self, endpoint: &str, status: u16, d: Duration) {
        let status = status.to_string();
        self.acme_requests.observe(&[endpoint, &status], d);
    }

    /// One finished challenge validation: `challenge` is its type (`http-01`, …), `outcome`
    /// `valid` or the short problem type (`connection`, `incorrectResponse`, …).
    pub fn acme_validation(&self, challenge: &str, outcome: &str, d: Duration) {
        self.acme_validations.observe(&[challenge, outcome], d);
    }

    pub fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, gauges: &StoreGauges) -> String {
        let mut out = String::new();
        self.requests.render(&mut out);
        self.ca_calls.render(&mut out);
        self.keygen.render(&mut out);
        self.acme_requests.render(&mut out);
        self.acme_validations.render(&mut out);
        let _ = writeln!(out, "# HELP vault_throttled_requests_total Requests refused with 429 by the throttling emulation.");
        let _ = writeln!(out, "# TYPE vault_throttled_requests_total counter");
        let _ = writeln!(
            out,
            "vault_throttled_requests_total {}",
            self.throttled.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP vault_operations Pending operations by status.");
        let _ = writeln!(out, "# TYPE vault_operations gauge");
        for (status, n) in &gauges.operations_by_status {
            let _ = writeln!(out, "vault_operations{{status=\"{}\"}} {n}", escape(status));
        }
        let _ = writeln!(
            out,
            "# HELP vault_worker_queue_depth In-progress operations due for the worker now."
        );
        let _ = writeln!(out, "# TYPE vault_worker_queue_depth gauge");
        let _ = writeln!(out, "vault_worker_queue_depth {}", gauges.queue_depth);
        let _ = writeln!(out, "# HELP vault_acme_orders ACME orders by status.");
        let _ = writeln!(out, "# TYPE vault_acme_orders gauge");
        for (status, n) in &gauges.acme_orders_by_status {
            let _ = writeln!(
                out,
                "vault_acme_orders{{status=\"{}\"}} {n}",
                escape(status)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_has_histograms_and_gauges() {
        let m = Metrics::default();
        m.request(
            "/certificates/{name}/pending",
            "GET",
            "200",
            Duration::from_micros(300),
        );
        m.request(
            "/certificates/{name}/pending",
            "GET",
            "200",
            Duration::from_millis(3),
        );
        m.key_generation("EC P-256", Duration::from_micros(50));
        m.acme_request("new-order", 201, Duration::from_millis(1));
        m.acme_validation("http-01", "valid", Duration::from_millis(2));
        let mut gauges = StoreGauges {
            operations_by_status: vec![("inProgress".into(), 2)],
            queue_depth: 1,
            ..Default::default()
        };
        gauges.add_acme_orders(vec![("valid".into(), 2)]);
        gauges.add_acme_orders(vec![("valid".into(), 1), ("pending".into(), 4)]);
        let text = m.render(&gauges);
        assert!(text.contains(
            "vault_http_request_duration_seconds_count{route=\"/certificates/{name}/pending\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.0005\"} 1"));
        assert!(text.contains("vault_operations{status=\"inProgress\"} 2"));
        assert!(text.contains("vault_worker_queue_depth 1"));
        assert!(text.contains("vault_key_generation_duration_seconds_count{key=\"EC P-256\"} 1"));
        assert!(text.contains(
            "vault_acme_request_duration_seconds_count{endpoint=\"new-order\",status=\"201\"} 1"
        ));
        assert!(text.contains(
            "vault_acme_validation_duration_seconds_count{challenge=\"http-01\",outcome=\"valid\"} 1"
        ));
        assert!(text.contains("vault_acme_orders{status=\"valid\"} 3"));
        assert!(text.contains("vault_acme_orders{status=\"pending\"} 4"));
    }
}
