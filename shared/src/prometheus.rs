//! A minimal Prometheus text-format registry piece shared by vault and ca-sim: labelled
//! latency histograms. Series live in a read-mostly map: the hot path takes a read lock and
//! bumps atomics; a new label set takes the write lock once.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

const SEP: &str = "\u{1f}";

/// Upper bounds (seconds) shared by every histogram here: 100 µs to 60 s.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

#[derive(Default)]
pub struct Histogram {
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
pub struct Family {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    /// Label values joined with U+001F (a separator no label value contains).
    series: RwLock<BTreeMap<String, Arc<Histogram>>>,
}

impl Family {
    pub fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        Self {
            name,
            help,
            labels,
            series: RwLock::new(BTreeMap::new()),
        }
    }

    pub fn observe(&self, values: &[&str], d: Duration) {
        // The joined key is built in a per-thread buffer: a hit allocates nothing.
        thread_local! {
            static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        let h = KEY.with_borrow_mut(|key| {
            key.clear();
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    key.push_str(SEP);
                }
                key.push_str(v);
            }
            let existing = self
                .series
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(key.as_str())
                .cloned();
            match existing {
                Some(h) => h,
                None => self
                    .series
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(key.clone())
                    .or_default()
                    .clone(),
            }
        });
        h.observe(d);
    }

    pub fn render(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} histogram", self.name);
        let series = self.series.read().unwrap_or_else(|p| p.into_inner());
        for (joined, h) in series.iter() {
            let labels: Vec<String> = self
                .labels
                .iter()
                .zip(joined.split(SEP))
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

/// Escapes a label value.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let f = Family::new("x_seconds", "test", &["a"]);
        f.observe(&["1"], Duration::from_micros(50));
        f.observe(&["1"], Duration::from_millis(2));
        f.observe(&["q\"uote"], Duration::from_secs(100));
        let mut out = String::new();
        f.render(&mut out);
        assert!(
            out.contains("x_seconds_bucket{a=\"1\",le=\"0.0001\"} 1"),
            "{out}"
        );
        assert!(out.contains("x_seconds_bucket{a=\"1\",le=\"0.0025\"} 2"));
        assert!(out.contains("x_seconds_count{a=\"1\"} 2"));
        assert!(out.contains("x_seconds_bucket{a=\"q\\\"uote\",le=\"+Inf\"} 1"));
    }
}
