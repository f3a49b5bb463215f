//! The dashboard's read API under `/_admin` (issue 17, the contract's "vault: admin API"):
//! vaults, certificates (keyset pages, search, status), one certificate with its versions,
//! policy and operation, deleted certificates, issuers (never a secret), contacts, timeline
//! events and the request log. Behind the admin gate like every `/_admin` path; a vault's
//! data is the default vault's unless `?vault=NAME` names another. The live stream is
//! `events`.

use super::extract::{authority, QueryParams};
use super::reply::reply;
use super::state::AppState;
use super::wire;
use crate::error::Error;
use crate::model::{key_of, ListScope};
use crate::store::CertFilter;
use crate::timeline::wire as timeline_wire;
use crate::vaults::VaultInstance;
use axum::extract::{FromRequestParts, Path, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use shared::models::OperationStatus;
use std::sync::Arc;

/// Rows per page unless `limit` says otherwise, and the most a page holds.
const PAGE: usize = 50;
const MAX_PAGE: usize = 500;
/// Timeline events per answer unless `limit` says otherwise (a certificate keeps 200).
const EVENTS: usize = 200;
const MAX_EVENTS: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/vaults", get(vaults))
        .route("/certificates", get(certificates))
        .route("/certificates/{name}", get(certificate))
        .route("/deleted", get(deleted))
        .route("/issuers", get(issuers))
        .route("/contacts", get(contacts))
        .route("/timeline", get(timeline))
        .route("/requests", get(requests))
        .route("/events", get(super::events::stream))
}

/// The vault `?vault=` names (404 `VaultNotFound` if it is not open), else the default one.
pub(super) async fn vault_of(
    app: &AppState,
    query: &QueryParams<'_>,
) -> Result<Arc<VaultInstance>, Error> {
    match query.get("vault").filter(|v| !v.is_empty()) {
        Some(name) => app.vaults.existing(&name.to_ascii_lowercase()).await,
        None => Ok(app.vaults.default_vault().clone()),
    }
}

/// What a vault-scoped listing starts from: the request's raw query and the vault it names
/// (see [`vault_of`]).
struct Scoped {
    raw: String,
    vault: Arc<VaultInstance>,
}

impl Scoped {
    fn query(&self) -> QueryParams<'_> {
        QueryParams::new(&self.raw)
    }
}

impl FromRequestParts<AppState> for Scoped {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Error> {
        let raw = parts.uri.query().unwrap_or("").to_string();
        let vault = vault_of(app, &QueryParams::new(&raw)).await?;
        Ok(Scoped { raw, vault })
    }
}

/// `?cursor=C`: the key a keyset page starts after.
fn cursor(query: &QueryParams<'_>) -> Option<String> {
    query
        .get("cursor")
        .filter(|c| !c.is_empty())
        .map(|c| key_of(&c))
}

/// Cuts `rows` (fetched one over `limit`: the extra row tells whether another page follows)
/// to the page and returns the next page's cursor, the last row's `key`.
fn next_page<T>(rows: &mut Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Option<String> {
    if rows.len() <= limit {
        return None;
    }
    rows.truncate(limit);
    rows.last().map(key)
}

/// `200 {"value": [...]}`: the answer of every listing without paging.
fn listing(value: Vec<Value>) -> Response {
    reply(StatusCode::OK, &json!({ "value": value }))
}

/// `?limit=N`: 1..=max, `default` when absent; anything else is a 400.
fn limit(query: &QueryParams<'_>, default: usize, max: usize) -> Result<usize, Error> {
    match query.get("limit") {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(Error::bad(format!(
                "limit must be a whole number from 1 to {max}; got '{text}'."
            ))),
        },
    }
}

fn time(unix: Option<i64>) -> Value {
    unix.map_or(Value::Null, |t| {
        Value::String(crate::notify::rfc3339(Some(t)))
    })
}

fn tags(tags: Option<&shared::models::Tags>) -> Value {
    serde_json::to_value(tags.cloned().unwrap_or_default()).unwrap_or_else(|_| json!({}))
}

/// `GET /_admin/vaults` → `{"value":[{"name","default","hosts"}]}`.
async fn vaults(State(app): State<AppState>) -> Response {
    let mut value: Vec<Value> = app
        .vaults
        .all()
        .iter()
        .map(|v| {
            let default = v.name == app.default_vault;
            let mut hosts = vec![
                format!("{}{}", v.name, crate::hosts::LOCAL_SUFFIX),
                format!("{}.vault.azure.net", v.name),
            ];
            if default {
                hosts.insert(0, "localhost".to_string());
            }
            json!({ "name": v.name, "default": default, "hosts": hosts })
        })
        .collect();
    value.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    listing(value)
}

