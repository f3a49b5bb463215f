//! Orders (RFC 8555 §7.4): `new-order` (identifiers checked and normalised, `notBefore`/
//! `notAfter`, `profile`, `replaces`; a valid authorization of the account is reused, else a
//! new one is created: all in one `apply`), the order URL (POST-as-GET, up to date via
//! `load`), and an account's orders list (§7.1.2.1, paged with `Link: rel="next"`).

use super::identifiers::{self, authz_target, WireIdentifier};
use super::load;
use super::{ari, partner};
use crate::acme::gateway::random_id;
use crate::acme::profiles;
use crate::acme::reply::{internal, malformed, unauthorized, Reply};
use crate::acme::request::{AcmeRequest, Cx};
use crate::acme::wire::{self, parse_rfc3339};
use crate::model::acme::{AuthzRecord, AuthzStatus, OrderRecord, OrderStatus};
use crate::store::Change;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use shared::acme::problem::{ErrorType, Problem};

/// How long a new order stays usable (and its new authorizations pending): 7 days.
pub const ORDER_LIFETIME: i64 = 7 * 24 * 3600;
/// Orders per page of an account's orders list.
pub const ORDERS_PER_PAGE: usize = 50;
/// `Retry-After` while an order is processing, seconds.
pub const PROCESSING_RETRY_AFTER: u64 = 1;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewOrder {
    identifiers: Vec<WireIdentifier>,
    #[serde(default)]
    not_before: Option<String>,
    #[serde(default)]
    not_after: Option<String>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    replaces: Option<String>,
}

/// The order as a reply, with `Retry-After` while it is processing.
pub fn order_reply(cx: &Cx, order: &OrderRecord) -> Reply {
    let reply = Reply::json(&wire::order(&cx.urls, order));
    if order.status == OrderStatus::Processing {
        reply.retry_after(PROCESSING_RETRY_AFTER)
    } else {
        reply
    }
}

fn time_field(name: &str, value: Option<&str>) -> Result<Option<i64>, Problem> {
    value
        .map(|t| {
            parse_rfc3339(t)
                .ok_or_else(|| malformed(format!("'{name}' is not an RFC 3339 date-time: {t}.")))
        })
        .transpose()
}

