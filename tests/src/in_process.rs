//! What the in-process servers ([`crate::TestVault`], [`crate::TestCaSim`]) share: a throwaway
//! data dir, the configuration adjustment applied again on every start, and the running
//! server's handle with its shutdown token, served on a given listener and stopped with a
//! deadline.

use std::{
    future::Future,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::wait::DEADLINE;

/// A server library's `serve` and the handle it returns (vault's and ca-sim's have the same
/// shape).
pub(crate) trait Served: Sized + Send {
    type Config;
    /// Names the server in panics and in its data dir's prefix (`e2e-{NAME}-`).
    const NAME: &'static str;
    fn config(data_dir: &Path) -> Self::Config;
    fn serve(
        listener: TcpListener,
        config: Self::Config,
        shutdown: CancellationToken,
    ) -> impl Future<Output = Self> + Send;
    fn addr(&self) -> SocketAddr;
    fn ca_pem(&self) -> &str;
    fn ca_path(&self) -> &Path;
    fn stopped(self) -> impl Future<Output = ()> + Send;
}

/// Implements [`Served`] for a server crate whose `Config::new(data_dir)`, `serve(listener,
/// config, shutdown)` and `Handle { addr, ca_pem, ca_path, stopped() }` have the same shape.
macro_rules! served {
    ($krate:ident, $name:literal) => {
        impl Served for $krate::Handle {
            type Config = $krate::Config;
            const NAME: &'static str = $name;
            fn config(data_dir: &Path) -> $krate::Config {
                $krate::Config::new(data_dir)
            }
            async fn serve(
                listener: TcpListener,
                config: $krate::Config,
                shutdown: CancellationToken,
            ) -> Self {
                $krate::serve(listener, config, shutdown)
                    .await
                    .unwrap_or_else(|err| panic!("{}::serve failed: {err:?}", stringify!($krate)))
            }
            fn addr(&self) -> SocketAddr {
                self.addr
            }
            fn ca_pem(&self) -> &str {
                &self.ca_pem
            }
            fn ca_path(&self) -> &Path {
                &self.ca_path
            }
            async fn stopped(self) {
                $krate::Handle::stopped(self).await
            }
        }
    };
}

served!(vault, "vault");
served!(ca_sim, "ca-sim");

type Configure<C> = Arc<dyn Fn(&mut C) + Send + Sync>;

/// An in-process server on `127.0.0.1` with its own temporary data dir; it can stop and serve
/// again on the same data dir. The address and TLS CA of the last start stay readable while
/// it is stopped.
pub(crate) struct InProcess<S: Served> {
    data_dir: TempDir,
    configure: Configure<S::Config>,
    addr: SocketAddr,
    ca_pem: String,
    ca_path: PathBuf,
    shutdown: CancellationToken,
    handle: Option<S>,
}

impl<S: Served> InProcess<S> {
    /// Creates a data dir and serves on `127.0.0.1:0` after `configure` adjusted the config.
    pub async fn start(configure: impl Fn(&mut S::Config) + Send + Sync + 'static) -> Self {
        let data_dir = tempfile::Builder::new()
            .prefix(&format!("e2e-{}-", S::NAME))
            .tempdir()
            .expect("create temp data dir");
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind 127.0.0.1:0");
        let configure: Configure<S::Config> = Arc::new(configure);
        let (handle, shutdown) = serve::<S>(listener, data_dir.path(), &configure).await;
        InProcess {
            data_dir,
            configure,
            addr: handle.addr(),
            ca_pem: handle.ca_pem().to_string(),
            ca_path: handle.ca_path().to_path_buf(),
            shutdown,
            handle: Some(handle),
        }
    }

    /// Serves again on the same data dir (and the same configuration) on `listener`.
    pub async fn serve_again(&mut self, listener: TcpListener) {
        let (handle, shutdown) = serve::<S>(listener, self.data_dir.path(), &self.configure).await;
        self.addr = handle.addr();
        self.ca_pem = handle.ca_pem().to_string();
        self.ca_path = handle.ca_path().to_path_buf();
        self.shutdown = shutdown;
        self.handle = Some(handle);
    }

    /// Shuts the server down and waits until it has stopped; the data dir stays until drop.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(handle) = self.handle.take() {
            tokio::time::timeout(DEADLINE, handle.stopped())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{} did not stop within the deadline after cancellation",
                        S::NAME
                    )
                });
        }
    }

    /// The running server's handle (`None` while stopped).
    pub fn handle(&self) -> Option<&S> {
        self.handle.as_ref()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:{port}` (no trailing slash).
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }
}

impl<S: Served> Drop for InProcess<S> {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn serve<S: Served>(
    listener: TcpListener,
    data_dir: &Path,
    configure: &Configure<S::Config>,
) -> (S, CancellationToken) {
    let mut config = S::config(data_dir);
    configure(&mut config);
    let shutdown = CancellationToken::new();
    let handle = S::serve(listener, config, shutdown.clone()).await;
    (handle, shutdown)
}
