//! Authorizations (RFC 8555 §7.5): the authorization URL (POST-as-GET; `status:
//! "deactivated"` deactivates a pending or valid one, §7.5.2) and pre-authorization
//! (`new-authz`, §7.4.1: one identifier, no wildcard).

use super::identifiers::{self, WireIdentifier};
use super::load;
use super::orders::ORDER_LIFETIME;
use crate::acme::gateway::random_id;
use crate::acme::reply::{internal, malformed, Reply};
use crate::acme::request::{AcmeRequest, Cx};
use crate::acme::wire;
use crate::model::acme::{AuthzRecord, AuthzStatus};
use crate::store::Change;
use axum::http::StatusCode;
use serde::Deserialize;
use shared::acme::problem::Problem;

#[derive(Deserialize)]
struct NewAuthz {
    identifier: WireIdentifier,
}

#[derive(Deserialize)]
struct UpdateAuthz {
    status: String,
}

/// `POST /acme/new-authz`: a pending authorization for one identifier (201, `Location`).
pub async fn new_authz(cx: &Cx, req: AcmeRequest) -> Result<Reply, Problem> {
    let account = req.account()?;
    let payload: NewAuthz = req.payload()?;
    let mut normalised = identifiers::normalise(std::slice::from_ref(&payload.identifier), false)?;
    let identifier = normalised.remove(0);
    let now = cx.now();
    let authz = AuthzRecord {
        id: random_id().map_err(internal)?,
        account_id: account.record.id.clone(),
        challenges: identifiers::challenges(&identifier, false)?,
        identifier,
        wildcard: false,
        status: AuthzStatus::Pending,
        expires: now.saturating_add(ORDER_LIFETIME),
        created: now,
        updated: now,
        order_id: None,
    };
    let write = authz.clone();
    cx.store(move |s| s.apply(vec![Change::PutAcmeAuthz(write)]))
        .await?;
    Ok(Reply::json(&wire::authz(&cx.urls, &authz))
        .status(StatusCode::CREATED)
        .location(cx.urls.authz(&authz.id)))
}

/// `POST /acme/authz/{id}`.
pub async fn authz(cx: &Cx, req: AcmeRequest, id: &str) -> Result<Reply, Problem> {
    let account = req.account()?;
    let current = load::authz(cx, id, &account.record.id).await?;
    if req.is_post_as_get() {
        return Ok(Reply::json(&wire::authz(&cx.urls, &current)));
    }
    let update: UpdateAuthz = req.payload()?;
    if update.status != "deactivated" {
        return Err(malformed(format!(
            "An authorization's status can only be set to 'deactivated', not '{}'.",
            update.status
        )));
    }
    let now = cx.now();
    let _lock = cx.vault.authz_locks.lock(id).await;
    // Its order turns invalid in the same write.
    let _order_lock = match &current.order_id {
        Some(order_id) => Some(cx.vault.locks.lock(order_id).await),
        None => None,
    };
    let key = id.to_string();
    let written = cx
        .store(move |s| {
            let Some(mut a) = s.acme_authz(&key)? else {
                return Ok(Err(AuthzStatus::Invalid));
            };
            if !matches!(a.status, AuthzStatus::Pending | AuthzStatus::Valid) {
                return Ok(Err(a.status));
            }
            a.set_status(AuthzStatus::Deactivated, now);
            let mut changes: Vec<Change> = load::order_change(s, &a, now)?.into_iter().collect();
            changes.push(Change::PutAcmeAuthz(a.clone()));
            s.apply(changes)?;
            Ok(Ok(a))
        })
        .await?;
    match written {
        Ok(a) => Ok(Reply::json(&wire::authz(&cx.urls, &a))),
        Err(status) => Err(malformed(format!(
            "Only a pending or valid authorization can be deactivated; this one is {}.",
            status.as_str()
        ))),
    }
}
