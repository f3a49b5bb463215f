//! The one state struct every handler shares ([`AppState`] = `Arc<App>`), and the source of
//! request ids it carries.

use super::poll::PollHeaders;
use super::throttle::Throttle;
use crate::metrics::Metrics;
use crate::vaults::Vaults;
use axum::http::HeaderValue;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Everything a handler may need. Shared as `Arc<App>`.
pub struct App {
    /// Every vault, by name; each has its own certificate service (all state changes go
    /// through it), workers and poll-body cache. The host of a request picks one.
    pub vaults: Arc<Vaults>,
    /// `--public-url`: when set, the default vault's ids use it instead of the request's Host.
    pub public_url: Option<String>,
    /// `Retry-After` sent while an operation is in progress (spec §2 notes, §5.2).
    pub retry_after: Duration,
    /// The same as header values, made once.
    pub poll_headers: PollHeaders,
    /// The dev CA certificate (PEM) served at `/_admin/ca.pem`.
    pub ca_pem: String,
    /// Set once start-up finished; `/_admin/health` answers 503 before.
    pub ready: AtomicBool,
    /// Key Vault service-limit emulation; `None` when off (the default).
    pub throttle: Option<Throttle>,
    /// Counters and histograms served at `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Source of `x-ms-request-id` values.
    pub request_ids: RequestIds,
    /// How bearer tokens are checked.
    pub auth: crate::config::AuthMode,
    /// The token service (entra mode only).
    pub identity: Option<Arc<crate::identity::Identity>>,
    /// Access policies and RBAC per vault (consulted in entra mode).
    pub access: Arc<crate::access::Access>,
    /// The bearer token `/_admin/*` requires in entra mode.
    pub admin_token: Option<String>,
    /// The vault `localhost` and IP addresses reach.
    pub default_vault: String,
    /// The ACME gateway's process-wide state (nonces, validator, local CA, chaos); each
    /// vault's own ACME state is `VaultInstance.acme`.
    pub acme: Arc<crate::acme::gateway::Acme>,
    /// The dashboard's live updates (SSE `/_admin/events`), `seq` counter and request log.
    pub hub: Arc<crate::timeline::Hub>,
}

pub type AppState = Arc<App>;

/// `x-ms-request-id` values: unique per run without a system call per request (a random
/// prefix chosen at start, then a counter).
pub struct RequestIds {
    prefix: [u8; 16],
    counter: AtomicU64,
}

impl RequestIds {
    pub fn new() -> Self {
        let mut prefix = [b'0'; 16];
        let chosen =
            crate::certs::new_id().unwrap_or_else(|_| format!("{:016x}", std::process::id()));
        for (dst, src) in prefix.iter_mut().zip(chosen.bytes()) {
            *dst = src;
        }
        Self {
            prefix,
            counter: AtomicU64::new(0),
        }
    }

    /// The next id as a header value: 16 prefix characters, then the counter in hex.
    pub fn next(&self) -> HeaderValue {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut id = [0u8; 32];
        id[..16].copy_from_slice(&self.prefix);
        for (i, byte) in id[16..].iter_mut().enumerate() {
            *byte = HEX[((n >> (60 - 4 * i)) & 0xf) as usize];
        }
        // Hex digits only, so this cannot fail; the fallback keeps the type honest.
        HeaderValue::from_bytes(&id).unwrap_or_else(|_| HeaderValue::from_static("0"))
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        Self::new()
    }
}
