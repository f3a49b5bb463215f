//! Prometheus metrics (text exposition format) served at `GET /metrics`: HTTP requests by
//! route, method and status with latency histograms, CA call latency by provider and call,
//! key generation time by key type; operations by status and the worker's queue depth are
//! read from the store when scraped.
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
            throttled: AtomicU64::new(0),
        }
    }
}

/// Point-in-time values read from the store at scrape time.
pub struct StoreGauges {
    pub operations_by_status: Vec<(String, i64)>,
    pub queue_depth: i64,
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

    pub fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, gauges: &StoreGauges) -> String {
        let mut out = String::new();
        self.requests.render(&mut out);
        self.ca_calls.render(&mut out);
        self.keygen.render(&mut out);
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
        let text = m.render(&StoreGauges {
            operations_by_status: vec![("inProgress".into(), 2)],
            queue_depth: 1,
        });
        assert!(text.contains(
            "vault_http_request_duration_seconds_count{route=\"/certificates/{name}/pending\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.0005\"} 1"));
        assert!(text.contains("vault_operations{status=\"inProgress\"} 2"));
        assert!(text.contains("vault_worker_queue_depth 1"));
        assert!(text.contains("vault_key_generation_duration_seconds_count{key=\"EC P-256\"} 1"));
    }
}
