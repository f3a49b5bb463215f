//! `GET /admin/events`: the dashboard's live feed as server-sent events, one `event:` per
//! kind of change (`order`, `request`, `faults`, `clock`; `data:` is the same JSON the admin API
//! answers for that thing) and a `: ping` comment every [`PING`]. Each subscriber has its own
//! small task between the hub's bounded broadcast and the connection: one that falls behind
//! loses its stream (the browser reconnects after `retry` and reloads), the CA never waits.

use crate::app::App;
use crate::events::Live;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use hyper::body::Frame;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often an idle stream gets a comment (keeps proxies and the browser from timing out).
pub const PING: Duration = Duration::from_secs(15);

/// The response body: frames handed over by the subscriber's task; ends when it does.
struct SseBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for SseBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// One SSE message.
pub fn frame(live: &Live) -> Bytes {
    Bytes::from(format!("event: {}\ndata: {}\n\n", live.kind, live.data))
}

pub async fn events(State(app): State<Arc<App>>) -> Response {
    let mut rx = app.events.subscribe();
    let (tx, out) = mpsc::channel::<Bytes>(8);
    let shutdown = app.shutdown.clone();
    tokio::spawn(async move {
        // `retry`: how soon the browser reconnects after a dropped stream.
        let mut next = Some(Bytes::from_static(b"retry: 1000\n: open\n\n"));
        let mut ping = tokio::time::interval(PING);
        ping.tick().await;
        loop {
            if let Some(chunk) = next.take() {
                tokio::select! {
                    r = tx.send(chunk) => if r.is_err() { break },
                    _ = shutdown.cancelled() => break,
                }
            }
            next = tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tx.closed() => break,
                _ = ping.tick() => Some(Bytes::from_static(b": ping\n\n")),
                r = rx.recv() => match r {
                    Ok(live) => Some(frame(&live)),
                    // Lagged behind the bounded broadcast (or the hub is gone): end the
                    // stream rather than hold the CA's events.
                    Err(_) => break,
                },
            };
        }
    });
    (
        [
            (CONTENT_TYPE, "text/event-stream"),
            (CACHE_CONTROL, "no-cache"),
        ],
        Body::new(SseBody(out)),
    )
        .into_response()
}
