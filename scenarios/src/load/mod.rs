//! The load generator behind `scenarios load`: N virtual clients, each with its own keep-alive
//! HTTPS connection, create certificates and poll them to the end (merging the non-partnered
//! ones with the runner's external CA), with an issuer [`Mix`] and a [`PollPolicy`].
//!
//! Bounded in count (`certificates`) and time (`duration` for new certificates, `max_time` for
//! the whole run, `cert_timeout` per certificate), loopback only. Requests answered 429 are
//! counted, waited out (their `Retry-After`, whatever the poll policy) and sent again.
//! [`run`] returns a [`Report`] (see [`report`]).

pub mod report;

use crate::case::{Dur, IssuerSpec};
use crate::client::{VaultClient, API_VERSION};
use crate::error::Error;
use crate::extca::ExternalCa;
use crate::services::Endpoints;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use report::{ClientStats, Kind, Report};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Most virtual clients one run may have.
pub const MAX_CLIENTS: usize = 4096;
/// Most certificates one run may create.
pub const MAX_CERTIFICATES: u64 = 1_000_000;
/// The wait when a 429 or a `retry-after` poll carries no usable header.
const DEFAULT_RETRY: Duration = Duration::from_secs(1);

/// Who issues a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Issuer {
    /// Self-signed by vault.
    SelfSigned,
    DigiCert,
    GlobalSign,
    WoSign,
    /// Non-partnered: the client signs the pending CSR with its own CA and merges it.
    Unknown,
}

impl Issuer {
    pub const ALL: [Issuer; 5] = [
        Issuer::SelfSigned,
        Issuer::DigiCert,
        Issuer::GlobalSign,
        Issuer::WoSign,
        Issuer::Unknown,
    ];

    /// The name in `--mix` and in reports.
    pub fn label(self) -> &'static str {
        match self {
            Issuer::SelfSigned => "Self",
            Issuer::DigiCert => "DigiCert",
            Issuer::GlobalSign => "GlobalSign",
            Issuer::WoSign => "WoSign",
            Issuer::Unknown => "Unknown",
        }
    }

    /// The vault issuer name a create names: `Self`, `Unknown`, or the issuer the run registers
    /// for the partner (`load-digicert`, ...).
    pub fn vault_issuer(self) -> &'static str {
        match self {
            Issuer::SelfSigned => "Self",
            Issuer::DigiCert => "load-digicert",
            Issuer::GlobalSign => "load-globalsign",
            Issuer::WoSign => "load-wosign",
            Issuer::Unknown => "Unknown",
        }
    }

    fn partner(self) -> bool {
        matches!(self, Issuer::DigiCert | Issuer::GlobalSign | Issuer::WoSign)
    }
}

/// Issuer shares: `Self:0.5,DigiCert:0.3,Unknown:0.2` (a bare name weighs 1; weights are
/// normalised). Certificates are assigned so that every prefix of the run follows the shares as
/// closely as whole numbers allow (deterministic, no randomness).
#[derive(Debug, Clone, PartialEq)]
pub struct Mix(pub Vec<(Issuer, f64)>);

