//! A whole vault served in-process over HTTPS on `127.0.0.1:0` (`vault::serve`, as `main`
//! runs it), and a client that trusts only its dev CA: how the HTTP-level tests start one.

use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// Where the `--auth entra` tests keep their access document: `dir/access.toml`.
pub fn access_file(dir: &Path) -> PathBuf {
    dir.join("access.toml")
}

/// `--auth entra` with the data in `dir/data` and the access document [`access_file`] of `dir`
/// (the test writes it).
pub fn entra_config(dir: &Path) -> vault::Config {
    let mut config = vault::Config::new(dir.join("data"));
    config.auth = vault::config::AuthMode::Entra;
    config.access_file = Some(access_file(dir));
    config
}

/// Serves `config` on `127.0.0.1:0`: the handle and the token that stops it, or the start-up
/// error (for tests of refused configurations).
pub async fn serve(
    config: vault::Config,
) -> Result<(vault::Handle, CancellationToken), vault::Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shutdown = CancellationToken::new();
    let handle = vault::serve(listener, config, shutdown.clone()).await?;
    Ok((handle, shutdown))
}

/// A client builder that trusts `handle`'s dev CA and no other root.
pub fn trusting(handle: &vault::Handle) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(handle.ca_pem.as_bytes()).unwrap()])
}

/// A vault for the dashboard tests on `data`: dev auth, or `--auth entra` with `admin_token`
/// when given; its client follows no redirect (the tests check the login's 303 themselves).
pub async fn dashboard_vault(data: &Path, admin_token: Option<&str>) -> Served {
    let mut config = vault::Config::new(data);
    if let Some(token) = admin_token {
        config.auth = vault::config::AuthMode::Entra;
        config.admin_token = Some(token.into());
    }
    Served::start_with(config, |builder, _| {
        builder.redirect(reqwest::redirect::Policy::none())
    })
    .await
}

/// The `WWW-Authenticate` challenge answering a GET of `url` without a token (asserts 401).
pub async fn challenge(client: &reqwest::Client, url: &str) -> String {
    let resp = client.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 401, "{url}");
    resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string()
}

/// A running vault, the token that stops it, and a client that trusts only its dev CA.
pub struct Served {
    pub handle: vault::Handle,
    pub shutdown: CancellationToken,
    pub client: reqwest::Client,
}

impl Served {
    /// Serves `config` (see [`serve`]) with a plain [`trusting`] client.
    pub async fn start(config: vault::Config) -> Served {
        Self::start_with(config, |builder, _| builder).await
    }

    /// Serves `config` with the [`trusting`] client `client` adjusted (host names resolved to
    /// the handle's address, a redirect policy, …).
    pub async fn start_with(
        config: vault::Config,
        client: impl FnOnce(reqwest::ClientBuilder, &vault::Handle) -> reqwest::ClientBuilder,
    ) -> Served {
        let (handle, shutdown) = serve(config).await.unwrap();
        let client = client(trusting(&handle), &handle).build().unwrap();
        Served {
            handle,
            shutdown,
            client,
        }
    }

    /// Stops the vault and waits until it released its data dir.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.handle.stopped().await;
    }
}
