//! Challenge validation in the background (RFC 8555 §7.5.1, §8.2): a challenge the client
//! answered is `processing` (persisted); one task per authorization
//! ([`VaultAcme::validating`]) asks the validator, then writes the outcome in one `apply`:
//! challenge and authorization `valid`, or both `invalid` with the problem in the challenge's
//! `error` (the order follows on its next read, `load::derive_order`). [`complete`] is the
//! one place that outcome is applied to the records, also used inline by `always-valid`.

use crate::acme::gateway::{Acme, VaultAcme};
use crate::model::acme::{AuthzRecord, AuthzStatus, ChallengeStatus, StoredProblem};
use crate::store::Change;
use std::sync::Arc;

/// How long a valid authorization can be reused (Let's Encrypt: 30 days).
pub const VALID_AUTHZ_LIFETIME: i64 = 30 * 24 * 3600;

/// Applies a validation outcome to `authz`'s processing challenge `challenge_id`. Returns
/// whether anything changed (the challenge was still processing).
pub fn complete(
    authz: &mut AuthzRecord,
    challenge_id: &str,
    outcome: Result<(), StoredProblem>,
    now: i64,
) -> bool {
    let Some(challenge) = authz.challenges.iter_mut().find(|c| c.id == challenge_id) else {
        return false;
    };
    if challenge.status != ChallengeStatus::Processing || authz.status != AuthzStatus::Pending {
        return false;
    }
    match outcome {
        Ok(()) => {
            challenge.status = ChallengeStatus::Valid;
            challenge.validated = Some(now);
            authz.expires = now.saturating_add(VALID_AUTHZ_LIFETIME);
            authz.set_status(AuthzStatus::Valid, now);
        }
        Err(problem) => {
            challenge.status = ChallengeStatus::Invalid;
            challenge.error = Some(problem);
            authz.set_status(AuthzStatus::Invalid, now);
        }
    }
    true
}

/// Starts validating authorization `authz_id`'s processing challenge unless a task already
/// does.
pub fn spawn(acme: &Arc<Acme>, vault: &Arc<VaultAcme>, authz_id: &str) {
    let Some(guard) = vault.validating.start(authz_id) else {
        return;
    };
    let (acme, vault, id) = (acme.clone(), vault.clone(), authz_id.to_string());
    acme.tracker.clone().spawn(async move {
        let _guard = guard;
        if let Err(e) = run(&acme, &vault, &id).await {
            tracing::error!(vault = %vault.name, acme.authz = %id, error = %e, "acme: validation failed to run");
        }
    });
}

async fn run(acme: &Arc<Acme>, vault: &Arc<VaultAcme>, authz_id: &str) -> Result<(), String> {
    let key = authz_id.to_string();
    let Some(authz) = vault
        .db
        .run(move |s| s.acme_authz(&key))
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let Some(challenge) = authz
        .challenges
        .iter()
        .find(|c| c.status == ChallengeStatus::Processing)
        .cloned()
    else {
        return Ok(());
    };
    // The key authorization is over the account's current key (RFC 8555 §8.1).
    let Some(account) = vault.account(&authz.account_id).await? else {
        return Ok(());
    };
    let key_authorization = format!("{}.{}", challenge.token, account.record.thumbprint);
    // Chaos: a slow validation authority (`validation_delay`).
    let delay = acme.chaos.validation_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let started = std::time::Instant::now();
    let outcome = acme
        .validator
        .validate(
            challenge.kind,
            &authz.identifier,
            &challenge.token,
            &key_authorization,
        )
        .await;
    let outcome_label = outcome
        .as_ref()
        .map_or_else(|p| p.kind.as_str(), |()| "valid");
    acme.metrics
        .acme_validation(challenge.kind.as_str(), outcome_label, started.elapsed());
    tracing::info!(
        vault = %vault.name,
        acme.authz = %authz_id,
        challenge = challenge.kind.as_str(),
        identifier = %authz.identifier.value,
        outcome = outcome_label,
        "acme: challenge validated"
    );
    let now = acme.now();
    if outcome.is_err() {
        // Chaos: counted against the failed-validations limit.
        acme.chaos
            .record_failed_validation(&authz.account_id, &authz.identifier, now);
    }
    let _lock = vault.authz_locks.lock(authz_id).await;
    // The authorization's order is brought up to date in the same write.
    let _order_lock = match &authz.order_id {
        Some(order_id) => Some(vault.locks.lock(order_id).await),
        None => None,
    };
    let key = authz_id.to_string();
    vault
        .db
        .run(move |s| {
            let Some(mut current) = s.acme_authz(&key)? else {
                return Ok(());
            };
            if complete(&mut current, &challenge.id, outcome, now) {
                let mut changes: Vec<Change> = super::load::order_change(s, &current, now)?
                    .into_iter()
                    .collect();
                changes.push(Change::PutAcmeAuthz(current));
                s.apply(changes)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())
}
