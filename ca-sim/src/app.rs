//! The state every handler shares ([`App`], as `State<Arc<App>>`): the order book, the CA,
//! the fault rules, the accounts, the request history and what the admin API shows.

use crate::ca::Authority;
use crate::domain::{Account, Dialect, RateLimiter};
use crate::error::Error;
use crate::events::Events;
use crate::faults::Faults;
use crate::history::History;
use crate::metrics::Metrics;
use crate::orders::clock::SimClock;
use crate::orders::OrderBook;
use crate::store::acme::AcmeState;
use crate::store::Store;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

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
    pub ca: Arc<Authority>,
    /// Runtime-changeable fault rules.
    pub faults: Faults,
    /// Request history for `/admin/requests`.
    pub history: History,
    /// The dashboard's live feed (`/admin/events`); orders and the history publish to it too.
    pub events: Events,
    /// Cancelled when the server stops: long-lived answers (the live feed) end with it.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Latency histograms served at `/metrics`.
    pub metrics: Metrics,
    /// Accounts of all dialects (config + admin API), persisted.
    pub accounts: RwLock<Vec<Account>>,
    /// DigiCert per-API-key rate limits.
    pub digicert_limits: RateLimiter,
    /// Page size cap of DigiCert's order list (the vendor's 1000 unless configured).
    pub digicert_page_limit: usize,
    /// The ACME dialect's accounts, orders, authorizations and nonces.
    pub acme: AcmeState,
    /// `https://host:port` used in AIA, CRL and WSDL addresses.
    pub base_url: String,
    /// The TLS dev CA (served at `/admin/ca.pem`).
    pub tls_ca_pem: String,
    pub tls_ca_path: PathBuf,
}

impl App {
    /// The first account of `dialect` that `pred` accepts.
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
