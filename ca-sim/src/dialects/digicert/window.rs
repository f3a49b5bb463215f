//! DigiCert `GET order/certificate/status-changes` ([`StatusChanges`]): the account's orders
//! created or changing status in a window (`filters[status_last_updated]=FROM...TO` in MDT,
//! or `minutes`/`seconds` back from now), so a client can find an order whose creation answer
//! it lost. The window is read on the CA's own clock only (ca-sim's simulated time), as
//! DigiCert reads it on its own: a client whose clock runs elsewhere must cope.

use super::dates::{range, Range};
use super::{json_reply, status_word, DcError, DigiCert, CERT_BASE, ORDER_BASE};
use crate::app::App;
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::domain::{op, Dialect, Order};
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `GET order/certificate/status-changes`: the account's orders created or changing status
/// inside the window, newest first.
pub struct StatusChanges {
    window: Range,
}

impl Operation<DigiCert> for StatusChanges {
    const NAME: &'static str = op::LOOKUP;

    fn parse(call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        Ok(Self {
            window: window_of(&call.app, &call.req.query)?,
        })
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        call.gate(None).await?;
        let window = self.window;
        let mut orders: Vec<Order> = call
            .app
            .orders
            .list(Some(Dialect::Digicert))
            .into_iter()
            .filter(|o| o.account == call.account.id)
            .filter(|o| {
                o.timeline
                    .iter()
                    .any(|e| STATUS_EVENTS.contains(&e.event.as_str()) && window.contains(e.at_ms))
            })
            .collect();
        orders.reverse();
        let list: Vec<Value> = orders
            .iter()
            .map(|o| {
                let mut v =
                    json!({"order_id": ORDER_BASE + o.seq, "status": status_word(o.status)});
                if o.cert.is_some() {
                    v["certificate_id"] = json!(CERT_BASE + o.seq);
                }
                v
            })
            .collect();
        Ok(json_reply(StatusCode::OK, json!({"orders": list})))
    }
}

fn too_long() -> DcError {
    DcError::bad_request(
        "time_frame_too_long",
        "The time frame cannot exceed seven days (10080 minutes).",
    )
}

/// The longest window `status-changes` answers (7 days = 10080 minutes = 604800 s).
const MAX_WINDOW_SECS: i64 = 7 * 86_400;

/// Events that change an order's DigiCert status (plus its creation).
const STATUS_EVENTS: &[&str] = &[
    "created",
    "approved",
    "issued",
    "rejected",
    "canceled",
    "canceled_by_ca",
    "revoked",
];

/// The window from the query: `filters[status_last_updated]=A...B`, or `minutes` and/or
/// `seconds` back from the CA's now.
fn window_of(app: &App, q: &HashMap<String, String>) -> Result<Range, DcError> {
    let name = "filters[status_last_updated]";
    if let Some(text) = q.get(name) {
        let r = range(name, text)?;
        if r.secs() > MAX_WINDOW_SECS {
            return Err(too_long());
        }
        return Ok(r);
    }
    let mut secs: Option<i64> = None;
    for (name, unit) in [("minutes", 60i64), ("seconds", 1)] {
        if let Some(v) = q.get(name) {
            let n: i64 = v.trim().parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
                DcError::bad_request(
                    "bad_request_format",
                    format!("{name} must be a non-negative integer"),
                )
            })?;
            secs = Some(secs.unwrap_or(0).saturating_add(n.saturating_mul(unit)));
        }
    }
    let Some(secs) = secs else {
        return Err(DcError::bad_request(
            "bad_request_format",
            "A time frame is required: filters[status_last_updated]=FROM...TO, minutes or seconds.",
        ));
    };
    if secs > MAX_WINDOW_SECS {
        return Err(too_long());
    }
    let now = app.clock.now_ms();
    Ok(Range {
        from_ms: now - secs * 1000,
        to_ms: now,
    })
}
