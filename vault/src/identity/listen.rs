//! `--identity-listen ADDR`: a plain-HTTP listener (no TLS: managed-identity clients call
//! `IDENTITY_ENDPOINT` / IMDS over HTTP) serving only the token service's endpoints. Loopback
//! only: anything else is refused at start, since it hands out tokens without TLS.

use super::routes::{handle, is_identity_path};
use super::service::Identity;
use crate::error::Error;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Starts the listener when `addr` is given (entra mode only); returns the bound address.
pub async fn start(
    addr: Option<SocketAddr>,
    identity: Option<Arc<Identity>>,
    tracker: &TaskTracker,
    shutdown: CancellationToken,
) -> Result<Option<SocketAddr>, Error> {
    let Some(addr) = addr else {
        return Ok(None);
    };
    let Some(identity) = identity else {
        return Err(Error::Config(
            "--identity-listen needs --auth entra (there is no token service in dev mode)".into(),
        ));
    };
    if !addr.ip().is_loopback() {
        return Err(Error::Config(format!(
            "--identity-listen {addr}: the plain-HTTP identity listener binds to loopback only (127.0.0.1 or [::1])"
        )));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {addr} (--identity-listen): {e}")))?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "identity listening (plain HTTP, managed identity)");
    let conn_tracker = tracker.clone();
    tracker.spawn(async move {
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            let (tcp, _peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        tracing::warn!(error = %e, "identity listener: accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let identity = identity.clone();
            let builder = builder.clone();
            let shutdown = shutdown.clone();
            conn_tracker.spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let identity = identity.clone();
                    async move {
                        let req = req.map(axum::body::Body::new);
                        let resp = if is_identity_path(req.uri().path()) {
                            handle(&identity, req, "http").await
                        } else {
                            super::wire::json(
                                axum::http::StatusCode::NOT_FOUND,
                                serde_json::json!({"error": "not_found", "error_description": "This listener serves only the token service's endpoints."}),
                            )
                        };
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                let conn = builder.serve_connection(TokioIo::new(tcp), service);
                tokio::select! {
                    _ = conn => {}
                    _ = shutdown.cancelled() => {}
                }
            });
        }
    });
    Ok(Some(bound))
}
