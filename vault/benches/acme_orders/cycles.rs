//! The client side: one ACME order cycle over instant-acme (with a `TCP_NODELAY` HTTP client),
//! the http-01 responder both servers validate against, and the figures of a run.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use instant_acme::{
    Account, AuthorizationStatus, BodyWrapper, BytesResponse, ChallengeType, HttpClient,
    Identifier, NewAccount, NewOrder, OrderStatus,
};

use crate::common::{cpu_secs, median};
use crate::servers::Server;

/// How long one cycle may take before it counts as failed.
const CYCLE_DEADLINE: Duration = Duration::from_secs(30);
/// How long one run (one server, one round) may take: cycles not started by then count as
/// failed, so a server that stops answering costs a minute, not cycles × the cycle deadline.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// The http-01 responder both servers validate against: `GET
/// /.well-known/acme-challenge/{token}` answers the key authorization registered for it.
#[derive(Clone, Default)]
pub struct Responder {
    answers: Arc<Mutex<HashMap<String, String>>>,
}

impl Responder {
    /// Serves on a free loopback port until the process ends; returns the port.
    pub async fn start(&self) -> u16 {
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
pub struct Measured {
    /// Each completed cycle's latency, ms.
    pub latencies: Vec<f64>,
    pub failed: usize,
    secs: f64,
    /// Server CPU (user+system) over the run, s.
    server_cpu: Option<f64>,
    /// This process's (the clients' and the http-01 responder's) CPU over the run, s.
    client_cpu: Option<f64>,
    pub first_error: Option<String>,
}

impl Measured {
    pub fn per_sec(&self) -> f64 {
        self.latencies.len() as f64 / self.secs
    }
}

/// One client count's figures for one server over all rounds: latencies pooled, the rate the
/// median of the rounds', CPU per order over all of them.
pub struct Figures {
    pub orders: usize,
    pub failed: usize,
    pub per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Server CPU per completed order, ms.
    pub cpu_ms: Option<f64>,
    /// This process's CPU per completed order, ms.
    pub client_cpu_ms: Option<f64>,
    pub first_error: Option<String>,
}

impl Figures {
    pub fn of(runs: &[Measured]) -> Figures {
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

/// Runs `total` cycles spread over `clients` accounts against `server`.
pub async fn run(
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
