//! The process-wide parts every vault is assembled from ([`Shared`]) and the one function that
//! opens a vault ([`Shared::open`], used at start and on first use): its store, then its
//! certificate service and its background workers (issuance, lifetime actions, mail) on the
//! process's task tracker and shutdown token.

use super::instance::VaultInstance;
use super::poll_cache::PollBodies;
use crate::acme::gateway::{Acme, VaultAcme};
use crate::clock::ClockControl;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::providers::Providers;
use crate::store::{self, Db};
use crate::{certs, issuance, lifetime, notify};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The folder under the data dir that holds every vault but the default one.
pub const VAULTS_DIR: &str = "vaults";

/// Where vault `name` keeps its store: the data dir itself for the default vault (existing
/// data dirs keep working, nothing moves), `DATA_DIR/vaults/NAME/` for any other.
pub fn vault_dir(data_dir: &Path, default_vault: &str, name: &str) -> PathBuf {
    if name == default_vault {
        data_dir.to_path_buf()
    } else {
        data_dir.join(VAULTS_DIR).join(name)
    }
}

/// Opens (creating if needed) the store in `dir`, sealed with the process's master key (the
/// key file lives in the data dir's root), and releases the leases a previous process died
/// holding (the caller holds the data dir's lock).
pub async fn open_store(data_dir: &Path, master_key: Option<&str>, dir: &Path) -> Result<Db> {
    let (data_dir, master_key, dir) = (
        data_dir.to_path_buf(),
        master_key.map(str::to_string),
        dir.to_path_buf(),
    );
    let sqlite = tokio::task::spawn_blocking(move || -> Result<store::SqliteStore> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::Config(format!("cannot create {}: {e}", dir.display())))?;
        // A master key that cannot be used (malformed, or a key file others may read) is a
        // start-up configuration problem with a fix, not a storage fault.
        let sealer =
            store::seal::Sealer::load(&data_dir, master_key.as_deref()).map_err(|e| match e {
                store::StoreError::Seal(message) => Error::Config(message),
                e => e.into(),
            })?;
        Ok(store::SqliteStore::open(&dir, sealer)?)
    })
    .await
    .map_err(|e| Error::Internal(format!("opening a store: {e}")))??;
    let db = Db::new(Arc::new(sqlite));
    let orphaned_leases = db.run(|s| s.clear_leases()).await?;
    if orphaned_leases > 0 {
        tracing::info!(
            leases = orphaned_leases,
            "released the leases of a previous process"
        );
    }
    Ok(db)
}

/// What every vault shares, resolved once from `Config` in `serve`.
pub struct Shared {
    pub data_dir: PathBuf,
    /// `--master-key` (else the key file in the data dir).
    pub master_key: Option<String>,
    /// The vault `localhost` and IP addresses reach (its store is the data dir's root).
    pub default_vault: String,
    /// The one clock; its offset is kept in the default vault's store.
    pub clock: Arc<ClockControl>,
    pub providers: Providers,
    pub metrics: Arc<Metrics>,
    pub issuance: issuance::Settings,
    pub certs: certs::Settings,
    pub lifetime: lifetime::Settings,
    /// Mail settings; `vault_url` is the default vault's (`--public-url` or the listener's).
    pub notify: notify::Settings,
    /// The listener's port, for the other vaults' URLs (`https://NAME.vault.localhost:PORT`).
    pub port: u16,
    pub tracker: TaskTracker,
    pub shutdown: CancellationToken,
    /// The ACME gateway's process-wide state; each vault gets its own part on open.
    pub acme: Arc<Acme>,
    /// The dashboard's live updates and `seq` counter; each vault gets its own timeline.
    pub hub: Arc<crate::timeline::Hub>,
}

