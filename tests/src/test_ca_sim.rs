//! [`TestCaSim`]: an in-process ca-sim (the partner-CA simulator) on `127.0.0.1:0` that can stop
//! and come back on the same port and data dir; [`CaSimAdmin`]: a client for its `/admin/` API.

use std::{net::SocketAddr, path::Path, sync::Arc};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{
    in_process::InProcess,
    raw_http::{trusting_client, Raw, RawResponse},
    wait::{eventually, DEADLINE},
};

/// An in-process ca-sim serving HTTPS on `127.0.0.1`, with its own temporary data dir. It can be
/// stopped and served again on the same data dir and the same port (a CA that goes away for a
/// while and comes back).
pub struct TestCaSim {
    server: InProcess<ca_sim::Handle>,
}

impl TestCaSim {
    /// Starts ca-sim with its default configuration (built-in accounts, `fixed:2s`, seed 1).
    pub async fn start() -> TestCaSim {
        Self::start_with(|_| {}).await
    }

    /// Starts ca-sim after `configure` adjusted its [`ca_sim::Config`]; the same adjustment is
    /// applied again by [`TestCaSim::serve_again`].
    pub async fn start_with(
        configure: impl Fn(&mut ca_sim::Config) + Send + Sync + 'static,
    ) -> TestCaSim {
        TestCaSim {
            server: InProcess::start(configure).await,
        }
    }

    /// Shuts ca-sim down and waits until it stopped (the port is free again afterwards).
    pub async fn stop(&mut self) {
        self.server.stop().await;
    }

    /// Serves again on the same data dir and the same port (retries binding until
    /// [`DEADLINE`]); panics if it is still running.
    pub async fn serve_again(&mut self) {
        assert!(!self.is_running(), "ca-sim is still running");
        let addr = self.addr();
        let port = addr.port();
        let listener = eventually(
            DEADLINE,
            &format!("127.0.0.1:{port} to be free"),
            || async {
                tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .ok()
            },
        )
        .await;
        self.server.serve_again(listener).await;
        assert_eq!(self.addr(), addr, "served again on the same address");
    }

    pub fn is_running(&self) -> bool {
        self.server.handle().is_some()
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `https://127.0.0.1:{port}` (no trailing slash).
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn data_dir(&self) -> &Path {
        self.server.data_dir()
    }

    /// The TLS CA (PEM) clients must trust; stable across [`TestCaSim::serve_again`].
    pub fn ca_pem(&self) -> &str {
        self.server.ca_pem()
    }

    /// Where the TLS CA lives on disk (for vault's `provider_ca` / `--provider-ca`).
    pub fn ca_path(&self) -> &Path {
        self.server.ca_path()
    }

    /// The running simulator's shared state (`None` while stopped).
    pub fn app(&self) -> Option<&Arc<ca_sim::App>> {
        self.server.handle().map(|h| &h.app)
    }

    /// The three dialects' base URLs, as vault's `provider_endpoints` expects them.
    pub fn provider_endpoints(&self) -> Vec<(shared::models::ProviderKind, url::Url)> {
        use shared::models::ProviderKind;
        [
            (ProviderKind::DigiCert, "services/v2"),
            (ProviderKind::GlobalSign, "kb/ws/v1"),
            (ProviderKind::WoSign, "api/v1"),
        ]
        .into_iter()
        .map(|(kind, path)| {
            let url = url::Url::parse(&format!("{}/{path}", self.url())).expect("endpoint URL");
            (kind, url)
        })
        .collect()
    }

    /// A client for the `/admin/` API; keeps working across [`TestCaSim::serve_again`].
    pub fn admin(&self) -> CaSimAdmin {
        CaSimAdmin {
            client: trusting_client(self.ca_pem(), None),
            base: self.url(),
        }
    }
}

/// ca-sim's admin API (`/admin/...`, no auth), over HTTPS trusting only ca-sim's TLS CA.
#[derive(Clone)]
pub struct CaSimAdmin {
    pub client: reqwest::Client,
    pub base: String,
}

impl CaSimAdmin {
    /// `method {base}/admin/{path}` with an optional JSON body.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> RawResponse {
        let url = format!("{}/admin/{}", self.base, path.trim_start_matches('/'));
        let mut req = self.client.request(method, url);
        if let Some(body) = body {
            req = req.json(body);
        }
        Raw::send_built(req).await
    }

    /// GET, asserting 200; the body as JSON.
    pub async fn get(&self, path: &str) -> Value {
        let rsp = self.send(Method::GET, path, None).await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "GET /admin/{path}: {}",
            rsp.text
        );
        rsp.json()
    }

    /// POST with a JSON body, asserting 200; the body as JSON.
    pub async fn post(&self, path: &str, body: &Value) -> Value {
        let rsp = self.send(Method::POST, path, Some(body)).await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "POST /admin/{path}: {}",
            rsp.text
        );
        rsp.json()
    }

    /// Replaces the fault rules (`PUT /admin/faults`); returns the new list.
    pub async fn set_faults(&self, rules: &Value) -> Value {
        let rsp = self.send(Method::PUT, "faults", Some(rules)).await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "PUT /admin/faults: {}",
            rsp.text
        );
        rsp.json()
    }

    /// Every order of every dialect (`GET /admin/orders`).
    pub async fn orders(&self) -> Vec<Value> {
        let body = self.get("orders").await;
        body["orders"].as_array().cloned().unwrap_or_default()
    }

    /// The orders whose common name is `cn`.
    pub async fn orders_for(&self, cn: &str) -> Vec<Value> {
        self.orders()
            .await
            .into_iter()
            .filter(|o| o["common_name"] == cn)
            .collect()
    }

    /// The request history (`GET /admin/requests?dialect=&operation=`), oldest first.
    pub async fn requests(&self, dialect: Option<&str>, operation: Option<&str>) -> Vec<Value> {
        let mut query = Vec::new();
        if let Some(d) = dialect {
            query.push(format!("dialect={d}"));
        }
        if let Some(o) = operation {
            query.push(format!("operation={o}"));
        }
        let path = if query.is_empty() {
            "requests".to_string()
        } else {
            format!("requests?{}", query.join("&"))
        };
        let body = self.get(&path).await;
        body["requests"].as_array().cloned().unwrap_or_default()
    }
}
