//! Full ACME order cycles per second, vault's gateway next to Debian's `pebble`, in the same
//! run with the same client: `cargo bench -p vault --bench acme_orders`.
//!
//! One cycle is what a client does for one certificate: new order → fetch the authorization →
//! answer its http-01 challenge → poll the order until `ready` → finalize with a fresh EC P-256
//! CSR → poll until `valid` → download the chain. Every order names a new `.localhost` name,
//! so no authorization is reused. Each client has its own account (created before the clock
//! starts) and runs its share of the cycles back to back; 1, 16 and 64 clients, first with
//! validation off (vault `--acme-validation always-valid`, Pebble `PEBBLE_VA_ALWAYS_VALID=1`),
//! then with real http-01 validation against a responder in this process on loopback.
//!
//! Both servers are separate processes (vault's release binary, `pebble` from PATH) started on
//! free loopback ports with fresh state, their output discarded; the client is `instant-acme`
//! on this process's runtime, over reqwest with `TCP_NODELAY` (see [`Http`]). Polls repeat
//! every `BENCH_POLL_MS` whatever `Retry-After` says, the same for both. Pebble runs with
//! `PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0` (and
//! `PEBBLE_VA_ALWAYS_VALID=1` in the first mode); for real http-01 it resolves names through
//! `pebble-challtestsrv` (same package), which answers every A query with 127.0.0.1. Without
//! `pebble` on PATH the Pebble column is skipped with a line saying so (`apt-get install
//! pebble`); this is a bench, not a test.
//!
//! Each client count runs in rounds, both servers per round, alternating which goes first;
//! every run gets a fresh server process with empty state.
//! Printed per mode and client count: orders/s (the median of the rounds), p50/p99 cycle
//! latency (all rounds' cycles pooled), the server's CPU per order and this process's (the
//! clients') CPU per order (from `/proc/PID/stat`: unlike the rates, independent of what else
//! the machine runs), then the ratios (the median of the rounds' orders/s ratios). The targets: ≥ 3×
//! Pebble's orders/s with validation off, and a p99 below Pebble's.
//!
//! Env: `BENCH_ORDERS` (cycles per round, client count and server, at least 4 per client;
//! 320), `BENCH_ROUNDS` (3), `BENCH_CLIENTS` (comma list; `1,16,64`), `BENCH_POLL_MS` (10),
//! `BENCH_MODES` (`always-valid,http-01`), `BENCH_NO_PEBBLE` (set: vault only),
//! `BENCH_LOG_DIR` (the servers' output appended to `DIR/NAME.log` instead of discarded),
//! `BENCH_VERBOSE` (set: one line per run, with the server's pid).

// The allocator the shipped binaries use (see vault/src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use instant_acme::{
    Account, AuthorizationStatus, BodyWrapper, BytesResponse, ChallengeType, HttpClient,
    Identifier, NewAccount, NewOrder, OrderStatus,
};

/// How long a server may take to answer its directory after start.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long one cycle may take before it counts as failed.
const CYCLE_DEADLINE: Duration = Duration::from_secs(30);
/// How long one run (one server, one round) may take: cycles not started by then count as
/// failed, so a server that stops answering costs a minute, not cycles × the cycle deadline.
const RUN_DEADLINE: Duration = Duration::from_secs(60);
/// The throughput target with validation off.
const TARGET_RATIO: f64 = 3.0;

/// Whether challenges are checked.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    AlwaysValid,
    Http01,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::AlwaysValid => "always-valid",
            Mode::Http01 => "http-01",
        }
    }
}

/// A server process under test: its directory URL and the TLS root its clients trust.
struct Server {
    label: &'static str,
    directory: String,
    /// PEM file holding the one root that signs the server's TLS certificate.
    tls_root: PathBuf,
    /// The server, and for Pebble with real validation its DNS helper; killed on drop.
    children: Vec<tokio::process::Child>,
}

impl Server {
    /// The server process's user+system CPU seconds so far.
    fn cpu_secs(&self) -> Option<f64> {
        cpu_secs(&self.children.first()?.id()?.to_string())
    }
}

