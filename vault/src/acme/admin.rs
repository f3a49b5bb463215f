//! The ACME admin API of one vault (`/_admin/acme/…`, behind the admin gate like every
//! `/_admin` path; the vault is the one the host names):
//!
//! - `GET /_admin/acme/root.pem`: the local CA's root, for clients to trust.
//! - `POST /_admin/acme/eab` (body optional: `{"kid": "name"}`): a new external account
//!   binding key, `201 {"kid", "hmac_key"}` (`hmac_key` base64url, 256 bits, shown this once;
//!   stored sealed). `GET /_admin/acme/eab`: every key with its creation time and the account
//!   it was bound to, never the key itself.
//! - `GET /_admin/acme/orders[?account=ID][&cursor=ORDER_ID][&limit=N]`: orders in creation
//!   order with account, profile, identifiers, status and timestamps, `processing` orders
//!   settled first (`handlers::load::settle`); `next` is the URL of the following page.
//! - `GET /_admin/acme/accounts[?cursor=ID][&limit=N]`: accounts in creation order with
//!   status, contacts and creation time (the dashboard's list), never a key.
//! - `PUT /_admin/acme/renewal-info` `{"certID" | "serial", "start", "end"}` (RFC 3339): the
//!   ARI window of one certificate (Pebble's `set-renewal-info`); it wins over the window
//!   derived from validity until the certificate is revoked.

use super::handlers::{ari, load};
use super::reply::{internal, malformed, not_found, Reply};
use super::request::Cx;
use super::wire::{self, parse_rfc3339, rfc3339};
use crate::model::acme::{EabKeyRecord, OrderRecord};
use crate::store::Change;
use axum::body::Body;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use shared::acme::problem::Problem;
use tracing::info;

/// Admin request bodies are small JSON documents.
const BODY_LIMIT: usize = 64 * 1024;
/// Orders per page of `GET /_admin/acme/orders` unless `limit` says otherwise.
const PAGE: usize = 100;
const MAX_PAGE: usize = 1000;
/// Bytes of a new EAB HMAC key (HS256 wants 256 bits).
const EAB_KEY_BYTES: usize = 32;

/// `GET /_admin/acme/root.pem`.
pub fn root_pem(cx: &Cx) -> Result<Reply, Problem> {
    Ok(Reply::bytes(
        "application/x-pem-file",
        cx.acme.ca.root_pem().into_bytes(),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NewEab {
    #[serde(default)]
    kid: Option<String>,
}

/// `POST /_admin/acme/eab`.
pub async fn create_eab(cx: &Cx, body: Body) -> Result<Reply, Problem> {
    let bytes = read_body(body).await?;
    let wanted: NewEab = if bytes.iter().all(u8::is_ascii_whitespace) {
        NewEab::default()
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|e| malformed(format!("The body is not {{\"kid\"?: string}}: {e}.")))?
    };
    let kid = match wanted.kid {
        Some(kid) => {
            let ok = !kid.is_empty()
                && kid.len() <= 128
                && kid
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !ok {
                return Err(malformed(
                    "'kid' must be 1-128 characters of A-Z a-z 0-9 - _ .",
                ));
            }
            kid
        }
        None => format!("kid-{}", hex::encode(random(12)?)),
    };
    let hmac_key = random(EAB_KEY_BYTES)?;
    let record = EabKeyRecord {
        kid: kid.clone(),
        hmac_key: hmac_key.clone(),
        account_id: None,
        created: cx.now(),
    };
    let created = record.created;
    let taken = cx
        .store(move |s| {
            if s.acme_eab(&record.kid)?.is_some() {
                return Ok(true);
            }
            s.apply(vec![Change::PutAcmeEab(record)])?;
            Ok(false)
        })
        .await?;
    if taken {
        let mut p = malformed(format!("An EAB key with kid '{kid}' exists already."));
        p.status = StatusCode::CONFLICT.as_u16();
        return Err(p);
    }
    info!(acme.eab_kid = %kid, "acme eab key created");
    Ok(Reply::json(&json!({
        "kid": kid,
        "hmac_key": shared::b64::url_encode(&hmac_key),
        "created": rfc3339(created),
    }))
    .status(StatusCode::CREATED))
}

/// `GET /_admin/acme/eab`.
pub async fn list_eab(cx: &Cx) -> Result<Reply, Problem> {
    let keys = cx.store(|s| s.acme_eabs()).await?;
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "kid": k.kid,
                "created": rfc3339(k.created),
                "account": k.account_id.as_ref().map(|id| cx.urls.account(id)),
            })
        })
        .collect();
    Ok(Reply::json(&json!({ "keys": keys })))
}

