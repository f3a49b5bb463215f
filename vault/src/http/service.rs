//! The service each connection runs ([`VaultService`]): every request goes through
//! [`super::middleware::handle`] once (not per route), which answers the polling fast path
//! itself and hands everything else to the route table ([`super::routes::router`]).

use super::middleware;
use super::routes::router;
use super::state::AppState;
use axum::response::Response;
use axum::Router;

#[derive(Clone)]
pub struct VaultService {
    app: AppState,
    router: Router,
}

impl VaultService {
    pub fn new(app: AppState) -> Self {
        let router = router(app.clone());
        Self { app, router }
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
            Ok(middleware::handle(&this.app, &this.router, req).await)
        })
    }
}
