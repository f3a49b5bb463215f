//! The http-01 responder vault runs for its ACME provider issuers (RFC 8555 §8.3):
//! `GET /.well-known/acme-challenge/{token}` answers the key authorization of a challenge an
//! adapter is solving, 404 otherwise. One listener (`--acme-client-http01-listen`) serves every
//! ACME provider; the adapters publish a token when they answer its challenge and withdraw it
//! once the order has left `pending`.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::{CancellationToken, DropGuard};

type Map = Arc<Mutex<HashMap<String, String>>>;

/// The tokens being solved and their key authorizations. Clones share them; when the last
/// clone of a serving set is dropped (the vault's adapters are gone, e.g. after shutdown), the
/// responder stops and frees its port.
#[derive(Clone, Default)]
pub struct Http01Tokens {
    map: Map,
    _stop: Option<Arc<DropGuard>>,
}

impl Http01Tokens {
    pub(crate) fn publish(&self, token: &str, key_authorization: String) {
        if let Ok(mut map) = self.map.lock() {
            map.insert(token.to_string(), key_authorization);
        }
    }

    pub(crate) fn withdraw(&self, token: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(token);
        }
    }

    #[cfg(test)]
    pub(crate) fn get(&self, token: &str) -> Option<String> {
        self.map.lock().ok()?.get(token).cloned()
    }
}

async fn answer(State(map): State<Map>, Path(token): Path<String>) -> impl IntoResponse {
    match map.lock().ok().and_then(|m| m.get(&token).cloned()) {
        Some(key_authorization) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            key_authorization,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Binds `addr` now (so a taken port stops the start with a clear error) and serves on the
/// current runtime until the returned tokens' last clone is dropped. Returns them and the
/// bound address.
pub fn serve(addr: std::net::SocketAddr) -> Result<(Http01Tokens, std::net::SocketAddr), String> {
    let fail = |e: std::io::Error| format!("--acme-client-http01-listen {addr}: {e}");
    let listener = std::net::TcpListener::bind(addr).map_err(fail)?;
    listener.set_nonblocking(true).map_err(fail)?;
    let bound = listener.local_addr().map_err(fail)?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(fail)?;
    let map = Map::default();
    let app = axum::Router::new()
        .route("/.well-known/acme-challenge/{token}", get(answer))
        .with_state(map.clone());
    let stop = CancellationToken::new();
    let stopped = stop.clone().cancelled_owned();
    tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(stopped);
        if let Err(e) = server.await {
            tracing::warn!(error = %e, "the ACME http-01 responder stopped");
        }
    });
    tracing::info!(%bound, "ACME client http-01 responder listening");
    let tokens = Http01Tokens {
        map,
        _stop: Some(Arc::new(stop.drop_guard())),
    };
    Ok((tokens, bound))
}
