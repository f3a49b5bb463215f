//! Prometheus metrics (`GET /metrics`): vendor requests by dialect, operation and status with
//! latency histograms (recorded where the request history is), and orders by dialect and
//! status (counted from the order book at scrape time).

use crate::orders::OrderBook;
use shared::prometheus::{escape, Family};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

pub struct Metrics {
    requests: Family,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: Family::new(
                "casim_request_duration_seconds",
                "Vendor API requests by dialect, operation and HTTP status (0 = dropped).",
                &["dialect", "operation", "status"],
            ),
        }
    }
}

impl Metrics {
    pub fn request(&self, dialect: &str, operation: &str, status: u16, d: Duration) {
        self.requests
            .observe(&[dialect, operation, &status.to_string()], d);
    }

    pub fn render(&self, orders: &OrderBook) -> String {
        let mut out = String::new();
        self.requests.render(&mut out);
        let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
        for order in orders.list(None) {
            let status = serde_json::to_value(order.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            *counts
                .entry((order.dialect.to_string(), status))
                .or_default() += 1;
        }
        let _ = writeln!(out, "# HELP casim_orders Orders by dialect and status.");
        let _ = writeln!(out, "# TYPE casim_orders gauge");
        for ((dialect, status), n) in counts {
            let _ = writeln!(
                out,
                "casim_orders{{dialect=\"{}\",status=\"{}\"}} {n}",
                escape(&dialect),
                escape(&status)
            );
        }
        out
    }
}
