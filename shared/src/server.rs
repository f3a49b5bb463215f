//! The one TLS accept loop of the workspace: vault and ca-sim both serve HTTP/1.1 and HTTP/2
//! over rustls with it, with the same handshake timeout, graceful shutdown and grace periods.
//! A listener whose connections start with something else before TLS (vault's drop-in proxy
//! reads a `CONNECT` first) passes a prelude to [`spawn_accept_loop_with`]; the TLS handshake
//! and the HTTP serving after it are the same code either way.

use hyper::body::{Body, Incoming};
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::error::Error as StdError;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// How long a client may take to finish the TLS handshake.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests, then background tasks, get after shutdown starts.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Accepts TLS connections on `listener` until `shutdown` is cancelled, serving each with a
/// service from `make_service`, which gets that connection's kill token (cancelling it closes
/// the connection without a response: ca-sim's `drop` fault; vault ignores it). Connection
/// tasks are tracked by `tracker`. The returned task
/// ends after in-flight requests and then the tracker's tasks finished (each within
/// [`SHUTDOWN_GRACE`]); `name` only labels the log lines.
pub fn spawn_accept_loop<F, S, B>(
    name: &'static str,
    listener: TcpListener,
    acceptor: TlsAcceptor,
    make_service: F,
    tracker: TaskTracker,
    shutdown: CancellationToken,
) -> JoinHandle<()>
where
    F: FnMut(&CancellationToken) -> S + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    spawn_accept_loop_with(
        name,
        listener,
        acceptor,
        make_service,
        |tcp, _peer| async move { Some(tcp) },
        tracker,
        shutdown,
    )
}

/// [`spawn_accept_loop`] with a `prelude` that runs on each accepted connection (in its own
/// task) before the TLS handshake: it gets the TCP stream and the peer and returns the stream
/// to run TLS on, or `None` when it dealt with the connection itself. It must bound its own
/// time (the loop does not time it out).
pub fn spawn_accept_loop_with<F, S, B, P, Fut, IO>(
    name: &'static str,
    listener: TcpListener,
    acceptor: TlsAcceptor,
    mut make_service: F,
    prelude: P,
    tracker: TaskTracker,
    shutdown: CancellationToken,
) -> JoinHandle<()>
where
    F: FnMut(&CancellationToken) -> S + Send + 'static,
    P: Fn(TcpStream, SocketAddr) -> Fut + Send + 'static,
    Fut: Future<Output = Option<IO>> + Send + 'static,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    tokio::spawn(async move {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let builder = auto::Builder::new(TokioExecutor::new());
        loop {
            let (tcp, peer) = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let kill = CancellationToken::new();
            let service = make_service(&kill);
            let builder = builder.clone();
            let watcher = graceful.watcher();
            let prelude = prelude(tcp, peer);
            tracker.spawn(async move {
                let Some(tcp) = prelude.await else {
                    return;
                };
                let tls =
                    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            debug!(%peer, error = %e, "tls handshake failed");
                            return;
                        }
                        Err(_) => {
                            debug!(%peer, "tls handshake timed out");
                            return;
                        }
                    };
                // No upgrades (nothing here uses WebSockets): plain connections skip a
                // per-request upgrade slot.
                let conn = builder.serve_connection(TokioIo::new(tls), service);
                tokio::select! {
                    biased;
                    _ = kill.cancelled() => debug!(%peer, "connection closed without a response"),
                    r = watcher.watch(conn.into_owned()) => if let Err(e) = r {
                        debug!(%peer, error = %e, "connection ended with an error");
                    },
                }
            });
        }
        info!("shutting down: no new connections; waiting for in-flight requests");
        if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
            .await
            .is_err()
        {
            warn!("in-flight requests did not finish within the grace period");
        }
        tracker.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
            .await
            .is_err()
        {
            warn!("background tasks did not finish within the grace period");
        }
        info!("{name} stopped");
    })
}