impl FromStr for Mix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut out: Vec<(Issuer, f64)> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = match part.split_once(':') {
                Some((n, w)) => (
                    n.trim(),
                    w.trim()
                        .parse::<f64>()
                        .map_err(|_| format!("invalid weight in '{part}'"))?,
                ),
                None => (part, 1.0),
            };
            let issuer = Issuer::ALL
                .into_iter()
                .find(|i| i.label().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    format!(
                        "unknown issuer '{name}' (use Self, DigiCert, GlobalSign, WoSign, Unknown)"
                    )
                })?;
            if !weight.is_finite() || weight < 0.0 {
                return Err(format!("invalid weight in '{part}'"));
            }
            if out.iter().any(|(i, _)| *i == issuer) {
                return Err(format!("'{name}' appears twice"));
            }
            out.push((issuer, weight));
        }
        let total: f64 = out.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return Err("the mix needs at least one issuer with a positive weight".into());
        }
        out.retain(|(_, w)| *w > 0.0);
        for (_, w) in &mut out {
            *w /= total;
        }
        Ok(Mix(out))
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(i, w)| format!("{}:{}", i.label(), (w * 1000.0).round() / 1000.0))
            .collect();
        f.write_str(&parts.join(","))
    }
}

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
            return Ok(PollPolicy::Fixed(Dur::parse(d)?.0));
        }
        if let Some(range) = s.strip_prefix("backoff:") {
            let (a, b) = range
                .split_once("..")
                .ok_or_else(|| format!("invalid poll policy '{s}' (write backoff:1s..30s)"))?;
            let (first, max) = (Dur::parse(a)?.0, Dur::parse(b)?.0);
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
    fn validate(&self) -> Result<(), Error> {
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

fn http_client(ca_pem: &str) -> Result<reqwest::Client, Error> {
    let certs = reqwest::Certificate::from_pem_bundle(ca_pem.as_bytes())
        .map_err(|e| Error::Client(format!("CA PEM: {e}")))?;
    reqwest::Client::builder()
        .tls_certs_only(certs)
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1)
        .no_proxy()
        .build()
        .map_err(|e| Error::Client(e.to_string()))
}

/// Counters the progress bar reads while the clients run.
#[derive(Default)]
struct Live {
    completed: AtomicU64,
    failed: AtomicU64,
    requests: AtomicU64,
    throttled: AtomicU64,
}

/// Hands out certificate numbers and issuers (largest deficit against the mix first).
struct Tickets {
    next: u64,
    assigned: Vec<u64>,
}

struct Shared {
    opts: LoadOptions,
    vault_url: String,
    prefix: String,
    ca: ExternalCa,
    live: Live,
    tickets: Mutex<Tickets>,
    started: Instant,
}

impl Shared {
    fn ticket(&self) -> Option<(u64, Issuer)> {
        if let Some(d) = self.opts.duration {
            if self.started.elapsed() >= d {
                return None;
            }
        }
        let mut t = self.tickets.lock().unwrap_or_else(|p| p.into_inner());
        if self.opts.certificates.is_some_and(|k| t.next >= k) {
            return None;
        }
        let n = t.next;
        t.next += 1;
        let total = n as f64 + 1.0;
        let (idx, _) = self
            .opts
            .mix
            .0
            .iter()
            .enumerate()
            .map(|(i, (_, w))| (i, w * total - t.assigned[i] as f64))
            .fold(
                (0, f64::MIN),
                |best, cur| if cur.1 > best.1 { cur } else { best },
            );
        t.assigned[idx] += 1;
        Some((n, self.opts.mix.0[idx].0))
    }
}

/// Registers the partner issuers the mix uses (`load-digicert`, ...: ca-sim's built-in
/// accounts), then runs the clients until the count or the time is reached.
pub async fn run(endpoints: &Endpoints, opts: LoadOptions) -> Result<Report, Error> {
    opts.validate()?;
    ensure_loopback(&endpoints.vault_url)?;
    ensure_loopback(&endpoints.ca_sim_url)?;

    let admin = VaultClient::new(&endpoints.vault_url, &endpoints.vault_ca_pem)?;
    for (issuer, _) in &opts.mix.0 {
        if !issuer.partner() {
            continue;
        }
        let spec = IssuerSpec {
            name: issuer.vault_issuer().into(),
            provider: issuer.label().into(),
            account_id: None,
            pwd: None,
            org_id: None,
            body: None,
        };
        let path = format!("/certificates/issuers/{}", issuer.vault_issuer());
        let r = admin
            .send(
                reqwest::Method::PUT,
                &path,
                Some(&crate::runner::issuer_body(&spec)),
                true,
            )
            .await?;
        if !r.is_success() {
            return Err(Error::Client(format!(
                "registering issuer {}: {} {}",
                issuer.vault_issuer(),
                r.status,
                r.body
            )));
        }
    }

    let mut clients = Vec::with_capacity(opts.clients);
    for _ in 0..opts.clients {
        clients.push(http_client(&endpoints.vault_ca_pem)?);
    }
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64 & 0xff_ffff_ffff)
        .unwrap_or(0);
    let mix_len = opts.mix.0.len();
    let described = opts.describe();
    let shared = Arc::new(Shared {
        vault_url: endpoints.vault_url.trim_end_matches('/').to_string(),
        prefix: format!("load-{run_id:x}-"),
        ca: ExternalCa::new()?,
        live: Live::default(),
        tickets: Mutex::new(Tickets {
            next: 0,
            assigned: vec![0; mix_len],
        }),
        started: Instant::now(),
        opts,
    });

    let bar = shared.opts.progress.then(|| progress_bar(&shared.opts));
    let ticker = bar.clone().map(|bar| {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tick.tick().await;
                update_bar(&bar, &shared);
            }
        })
    });

    let hard_deadline = shared.started + shared.opts.max_time;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|http| {
            let shared = shared.clone();
            tokio::spawn(async move { client_loop(shared, http, hard_deadline).await })
        })
        .collect();
    let mut stats = ClientStats::new();
    for t in tasks {
        match t.await {
            Ok(s) => stats.merge(&s),
            Err(e) => stats.error(&format!("client task: {e}")),
        }
    }
    let elapsed = shared.started.elapsed();
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(bar) = bar {
        update_bar(&bar, &shared);
        bar.finish_and_clear();
    }
    let mut config = described;
    config["vault_url"] = json!(endpoints.vault_url);
    config["ca_sim_url"] = json!(endpoints.ca_sim_url);
    config["certificate_prefix"] = json!(shared.prefix);
    Ok(Report::build(config, elapsed, &stats))
}