/// `GET /_admin/acme/orders`.
pub async fn list_orders(cx: &Cx, query: Option<&str>) -> Result<Reply, Problem> {
    let mut account: Option<String> = None;
    let mut cursor: Option<String> = None;
    let mut limit = PAGE;
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "account" => account = Some(v.into_owned()),
            "cursor" => cursor = Some(v.into_owned()),
            "limit" => limit = page_limit(&v)?,
            other => return Err(malformed(format!("Unknown query parameter '{other}'."))),
        }
    }
    let (acct, after) = (account.clone(), cursor.clone());
    // One more than a page tells whether a next page exists.
    let mut orders = cx
        .store(move |s| s.acme_orders(acct.as_deref(), after.as_deref(), limit + 1))
        .await?;
    let more = orders.len() > limit;
    orders.truncate(limit);
    let mut listed = Vec::with_capacity(orders.len());
    for order in orders {
        let order = load::settle(cx, order).await?;
        listed.push(admin_order(cx, &order));
    }
    let mut doc = json!({ "orders": listed });
    if more {
        if let Some(last) = listed_last_id(&doc) {
            let mut next = format!("/_admin/acme/orders?cursor={last}&limit={limit}");
            if let Some(a) = &account {
                next.push_str("&account=");
                next.extend(url::form_urlencoded::byte_serialize(a.as_bytes()));
            }
            doc["next"] = json!(format!("{}{next}", cx.base));
        }
    }
    Ok(Reply::json(&doc))
}

/// `GET /_admin/acme/accounts[?cursor=ACCOUNT_ID][&limit=N]` (the dashboard's list):
/// `{"value": [{id, url, status, contact, created}], "next": ACCOUNT_ID | null}` in creation
/// order; never the key.
pub async fn list_accounts(cx: &Cx, query: Option<&str>) -> Result<Reply, Problem> {
    let mut cursor: Option<String> = None;
    let mut limit = PAGE;
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "cursor" => cursor = Some(v.into_owned()).filter(|c| !c.is_empty()),
            "limit" => limit = page_limit(&v)?,
            // `vault` is the host's here (as for every ACME admin path); accepted, unused.
            "vault" => {}
            other => return Err(malformed(format!("Unknown query parameter '{other}'."))),
        }
    }
    let mut accounts = cx
        .store(move |s| s.acme_accounts(cursor.as_deref(), limit + 1))
        .await?;
    let more = accounts.len() > limit;
    accounts.truncate(limit);
    let next = more
        .then(|| accounts.last().map(|a| a.id.clone()))
        .flatten();
    let value: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "url": cx.urls.account(&a.id),
                "status": a.status,
                "contact": a.contact,
                "created": rfc3339(a.created),
            })
        })
        .collect();
    Ok(Reply::json(&json!({ "value": value, "next": next })))
}

/// `?limit=N` of an admin listing: 1 to [`MAX_PAGE`].
fn page_limit(v: &str) -> Result<usize, Problem> {
    v.parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_PAGE).contains(n))
        .ok_or_else(|| malformed(format!("'limit' must be 1 to {MAX_PAGE}.")))
}

/// The id of the last order of a page document.
fn listed_last_id(doc: &Value) -> Option<String> {
    doc["orders"]
        .as_array()?
        .last()?
        .get("id")?
        .as_str()
        .map(str::to_string)
}

