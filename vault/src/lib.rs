//! `vault`: a local service that speaks the Azure Key Vault certificates REST API well enough
//! that the real Azure SDKs work against it unmodified.
//!
//! Layout, top down; every dependency points down this list (http → lifetime → certs →
//! issuance → providers/store), never up:
//! - [`http`]: the front end: per-connection service, middleware (auth challenge,
//!   api-version, the polling fast path), the route table, one handler file per resource,
//!   the wire mapping, the one error renderer.
//! - [`lifetime`]: the lifetime-action scheduler (`EmailContacts`, `AutoRenew`); it renews
//!   through `certs`, so it sits above it.
//! - [`certs`]: the certificate service: every rule of the API that reads or changes state.
//! - [`issuance`]: pending operations: the background worker, self-signed issuance, partner-CA
//!   orders, the per-name locks.
//! - [`providers`]: the partner-CA adapters (DigiCert, GlobalSign, WoSign) behind one trait.
//! - [`notify`]: notifications to contacts: outbox rows and SMTP delivery.
//! - [`clock`]: the one controllable, persisted clock.
//! - [`store`]: persistence (SQLite) and encryption at rest.
//! - [`model`]: the domain records every layer speaks in; imports nothing of the above.
//! - [`config`], [`error`], [`metrics`], [`tls`]: the typed configuration, the crate's error
//!   type, the `/metrics` counters, the listener's certificates.
//!
//! Where to look, each in one place:
//! - **Where a request is routed**: [`http::routes::router`], the route table. Every request
//!   enters through [`http::middleware::handle`], which answers `GET …/pending` itself when
//!   [`http::routes::poll_target`] says the path is a plain poll (same reserved words as the
//!   table) and hands everything else to the table.
//! - **Where an operation's status changes**: [`model::OperationRecord::end`], the one
//!   function that moves a pending operation to `completed`, `failed` or `cancelled`; the
//!   worker (`issuance`), merge and cancel (`certs`) decide when. Operations are created
//!   `inProgress` by `certs::Service::create_locked`.
//! - **Where bytes hit disk**: [`store::Store::apply`] in [`store::sqlite`] (one SQLite
//!   transaction per batch of [`store::Change`]s; keys and passwords sealed by
//!   [`store::seal`] first), and the issuance worker's lease writes there (claim, renew,
//!   fenced write: `store::sqlite::operations`). The only other files are written once at
//!   start in the data dir: its lock ([`store::lock`], one vault process per data dir), the
//!   master key ([`store::seal::Sealer::load`]) and the dev TLS material ([`tls::setup`]).
//!
//! [`serve`] runs everything on a listener you pass in, so tests can use port 0.

pub mod certs;
pub mod clock;
pub mod config;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod issuance;
pub mod lifetime;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod providers;
pub mod store;
pub mod tls;

pub use config::Config;
pub use error::Error;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A running vault.
pub struct Handle {
    /// The bound address.
    pub addr: SocketAddr,
    /// PEM of the CA clients should trust.
    pub ca_pem: String,
    /// Where that PEM lives on disk.
    pub ca_path: PathBuf,
    /// The state the HTTP front end shares, for in-process callers (the request-path fuzz
    /// target drives [`http::middleware::handle`] with it, without a socket).
    pub app: http::AppState,
    done: tokio::task::JoinHandle<()>,
}

impl Handle {
    /// `https://127.0.0.1:PORT` (or the bound address).
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Resolves once the server stopped after its shutdown token was cancelled.
    pub async fn stopped(self) {
        let _ = self.done.await;
    }
}