impl Shared {
    /// Resolves every vault's settings from `config` once; `addr` is the listener's. The
    /// metrics are the ACME gateway's (one set per process).
    pub fn new(
        config: &Config,
        addr: SocketAddr,
        clock: Arc<ClockControl>,
        providers: Providers,
        acme: Arc<Acme>,
        tracker: &TaskTracker,
        shutdown: &CancellationToken,
    ) -> Self {
        Self {
            data_dir: config.data_dir.clone(),
            master_key: config.master_key.clone(),
            default_vault: config.default_vault.to_ascii_lowercase(),
            clock,
            providers,
            metrics: acme.metrics.clone(),
            issuance: issuance::Settings {
                poll_interval: config.provider_poll_interval,
                deadline: config.provider_deadline,
                // Longer than a CA call with room to spare; renewed every third of it.
                lease: config.provider_timeout * 2 + Duration::from_secs(10),
            },
            certs: certs::Settings {
                self_signed_delay: config.self_signed_delay,
            },
            lifetime: lifetime::Settings {
                scan_interval: config.lifetime_scan_interval,
            },
            notify: notify::Settings {
                vault_url: config.public_url.as_ref().map_or_else(
                    || format!("https://{addr}"),
                    |u| u.as_str().trim_end_matches('/').to_string(),
                ),
                smtp: config.smtp.clone(),
                from: config.smtp_from.clone(),
                retry: config.smtp_retry,
            },
            port: addr.port(),
            tracker: tracker.clone(),
            shutdown: shutdown.clone(),
            acme,
            hub: crate::timeline::Hub::new(tracker.clone(), shutdown.clone()),
        }
    }

    /// Opens vault `name` (a valid, lower-case name): its store, then [`Shared::assemble`].
    pub async fn open(&self, name: &str) -> Result<Arc<VaultInstance>> {
        let dir = vault_dir(&self.data_dir, &self.default_vault, name);
        let db = open_store(&self.data_dir, self.master_key.as_deref(), &dir).await?;
        self.assemble(name, db).await
    }

    /// Builds vault `name` on its opened store and starts its background workers.
    pub async fn assemble(&self, name: &str, db: Db) -> Result<Arc<VaultInstance>> {
        let clock = self.clock.clock();
        let timeline =
            crate::timeline::Timeline::start(name, db.clone(), self.hub.clone(), clock.clone())
                .await;
        let issuance = issuance::Issuance::new(
            db.clone(),
            clock.clone(),
            self.providers.clone(),
            self.issuance.clone(),
            self.tracker.clone(),
            self.metrics.clone(),
            timeline.clone(),
        );
        // Platform-managed certificates are signed by the process's local CA.
        issuance.set_platform_ca(self.acme.ca.clone());
        let service = certs::Service::new(
            db.clone(),
            clock.clone(),
            issuance.clone(),
            self.certs.clone(),
        );
        let mut mail = self.notify.clone();
        if name != self.default_vault {
            mail.vault_url = format!("https://{name}{}:{}", crate::hosts::LOCAL_SUFFIX, self.port);
        }
        let vault_url = mail.vault_url.clone();
        let notifier = notify::Notifier::new(db.clone(), clock, mail, timeline.clone())
            .map_err(Error::Config)?;
        let acme = Arc::new(VaultAcme::new(
            name,
            &vault_url,
            db.clone(),
            issuance.clone(),
        ));
        let lifetime = lifetime::Lifetime::new(
            db,
            self.clock.clone(),
            service.clone(),
            issuance.clone(),
            notifier.clone(),
            self.lifetime.clone(),
        );
        self.tracker.spawn(issuance.run(self.shutdown.clone()));
        self.tracker
            .spawn(lifetime.clone().run(self.shutdown.clone()));
        self.tracker.spawn(notifier.run(self.shutdown.clone()));
        // ACME orders a previous process left signing by the local CA are finished now.
        self.tracker.spawn(crate::acme::handlers::issue::recover(
            self.acme.clone(),
            acme.clone(),
        ));
        tracing::info!(vault = name, "vault open");
        Ok(Arc::new(VaultInstance {
            name: name.to_string(),
            service,
            lifetime,
            poll_bodies: PollBodies::default(),
            acme,
            timeline,
        }))
    }
}