/// `POST /acme/new-order` and `POST /acme/{profile}/new-order` (`pinned`).
pub async fn new_order(cx: &Cx, req: AcmeRequest, pinned: Option<&str>) -> Result<Reply, Problem> {
    let account = req.account()?.clone();
    let payload: NewOrder = req.payload()?;
    let identifiers = identifiers::normalise(&payload.identifiers, true)?;
    let profile = match (pinned, payload.profile.as_deref()) {
        (Some(p), Some(asked)) if asked != p => {
            return Err(Problem::new(
                ErrorType::InvalidProfile,
                format!(
                    "This directory is pinned to the profile '{p}'; the order asks for '{asked}'."
                ),
            ))
        }
        (Some(p), _) => p.to_string(),
        (None, Some(asked)) => asked.to_string(),
        (None, None) => "local".to_string(),
    };
    // acme::profiles: built-ins and this vault's partner issuers (the canonical name is kept).
    let resolved = profiles::resolve(&cx.vault.db, Some(&profile)).await?;
    if resolved.profile.is_partner() {
        partner::check_identifiers(&resolved.name, &identifiers)?;
    }
    let profile = resolved.name;
    let now = cx.now();
    let not_before = time_field("notBefore", payload.not_before.as_deref())?;
    let not_after = time_field("notAfter", payload.not_after.as_deref())?;
    if let Some(na) = not_after {
        if na <= now || not_before.is_some_and(|nb| nb >= na) {
            return Err(malformed(
                "'notAfter' must be in the future and after 'notBefore'.",
            ));
        }
    }
    // RFC 9773 §5: a certificate of this account, sharing an identifier, not replaced yet.
    let replaces = match payload.replaces.as_deref() {
        Some(r) => Some(ari::check_replaces(cx, &account.record.id, &identifiers, r).await?),
        None => None,
    };
    // Chaos: the rate limits (orders per account, certificates per registered domain, failed
    // validations); an accepted order counts against its account here.
    cx.acme
        .chaos
        .check_new_order(&account.record.id, &identifiers, now)?;
    let order_id = random_id().map_err(internal)?;
    let expires = now.saturating_add(ORDER_LIFETIME);
    // The new authorizations, made before the store call (random tokens); reused ones
    // replace them inside it.
    let mut fresh = Vec::with_capacity(identifiers.len());
    for id in &identifiers {
        let (target, wildcard) = authz_target(id);
        fresh.push(AuthzRecord {
            id: random_id().map_err(internal)?,
            account_id: account.record.id.clone(),
            challenges: identifiers::challenges(&target, wildcard)?,
            identifier: target,
            wildcard,
            status: AuthzStatus::Pending,
            expires,
            created: now,
            updated: now,
            order_id: Some(order_id.clone()),
        });
    }
    let mut order = OrderRecord {
        id: order_id,
        account_id: account.record.id.clone(),
        status: OrderStatus::Pending,
        identifiers,
        profile,
        authz_ids: Vec::new(),
        not_before,
        not_after,
        expires,
        csr: None,
        cert_id: None,
        error: None,
        replaces,
        created: now,
        updated: now,
    };
    let acme = cx.acme.clone();
    let order = cx
        .store(move |s| {
            let mut changes = Vec::with_capacity(fresh.len() + 1);
            let mut authzs = Vec::with_capacity(fresh.len());
            for authz in fresh {
                let reused = s
                    .acme_reusable_authz(&authz.account_id, &authz.identifier, authz.wildcard, now)?
                    // Chaos may decline a reuse (`authz_reuse_rate`; default: always reuse).
                    .filter(|_| acme.chaos.reuse_authz());
                let authz = match reused {
                    Some(valid) => valid,
                    None => {
                        changes.push(Change::PutAcmeAuthz(authz.clone()));
                        authz
                    }
                };
                order.authz_ids.push(authz.id.clone());
                authzs.push(authz);
            }
            // Every authorization reused and valid: the order is ready at once.
            load::derive_order(&mut order, &authzs, now);
            changes.push(Change::PutAcmeOrder(order.clone()));
            s.apply(changes)?;
            Ok(order)
        })
        .await?;
    tracing::info!(
        vault = %cx.vault.name,
        acme.order = %order.id,
        acme.account = %order.account_id,
        profile = %order.profile,
        identifiers = order.identifiers.len(),
        "acme: order created"
    );
    Ok(order_reply(cx, &order)
        .status(StatusCode::CREATED)
        .location(cx.urls.order(&order.id)))
}

/// `POST /acme/order/{id}` (POST-as-GET).
pub async fn get(cx: &Cx, req: AcmeRequest, id: &str) -> Result<Reply, Problem> {
    req.require_post_as_get()?;
    let account = req.account()?;
    let order = load::order(cx, id, &account.record.id).await?;
    Ok(order_reply(cx, &order))
}

/// `POST /acme/acct/{id}/orders` (POST-as-GET): the account's order URLs in creation order,
/// [`ORDERS_PER_PAGE`] at a time; `?cursor=ORDER_ID` continues after that order.
pub async fn list(
    cx: &Cx,
    req: AcmeRequest,
    id: &str,
    query: Option<&str>,
) -> Result<Reply, Problem> {
    req.require_post_as_get()?;
    let account = req.account()?;
    if account.record.id != id {
        return Err(unauthorized("The orders list belongs to another account."));
    }
    let cursor = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("cursor="))
        .map(str::to_string);
    let (owner, after) = (id.to_string(), cursor);
    let mut orders = cx
        .store(move |s| s.acme_orders(Some(&owner), after.as_deref(), ORDERS_PER_PAGE + 1))
        .await?;
    let more = orders.len() > ORDERS_PER_PAGE;
    orders.truncate(ORDERS_PER_PAGE);
    let urls: Vec<String> = orders.iter().map(|o| cx.urls.order(&o.id)).collect();
    let mut reply = Reply::json(&json!({ "orders": urls }));
    if let (true, Some(last)) = (more, orders.last()) {
        reply = reply.link(format!("{}?cursor={}", cx.urls.orders(id), last.id), "next");
    }
    Ok(reply)
}
