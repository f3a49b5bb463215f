//! The dashboard's live stream: `GET /_admin/events` (server-sent events: `timeline`,
//! `request`, `certificate`, `clock`, and a `: ping` comment every 15 s). What feeds it from
//! the request path is `request_log`.
//!
//! Each client gets a task that reads the hub's bounded broadcast into its own bounded
//! channel; a client that reads too slowly lags and skips ahead, and the service never
//! waits for it. The stream ends at shutdown. The body is a plain `hyper` body over that
//! channel (axum's `Sse` wants a `futures` stream, a dependency vault does not have).

use super::extract::QueryParams;
use super::state::AppState;
use crate::hosts::{self, HostKind};
use crate::timeline::{wire, Live, RequestEntry};
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// Between keep-alive comments.
const PING: Duration = Duration::from_secs(15);
/// Frames buffered per client before its task waits (and its broadcast lags).
const CLIENT_BUFFER: usize = 64;

/// The vault a logged request's host named (the default one for `localhost` and addresses);
/// `None` on the login host.
pub fn request_vault(app: &AppState, r: &RequestEntry) -> Option<String> {
    let authority = r
        .uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| r.host.as_ref().and_then(|h| h.to_str().ok()))
        .unwrap_or("localhost");
    match hosts::classify(authority) {
        HostKind::Vault { name, .. } => Some(name),
        HostKind::Default => Some(app.default_vault.clone()),
        HostKind::Login => None,
    }
}

/// `GET /_admin/events[?vault=V]`: `V` filters the `timeline` and `certificate` events.
pub async fn stream(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = QueryParams::new(query.as_deref().unwrap_or(""));
    let vault = query
        .get("vault")
        .filter(|v| !v.is_empty())
        .map(|v| v.to_ascii_lowercase());
    let live = app.hub.subscribe();
    let (tx, rx) = mpsc::channel(CLIENT_BUFFER);
    app.hub.tracker.spawn(feed(app.clone(), vault, live, tx));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::new(EventBody(rx)),
    )
        .into_response()
}

/// One client's task: live updates (filtered, rendered) and pings into its channel until the
/// client goes away or the service shuts down.
async fn feed(
    app: AppState,
    vault: Option<String>,
    mut live: broadcast::Receiver<Live>,
    tx: mpsc::Sender<Bytes>,
) {
    let shutdown = app.hub.shutdown.clone();
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING, PING);
    // Sent at once, so the client sees the stream open before the first update.
    let mut next = Some(Bytes::from_static(b": open\n\n"));
    loop {
        if let Some(frame) = next.take() {
            tokio::select! {
                sent = tx.send(frame) => if sent.is_err() { break },
                () = shutdown.cancelled() => break,
            }
        }
        next = tokio::select! {
            () = shutdown.cancelled() => break,
            () = tx.closed() => break,
            _ = ping.tick() => Some(Bytes::from_static(b": ping\n\n")),
            update = live.recv() => match update {
                Ok(update) => frame(&app, vault.as_deref(), &update),
                // Too slow: skip what was missed and go on from the newest.
                Err(broadcast::error::RecvError::Lagged(_)) => None,
                Err(broadcast::error::RecvError::Closed) => break,
            },
        };
    }
}

/// The SSE frame of one update, or `None` when the client's vault filter excludes it.
fn frame(app: &AppState, vault: Option<&str>, update: &Live) -> Option<Bytes> {
    let wanted = |v: &str| vault.is_none_or(|want| want == v);
    let (event, data) = match update {
        Live::Timeline(e) if wanted(&e.vault) => ("timeline", wire::event(e)),
        Live::Certificate { vault: v, name } if wanted(v) => (
            "certificate",
            serde_json::json!({ "vault": &**v, "name": &**name }),
        ),
        Live::Request(r) => (
            "request",
            wire::request(r, request_vault(app, r).as_deref()),
        ),
        Live::Clock(clock) => ("clock", (**clock).clone()),
        _ => return None,
    };
    Some(Bytes::from(format!("event: {event}\ndata: {data}\n\n")))
}

/// The response body: whatever the client's task sends, until it stops.
struct EventBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for EventBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|frame| frame.map(|bytes| Ok(hyper::body::Frame::data(bytes))))
    }
}

/// The clock moved: live clients get the admin API's clock JSON.
pub fn clock_changed(app: &AppState, clock: serde_json::Value) {
    app.hub.publish(Live::Clock(Arc::new(clock)));
}
