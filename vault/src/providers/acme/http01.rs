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

/// The tokens being solved and their key authorizations.
#[derive(Clone, Default)]
pub struct Http01Tokens(Arc<Mutex<HashMap<String, String>>>);

impl Http01Tokens {
    pub(crate) fn publish(&self, token: &str, key_authorization: String) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(token.to_string(), key_authorization);
        }
    }

    pub(crate) fn withdraw(&self, token: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(token);
        }
    }

    pub(crate) fn get(&self, token: &str) -> Option<String> {
        self.0.lock().ok()?.get(token).cloned()
    }
}

async fn answer(
    State(tokens): State<Http01Tokens>,
    Path(token): Path<String>,
) -> impl IntoResponse {
    match tokens.get(&token) {
        Some(key_authorization) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            key_authorization,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Binds `addr` now (so a taken port stops the start with a clear error) and serves the
/// tokens on the current runtime until the process ends. Returns the bound address.
pub fn serve(
    addr: std::net::SocketAddr,
    tokens: Http01Tokens,
) -> Result<std::net::SocketAddr, String> {
    let fail = |e: std::io::Error| format!("--acme-client-http01-listen {addr}: {e}");
    let listener = std::net::TcpListener::bind(addr).map_err(fail)?;
    listener.set_nonblocking(true).map_err(fail)?;
    let bound = listener.local_addr().map_err(fail)?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(fail)?;
    let app = axum::Router::new()
        .route("/.well-known/acme-challenge/{token}", get(answer))
        .with_state(tokens);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "the ACME http-01 responder stopped");
        }
    });
    tracing::info!(%bound, "ACME client http-01 responder listening");
    Ok(bound)
}
