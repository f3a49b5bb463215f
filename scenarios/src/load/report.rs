//! What a load run measured: per-client [`ClientStats`] (HDR histograms, merged at the end)
//! and the [`Report`] built from them, printed as text or written as JSON.
//!
//! JSON fields (`--json FILE`):
//! `config` (clients, certificates, duration_s, mix, poll, cert_timeout_s, max_time_s,
//! vault_url, ca_sim_url, certificate_prefix, and for self-started services `services`),
//! `elapsed_s`, `certificates {started, completed, failed, incomplete}`, `certificates_per_s`,
//! `requests` (every request sent, 429s included), `requests_per_s`,
//! `by_kind {create|poll|get|merge: {count, throttled, transport_errors, latency_ms}}`,
//! `polls_per_certificate {count, mean, p50, p90, p99, p99_9, max}`, `time_to_completion_ms`,
//! `by_issuer {NAME: {started, completed, failed, incomplete}}`, `errors {KIND: n}`,
//! `errors_total`, `throttled_429`. Every latency block is
//! `{count, mean, p50, p90, p99, p99_9, max}` in milliseconds; `count` counts answered (non-429)
//! requests. `time_to_completion_ms` runs from sending the create to the certificate's GET
//! answer.

use super::mix::Issuer;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

/// The request kinds a flow sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `POST /certificates/{name}/create`
    Create,
    /// `GET /certificates/{name}/pending`
    Poll,
    /// `GET /certificates/{name}/`
    Get,
    /// `POST /certificates/{name}/pending/merge`
    Merge,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Create, Kind::Poll, Kind::Get, Kind::Merge];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Poll => "poll",
            Kind::Get => "get",
            Kind::Merge => "merge",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Microseconds, 1 µs .. 1 h, 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

fn micros(d: Duration) -> u64 {
    (d.as_micros() as u64).max(1)
}

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct IssuerCounts {
    pub started: u64,
    pub completed: u64,
    pub failed: u64,
    pub incomplete: u64,
}

/// One client's measurements (merged into the run's at the end).
#[derive(Debug, Clone)]
pub struct ClientStats {
    latency: Vec<Histogram<u64>>,
    throttled: [u64; 4],
    transport: [u64; 4],
    polls: Histogram<u64>,
    completion: Histogram<u64>,
    issuers: BTreeMap<Issuer, IssuerCounts>,
    errors: BTreeMap<String, u64>,
}

impl Default for ClientStats {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientStats {
    pub fn new() -> Self {
        Self {
            latency: Kind::ALL.iter().map(|_| histogram()).collect(),
            throttled: [0; 4],
            transport: [0; 4],
            polls: Histogram::new(3).expect("valid histogram"),
            completion: histogram(),
            issuers: BTreeMap::new(),
            errors: BTreeMap::new(),
        }
    }

    pub fn answered(&mut self, kind: Kind, latency: Duration) {
        self.latency[kind.index()].saturating_record(micros(latency));
    }

    pub fn throttled(&mut self, kind: Kind) {
        self.throttled[kind.index()] += 1;
    }

    pub fn transport_error(&mut self, kind: Kind) {
        self.transport[kind.index()] += 1;
    }

    pub fn completed(&mut self, issuer: Issuer, took: Duration, polls: u64) {
        let c = self.issuers.entry(issuer).or_default();
        c.started += 1;
        c.completed += 1;
        self.completion.saturating_record(micros(took));
        self.polls.saturating_record(polls);
    }

    pub fn failed(&mut self, issuer: Issuer, kind: &str) {
        let c = self.issuers.entry(issuer).or_default();
        c.started += 1;
        c.failed += 1;
        self.error(kind);
    }

    pub fn incomplete(&mut self, issuer: Issuer) {
        let c = self.issuers.entry(issuer).or_default();
        c.started += 1;
        c.incomplete += 1;
    }

    pub fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_string()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &ClientStats) {
        for (a, b) in self.latency.iter_mut().zip(&other.latency) {
            let _ = a.add(b);
        }
        for i in 0..4 {
            self.throttled[i] += other.throttled[i];
            self.transport[i] += other.transport[i];
        }
        let _ = self.polls.add(&other.polls);
        let _ = self.completion.add(&other.completion);
        for (k, v) in &other.issuers {
            let c = self.issuers.entry(*k).or_default();
            c.started += v.started;
            c.completed += v.completed;
            c.failed += v.failed;
            c.incomplete += v.incomplete;
        }
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
    }
}

/// Percentiles of a histogram (milliseconds for latencies, plain numbers for polls).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub max: f64,
}

