//! What chaos does to one request ([`Fault`]) and how it is answered.
//!
//! A dropped connection cannot be expressed as a response, so it is one: a 500
//! `serverInternal` problem carrying the [`DropConnection`] extension. The per-connection
//! service (`http::VaultService`) sees the extension, cancels its connection's kill token
//! (`shared::server`), and the accept loop closes the TCP connection without writing a
//! byte; a service without a kill token sends the 500 instead.

use crate::acme::reply::problem_response;
use axum::http::StatusCode;
use axum::response::Response;
use shared::acme::problem::{ErrorType, Problem};

/// An injected fault, decided by [`super::engine::Chaos::before`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A 5xx `serverInternal` problem; a 503 carries `Retry-After`.
    ServerError { status: u16, retry_after: u64 },
    /// 429 `rateLimited` with `Retry-After` (seconds).
    RateLimited { retry_after: u64 },
    /// Close the connection without an answer.
    Drop,
    /// Refuse the request's (good) nonce with `badNonce`.
    BadNonce,
}

/// Response extension asking the connection's service to close the connection unanswered.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

impl Fault {
    /// The problem the client sees (for [`Fault::Drop`], only if the connection cannot be
    /// dropped).
    pub fn problem(&self) -> Problem {
        match *self {
            Fault::ServerError {
                status,
                retry_after,
            } => {
                let mut p = Problem::new(
                    ErrorType::ServerInternal,
                    "the server failed (injected by chaos)",
                );
                p.status = status;
                if status == StatusCode::SERVICE_UNAVAILABLE.as_u16() {
                    p.retry_after = Some(retry_after);
                }
                p
            }
            Fault::RateLimited { retry_after } => {
                Problem::rate_limited("rate limited (injected by chaos)", retry_after)
            }
            Fault::Drop => Problem::new(
                ErrorType::ServerInternal,
                "the connection should have been dropped (injected by chaos)",
            ),
            Fault::BadNonce => Problem::new(
                ErrorType::BadNonce,
                "the nonce was refused (injected by chaos); retry with the fresh nonce",
            ),
        }
    }

    /// The answer, with the caller's fresh `Replay-Nonce`.
    pub fn into_response(self, replay_nonce: Option<&str>) -> Response {
        self.mark(problem_response(self.problem(), replay_nonce))
    }

    /// `response` (the rendered [`Fault::problem`]) marked for the connection's service:
    /// a [`Fault::Drop`] gets [`DropConnection`], anything else is returned as is.
    pub fn mark(self, mut response: Response) -> Response {
        if self == Fault::Drop {
            response.extensions_mut().insert(DropConnection);
        }
        response
    }
}