/// An order as the admin list shows it: the ACME object plus its id, URL, account and times.
fn admin_order(cx: &Cx, order: &OrderRecord) -> Value {
    let mut doc = wire::order(&cx.urls, order);
    doc["id"] = json!(order.id);
    doc["url"] = json!(cx.urls.order(&order.id));
    doc["account"] = json!(cx.urls.account(&order.account_id));
    doc["created"] = json!(rfc3339(order.created));
    doc["updated"] = json!(rfc3339(order.updated));
    doc
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenewalInfo {
    #[serde(default, rename = "certID")]
    cert_id: Option<String>,
    #[serde(default)]
    serial: Option<String>,
    start: String,
    end: String,
}

/// `PUT /_admin/acme/renewal-info`.
pub async fn put_renewal_info(cx: &Cx, body: Body) -> Result<Reply, Problem> {
    let bytes = read_body(body).await?;
    let req: RenewalInfo = serde_json::from_slice(&bytes).map_err(|e| {
        malformed(format!(
            "The body is not {{\"certID\" or \"serial\", \"start\", \"end\"}}: {e}."
        ))
    })?;
    let time = |text: &str, name: &str| {
        parse_rfc3339(text).ok_or_else(|| malformed(format!("'{name}' is not RFC 3339: {text}")))
    };
    let (start, end) = (time(&req.start, "start")?, time(&req.end, "end")?);
    if start >= end {
        return Err(malformed("The window's 'start' must be before its 'end'."));
    }
    enum By {
        CertId(String),
        Serial(String),
    }
    let by = match (req.cert_id, req.serial) {
        (Some(id), None) => By::CertId(ari::parse_cert_id(&id)?),
        (None, Some(serial)) => By::Serial(serial_octets(&serial)),
        _ => {
            return Err(malformed(
                "Name the certificate by exactly one of 'certID' and 'serial'.",
            ))
        }
    };
    let cert = cx
        .store(move |s| {
            let found = match &by {
                By::CertId(id) => s.acme_cert_by_ari_id(id)?,
                By::Serial(serial) => match s.acme_cert_by_serial(serial)? {
                    Some(cert) => Some(cert),
                    None => s.acme_cert_by_serial(&format!("00{serial}"))?,
                },
            };
            let Some(mut cert) = found else {
                return Ok(None);
            };
            cert.renewal_window = Some((start, end));
            s.apply(vec![Change::PutAcmeCert(cert.clone())])?;
            Ok(Some(cert))
        })
        .await?
        .ok_or_else(|| not_found("certificate issued by this vault's gateway"))?;
    info!(acme.cert = %cert.id, start, end, "acme renewal window set by the admin");
    let (start, end) = ari::suggested_window(&cert, cx.now());
    Ok(Reply::json(&json!({
        "certID": cert.ari_cert_id,
        "serial": cert.serial_hex,
        "suggestedWindow": { "start": rfc3339(start), "end": rfc3339(end) },
    })))
}

async fn read_body(body: Body) -> Result<bytes::Bytes, Problem> {
    axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| malformed(format!("The request body is over {BODY_LIMIT} bytes.")))
}

/// `n` random bytes (the gateway's one source).
fn random(n: usize) -> Result<Vec<u8>, Problem> {
    super::gateway::random_bytes(n).map_err(internal)
}

/// A serial as the store keeps it: the hex of its DER content octets (whole octets; a `00`
/// octet in front only when the first bit is set, which the caller tries separately). Callers
/// write serials with colons, in upper case, or without leading zeros (`{:x}` of the number).
fn serial_octets(serial: &str) -> String {
    let serial = serial.replace(':', "").to_ascii_lowercase();
    let trimmed = serial.trim_start_matches('0');
    match trimmed.len() {
        0 => "00".to_string(),
        n if n % 2 == 1 => format!("0{trimmed}"),
        _ => trimmed.to_string(),
    }
}

#[cfg(test)]
mod serial_tests {
    use super::serial_octets;

    #[test]
    fn serials_in_any_spelling_become_whole_octets() {
        assert_eq!(serial_octets("0a1b2c"), "0a1b2c");
        assert_eq!(serial_octets("a1b2c"), "0a1b2c");
        assert_eq!(serial_octets("0A:1B:2C"), "0a1b2c");
        assert_eq!(serial_octets("000a1b2c"), "0a1b2c");
        assert_eq!(serial_octets("7f01"), "7f01");
        assert_eq!(serial_octets("0"), "00");
    }
}
