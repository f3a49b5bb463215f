//! `vault`: a local service that speaks the Azure Key Vault certificates REST API well enough
//! that the real Azure SDKs work against it unmodified.
//!
//! Layout, top down; every dependency points down this list (http → vaults → lifetime →
//! certs → issuance → providers/store), never up:
//! - [`proxy`]: the drop-in CONNECT proxy (`--proxy-listen`): tunnels for the real Azure
//!   host names, served by the same [`http`] service.
//! - [`http`]: the front end: per-connection service, middleware (authentication, access
//!   decision, api-version, the vault the host names, the polling fast path), the route
//!   table, one handler file per resource, the wire mapping, the one error renderer.
//! - [`identity`] and [`access`], beside the layers and used by `http`: the Entra-shaped
//!   token service (`--auth entra`: token endpoints, discovery, JWKS, managed identity, the
//!   cached verification of every request's token) and the access document (principals,
//!   vaults, access policies and RBAC, the per-request decision with Key Vault's 403s);
//!   `identity` reads the principals from `access`; neither imports a layer below.
//! - [`vaults`]: many vaults by host name: each its own store, certificate service and
//!   workers, opened at start or on first use; it assembles the layers below per vault.
//! - [`lifetime`]: the lifetime-action scheduler (`EmailContacts`, `AutoRenew`); it renews
//!   through `certs`, so it sits above it.
//! - [`certs`]: the certificate service: every rule of the API that reads or changes state.
//! - [`issuance`]: pending operations: the background worker, self-signed issuance, partner-CA
//!   orders, the per-name locks.
//! - [`providers`]: the partner-CA adapters (DigiCert, GlobalSign, WoSign) behind one trait.
//! - [`notify`]: notifications to contacts: outbox rows and SMTP delivery.
//! - [`clock`]: the one controllable, persisted clock.
//! - [`store`]: persistence (SQLite) and encryption at rest.
//! - [`timeline`]: what the dashboard watches: each operation's steps as timeline events
//!   (recorded by `issuance`, `certs`, `lifetime`, `notify`; stored per vault, published
//!   live) and the live request log; beside `store`, below every layer that records.
//! - [`model`]: the domain records every layer speaks in; imports nothing of the above.
//! - [`acme`]: the ACME (RFC 8555) gateway: every vault serves `/acme/…` (directory,
//!   accounts, orders, challenges, finalize through its local CA or a partner issuer); it
//!   sits beside `vaults` (whose instances carry its per-vault state) and uses `issuance`
//!   and `store`, never `http`, `vaults`, `certs` or `lifetime`.
//! - [`config`], [`error`], [`metrics`], [`tls`]: the typed configuration, the crate's error
//!   type, the `/metrics` counters, the listener's certificates; [`hosts`]: what a host name
//!   means (which vault, the challenge's resource).
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
//!   database per vault: the default vault's at the data dir's root, every other in
//!   `DATA_DIR/vaults/NAME/` ([`vaults::vault_dir`]); one transaction per batch of
//!   [`store::Change`]s; keys and passwords sealed by [`store::seal`] first), and the
//!   issuance worker's lease writes there (claim, renew, fenced write:
//!   `store::sqlite::operations`). The only other files are written once at
//!   start in the data dir: its lock ([`store::lock`], one vault process per data dir), the
//!   master key ([`store::seal::Sealer::load`]) and the dev TLS material ([`tls::setup`]).
//!
//! [`serve`] runs everything on a listener you pass in, so tests can use port 0.

