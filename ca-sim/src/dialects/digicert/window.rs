//! DigiCert `GET order/certificate/status-changes` ([`StatusChanges`]): the account's orders
//! created or changing status in a window (`filters[status_last_updated]=FROM...TO` in MDT,
//! or `minutes`/`seconds` back from now), so a client can find an order whose creation answer
//! it lost.

use super::{json_reply, status_word, DcError, DigiCert, CERT_BASE, ORDER_BASE};
use crate::app::App;
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::domain::{op, Dialect, Event, Order};
use crate::orders::clock;
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `GET order/certificate/status-changes`: the account's orders created or changing status
/// inside the window, newest first.
pub struct StatusChanges {
    window: Window,
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
                    .any(|e| STATUS_EVENTS.contains(&e.event.as_str()) && window.contains(e))
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

/// DigiCert's documented time zone for `filters[status_last_updated]` ("Timezone is MDT").
const MDT_OFFSET_HOURS: i8 = -6;
/// The longest window `status-changes` answers (7 days = 10080 minutes = 604800 s).
const MAX_WINDOW_SECS: i64 = 7 * 86_400;

/// One end of a `filters[status_last_updated]` range, in unix seconds. Accepted:
/// `yyyy-MM-dd` (a start means 00:00:00, an end 23:59:59), `yyyy-MM-dd HH:mm:ss` with the
/// separator a space (sent as `+` or `%20`), `T` or `+`, optional fractional seconds, and an
/// optional zone (`Z`, `±HH:MM`, `±HHMM`; an offset whose `+` was decoded to a space is read
/// as `+`). Without a zone the time is MDT (UTC-6).
pub fn parse_dc_time(text: &str, end_of_day: bool) -> Option<i64> {
    use time::macros::format_description;
    let t = text.trim();
    let date = time::Date::parse(t.get(..10)?, format_description!("[year]-[month]-[day]")).ok()?;
    let mdt = time::UtcOffset::from_hms(MDT_OFFSET_HOURS, 0, 0).ok()?;
    let rest = &t[10..];
    if rest.is_empty() {
        let time = if end_of_day {
            time::Time::from_hms(23, 59, 59).ok()?
        } else {
            time::Time::MIDNIGHT
        };
        return Some(
            time::PrimitiveDateTime::new(date, time)
                .assume_offset(mdt)
                .unix_timestamp(),
        );
    }
    let rest = rest.strip_prefix([' ', 'T', 't', '+'])?;
    let hms = rest.get(..8)?;
    let b = hms.as_bytes();
    if b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |s: &str| -> Option<u8> {
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let time = time::Time::from_hms(num(&hms[..2])?, num(&hms[3..5])?, num(&hms[6..8])?).ok()?;
    let mut zone = &rest[8..];
    if let Some(frac) = zone.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        zone = &frac[digits..];
    }
    let offset = match zone {
        "" => mdt,
        "Z" | "z" => time::UtcOffset::UTC,
        z => {
            let (sign, hhmm) = match z.as_bytes()[0] {
                b'+' | b' ' => (1i8, &z[1..]),
                b'-' => (-1i8, &z[1..]),
                _ => return None,
            };
            let hhmm = hhmm.replace(':', "");
            if hhmm.len() != 4 || !hhmm.is_ascii() {
                return None;
            }
            let h = num(&hhmm[..2])? as i8;
            let m = num(&hhmm[2..])? as i8;
            time::UtcOffset::from_hms(sign * h, sign * m, 0).ok()?
        }
    };
    Some(
        time::PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .unix_timestamp(),
    )
}

/// A `status-changes` window: inclusive, in unix milliseconds, on the simulated clock and on
/// the real clock (an order is listed when either clock puts one of its events inside).
#[derive(Debug, Clone, Copy)]
struct Window {
    sim: (i64, i64),
    wall: (i64, i64),
}

impl Window {
    fn contains(&self, e: &Event) -> bool {
        let inside = |(from, to): (i64, i64), at: i64| from <= at && at <= to;
        inside(self.sim, e.at_ms) || e.wall_ms.is_some_and(|w| inside(self.wall, w))
    }
}

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
/// `seconds` back from now.
fn window_of(app: &App, q: &HashMap<String, String>) -> Result<Window, DcError> {
    if let Some(range) = q.get("filters[status_last_updated]") {
        let Some((a, b)) = range.split_once("...") else {
            return Err(DcError::bad_request(
                "bad_request_format",
                format!("filters[status_last_updated] '{range}' must be FROM...TO"),
            ));
        };
        let bad = |v: &str| {
            DcError::bad_request(
                "bad_request_format",
                format!(
                    "'{v}' is not a date-time; use yyyy-MM-dd or yyyy-MM-dd HH:mm:ss (MDT, UTC-6)"
                ),
            )
        };
        let from = parse_dc_time(a, false).ok_or_else(|| bad(a))?;
        let to = parse_dc_time(b, true).ok_or_else(|| bad(b))?;
        if from > to {
            return Err(DcError::bad_request(
                "bad_request_format",
                "The start of filters[status_last_updated] is after its end.",
            ));
        }
        if to - from > MAX_WINDOW_SECS {
            return Err(too_long());
        }
        let w = (from * 1000, to * 1000 + 999);
        return Ok(Window { sim: w, wall: w });
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
    let (sim_now, wall_now) = (app.clock.now_ms(), clock::wall_ms());
    Ok(Window {
        sim: (sim_now - secs * 1000, sim_now),
        wall: (wall_now - secs * 1000, wall_now),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_dc_time;

    #[test]
    fn status_change_times() {
        // 2026-01-02 03:04:05 MDT = 09:04:05 UTC.
        let utc = 1_767_344_645;
        for t in [
            "2026-01-02 03:04:05",
            "2026-01-02+03:04:05",
            "2026-01-02T03:04:05",
            "2026-01-02T03:04:05.250",
            "2026-01-02T09:04:05Z",
            "2026-01-02T09:04:05.0Z",
            "2026-01-02T11:04:05+02:00",
            "2026-01-02T11:04:05 02:00",
            "2026-01-02T11:04:05+0200",
            "2026-01-02T03:04:05-06:00",
            " 2026-01-02 03:04:05 ",
        ] {
            assert_eq!(parse_dc_time(t, false), Some(utc), "{t}");
        }
        assert_eq!(
            parse_dc_time("2026-01-02", false),
            Some(utc - 3 * 3600 - 245)
        );
        assert_eq!(
            parse_dc_time("2026-01-02", true),
            Some(utc - 3 * 3600 - 245 + 86_399)
        );
        for t in [
            "",
            "2026-01-02 3:04:05",
            "2026-01-02 03-04-05",
            "2026-01-02 03:04:05.",
            "2026-01-02 03:04:05+2",
            "2026-01-02 03:04:05+é:00",
            "2026-13-02 03:04:05",
            "2026-01-02X03:04:05",
            "26-01-02 03:04:05",
        ] {
            assert_eq!(parse_dc_time(t, false), None, "{t}");
        }
    }
}