/// Which server a run starts.
#[derive(Clone, Copy)]
enum Kind {
    Vault,
    Pebble,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Vault => "vault",
            Kind::Pebble => "pebble",
        }
    }

    /// A fresh server of this kind with its state in `dir`; `http01_port` set: real http-01
    /// validation against that port.
    async fn start(self, dir: &Path, http01_port: Option<u16>) -> Server {
        match self {
            Kind::Vault => start_vault(dir, http01_port)
                .await
                .expect("vault served an ACME directory when probed"),
            Kind::Pebble => start_pebble(dir, http01_port).await,
        }
    }
}

/// User+system CPU seconds of process `pid` (or `self`) so far: `/proc/PID/stat` fields 14
/// and 15, in `USER_HZ` (100) ticks.
fn cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ').skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// Where a server's output goes: discarded, or appended to `$BENCH_LOG_DIR/NAME.log`.
fn server_log(name: &str) -> Stdio {
    let Some(dir) = std::env::var_os("BENCH_LOG_DIR") else {
        return Stdio::null();
    };
    let path = Path::new(&dir).join(format!("{name}.log"));
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map(Stdio::from)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A loopback port nobody listens on right now (the servers take fixed ports on their
/// command line or config file).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// An HTTPS client trusting `root_pem`, for readiness checks.
fn https_client(root_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(root_pem.as_bytes()).expect("root pem")])
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

/// Polls `url` until it answers 200 (the server is up), failing after [`START_DEADLINE`].
async fn wait_ready(client: &reqwest::Client, url: &str, child: &mut tokio::process::Child) {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Ok(rsp) = client.get(url).send().await {
            if rsp.status().is_success() {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{url}: the server exited ({status}) before answering");
        }
        assert!(Instant::now() < deadline, "{url} did not answer in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// vault's release binary on a free port with a fresh data dir; `http01_port` set: real
/// validation against that port, else `--acme-validation always-valid`. `None` (with a line
/// saying why) when this build of vault serves no ACME directory.
async fn start_vault(dir: &Path, http01_port: Option<u16>) -> Option<Server> {
    let port = free_port();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_vault"));
    cmd.arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir);
    match http01_port {
        Some(p) => cmd.arg("--acme-http01-port").arg(p.to_string()),
        None => cmd.args(["--acme-validation", "always-valid"]),
    };
    let mut child = cmd
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(server_log("vault"))
        .stderr(server_log("vault"))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn vault");
    // The dev CA is written before the listener binds; until then, poll the file.
    let ca_path = dir.join("tls").join("ca.pem");
    let deadline = Instant::now() + START_DEADLINE;
    let ca_pem = loop {
        if let Ok(pem) = std::fs::read_to_string(&ca_path) {
            if pem.contains("END CERTIFICATE") {
                break pem;
            }
        }
        assert!(Instant::now() < deadline, "vault wrote no {ca_path:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let base = format!("https://127.0.0.1:{port}");
    let client = https_client(&ca_pem);
    wait_ready(&client, &format!("{base}/_admin/health"), &mut child).await;
    let directory = format!("{base}/acme/directory");
    let status = client.get(&directory).send().await.map(|r| r.status());
    if !matches!(&status, Ok(s) if s.is_success()) {
        println!("vault: GET {directory} answered {status:?}; the vault column is skipped");
        return None;
    }
    Some(Server {
        label: "vault",
        directory,
        tls_root: ca_path,
        children: vec![child],
    })
}

/// `pebble` from PATH on free ports with its TLS material from a throwaway dev CA;
/// `http01_port` set: real validation on that port, names resolved by `pebble-challtestsrv`.
async fn start_pebble(dir: &Path, http01_port: Option<u16>) -> Server {
    let tls = shared::devtls::ensure(&dir.join("tls"), "CN=acme_orders bench Pebble CA", &[])
        .expect("pebble's TLS material");
    let port = free_port();
    let config = serde_json::json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{port}"),
        "managementListenAddress": format!("127.0.0.1:{}", free_port()),
        "certificate": dir.join("tls").join("server.pem"),
        "privateKey": dir.join("tls").join("server.key"),
        "httpPort": http01_port.unwrap_or(5002),
        "tlsPort": 5001,
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false,
    }});
    let config_path = dir.join("pebble-config.json");
    std::fs::write(&config_path, config.to_string()).expect("write pebble config");
    let mut children = Vec::new();
    let mut cmd = tokio::process::Command::new("pebble");
    cmd.arg("-config").arg(&config_path);
    if http01_port.is_some() {
        let dns = free_port();
        children.push(
            tokio::process::Command::new("pebble-challtestsrv")
                .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
                .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
                .arg("-dns01")
                .arg(format!("127.0.0.1:{dns}"))
                .arg("-management")
                .arg(format!("127.0.0.1:{}", free_port()))
                .stdin(Stdio::null())
                .stdout(server_log("pebble-challtestsrv"))
                .stderr(server_log("pebble-challtestsrv"))
                .kill_on_drop(true)
                .spawn()
                .expect("spawn pebble-challtestsrv"),
        );
        cmd.arg("-dnsserver").arg(format!("127.0.0.1:{dns}"));
    } else {
        cmd.env("PEBBLE_VA_ALWAYS_VALID", "1");
    }
    let mut child = cmd
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .env("PEBBLE_AUTHZREUSE", "0")
        .stdin(Stdio::null())
        .stdout(server_log("pebble"))
        .stderr(server_log("pebble"))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn pebble");
    let directory = format!("https://127.0.0.1:{port}/dir");
    wait_ready(&https_client(&tls.ca_pem), &directory, &mut child).await;
    children.insert(0, child);
    Server {
        label: "pebble",
        directory,
        tls_root: tls.ca_path,
        children,
    }
}

/// The http-01 responder both servers validate against: `GET
/// /.well-known/acme-challenge/{token}` answers the key authorization registered for it.
#[derive(Clone, Default)]
struct Responder {
    answers: Arc<Mutex<HashMap<String, String>>>,
}

impl Responder {
    /// Serves on a free loopback port until the process ends; returns the port.
    async fn start(&self) -> u16 {
        use axum::extract::{Path as UrlPath, State};
        async fn answer(
            State(answers): State<Arc<Mutex<HashMap<String, String>>>>,
            UrlPath(token): UrlPath<String>,
        ) -> Result<String, axum::http::StatusCode> {
            let answers = answers.lock().expect("responder lock");
            answers
                .get(&token)
                .cloned()
                .ok_or(axum::http::StatusCode::NOT_FOUND)
        }
        let app = axum::Router::new()
            .route(
                "/.well-known/acme-challenge/{token}",
                axum::routing::get(answer),
            )
            .with_state(self.answers.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the http-01 responder");
        let port = listener.local_addr().expect("responder address").port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        port
    }

    fn put(&self, token: &str, key_authorization: &str) {
        self.answers
            .lock()
            .expect("responder lock")
            .insert(token.to_string(), key_authorization.to_string());
    }

    fn remove(&self, token: &str) {
        self.answers.lock().expect("responder lock").remove(token);
    }
}

/// instant-acme's HTTP client, over reqwest: instant-acme's own leaves Nagle's algorithm on,
/// which with delayed ACKs adds ~40 ms to every POST whichever server answers, and so would
/// measure the client instead of the servers. One connection pool per account, as there.
struct Http(reqwest::Client);

impl Http {
    fn new(tls_root: &Path) -> Self {
        let pem = std::fs::read(tls_root).expect("read the server's TLS root");
        let root = reqwest::Certificate::from_pem(&pem).expect("TLS root PEM");
        let client = reqwest::Client::builder()
            .tls_certs_only([root])
            .tcp_nodelay(true)
            .no_proxy()
            .build()
            .expect("client");
        Http(client)
    }
}

impl HttpClient for Http {
    fn request(
        &self,
        req: http::Request<BodyWrapper<Bytes>>,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>,
    > {
        let client = self.0.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let body = match body.collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(never) => match never {},
            };
            let rsp = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?;
            Ok(BytesResponse::from(http::Response::from(rsp)))
        })
    }
}

/// One run's raw measurements: `total` cycles against one server.
struct Measured {
    /// Each completed cycle's latency, ms.
    latencies: Vec<f64>,
    failed: usize,
    secs: f64,
    /// Server CPU (user+system) over the run, s.
    server_cpu: Option<f64>,
    /// This process's (the clients' and the http-01 responder's) CPU over the run, s.
    client_cpu: Option<f64>,
    first_error: Option<String>,
}

impl Measured {
    fn per_sec(&self) -> f64 {
        self.latencies.len() as f64 / self.secs
    }
}

/// One client count's figures for one server over all rounds: latencies pooled, the rate the
/// median of the rounds', CPU per order over all of them.
struct Figures {
    orders: usize,
    failed: usize,
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Server CPU per completed order, ms.
    cpu_ms: Option<f64>,
    /// This process's CPU per completed order, ms.
    client_cpu_ms: Option<f64>,
    first_error: Option<String>,
}

impl Figures {
    fn of(runs: &[Measured]) -> Figures {
        let mut latencies: Vec<f64> = runs.iter().flat_map(|r| r.latencies.clone()).collect();
        latencies.sort_by(|a, b| a.total_cmp(b));
        let done = latencies.len();
        let pct = |p: f64| {
            latencies
                .get(((done as f64 * p) as usize).min(done.saturating_sub(1)))
                .copied()
                .unwrap_or(f64::NAN)
        };
        let per_order = |cpu: Option<f64>| {
            cpu.filter(|_| done > 0)
                .map(|cpu| cpu * 1000.0 / done as f64)
        };
        let sum = |f: fn(&Measured) -> Option<f64>| runs.iter().map(f).sum::<Option<f64>>();
        Figures {
            orders: done,
            failed: runs.iter().map(|r| r.failed).sum(),
            per_sec: median(runs.iter().map(Measured::per_sec).collect()),
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
            cpu_ms: per_order(sum(|r| r.server_cpu)),
            client_cpu_ms: per_order(sum(|r| r.client_cpu)),
            first_error: runs.iter().find_map(|r| r.first_error.clone()),
        }
    }
}

/// The median (the upper one for an even count); NaN for none.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs `total` cycles spread over `clients` accounts against `server`.
async fn run(
    server: &Server,
    clients: usize,
    total: usize,
    responder: Option<&Responder>,
    poll: Duration,
    run_id: &str,
) -> Measured {
    let mut accounts = Vec::with_capacity(clients);
    for _ in 0..clients {
        let builder = Account::builder_with_http(Box::new(Http::new(&server.tls_root)));
        let new_account = NewAccount {
            contact: &[],
            terms_of_service_agreed: true,
            only_return_existing: false,
        };
        match builder
            .create(&new_account, server.directory.clone(), None)
            .await
        {
            Ok((account, _)) => accounts.push(account),
            Err(err) => {
                return Measured {
                    latencies: Vec::new(),
                    failed: total,
                    secs: 1.0,
                    server_cpu: None,
                    client_cpu: None,
                    first_error: Some(format!("new account: {err}")),
                }
            }
        }
    }
    let cpu_before = server.cpu_secs();
    let client_cpu_before = cpu_secs("self");
    let started = Instant::now();
    let run_deadline = started + RUN_DEADLINE;
    let mut tasks = Vec::with_capacity(clients);
    for (c, account) in accounts.into_iter().enumerate() {
        let share = total / clients + usize::from(c < total % clients);
        let responder = responder.cloned();
        let run_id = run_id.to_string();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            let mut errors = Vec::new();
            for n in 0..share {
                let name = format!("c{c}-o{n}.{run_id}.bench.localhost");
                let t = Instant::now();
                if t >= run_deadline {
                    errors.push(format!(
                        "{name}: not started within the run's {RUN_DEADLINE:?}"
                    ));
                    continue;
                }
                let cycle = cycle(&account, &name, responder.as_ref(), poll);
                match tokio::time::timeout(CYCLE_DEADLINE, cycle).await {
                    Ok(Ok(())) => latencies.push(t.elapsed().as_secs_f64() * 1000.0),
                    Ok(Err(err)) => errors.push(err),
                    Err(_) => errors.push(format!("{name}: no certificate in {CYCLE_DEADLINE:?}")),
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    let mut errors = Vec::new();
    for task in tasks {
        let (l, e) = task.await.expect("client task");
        latencies.extend(l);
        errors.extend(e);
    }
    Measured {
        secs: started.elapsed().as_secs_f64(),
        server_cpu: server.cpu_secs().zip(cpu_before).map(|(a, b)| a - b),
        client_cpu: cpu_secs("self").zip(client_cpu_before).map(|(a, b)| a - b),
        latencies,
        failed: errors.len(),
        first_error: errors.into_iter().next(),
    }
}

/// One full order cycle for `name`; the chain must come back as PEM.
async fn cycle(
    account: &Account,
    name: &str,
    responder: Option<&Responder>,
    poll: Duration,
) -> Result<(), String> {
    let fail = |step: &str, err: &dyn std::fmt::Display| format!("{name}: {step}: {err}");
    let identifiers = [Identifier::Dns(name.to_string())];
    let mut order = account
        .new_order(&NewOrder::new(&identifiers))
        .await
        .map_err(|e| fail("new order", &e))?;
    let mut tokens = Vec::new();
    {
        let mut authorizations = order.authorizations();
        while let Some(authz) = authorizations.next().await {
            let mut authz = authz.map_err(|e| fail("authorization", &e))?;
            if authz.status != AuthorizationStatus::Pending {
                continue;
            }
            let mut challenge = authz
                .challenge(ChallengeType::Http01)
                .ok_or_else(|| format!("{name}: no http-01 challenge"))?;
            if let Some(responder) = responder {
                responder.put(&challenge.token, challenge.key_authorization().as_str());
                tokens.push(challenge.token.clone());
            }
            challenge
                .set_ready()
                .await
                .map_err(|e| fail("challenge", &e))?;
        }
    }
    let outcome = finish(&mut order, name, poll).await;
    if let Some(responder) = responder {
        for token in &tokens {
            responder.remove(token);
        }
    }
    outcome
}

/// Polls until `ready`, finalizes with a fresh P-256 CSR, polls until `valid`, downloads.
async fn finish(order: &mut instant_acme::Order, name: &str, poll: Duration) -> Result<(), String> {
    let fail = |step: &str, err: &dyn std::fmt::Display| format!("{name}: {step}: {err}");
    loop {
        let state = order.refresh().await.map_err(|e| fail("poll", &e))?;
        match state.status {
            OrderStatus::Ready => break,
            OrderStatus::Pending => tokio::time::sleep(poll).await,
            other => {
                return Err(format!(
                    "{name}: order {other:?} before finalize: {:?}",
                    state.error
                ))
            }
        }
    }
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| fail("key", &e))?;
    let mut params =
        rcgen::CertificateParams::new(vec![name.to_string()]).map_err(|e| fail("csr", &e))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    let csr = params
        .serialize_request(&key)
        .map_err(|e| fail("csr", &e))?;
    order
        .finalize_csr(csr.der())
        .await
        .map_err(|e| fail("finalize", &e))?;
    loop {
        match order.state().status {
            OrderStatus::Valid => break,
            OrderStatus::Processing | OrderStatus::Ready => {
                tokio::time::sleep(poll).await;
                order.refresh().await.map_err(|e| fail("poll", &e))?;
            }
            other => {
                let error = &order.state().error;
                return Err(format!("{name}: order {other:?} after finalize: {error:?}"));
            }
        }
    }
    let chain = order
        .certificate()
        .await
        .map_err(|e| fail("download", &e))?
        .ok_or_else(|| format!("{name}: no certificate"))?;
    if !chain.contains("BEGIN CERTIFICATE") {
        return Err(format!("{name}: the download is not a PEM chain"));
    }
    Ok(())
}

fn row(mode: Mode, clients: usize, label: &str, f: &Figures) {
    let ms = |v: Option<f64>| {
        v.map(|c| format!("{c:9.2}"))
            .unwrap_or_else(|| format!("{:>9}", "-"))
    };
    let (cpu, client) = (ms(f.cpu_ms), ms(f.client_cpu_ms));
    println!(
        "{:<13} {:>7} {:<7} {:>7} {:>6} {:>10.1} {:>8.1} {:>8.1} {cpu} {client}",
        mode.label(),
        clients,
        label,
        f.orders,
        f.failed,
        f.per_sec,
        f.p50_ms,
        f.p99_ms,
    );
    if let Some(err) = &f.first_error {
        println!("    first failure ({label}): {err}");
    }
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether `program` runs from PATH.
fn on_path(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("-h")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

#[tokio::main]
async fn main() {
    let total = env_num("BENCH_ORDERS", 320);
    let rounds = env_num("BENCH_ROUNDS", 3).max(1);
    let poll = Duration::from_millis(env_num("BENCH_POLL_MS", 10) as u64);
    let levels: Vec<usize> = env_list("BENCH_CLIENTS", "1,16,64")
        .iter()
        .map(|s| s.parse().expect("BENCH_CLIENTS: comma-separated numbers"))
        .collect();
    let modes: Vec<Mode> = env_list("BENCH_MODES", "always-valid,http-01")
        .iter()
        .map(|s| match s.as_str() {
            "always-valid" => Mode::AlwaysValid,
            "http-01" => Mode::Http01,
            other => panic!("BENCH_MODES: unknown mode {other}"),
        })
        .collect();
    let pebble = std::env::var_os("BENCH_NO_PEBBLE").is_none() && on_path("pebble");
    if !pebble {
        println!(
            "pebble: not on PATH (apt-get install pebble) or BENCH_NO_PEBBLE set; \
             the Pebble column is skipped"
        );
    }
    let responder = Responder::default();
    let http01_port = responder.start().await;
    println!(
        "ACME order cycles: {rounds} rounds of {total} per client count and server, poll every \
         {poll:?}, EC P-256 CSRs, http-01 responder on 127.0.0.1:{http01_port}"
    );
    println!(
        "{:<13} {:>7} {:<7} {:>7} {:>6} {:>10} {:>8} {:>8} {:>9} {:>9}",
        "mode",
        "clients",
        "server",
        "orders",
        "failed",
        "orders/s",
        "p50 ms",
        "p99 ms",
        "cpu ms/o",
        "client ms"
    );
    // Which servers take part: vault unless this build serves no ACME directory (probed once).
    let mut kinds = Vec::new();
    {
        let probe = tempfile::tempdir().expect("temp dir");
        if start_vault(probe.path(), None).await.is_some() {
            kinds.push(Kind::Vault);
        }
    }
    if pebble {
        kinds.push(Kind::Pebble);
    }
    let verbose = std::env::var_os("BENCH_VERBOSE").is_some();
    let mut summary = Vec::new();
    for mode in modes {
        let port = (mode == Mode::Http01).then_some(http01_port);
        let responder = (mode == Mode::Http01).then_some(&responder);
        for (i, &clients) in levels.iter().enumerate() {
            let total = total.max(4 * clients);
            let mut runs: Vec<Vec<Measured>> = kinds.iter().map(|_| Vec::new()).collect();
            let mut ratios = Vec::new();
            for round in 0..rounds {
                // Alternate which server goes first, so neither always runs on a warmer
                // machine or right after the other's burst.
                let mut turn: Vec<usize> = (0..kinds.len()).collect();
                if (i + round) % 2 == 1 {
                    turn.reverse();
                }
                let id = format!("{}{i}r{round}", mode.label().replace('-', ""));
                for k in turn {
                    // A fresh server per run: no state carried over, and one that stops
                    // answering (Debian's pebble 2.4 can deadlock, see docs/benchmarks.md)
                    // spoils one run only.
                    let dir = tempfile::tempdir().expect("temp dir");
                    let server = kinds[k].start(dir.path(), port).await;
                    let measured = run(&server, clients, total, responder, poll, &id).await;
                    if verbose {
                        let pids: Vec<String> = server
                            .children
                            .iter()
                            .filter_map(|c| c.id().map(|id| id.to_string()))
                            .collect();
                        println!(
                            "  {} {clients} clients round {round}: {} {} (pid {}): {} orders, \
                             {} failed, {:.1}/s",
                            mode.label(),
                            server.label,
                            server.directory,
                            pids.join(", "),
                            measured.latencies.len(),
                            measured.failed,
                            measured.per_sec()
                        );
                    }
                    runs[k].push(measured);
                }
                if let [vault, pebble] = &runs[..] {
                    let (v, p) = (&vault[round], &pebble[round]);
                    ratios.push(v.per_sec() / p.per_sec());
                }
            }
            let figures: Vec<Figures> = runs.iter().map(|r| Figures::of(r)).collect();
            for (kind, figures) in kinds.iter().zip(&figures) {
                row(mode, clients, kind.label(), figures);
            }
            if let [v, p] = &figures[..] {
                summary.push((mode, clients, median(ratios), v.p99_ms, p.p99_ms));
            }
        }
    }
    if !summary.is_empty() {
        println!("\nvault / pebble (orders/s: the median of the rounds' ratios)");
        for (mode, clients, ratio, vp99, pp99) in summary {
            let target = match mode {
                Mode::AlwaysValid if ratio >= TARGET_RATIO => " (target ≥ 3×: met)",
                Mode::AlwaysValid => " (target ≥ 3×: NOT met)",
                Mode::Http01 => "",
            };
            let p99 = if vp99 < pp99 { "below" } else { "NOT below" };
            println!(
                "{:<13} {clients:>3} clients: {ratio:5.2}× orders/s{target}; p99 {vp99:.1} ms vs \
                 {pp99:.1} ms ({p99} Pebble's)",
                mode.label()
            );
        }
    }
}
