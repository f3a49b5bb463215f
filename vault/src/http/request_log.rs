//! The request path's one call into the dashboard ([`observe`], from the middleware once
//! per answered request): the request goes into the in-memory log (and to live clients), and
//! a successful change of a certificate becomes a `certificate` update.

use super::events::request_vault;
use super::routes::RESERVED_NAMES;
use super::state::AppState;
use crate::timeline::{Live, RequestEntry};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The middleware's record of an answered request: into the log (and to live clients), and a
/// `certificate` update when it changed one.
pub fn observe(
    app: &AppState,
    method: Method,
    uri: Uri,
    host: Option<HeaderValue>,
    status: StatusCode,
    latency: Duration,
) {
    let wall_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let at_ms = wall_ms.saturating_add(app.vaults.clock().offset().saturating_mul(1000));
    let entry = RequestEntry {
        at_ms,
        method,
        uri,
        host,
        status: status.as_u16(),
        latency_ms: latency.as_secs_f64() * 1000.0,
    };
    if entry.method != Method::GET && status.is_success() {
        if let Some(name) = changed_certificate(entry.uri.path()) {
            if let Some(vault) = request_vault(app, &entry) {
                app.hub.publish(Live::Certificate {
                    vault: Arc::from(vault.as_str()),
                    name: Arc::from(name.to_ascii_lowercase().as_str()),
                });
            }
        }
    }
    app.hub.request(entry);
}

/// The certificate a Key Vault path names (`/certificates/{name}…`,
/// `/deletedcertificates/{name}…`), not the reserved words.
fn changed_certificate(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/certificates/")
        .or_else(|| path.strip_prefix("/deletedcertificates/"))?;
    let name = rest.split('/').next()?;
    let plain = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (plain && !RESERVED_NAMES.contains(&name)).then_some(name)
}
