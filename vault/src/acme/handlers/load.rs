//! Reading orders and authorizations for a request: the object must exist (else 404) and
//! belong to the signing account (else `unauthorized`), and its status is brought up to date
//! first (RFC 8555 §7.1.6): expiry by the vault clock, an order `ready` once all its
//! authorizations are valid or `invalid` once one is not, a `processing` order settled or its
//! signing resumed, a `processing` challenge's validation resumed after a restart. A change
//! found on read is written (one `apply`) under the object's lock, so every reader (client
//! polls, the admin list, restarts) sees the same state.

use super::{issue, validation};
use crate::acme::reply::{not_found, unauthorized};
use crate::acme::request::Cx;
use crate::model::acme::{
    AuthzRecord, AuthzStatus, ChallengeStatus, OrderRecord, OrderStatus, StoredProblem,
};
use crate::store::{Change, Store, StoreResult};
use shared::acme::problem::Problem;

/// Whether `profile` is fulfilled by the local CA (else by a partner issuer).
pub fn is_local(profile: &str) -> bool {
    issue::local_validity(profile).is_some()
}

/// An authorization's status at `now`: a pending or valid one past `expires` is `expired`.
/// Returns whether it changed.
pub fn derive_authz(authz: &mut AuthzRecord, now: i64) -> bool {
    let live = matches!(authz.status, AuthzStatus::Pending | AuthzStatus::Valid);
    if live && now >= authz.expires {
        authz.set_status(AuthzStatus::Expired, now);
        return true;
    }
    false
}

/// An order's status at `now` from its authorizations (already derived): a pending or ready
/// order past `expires`, or with an authorization that can no longer become valid, is
/// `invalid`; a pending one whose authorizations are all valid is `ready`. Returns whether it
/// changed.
pub fn derive_order(order: &mut OrderRecord, authzs: &[AuthzRecord], now: i64) -> bool {
    if !matches!(order.status, OrderStatus::Pending | OrderStatus::Ready) {
        return false;
    }
    if now >= order.expires {
        order.error = Some(StoredProblem {
            kind: "malformed".into(),
            detail: "The order expired before it was finalized.".into(),
            subproblems: Vec::new(),
        });
        order.set_status(OrderStatus::Invalid, now);
        return true;
    }
    let failed = authzs
        .iter()
        .find(|a| !matches!(a.status, AuthzStatus::Pending | AuthzStatus::Valid));
    if let Some(a) = failed {
        // The challenge's own problem says why (the RFC's order `error`); else the status.
        let error = a
            .challenges
            .iter()
            .find_map(|c| c.error.clone())
            .unwrap_or_else(|| StoredProblem {
                kind: "unauthorized".into(),
                detail: format!(
                    "The authorization for {} is {}.",
                    a.identifier.value,
                    a.status.as_str()
                ),
                subproblems: Vec::new(),
            });
        order.error = Some(error);
        order.set_status(OrderStatus::Invalid, now);
        return true;
    }
    let all_valid = authzs.len() == order.authz_ids.len()
        && authzs.iter().all(|a| a.status == AuthzStatus::Valid);
    if order.status == OrderStatus::Pending && all_valid {
        order.set_status(OrderStatus::Ready, now);
        return true;
    }
    false
}

/// The write that brings `authz`'s own order up to date now that `authz` changed (validated,
/// invalid, deactivated), for the same batch as the authorization's write; `None` when it
/// has no order or the order does not change. The caller holds that order's lock.
pub fn order_change(s: &dyn Store, authz: &AuthzRecord, now: i64) -> StoreResult<Option<Change>> {
    let Some(order_id) = &authz.order_id else {
        return Ok(None);
    };
    let Some(mut order) = s.acme_order(order_id)? else {
        return Ok(None);
    };
    if !matches!(order.status, OrderStatus::Pending | OrderStatus::Ready) {
        return Ok(None);
    }
    let mut authzs = Vec::with_capacity(order.authz_ids.len());
    for id in &order.authz_ids {
        let mut a = if *id == authz.id {
            authz.clone()
        } else {
            match s.acme_authz(id)? {
                Some(a) => a,
                None => continue,
            }
        };
        derive_authz(&mut a, now);
        authzs.push(a);
    }
    Ok(derive_order(&mut order, &authzs, now).then(|| Change::PutAcmeOrder(order)))
}

