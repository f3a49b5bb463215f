//! An http-01 responder: `GET /.well-known/acme-challenge/{token}` answers what was set for
//! the token (the key authorization, a redirect, any body or status), 404 otherwise, and
//! records the `Host` header of every request.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::task::JoinHandle;

/// What the responder answers for one token.
#[derive(Debug, Clone)]
pub enum Http01Answer {
    /// 200 with this body (the key authorization, or anything else).
    Body(Vec<u8>),
    /// 302 to this `Location` (absolute or relative).
    Redirect(String),
    /// This status with an empty body.
    Status(u16),
}

#[derive(Default)]
struct Shared {
    answers: HashMap<String, Http01Answer>,
    hosts_seen: Vec<String>,
}

/// A plain-HTTP server on `127.0.0.1:0` answering http-01 challenges.
pub struct Http01Responder {
    port: u16,
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

impl Http01Responder {
    pub async fn start() -> Http01Responder {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the http-01 responder");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let app = Router::new()
            .route("/.well-known/acme-challenge/{token}", get(answer))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Http01Responder { port, shared, task }
    }

    /// The port it listens on (give it as `--acme-http01-port`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve `key_authorization` for `token`.
    pub fn set(&self, token: &str, key_authorization: &str) {
        self.set_answer(
            token,
            Http01Answer::Body(key_authorization.as_bytes().to_vec()),
        );
    }

    /// Serve `answer` for `token`.
    pub fn set_answer(&self, token: &str, answer: Http01Answer) {
        self.lock().answers.insert(token.to_string(), answer);
    }

    /// Stop serving `token` (404).
    pub fn remove(&self, token: &str) {
        self.lock().answers.remove(token);
    }

    /// The `Host` header of every request so far, in order.
    pub fn hosts_seen(&self) -> Vec<String> {
        self.lock().hosts_seen.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Http01Responder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    State(shared): State<Arc<Mutex<Shared>>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let answer = {
        let mut shared = shared.lock().unwrap_or_else(|p| p.into_inner());
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_string();
        shared.hosts_seen.push(host);
        shared.answers.get(&token).cloned()
    };
    match answer {
        Some(Http01Answer::Body(body)) => (StatusCode::OK, body).into_response(),
        Some(Http01Answer::Redirect(location)) => {
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }
        Some(Http01Answer::Status(status)) => StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
