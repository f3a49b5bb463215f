//! Prometheus metrics (text exposition format) served at `GET /metrics`: HTTP requests by
//! route, method and status with latency histograms, CA call latency by provider and call,
//! key generation time by key type; operations by status and the worker's queue depth are
//! read from the store when scraped.
//!
//! Labelled histograms live in a read-mostly map: the hot path takes a read lock and bumps
//! atomics; a new label set takes the write lock once.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Upper bounds (seconds) shared by every histogram here: 100 µs to 60 s.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; 18],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos
            .fetch_add(d.as_nanos().min(u64::MAX as u128) as u64, Ordering::Relaxed);
    }
}

/// A histogram family keyed by its label values.
struct Family {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    series: RwLock<BTreeMap<Vec<String>, Arc<Histogram>>>,
}

impl Family {
    fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        Self {
            name,
            help,
            labels,
            series: RwLock::new(BTreeMap::new()),
        }
    }

    fn observe(&self, values: &[&str], d: Duration) {
        let key: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let existing = self
            .series
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let h = match existing {
            Some(h) => h,
            None => self
                .series
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .entry(key)
                .or_default()
                .clone(),
        };
        h.observe(d);
    }

    fn render(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} histogram", self.name);
        let series = self.series.read().unwrap_or_else(|p| p.into_inner());
        for (values, h) in series.iter() {
            let labels: Vec<String> = self
                .labels
                .iter()
                .zip(values)
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let labels = labels.join(",");
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "{}_bucket{{{labels},le=\"{bound}\"}} {cumulative}",
                    self.name
                );
            }
            let count = h.count.load(Ordering::Relaxed);
            let _ = writeln!(out, "{}_bucket{{{labels},le=\"+Inf\"}} {count}", self.name);
            let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            let _ = writeln!(out, "{}_sum{{{labels}}} {sum}", self.name);
            let _ = writeln!(out, "{}_count{{{labels}}} {count}", self.name);
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

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
    pub fn request(&self, route: &str, method: &str, status: u16, d: Duration) {
        self.requests
            .observe(&[route, method, &status.to_string()], d);
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

/// The route template of a request path, so labels stay few (`/certificates/{name}/pending`).
pub fn route_template(path: &str) -> String {
    const FIXED_SECOND: &[&str] = &["contacts", "issuers", "restore"];
    const FIXED_THIRD: &[&str] = &[
        "pending", "policy", "versions", "create", "import", "backup", "recover",
    ];
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut out = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        let keep = match i {
            0 => matches!(
                *seg,
                "certificates" | "deletedcertificates" | "keys" | "secrets" | "_admin" | "metrics"
            ),
            1 => FIXED_SECOND.contains(seg) || segments[0] == "_admin",
            2 => FIXED_THIRD.contains(seg),
            _ => matches!(*seg, "merge" | "sign" | "verify"),
        };
        if keep {
            out.push(seg.to_string());
        } else if seg.is_empty() {
            out.push(String::new());
        } else {
            out.push(match i {
                0 => "{unknown}".to_string(),
                1 => "{name}".to_string(),
                2 if segments[1] == "issuers" => "{issuer}".to_string(),
                2 => "{version}".to_string(),
                _ => "{segment}".to_string(),
            });
        }
        if i == 0 && !keep {
            break;
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_collapse_to_templates() {
        assert_eq!(
            route_template("/certificates/web1/pending"),
            "/certificates/{name}/pending"
        );
        assert_eq!(
            route_template("/certificates/web1/"),
            "/certificates/{name}/"
        );
        assert_eq!(
            route_template("/certificates/web1/abc123"),
            "/certificates/{name}/{version}"
        );
        assert_eq!(
            route_template("/certificates/issuers/dc"),
            "/certificates/issuers/{issuer}"
        );
        assert_eq!(
            route_template("/certificates/web/pending/merge"),
            "/certificates/{name}/pending/merge"
        );
        assert_eq!(
            route_template("/keys/k/v1/sign"),
            "/keys/{name}/{version}/sign"
        );
        assert_eq!(route_template("/no/such/thing"), "/{unknown}");
    }

    #[test]
    fn render_has_histograms_and_gauges() {
        let m = Metrics::default();
        m.request(
            "/certificates/{name}/pending",
            "GET",
            200,
            Duration::from_micros(300),
        );
        m.request(
            "/certificates/{name}/pending",
            "GET",
            200,
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
