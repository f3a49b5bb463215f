//! `ca-sim`: a standalone partner-CA simulator. One HTTPS listener serves three vendor
//! dialects at their vendors' own paths (partner-dialects.md §8), plus an admin API.
//! [`serve`] runs everything on a listener you pass in, so tests can use port 0.
//!
//! Where things happen, each in one place:
//! - **a request is routed** in [`routes`] (the one route table; GlobalSign's SOAP operation
//!   is then chosen from the body by `dialects::globalsign::dispatch`), and runs through the
//!   dialect contract in `dialects::contract` (authenticate, parse, fault gate, apply, fault
//!   gate after the act, render);
//! - **an order's status changes** in [`orders`] (`OrderBook`: every change goes through it
//!   and is written to the store before it is visible);
//! - **bytes hit disk** in [`store`] (`store::sqlite` for the database, `store::files` for the
//!   CA hierarchies and the TLS dev material).
//!
//! Layout:
//! - [`lib`](self): this map and [`serve`]; [`app`]: [`App`], the state handlers share;
//!   [`routes`]: the route table and the request-history middleware.
//! - [`dialects`]: the contract ([`dialects::contract`]), the fault gate, and one folder per
//!   vendor: `digicert/` (CertCentral Services API v2 under `/services/v2/`), `globalsign/`
//!   (GCC SOAP under `/kb/ws/v1/{ServerSSLService,GASService}`), `wosign/` (HMAC-signed JSON
//!   under `/api/v1/`), `acme/` (RFC 8555 at `/acme/directory`, ca-sim's own ACME CA).
//! - [`admin`]: `/admin/*` (health, TLS CA, roots, orders, faults, requests, clock, accounts),
//!   the CRLs and CA certificates that issued certificates point at, `/metrics`.
//! - the dashboard: [`ui`] serves its compiled-in page at `/admin/ui/`, [`admin_events`] the
//!   live feed `/admin/events` (SSE) from the [`events`] hub; [`mask`] takes secrets out of
//!   what the request history keeps.
//! - [`domain`]: the shared types (dialects, accounts, orders, timing profiles, fault actions,
//!   rate windows, the seeded generator); it imports nothing else of the crate.
//! - [`orders`]: the order book, its background worker and the simulated clock.
//! - [`ocsp`]: the OCSP responder of every CA and revocation by serial.
//! - [`ca`]: hierarchies, signing and each CA's delegated OCSP responder. [`faults`]: the
//!   seeded rule engine. [`history`]: the request history. [`metrics`]: Prometheus text.
//! - [`store`]: SQLite and the data dir's files. [`tls`]: the listener's TLS. [`config`]:
//!   flags and the config file. [`error`]: the crate's error type.

pub mod admin;
pub mod admin_events;
pub mod app;
pub mod ca;
pub mod config;
pub mod dialects;
pub mod domain;
pub mod error;
pub mod events;
pub mod faults;
#[doc(hidden)]
pub mod fuzzing;
pub mod history;
pub mod mask;
pub mod metrics;
pub mod ocsp;
pub mod orders;
pub mod routes;
pub mod store;
pub mod tls;
pub mod ui;

#[cfg(test)]
mod tests;

pub use app::App;
pub use config::Config;
pub use domain::Dialect;
pub use error::Error;

use dialects::gate::ConnKill;
use domain::RateLimiter;
use history::History;
use orders::clock::SimClock;
use orders::OrderBook;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use store::Store;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Layer;

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
    store::files::create_data_dir(&config.data_dir)?;
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
    let live = events::Events::default();
    let book = Arc::new(OrderBook::load(
        store.clone(),
        authority.clone(),
        clock.clone(),
        config.seed,
        live.clone(),
    )?);

    tracing::info!(
        validation = ?config.acme.validation,
        http01_port = config.acme.http01_port,
        timing = %config.acme.timing,
        eab_required = config.acme.eab_required,
        "acme dialect at /acme/directory"
    );
    let alt_dir = (!config.ephemeral).then(|| config.data_dir.join("ca").join("acme-alt"));
    let alternates = dialects::acme::chains::alternates(
        &authority,
        config.acme.alternate_roots,
        alt_dir.as_deref(),
    )?;
    let acme = store::acme::AcmeState::load(store.clone(), config.acme.clone(), alternates)?;
    let app = Arc::new(App {
        seed: config.seed,
        clock,
        store,
        orders: book.clone(),
        ca: authority.clone(),
        faults: faults::Faults::new(config.seed, config.faults.clone()),
        history: History::new(live.clone()),
        events: live,
        shutdown: shutdown.clone(),
        metrics: metrics::Metrics::default(),
        accounts: RwLock::new(accounts),
        digicert_limits: RateLimiter::new(config.digicert_rate_limits.clone()),
        digicert_page_limit: config.digicert_page_limit,
        acme,
        base_url,
        tls_ca_pem: tls.ca_pem.clone(),
        tls_ca_path: tls.ca_path.clone(),
    });
    let router = routes::router(app.clone());

    let tracker = TaskTracker::new();
    tracker.spawn(book.run(shutdown.clone()));
    // Each connection's kill token reaches the handlers as a request extension, so the
    // `drop` fault can close the connection without writing a response.
    let done = shared::server::spawn_accept_loop(
        "ca-sim",
        listener,
        TlsAcceptor::from(tls.server_config.clone()),
        move |kill: &CancellationToken| {
            hyper_util::service::TowerToHyperService::new(
                axum::Extension(ConnKill::new(kill.clone())).layer(router.clone()),
            )
        },
        tracker,
        shutdown,
    );

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