/// `GET /_admin/certificates?vault=V[&q=TEXT][&status=S][&cursor=C][&limit=N]`.
async fn certificates(scoped: Scoped) -> Result<Response, Error> {
    let (query, vault) = (scoped.query(), &scoped.vault);
    let limit = limit(&query, PAGE, MAX_PAGE)?;
    let status = match query.get("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match ["inProgress", "completed", "failed", "cancelled"]
            .into_iter()
            .find(|known| known.eq_ignore_ascii_case(&s))
        {
            Some(known) => Some(known.to_string()),
            None => {
                return Err(Error::bad(format!(
                    "status must be inProgress, completed, failed or cancelled; got '{s}'."
                )))
            }
        },
    };
    let filter = CertFilter {
        q: query.get("q").map(|q| q.trim().to_string()),
        status,
    };
    let (mut rows, total) = vault
        .service
        .dashboard_page(filter, cursor(&query), limit + 1)
        .await?;
    let next = next_page(&mut rows, limit, |(c, _, _)| c.key.clone());
    let value: Vec<Value> = rows
        .iter()
        .map(|(cert, v, status)| {
            json!({
                "name": cert.name,
                "version": v.version,
                "status": status.unwrap_or(OperationStatus::Completed),
                "issuer": cert.policy.issuer.as_ref().and_then(|i| i.name.clone()),
                "expires": time(v.exp),
                "created": time(Some(v.created)),
                "updated": time(Some(v.updated)),
                "enabled": v.enabled && v.is_complete(),
                "tags": tags(v.tags.as_ref()),
                "pending": *status == Some(OperationStatus::InProgress),
            })
        })
        .collect();
    Ok(reply(
        StatusCode::OK,
        &json!({ "value": value, "next": next, "total": total }),
    ))
}

/// `GET /_admin/certificates/{name}?vault=V`: versions (oldest first), the policy and the
/// pending operation as Key Vault returns them, and the latest version's tags.
async fn certificate(
    State(app): State<AppState>,
    Path(name): Path<String>,
    req: Request,
) -> Result<Response, Error> {
    let query = QueryParams::new(req.uri().query().unwrap_or(""));
    let vault = vault_of(&app, &query).await?;
    let base = format!("https://{}", authority(&req));
    let (cert, versions) = vault.service.versions(&name, 0, 1000).await?;
    let operation = match vault.service.operation(&name).await {
        Ok((_, op)) => serde_json::to_value(wire::operation(&base, &cert, &op)).ok(),
        Err(_) => None,
    };
    let policy = serde_json::to_value(wire::policy(&base, &cert)).unwrap_or(Value::Null);
    let listed: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({
                "version": v.version,
                "created": time(Some(v.created)),
                "expires": time(v.exp),
                "thumbprint": v.leaf().map(shared::crypto::x5t),
                "enabled": v.enabled && v.is_complete(),
            })
        })
        .collect();
    let latest_tags = versions
        .iter()
        .rev()
        .find(|v| v.is_complete())
        .or(versions.last())
        .and_then(|v| v.tags.as_ref());
    Ok(reply(
        StatusCode::OK,
        &json!({
            "name": cert.name,
            "versions": listed,
            "policy": policy,
            "operation": operation,
            "tags": tags(latest_tags),
        }),
    ))
}

/// `GET /_admin/deleted?vault=V[&cursor=C][&limit=N]`.
async fn deleted(scoped: Scoped) -> Result<Response, Error> {
    let (query, vault) = (scoped.query(), &scoped.vault);
    let limit = limit(&query, PAGE, MAX_PAGE)?;
    let mut rows = vault
        .service
        .list(ListScope::Deleted, true, cursor(&query), limit + 1)
        .await?;
    let next = next_page(&mut rows, limit, |(c, _)| c.key.clone());
    let value: Vec<Value> = rows
        .iter()
        .filter_map(|(cert, _)| {
            let d = cert.deleted?;
            Some(json!({
                "name": cert.name,
                "deleted": time(Some(d.deleted_date)),
                "scheduledPurge": time(Some(d.scheduled_purge_date)),
                "recoveryLevel": shared::models::RecoveryLevel::RecoverablePurgeable,
            }))
        })
        .collect();
    Ok(reply(
        StatusCode::OK,
        &json!({ "value": value, "next": next }),
    ))
}