fn progress_bar(opts: &LoadOptions) -> ProgressBar {
    let (len, template) = match opts.certificates {
        Some(k) => (
            k,
            "{elapsed_precise} [{bar:30}] {pos}/{len} certificates  {msg}",
        ),
        None => (
            opts.duration.map(|d| d.as_secs().max(1)).unwrap_or(1),
            "{elapsed_precise} [{bar:30}] {pos}/{len} s  {msg}",
        ),
    };
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn update_bar(bar: &ProgressBar, shared: &Shared) {
    let l = &shared.live;
    let (done, failed) = (
        l.completed.load(Ordering::Relaxed),
        l.failed.load(Ordering::Relaxed),
    );
    let secs = shared.started.elapsed().as_secs_f64().max(1e-3);
    let requests = l.requests.load(Ordering::Relaxed);
    match shared.opts.certificates {
        Some(_) => bar.set_position(done + failed),
        None => bar.set_position(shared.started.elapsed().as_secs()),
    }
    bar.set_message(format!(
        "{:.0} cert/s  {:.0} req/s  completed {done}  errors {failed}  429s {}",
        done as f64 / secs,
        requests as f64 / secs,
        l.throttled.load(Ordering::Relaxed)
    ));
}

async fn client_loop(shared: Arc<Shared>, http: reqwest::Client, hard: Instant) -> ClientStats {
    let mut stats = ClientStats::new();
    while Instant::now() < hard {
        let Some((n, issuer)) = shared.ticket() else {
            break;
        };
        let name = format!("{}{n}", shared.prefix);
        let start = Instant::now();
        let deadline = (start + shared.opts.cert_timeout).min(hard);
        let mut flow = Flow {
            shared: &shared,
            http: &http,
            stats: &mut stats,
        };
        let outcome = tokio::time::timeout_at(deadline, flow.certificate(&name, issuer)).await;
        match outcome {
            Ok(Ok(polls)) => {
                stats.completed(issuer, start.elapsed(), polls);
                shared.live.completed.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(kind)) => {
                stats.failed(issuer, &kind);
                shared.live.failed.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) if deadline < hard => {
                stats.failed(issuer, "timeout");
                shared.live.failed.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => stats.incomplete(issuer),
        }
    }
    stats
}

/// One certificate's exchanges, recorded in the client's stats.
struct Flow<'a> {
    shared: &'a Shared,
    http: &'a reqwest::Client,
    stats: &'a mut ClientStats,
}

/// A vault answer: status, headers, JSON body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Flow<'_> {
    /// Create → poll (→ merge for Unknown) until completed → GET. Returns the number of polls;
    /// `Err` is the error kind.
    async fn certificate(&mut self, name: &str, issuer: Issuer) -> Result<u64, String> {
        let create = self
            .send(
                Kind::Create,
                reqwest::Method::POST,
                &format!("/certificates/{name}/create"),
                Some(create_body(name, issuer)),
            )
            .await?;
        expect(Kind::Create, &create, &[202])?;
        let mut last = create;
        let mut polls: u64 = 0;
        loop {
            match last.body["status"].as_str().unwrap_or("") {
                "completed" => break,
                "inProgress" => {}
                other => {
                    let code = last.body["error"]["code"].as_str().unwrap_or("none");
                    return Err(format!("operation {other}: {code}"));
                }
            }
            // Unknown: the pending CSR is signed and merged once a poll has seen it.
            if issuer == Issuer::Unknown && polls > 0 {
                let csr = last.body["csr"]
                    .as_str()
                    .and_then(|c| B64.decode(c.trim()).ok())
                    .ok_or_else(|| "merge: no csr in the pending operation".to_string())?;
                let chain = self
                    .shared
                    .ca
                    .sign_csr(&csr)
                    .map_err(|e| format!("merge: signing the csr: {e}"))?;
                let body =
                    json!({ "x5c": chain.iter().map(|c| B64.encode(c)).collect::<Vec<_>>() });
                let merged = self
                    .send(
                        Kind::Merge,
                        reqwest::Method::POST,
                        &format!("/certificates/{name}/pending/merge"),
                        Some(body),
                    )
                    .await?;
                expect(Kind::Merge, &merged, &[201, 200])?;
                break;
            }
            let wait = self
                .shared
                .opts
                .poll
                .wait(polls.min(u32::MAX as u64) as u32, &last.headers);
            tokio::time::sleep(wait).await;
            last = self
                .send(
                    Kind::Poll,
                    reqwest::Method::GET,
                    &format!("/certificates/{name}/pending"),
                    None,
                )
                .await?;
            polls += 1;
            expect(Kind::Poll, &last, &[200])?;
        }
        let got = self
            .send(
                Kind::Get,
                reqwest::Method::GET,
                &format!("/certificates/{name}/"),
                None,
            )
            .await?;
        expect(Kind::Get, &got, &[200])?;
        if got.body["cer"].as_str().is_none_or(str::is_empty) {
            return Err("get: no cer in the certificate".into());
        }
        Ok(polls)
    }

    /// One request, sent again after every 429 (waiting its `Retry-After`).
    async fn send(
        &mut self,
        kind: Kind,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Answer, String> {
        let url = format!("{}{path}?api-version={API_VERSION}", self.shared.vault_url);
        loop {
            let mut rb = self
                .http
                .request(method.clone(), &url)
                .bearer_auth("scenarios-load");
            if let Some(b) = &body {
                rb = rb.json(b);
            }
            let t0 = Instant::now();
            self.shared.live.requests.fetch_add(1, Ordering::Relaxed);
            let result = async {
                let resp = rb.send().await?;
                let status = resp.status().as_u16();
                let headers = resp.headers().clone();
                let bytes = resp.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, bytes))
            }
            .await;
            let latency = t0.elapsed();
            let (status, headers, bytes) = match result {
                Ok(x) => x,
                Err(e) => {
                    self.stats.transport_error(kind);
                    let class = if e.is_timeout() {
                        "timeout"
                    } else if e.is_connect() {
                        "connect"
                    } else {
                        "other"
                    };
                    return Err(format!("{}: transport ({class})", kind.label()));
                }
            };
            if status == 429 {
                self.stats.throttled(kind);
                self.shared.live.throttled.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(retry_after(&headers).unwrap_or(DEFAULT_RETRY)).await;
                continue;
            }
            self.stats.answered(kind, latency);
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap_or(Value::Null)
            };
            return Ok(Answer {
                status,
                headers,
                body,
            });
        }
    }
}

