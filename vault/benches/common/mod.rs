//! What the benches share: the lean HTTPS load generator of the polling benches
//! (`polling_vs_baseline`, `auth_overhead`: hyper's client connection API over tokio-rustls,
//! without a pool, redirect or retry layers, so as little of the shared cores as possible goes
//! to the client), and the knobs, medians and CPU readings every bench prints.

// Each bench compiles this module on its own and uses a part of it.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::HeaderValue;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a load run sends its requests.
struct Target {
    addr: std::net::SocketAddr,
    path_and_query: String,
}

impl Target {
    fn parse(url: &str) -> Self {
        let url = url::Url::parse(url).expect("url");
        let addr = url
            .socket_addrs(|| None)
            .expect("address")
            .into_iter()
            .next()
            .expect("one address");
        let mut path_and_query = url.path().to_string();
        if let Some(q) = url.query() {
            path_and_query.push('?');
            path_and_query.push_str(q);
        }
        Self {
            addr,
            path_and_query,
        }
    }
}

/// One client connection: HTTP/1.1, or a handle on the shared HTTP/2 connection.
enum Conn {
    H1(hyper::client::conn::http1::SendRequest<Empty<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Empty<Bytes>>),
}

async fn connect(target: &Target, tls: &Arc<rustls::ClientConfig>, http2: bool) -> Conn {
    let tcp = tokio::net::TcpStream::connect(target.addr)
        .await
        .expect("connect");
    let _ = tcp.set_nodelay(true);
    let name = rustls::pki_types::ServerName::IpAddress(target.addr.ip().into());
    let stream = tokio_rustls::TlsConnector::from(tls.clone())
        .connect(name, tcp)
        .await
        .expect("tls handshake");
    let io = TokioIo::new(stream);
    if http2 {
        let (send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .expect("h2 handshake");
        tokio::spawn(conn);
        Conn::H2(send)
    } else {
        let (send, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .expect("http/1.1 handshake");
        tokio::spawn(conn);
        Conn::H1(send)
    }
}

/// A rustls client config trusting only `ca_pem`, offering `h2` or `http/1.1` by ALPN.
pub fn client_tls(ca_pem: &str, http2: bool) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("ca pem")).expect("ca certificate");
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![if http2 {
        b"h2".to_vec()
    } else {
        b"http/1.1".to_vec()
    }];
    Arc::new(config)
}

/// One load run's figures.
pub struct Run {
    pub rps: f64,
    pub p99_ms: f64,
    /// CPU time of the whole process (every thread, client included) per request over the
    /// timed window, in µs; unlike the rate, it does not depend on how much of the machine
    /// other tenants take. `None` without `/proc/self/stat`.
    pub cpu_us: Option<f64>,
}

impl Run {
    /// Requests/s and p99 (ms).
    pub fn pair(&self) -> (f64, f64) {
        (self.rps, self.p99_ms)
    }
}

/// User plus system CPU seconds so far of process `pid` (or `self`): Linux `/proc/PID/stat`,
/// in `USER_HZ` = 100 ticks per second.
pub fn cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ').skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// `clients` clients polling `url` back to back for `duration`, each request carrying
/// `authorization`: one HTTP/1.1 connection each, or (http2) all of them multiplexed over one
/// connection. Every answer must be 200.
pub async fn load(
    url: &str,
    tls: &Arc<rustls::ClientConfig>,
    http2: bool,
    clients: usize,
    duration: Duration,
    authorization: &HeaderValue,
) -> Run {
    let target = Arc::new(Target::parse(url));
    let shared = match http2 {
        true => match connect(&target, tls, true).await {
            Conn::H2(send) => Some(send),
            Conn::H1(_) => unreachable!("asked for h2"),
        },
        false => None,
    };
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        conns.push(match &shared {
            Some(send) => Conn::H2(send.clone()),
            None => connect(&target, tls, false).await,
        });
    }
    let cpu_before = cpu_secs("self");
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for mut conn in conns {
        let target = target.clone();
        let authorization = authorization.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let request = hyper::Request::get(target.path_and_query.as_str())
                    .header(hyper::header::HOST, target.addr.to_string())
                    .header(hyper::header::AUTHORIZATION, authorization.clone())
                    .body(Empty::<Bytes>::new())
                    .expect("request");
                let t = Instant::now();
                let resp = match &mut conn {
                    Conn::H1(send) => {
                        send.ready().await.expect("connection ready");
                        send.send_request(request).await
                    }
                    Conn::H2(send) => send.send_request(request).await,
                }
                .expect("response");
                assert_eq!(resp.status().as_u16(), 200);
                let _ = resp.into_body().collect().await.expect("body");
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client task"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_secs("self")
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    all.sort_by(|a, b| a.total_cmp(b));
    let p99 = all
        .get((all.len() as f64 * 0.99) as usize)
        .copied()
        .unwrap_or(0.0);
    Run {
        rps: all.len() as f64 / elapsed,
        p99_ms: p99,
        cpu_us: cpu
            .filter(|_| !all.is_empty())
            .map(|cpu| cpu * 1e6 / all.len() as f64),
    }
}

/// The median of `values` (the upper one for an even count); NaN for none.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A number from the environment, or `default`.
pub fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