/// `GET /_admin/issuers?vault=V`: never the password or API key.
async fn issuers(scoped: Scoped) -> Result<Response, Error> {
    let vault = &scoped.vault;
    let records = vault.service.issuers(None, 10_000).await?;
    let value: Vec<Value> = records
        .iter()
        .map(|r| {
            let b = &r.bundle;
            let attributes = b.attributes.clone().unwrap_or_default();
            json!({
                "name": r.name,
                "provider": b.provider,
                "account_id": b.credentials.as_ref().and_then(|c| c.account_id.clone()),
                "org_id": b.org_details.as_ref().and_then(|o| o.id.clone()),
                "enabled": attributes.enabled.unwrap_or(true),
                "created": time(attributes.created),
                "updated": time(attributes.updated),
            })
        })
        .collect();
    Ok(listing(value))
}

/// `GET /_admin/contacts?vault=V` (an empty list when none are set).
async fn contacts(scoped: Scoped) -> Result<Response, Error> {
    let vault = &scoped.vault;
    let value: Vec<Value> = match vault.service.contacts().await {
        Ok(c) => c
            .contacts
            .unwrap_or_default()
            .iter()
            .map(|c| json!({ "email": c.email, "name": c.name, "phone": c.phone }))
            .collect(),
        Err(Error::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(listing(value))
}

/// `GET /_admin/timeline?vault=V[&certificate=NAME][&after=SEQ][&limit=N]`: oldest first; of
/// one certificate, or the newest of the vault.
async fn timeline(scoped: Scoped) -> Result<Response, Error> {
    let (query, vault) = (scoped.query(), &scoped.vault);
    let limit = limit(&query, EVENTS, MAX_EVENTS)?;
    let after = match query.get("after") {
        None => 0,
        Some(text) => text.parse::<i64>().map_err(|_| {
            Error::bad(format!(
                "after must be an event's seq (a number); got '{text}'."
            ))
        })?,
    };
    let certificate = query.get("certificate").filter(|c| !c.is_empty());
    let events = vault
        .timeline
        .events(certificate.as_deref(), after, limit)
        .await?;
    let value: Vec<Value> = events.iter().map(timeline_wire::event).collect();
    Ok(listing(value))
}

/// `GET /_admin/requests[?limit=N][&method=M][&status=NNN|4xx|5xx][&path=SUBSTR]`: newest
/// first, from the in-memory log of the last 1,000.
async fn requests(
    State(app): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let query = QueryParams::new(query.as_deref().unwrap_or(""));
    let limit = limit(&query, crate::timeline::requests::CAPACITY, 1000)?;
    let method = query.get("method").filter(|m| !m.is_empty());
    let path = query.get("path").filter(|p| !p.is_empty());
    let status = match query.get("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(StatusFilter::parse(&s).ok_or_else(|| {
            Error::bad(format!(
                "status must be a status code or a class such as 4xx; got '{s}'."
            ))
        })?),
    };
    let value: Vec<Value> = app
        .hub
        .requests
        .recent()
        .iter()
        .filter(|r| {
            method
                .as_deref()
                .is_none_or(|m| r.method.as_str().eq_ignore_ascii_case(m))
        })
        .filter(|r| status.is_none_or(|s| s.matches(r.status)))
        .filter(|r| path.as_deref().is_none_or(|p| r.uri.path().contains(p)))
        .take(limit)
        .map(|r| timeline_wire::request(r, super::events::request_vault(&app, r).as_deref()))
        .collect();
    Ok(listing(value))
}

/// `status=` of the request log: one code or a class.
#[derive(Clone, Copy)]
enum StatusFilter {
    Code(u16),
    Class(u16),
}

impl StatusFilter {
    fn parse(text: &str) -> Option<Self> {
        let lower = text.to_ascii_lowercase();
        if let Some(class) = lower.strip_suffix("xx") {
            return match class.parse::<u16>() {
                Ok(c @ 1..=5) => Some(Self::Class(c)),
                _ => None,
            };
        }
        match lower.parse::<u16>() {
            Ok(code @ 100..=599) => Some(Self::Code(code)),
            _ => None,
        }
    }

    fn matches(self, status: u16) -> bool {
        match self {
            Self::Code(code) => status == code,
            Self::Class(class) => status / 100 == class,
        }
    }
}