/// The order `id` with its statuses derived at `now`, and the writes that derivation needs.
/// Runs in one store call (its reads, then at most one `apply`).
fn read_order(
    s: &dyn Store,
    id: &str,
    now: i64,
    write: bool,
) -> StoreResult<Option<(OrderRecord, bool)>> {
    let Some(mut order) = s.acme_order(id)? else {
        return Ok(None);
    };
    if !matches!(order.status, OrderStatus::Pending | OrderStatus::Ready) {
        return Ok(Some((order, false)));
    }
    let mut changes = Vec::new();
    let mut authzs = Vec::with_capacity(order.authz_ids.len());
    for authz_id in &order.authz_ids {
        if let Some(mut a) = s.acme_authz(authz_id)? {
            if derive_authz(&mut a, now) {
                changes.push(Change::PutAcmeAuthz(a.clone()));
            }
            authzs.push(a);
        }
    }
    if derive_order(&mut order, &authzs, now) {
        changes.push(Change::PutAcmeOrder(order.clone()));
    }
    let changed = !changes.is_empty();
    if changed && write {
        s.apply(changes)?;
    }
    Ok(Some((order, changed)))
}

/// Order `id`, readable by `account_id` only, up to date (see the module doc).
pub async fn order(cx: &Cx, id: &str, account_id: &str) -> Result<OrderRecord, Problem> {
    let now = cx.now();
    let key = id.to_string();
    let found = cx.store(move |s| read_order(s, &key, now, false)).await?;
    let Some((mut order, changed)) = found else {
        return Err(not_found("order"));
    };
    if order.account_id != account_id {
        return Err(unauthorized("The order belongs to another account."));
    }
    if changed {
        // Derive again under the order's lock and write it, so a concurrent finalize or
        // validation is never overwritten with what was read before it.
        let _lock = cx.vault.locks.lock(id).await;
        let key = id.to_string();
        let again = cx.store(move |s| read_order(s, &key, now, true)).await?;
        if let Some((o, _)) = again {
            order = o;
        }
    }
    settle(cx, order).await
}

/// A `processing` order: a local one whose signing is not running (a restart) gets it
/// restarted; a partner one is read against its operation.
pub async fn settle(cx: &Cx, order: OrderRecord) -> Result<OrderRecord, Problem> {
    if order.status != OrderStatus::Processing {
        return Ok(order);
    }
    if is_local(&order.profile) {
        if !cx.vault.signing.contains(&order.id) {
            issue::spawn(&cx.acme, &cx.vault, &order.id, Some(order.clone()));
        }
        return Ok(order);
    }
    // Partner profiles: settled from their issuance operation.
    super::partner::settle(cx, order).await
}

/// Authorization `id`, readable by `account_id` only, up to date (see the module doc).
pub async fn authz(cx: &Cx, id: &str, account_id: &str) -> Result<AuthzRecord, Problem> {
    let key = id.to_string();
    let found = cx.store(move |s| s.acme_authz(&key)).await?;
    let Some(mut authz) = found else {
        return Err(not_found("authorization"));
    };
    if authz.account_id != account_id {
        return Err(unauthorized(
            "The authorization belongs to another account.",
        ));
    }
    let now = cx.now();
    if derive_authz(&mut authz.clone(), now) {
        let _lock = cx.vault.authz_locks.lock(id).await;
        let key = id.to_string();
        let written = cx
            .store(move |s| {
                let Some(mut a) = s.acme_authz(&key)? else {
                    return Ok(None);
                };
                if derive_authz(&mut a, now) {
                    s.apply(vec![Change::PutAcmeAuthz(a.clone())])?;
                }
                Ok(Some(a))
            })
            .await?;
        if let Some(a) = written {
            authz = a;
        }
    }
    let processing = authz
        .challenges
        .iter()
        .any(|c| c.status == ChallengeStatus::Processing);
    if processing && authz.status == AuthzStatus::Pending && !cx.vault.validating.contains(id) {
        validation::spawn(&cx.acme, &cx.vault, id);
    }
    Ok(authz)
}