impl Percentiles {
    fn of(h: &Histogram<u64>, scale: f64) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let q = |p: f64| h.value_at_quantile(p) as f64 / scale;
        Self {
            count: h.len(),
            mean: h.mean() / scale,
            p50: q(0.50),
            p90: q(0.90),
            p99: q(0.99),
            p99_9: q(0.999),
            max: h.max() as f64 / scale,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KindReport {
    /// Answered requests (429s not included).
    pub count: u64,
    /// 429 answers (each request was sent again after its Retry-After).
    pub throttled: u64,
    pub transport_errors: u64,
    pub latency_ms: Percentiles,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub config: serde_json::Value,
    pub elapsed_s: f64,
    pub certificates: IssuerCounts,
    pub certificates_per_s: f64,
    pub requests: u64,
    pub requests_per_s: f64,
    pub by_kind: BTreeMap<String, KindReport>,
    pub polls_per_certificate: Percentiles,
    pub time_to_completion_ms: Percentiles,
    pub by_issuer: BTreeMap<String, IssuerCounts>,
    pub errors: BTreeMap<String, u64>,
    pub errors_total: u64,
    pub throttled_429: u64,
}

impl Report {
    pub fn build(config: serde_json::Value, elapsed: Duration, s: &ClientStats) -> Self {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let by_kind: BTreeMap<String, KindReport> = Kind::ALL
            .iter()
            .map(|k| {
                let i = k.index();
                (
                    k.label().to_string(),
                    KindReport {
                        count: s.latency[i].len(),
                        throttled: s.throttled[i],
                        transport_errors: s.transport[i],
                        latency_ms: Percentiles::of(&s.latency[i], 1000.0),
                    },
                )
            })
            .collect();
        let requests: u64 = by_kind
            .values()
            .map(|k| k.count + k.throttled + k.transport_errors)
            .sum();
        let mut certificates = IssuerCounts::default();
        for c in s.issuers.values() {
            certificates.started += c.started;
            certificates.completed += c.completed;
            certificates.failed += c.failed;
            certificates.incomplete += c.incomplete;
        }
        Self {
            config,
            elapsed_s: secs,
            certificates,
            certificates_per_s: certificates.completed as f64 / secs,
            requests,
            requests_per_s: requests as f64 / secs,
            polls_per_certificate: Percentiles::of(&s.polls, 1.0),
            time_to_completion_ms: Percentiles::of(&s.completion, 1000.0),
            by_issuer: s
                .issuers
                .iter()
                .map(|(i, c)| (i.label().to_string(), *c))
                .collect(),
            errors_total: s.errors.values().sum(),
            errors: s.errors.clone(),
            throttled_429: by_kind.values().map(|k| k.throttled).sum(),
            by_kind,
        }
    }

    /// Whether every certificate started completed.
    pub fn all_completed(&self) -> bool {
        self.certificates.completed == self.certificates.started && self.errors_total == 0
    }

    /// The text report printed at the end of a run.
    pub fn text(&self) -> String {
        let mut o = String::new();
        let c = &self.certificates;
        let _ = writeln!(
            o,
            "certificates  {} completed, {} failed, {} incomplete of {} started in {:.2} s",
            c.completed, c.failed, c.incomplete, c.started, self.elapsed_s
        );
        let _ = writeln!(
            o,
            "throughput    {:.1} certificates/s, {:.1} requests/s ({} requests, {} answered 429)",
            self.certificates_per_s, self.requests_per_s, self.requests, self.throttled_429
        );
        let issuers: Vec<String> = self
            .by_issuer
            .iter()
            .map(|(n, c)| format!("{n} {}/{}", c.completed, c.started))
            .collect();
        let _ = writeln!(o, "issuers       {}", issuers.join(", "));
        let _ = writeln!(
            o,
            "\n{:<22} {:>7} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "latency (ms)", "count", "429", "p50", "p90", "p99", "p99.9", "max"
        );
        let row = |o: &mut String, name: &str, count: u64, t: String, p: &Percentiles| {
            let _ = writeln!(
                o,
                "{:<22} {:>7} {:>5} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                name, count, t, p.p50, p.p90, p.p99, p.p99_9, p.max
            );
        };
        for k in Kind::ALL {
            let r = &self.by_kind[k.label()];
            row(
                &mut o,
                k.label(),
                r.count,
                r.throttled.to_string(),
                &r.latency_ms,
            );
        }
        let t = &self.time_to_completion_ms;
        row(&mut o, "time to completion", t.count, "".into(), t);
        let p = &self.polls_per_certificate;
        let _ = writeln!(
            o,
            "\npolls per certificate  mean {:.2}, p50 {}, p90 {}, p99 {}, max {}",
            p.mean, p.p50, p.p90, p.p99, p.max
        );
        if self.errors.is_empty() {
            let _ = writeln!(o, "errors                 none");
        } else {
            let _ = writeln!(o, "errors                 {}", self.errors_total);
            for (k, n) in &self.errors {
                let _ = writeln!(o, "  {n:>6}  {k}");
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_stats_make_a_consistent_report() {
        let mut a = ClientStats::new();
        a.answered(Kind::Create, Duration::from_millis(2));
        a.answered(Kind::Poll, Duration::from_millis(1));
        a.answered(Kind::Get, Duration::from_millis(1));
        a.completed(Issuer::SelfSigned, Duration::from_millis(10), 1);
        let mut b = ClientStats::new();
        b.answered(Kind::Create, Duration::from_millis(3));
        b.throttled(Kind::Create);
        b.failed(Issuer::DigiCert, "operation failed: X");
        a.merge(&b);
        let r = Report::build(serde_json::json!({}), Duration::from_secs(1), &a);
        assert_eq!(r.by_kind["create"].count, 2);
        assert_eq!(r.throttled_429, 1);
        assert_eq!(r.requests, 5);
        assert_eq!(r.certificates.started, 2);
        assert_eq!(r.certificates.completed, 1);
        assert_eq!(r.errors_total, 1);
        assert!(!r.all_completed());
        assert!(r.text().contains("operation failed: X"));
        let p = r.by_kind["create"].latency_ms;
        assert!(p.p50 >= 1.9 && p.max <= 3.1, "{p:?}");
    }
}