/// Starts vault on `listener` and returns once it is ready to serve. Cancelling `shutdown`
/// stops accepting, lets in-flight requests finish (with a deadline) and stops the worker.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<Handle, Error> {
    let addr = listener.local_addr()?;
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Error::Config(format!(
            "cannot create data dir {}: {e}",
            config.data_dir.display()
        ))
    })?;

    // First of all: one vault process per data dir (see `store::lock`).
    let data_dir_lock =
        store::lock::DataDirLock::acquire(&config.data_dir).map_err(Error::Config)?;

    // A master key that cannot be used (malformed, or a key file others may read) is a
    // start-up configuration problem with a fix, not a storage fault.
    let sealer = store::seal::Sealer::load(&config.data_dir, config.master_key.as_deref())
        .map_err(|e| match e {
            store::StoreError::Seal(message) => Error::Config(message),
            e => e.into(),
        })?;
    let sqlite = store::SqliteStore::open(&config.data_dir, sealer)?;
    let db = store::Db(Arc::new(sqlite));
    // Leases found now belong to a process that died holding them (we hold the data dir).
    let orphaned_leases = db.run(|s| s.clear_leases()).await?;
    if orphaned_leases > 0 {
        tracing::info!(
            leases = orphaned_leases,
            "released the leases of a previous process"
        );
    }

    let byo = match (&config.tls_cert, &config.tls_key) {
        (Some(c), Some(k)) => Some((c.as_path(), k.as_path())),
        (None, None) => None,
        _ => return Err(Error::Config("--tls-cert and --tls-key go together".into())),
    };
    let data_dir = config.data_dir.clone();
    let hostnames = config.hostnames.clone();
    let byo_owned = byo.map(|(c, k)| (c.to_path_buf(), k.to_path_buf()));
    let tls = tokio::task::spawn_blocking(move || {
        let byo = byo_owned.as_ref().map(|(c, k)| (c.as_path(), k.as_path()));
        tls::setup(&data_dir, &hostnames, byo)
    })
    .await
    .map_err(|e| Error::Internal(format!("tls setup task: {e}")))??;

    let providers = providers::from_config(
        &config.provider_endpoints,
        &config.provider_ca,
        config.provider_timeout,
    )
    .map_err(Error::Config)?;
    // One clock for everything; its offset survives restarts (or --clock-offset replaces it).
    let clock_control =
        Arc::new(clock::ClockControl::restore(db.clone(), config.clock_offset).await?);
    let clock = clock_control.clock();
    let tracker = TaskTracker::new();
    let issuance = issuance::Issuance::new(
        db.clone(),
        clock.clone(),
        providers,
        issuance::Settings {
            poll_interval: config.provider_poll_interval,
            deadline: config.provider_deadline,
            // Longer than a CA call with room to spare; renewed every third of it.
            lease: config.provider_timeout * 2 + std::time::Duration::from_secs(10),
        },
        tracker.clone(),
    );
    let service = certs::Service::new(
        db.clone(),
        clock.clone(),
        issuance.clone(),
        certs::Settings {
            self_signed_delay: config.self_signed_delay,
        },
    );
    let notifier = notify::Notifier::new(
        db.clone(),
        clock,
        notify::Settings {
            vault_url: config.public_url.as_ref().map_or_else(
                || format!("https://{addr}"),
                |u| u.as_str().trim_end_matches('/').to_string(),
            ),
            smtp: config.smtp.clone(),
            from: config.smtp_from.clone(),
            retry: config.smtp_retry,
        },
    )
    .map_err(Error::Config)?;
    let lifetime = lifetime::Lifetime::new(
        db,
        clock_control,
        service.clone(),
        issuance.clone(),
        notifier.clone(),
        lifetime::Settings {
            scan_interval: config.lifetime_scan_interval,
        },
    );
    let app = Arc::new(http::App {
        service,
        public_url: config
            .public_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_string()),
        retry_after: config.retry_after,
        poll_headers: http::poll::PollHeaders::new(config.retry_after),
        poll_bodies: http::poll::PollBodies::default(),
        ca_pem: tls.ca_pem.clone(),
        ready: AtomicBool::new(false),
        lifetime: lifetime.clone(),
        throttle: config.throttle.map(http::throttle::Throttle::new),
        metrics: issuance.metrics.clone(),
        request_ids: http::RequestIds::new(),
    });
    let service = http::VaultService::new(app.clone());

    tracker.spawn(issuance.run(shutdown.clone()));
    tracker.spawn(lifetime.run(shutdown.clone()));
    tracker.spawn(notifier.run(shutdown.clone()));

    // One connection, one clone of the service; vault never closes a connection on purpose,
    // so the per-connection kill token goes unused.
    let accept = shared::server::spawn_accept_loop(
        "vault",
        listener,
        TlsAcceptor::from(tls.server_config.clone()),
        move |_kill: &CancellationToken| service.clone(),
        tracker,
        shutdown,
    );
    // The data dir stays locked until everything has stopped.
    let done = tokio::spawn(async move {
        let _ = accept.await;
        drop(data_dir_lock);
    });

    app.ready.store(true, Ordering::Release);
    Ok(Handle {
        addr,
        ca_pem: tls.ca_pem,
        ca_path: tls.ca_path,
        app,
        done,
    })
}