pub mod access;
pub mod acme;
pub mod certs;
pub mod clock;
pub mod config;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod hosts;
pub mod http;
pub mod identity;
pub mod issuance;
pub mod lifetime;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod providers;
pub mod proxy;
pub mod store;
pub mod timeline;
pub mod tls;
pub mod vaults;

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
    /// The drop-in proxy's bound address (`--proxy-listen`), if it runs.
    pub proxy_addr: Option<SocketAddr>,
    /// The plain-HTTP identity listener's bound address (`--identity-listen`), if it runs.
    pub identity_addr: Option<SocketAddr>,
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
    // The drop-in proxy's port is bound first, so a taken port stops start-up early.
    let proxy_listener =
        match config.proxy_listen {
            Some(at) => Some(TcpListener::bind(at).await.map_err(|e| {
                Error::Config(format!("cannot listen on --proxy-listen {at}: {e}"))
            })?),
            None => None,
        };
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Error::Config(format!(
            "cannot create data dir {}: {e}",
            config.data_dir.display()
        ))
    })?;

    // First of all: one vault process per data dir (see `store::lock`).
    let data_dir_lock =
        store::lock::DataDirLock::acquire(&config.data_dir).map_err(Error::Config)?;

    // The default vault's store is the data dir's root (as before vaults were many); it is
    // opened first because it keeps the clock's offset. Leases found in any store now belong
    // to a process that died holding them (we hold the data dir).
    let db = vaults::open::open_store(
        &config.data_dir,
        config.master_key.as_deref(),
        &config.data_dir,
    )
    .await?;

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

    // Principals, vaults and their access models; a broken file stops start-up.
    let access = Arc::new(access::Access::load(config.access_file.as_deref())?);
    // The token service (entra mode): signing key, managed-identity header, admin token.
    let token_service = match config.auth {
        config::AuthMode::Entra => Some(Arc::new(
            identity::Identity::start(&config, access.clone()).await?,
        )),
        config::AuthMode::Dev => None,
    };
    let providers = providers::from_config(
        &config.provider_endpoints,
        &config.provider_ca,
        config.provider_timeout,
        &providers::acme::AcmeClientSettings {
            data_dir: config.data_dir.clone(),
            master_key: config.master_key.clone(),
            http01_listen: config.acme_client_http01_listen,
            tlsalpn01_listen: config.acme_client_tlsalpn01_listen,
            anchors: Vec::new(),
        },
    )
    .map_err(Error::Config)?;
    // One clock for every vault; its offset survives restarts in the default vault's store
    // (or --clock-offset replaces it).
    let clock_control =
        Arc::new(clock::ClockControl::restore(db.clone(), config.clock_offset).await?);
    let tracker = TaskTracker::new();
    // Each vault is assembled (store, service, workers) by one function, here for the vaults
    // known at start and later for those opened on first use.
    // The ACME gateway's process-wide part (nonces, validator, local CA); every vault gets
    // its own part when it opens.
    let acme = Arc::new(
        acme::gateway::Acme::start(
            &config,
            clock_control.clock(),
            Arc::default(),
            tracker.clone(),
        )
        .await?,
    );
    let parts = vaults::Shared::new(
        &config,
        addr,
        clock_control,
        providers,
        acme.clone(),
        &tracker,
        &shutdown,
    );
    let default_vault = parts.default_vault.clone();
    let metrics = parts.metrics.clone();
    let hub = parts.hub.clone();
    let vaults = Arc::new(
        vaults::Vaults::start(parts, db, &config.vaults, access.clone(), config.auth).await?,
    );
    // SIGHUP re-reads the access file (see `access::reload`); entra mode names the open vaults.
    tracker.spawn(access::reload::run(access.clone(), shutdown.clone()));
    if config.auth == config::AuthMode::Entra {
        access.log_open_vaults(vaults.all().iter().map(|v| v.name.as_str()));
    }
    let app = Arc::new(http::App {
        vaults,
        public_url: config
            .public_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_string()),
        retry_after: config.retry_after,
        poll_headers: http::poll::PollHeaders::new(config.retry_after),
        ca_pem: tls.ca_pem.clone(),
        ready: AtomicBool::new(false),
        throttle: config.throttle.map(http::throttle::Throttle::new),
        metrics,
        request_ids: http::RequestIds::new(),
        auth: config.auth,
        identity: token_service.clone(),
        access: access.clone(),
        admin_token: token_service
            .as_ref()
            .map_or(config.admin_token.clone(), |i| {
                Some(i.admin_token().to_string())
            }),
        default_vault,
        acme,
        hub,
    });
    let service = http::VaultService::new(app.clone());

    // The drop-in proxy serves its tunnels with the same TLS and service (see `proxy`).
    let proxy_addr = match &proxy_listener {
        Some(l) => Some(l.local_addr()?),
        None => None,
    };
    let proxy = proxy_listener.map(|l| {
        let acceptor = TlsAcceptor::from(tls.server_config.clone());
        proxy::spawn(l, acceptor, service.clone(), shutdown.clone())
    });
    // Managed identity over plain HTTP on loopback (`--identity-listen`).
    let identity_addr = identity::listen::start(
        config.identity_listen,
        token_service,
        &tracker,
        shutdown.clone(),
    )
    .await?;
    // One connection, one clone of the service, holding the connection's kill token (ACME
    // chaos closes a connection unanswered with it).
    let accept = shared::server::spawn_accept_loop(
        "vault",
        listener,
        TlsAcceptor::from(tls.server_config.clone()),
        move |kill: &CancellationToken| service.for_connection(kill),
        tracker,
        shutdown,
    );
    // The data dir stays locked until everything has stopped.
    let done = tokio::spawn(async move {
        let _ = accept.await;
        if let Some(proxy) = proxy {
            let _ = proxy.await;
        }
        drop(data_dir_lock);
    });

    app.ready.store(true, Ordering::Release);
    Ok(Handle {
        addr,
        ca_pem: tls.ca_pem,
        ca_path: tls.ca_path,
        app,
        proxy_addr,
        identity_addr,
        done,
    })
}