fn expect(kind: Kind, a: &Answer, statuses: &[u16]) -> Result<(), String> {
    if statuses.contains(&a.status) {
        return Ok(());
    }
    let code = a.body["error"]["code"].as_str().unwrap_or("");
    Err(format!("{}: HTTP {} {code}", kind.label(), a.status)
        .trim_end()
        .to_string())
}

/// EC P-256, `CN={name}.example`, PKCS#12 secret; partner issuers get `OV-SSL`.
pub fn create_body(name: &str, issuer: Issuer) -> Value {
    let mut issuer_obj = json!({ "name": issuer.vault_issuer() });
    if issuer.partner() {
        issuer_obj["cty"] = json!("OV-SSL");
    }
    json!({
        "policy": {
            "key_props": { "kty": "EC", "crv": "P-256", "exportable": true, "reuse_key": false },
            "secret_props": { "contentType": "application/x-pkcs12" },
            "x509_props": { "subject": format!("CN={name}.example") },
            "issuer": issuer_obj,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_parses_and_normalises() {
        let m: Mix = "Self:0.5,DigiCert:0.3,unknown:0.2".parse().unwrap();
        assert_eq!(m.0.len(), 3);
        assert_eq!(m.0[0].0, Issuer::SelfSigned);
        assert!((m.0.iter().map(|x| x.1).sum::<f64>() - 1.0).abs() < 1e-9);
        let m: Mix = "DigiCert".parse().unwrap();
        assert_eq!(m.0, vec![(Issuer::DigiCert, 1.0)]);
        assert!("Nope:1".parse::<Mix>().is_err());
        assert!("Self:0".parse::<Mix>().is_err());
        assert!("Self:1,Self:2".parse::<Mix>().is_err());
    }

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

    #[test]
    fn only_loopback() {
        assert!(ensure_loopback("https://127.0.0.1:8443").is_ok());
        assert!(ensure_loopback("https://[::1]:8443").is_ok());
        assert!(ensure_loopback("https://localhost:1").is_ok());
        assert!(ensure_loopback("https://example.com").is_err());
        assert!(ensure_loopback("https://10.0.0.1").is_err());
    }

    #[test]
    fn tickets_follow_the_mix() {
        let opts = LoadOptions {
            clients: 1,
            certificates: Some(10),
            duration: None,
            mix: "Self:0.5,DigiCert:0.3,Unknown:0.2".parse().unwrap(),
            poll: PollPolicy::RetryAfter,
            cert_timeout: Duration::from_secs(1),
            max_time: Duration::from_secs(1),
            progress: false,
        };
        let shared = Shared {
            vault_url: String::new(),
            prefix: String::new(),
            ca: ExternalCa::new().unwrap(),
            live: Live::default(),
            tickets: Mutex::new(Tickets {
                next: 0,
                assigned: vec![0; 3],
            }),
            started: Instant::now(),
            opts,
        };
        let mut counts = std::collections::BTreeMap::new();
        while let Some((_, i)) = shared.ticket() {
            *counts.entry(i).or_insert(0) += 1;
        }
        assert_eq!(counts[&Issuer::SelfSigned], 5);
        assert_eq!(counts[&Issuer::DigiCert], 3);
        assert_eq!(counts[&Issuer::Unknown], 2);
    }
}
