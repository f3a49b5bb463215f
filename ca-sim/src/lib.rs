//! `ca-sim`: a standalone partner-CA simulator. One HTTPS listener serves three vendor
//! dialects at their vendors' own paths (partner-dialects.md §8), plus an admin API:
//!
//! - [`dialects::digicert`]: DigiCert CertCentral Services API v2 under `/services/v2/`.
//! - [`dialects::globalsign`]: GlobalSign GCC SOAP under `/kb/ws/v1/{ServerSSLService,GASService}`.
//! - [`dialects::wosign`]: the WoSign HMAC-signed JSON dialect under `/api/v1/`.
//! - [`admin`]: `/admin/*` (health, TLS CA, roots, orders, faults, requests, clock, accounts),
//!   plus the CRLs and CA certificates that issued certificates point at.
//!
//! Underneath: [`ca`] (hierarchies and signing), [`orders`] (order book, timing profiles,
//! simulated clock, background worker), [`faults`] (seeded rules), [`store`] (SQLite).
//! [`serve`] runs everything on a listener you pass in, so tests can use port 0.

pub mod admin;
pub mod ca;
pub mod config;
pub mod dialects;
pub mod error;
pub mod faults;
pub mod metrics;
pub mod orders;
pub mod store;
pub mod tls;

pub use config::{Config, Dialect};
pub use error::Error;

use config::Account;
use dialects::{History, RateLimiter};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use orders::clock::SimClock;
use orders::OrderBook;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use store::Store;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The state every handler shares (`State<Arc<App>>`).
pub struct App {
    /// The seed of fault probabilities and uniform delays (shown by `/admin/health`).
    pub seed: u64,
    /// Simulated time: due times, validity, timelines.
    pub clock: Arc<SimClock>,
    /// Persistence (orders, certificates, accounts, counters).
    pub store: Arc<Store>,
    /// Orders of all dialects and the issuing worker.
    pub orders: Arc<OrderBook>,
    /// CA hierarchies and signing.
    pub ca: Arc<ca::Authority>,
    /// Runtime-changeable fault rules.
    pub faults: faults::Faults,
    /// Request history for `/admin/requests`.
    pub history: History,
    /// Latency histograms served at `/metrics`.
    pub metrics: metrics::Metrics,
    /// Accounts of all dialects (config + admin API), persisted.
    pub accounts: RwLock<Vec<Account>>,
    /// DigiCert per-API-key rate limits.
    pub digicert_limits: RateLimiter,
    /// `https://host:port` used in AIA, CRL and WSDL addresses.
    pub base_url: String,
    /// The TLS dev CA (served at `/admin/ca.pem`).
    pub tls_ca_pem: String,
    pub tls_ca_path: PathBuf,
}

impl App {
    pub fn account(&self, dialect: Dialect, pred: impl Fn(&Account) -> bool) -> Option<Account> {
        self.accounts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|a| a.dialect == dialect && pred(a))
            .cloned()
    }

    /// Adds or replaces an account (persisted).
    pub fn put_account(&self, account: Account) -> Result<(), Error> {
        self.store.put_account(&account)?;
        let mut all = self.accounts.write().unwrap_or_else(|p| p.into_inner());
        all.retain(|a| !(a.dialect == account.dialect && a.id == account.id));
        all.push(account);
        Ok(())
    }
}

/// A running ca-sim.
pub struct Handle {
    pub addr: SocketAddr,
    /// PEM of the TLS CA clients should trust.
    pub ca_pem: String,
    pub ca_path: PathBuf,
    /// Issuing roots per dialect (PEM) and where they live on disk (unless ephemeral).
    pub roots: Vec<(Dialect, String, Option<PathBuf>)>,
    pub seed: u64,
    pub app: Arc<App>,
    done: tokio::task::JoinHandle<()>,
}

impl Handle {
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Resolves once the server stopped after its shutdown token was cancelled.
    pub async fn stopped(self) {
        let _ = self.done.await;
    }
}

