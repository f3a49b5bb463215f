//! The service each connection runs ([`VaultService`]): every request goes through
//! [`super::middleware::handle`] once (not per route), which answers the polling fast path
//! itself and hands everything else to the route table ([`super::routes::router`]).

use super::middleware;
use super::routes::router;
use super::state::AppState;
use crate::acme::chaos::DropConnection;
use axum::response::Response;
use axum::Router;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a dropped request's future stays alive after its connection's kill token was
/// cancelled: the accept loop drops it with the connection at once; only an HTTP/2 stream
/// task (spawned apart from the connection) can outlive that, and this bounds it.
const DROP_LINGER: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct VaultService {
    app: AppState,
    router: Router,
    /// This connection's kill token (`shared::server`); `None` for the service template.
    kill: Option<CancellationToken>,
}

impl VaultService {
    pub fn new(app: AppState) -> Self {
        let router = router(app.clone());
        Self {
            app,
            router,
            kill: None,
        }
    }

    /// The service of one connection: a response marked [`DropConnection`] (ACME chaos)
    /// closes that connection without an answer through `kill`.
    pub fn for_connection(&self, kill: &CancellationToken) -> Self {
        Self {
            kill: Some(kill.clone()),
            ..self.clone()
        }
    }
}

impl hyper::service::Service<axum::http::Request<hyper::body::Incoming>> for VaultService {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, Self::Error>> + Send>>;

    fn call(&self, req: axum::http::Request<hyper::body::Incoming>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let req = req.map(axum::body::Body::new);
            let response = middleware::handle(&this.app, &this.router, req).await;
            if let Some(kill) = this
                .kill
                .as_ref()
                .filter(|_| response.extensions().get::<DropConnection>().is_some())
            {
                kill.cancel();
                tokio::time::sleep(DROP_LINGER).await;
            }
            Ok(response)
        })
    }
}