/// Starts ca-sim on `listener`; returns once it is ready. Cancelling `shutdown` stops
/// accepting, lets in-flight requests finish (with a deadline) and stops the worker.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<Handle, Error> {
    config.validate()?;
    let addr = listener.local_addr()?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Error::Config(format!(
            "cannot create data dir {}: {e}",
            config.data_dir.display()
        ))
    })?;
    let base_url = config.public_url.clone().unwrap_or_else(|| {
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            addr.ip().to_string()
        };
        match addr {
            SocketAddr::V6(_) if !addr.ip().is_unspecified() => {
                format!("https://[{host}]:{}", addr.port())
            }
            _ => format!("https://{host}:{}", addr.port()),
        }
    });

    let data_dir = config.data_dir.clone();
    let ephemeral = config.ephemeral;
    let ca_cfg = config.ca.clone();
    let base = base_url.clone();
    let (tls, authority) = tokio::task::spawn_blocking(move || -> Result<_, Error> {
        let tls = tls::setup(&data_dir)?;
        let authority = ca::build(
            &data_dir,
            ephemeral,
            |d| ca_cfg.get(&d).cloned().unwrap_or_default(),
            base,
        )?;
        Ok((tls, authority))
    })
    .await
    .map_err(|e| Error::Internal(format!("setup task: {e}")))??;
    let authority = Arc::new(authority);

    let store = Arc::new(Store::open(
        (!config.ephemeral).then_some(config.data_dir.as_path()),
    )?);
    for a in &config.accounts {
        store.put_account(a)?;
    }
    let accounts = store.accounts()?;
    let last_sim: i64 = store
        .meta_get("sim_now_ms")?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let clock = Arc::new(SimClock::new(
        last_sim.max(orders::clock::wall_ms()),
        config.time_scale,
    ));
    let book = Arc::new(OrderBook::load(
        store.clone(),
        authority.clone(),
        clock.clone(),
        config.seed,
    )?);

    let app = Arc::new(App {
        seed: config.seed,
        clock,
        store,
        orders: book.clone(),
        ca: authority.clone(),
        faults: faults::Faults::new(config.seed, config.faults.clone()),
        history: History::default(),
        metrics: metrics::Metrics::default(),
        accounts: RwLock::new(accounts),
        digicert_limits: RateLimiter::new(config.digicert_rate_limits.clone()),
        base_url,
        tls_ca_pem: tls.ca_pem.clone(),
        tls_ca_path: tls.ca_path.clone(),
    });
    let router = dialects::router(app.clone());

    let tracker = TaskTracker::new();
    tracker.spawn(book.run(shutdown.clone()));

    let acceptor = TlsAcceptor::from(tls.server_config.clone());
    let accept_tracker = tracker.clone();
    let token = shutdown.clone();
    let done = tokio::spawn(async move {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            let (tcp, peer) = tokio::select! {
                _ = token.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            // A per-connection token lets the `drop` fault close the connection without
            // writing a response.
            let kill = CancellationToken::new();
            let service = TowerToHyperService::new(
                router
                    .clone()
                    .layer(axum::Extension(dialects::ConnKill(kill.clone()))),
            );
            let builder = builder.clone();
            let watcher = graceful.watcher();
            accept_tracker.spawn(async move {
                let tls =
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            debug!(%peer, error = %e, "tls handshake failed");
                            return;
                        }
                        Err(_) => {
                            debug!(%peer, "tls handshake timed out");
                            return;
                        }
                    };
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
                tokio::select! {
                    biased;
                    _ = kill.cancelled() => debug!(%peer, "connection dropped by fault"),
                    r = watcher.watch(conn.into_owned()) => if let Err(e) = r {
                        debug!(%peer, error = %e, "connection ended with an error");
                    },
                }
            });
        }
        info!("shutting down: no new connections; waiting for in-flight requests");
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
            .await
            .is_err()
        {
            warn!("in-flight requests did not finish within the grace period");
        }
        accept_tracker.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, accept_tracker.wait())
            .await
            .is_err()
        {
            warn!("background tasks did not finish within the grace period");
        }
        info!("ca-sim stopped");
    });

    let roots = Dialect::ALL
        .iter()
        .filter_map(|d| {
            let h = authority.hierarchies.get(d)?;
            Some((*d, h.root.pem.clone(), h.root.path.clone()))
        })
        .collect();
    Ok(Handle {
        addr,
        ca_pem: tls.ca_pem,
        ca_path: tls.ca_path,
        roots,
        seed: config.seed,
        app,
        done,
    })
}
