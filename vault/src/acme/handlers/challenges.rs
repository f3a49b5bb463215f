//! Challenges (RFC 8555 §7.5.1): POST-as-GET reads one; a POST of `{}` answers it: the
//! challenge becomes `processing` and is validated in the background (`validation`), or at
//! once with `--acme-validation always-valid` (challenge and authorization `valid` in the
//! same `apply`). Answering a challenge that is already processing or valid changes nothing.

use super::{load, validation};
use crate::acme::reply::{malformed, not_found, Reply};
use crate::acme::request::{AcmeRequest, Cx};
use crate::acme::wire;
use crate::model::acme::{AuthzRecord, AuthzStatus, ChallengeStatus};
use crate::store::Change;
use serde_json::Value;
use shared::acme::problem::Problem;

/// `Retry-After` while a challenge is being validated, seconds.
const VALIDATING_RETRY_AFTER: u64 = 1;

fn challenge_reply(cx: &Cx, authz: &AuthzRecord, challenge_id: &str) -> Result<Reply, Problem> {
    let challenge = authz
        .challenges
        .iter()
        .find(|c| c.id == challenge_id)
        .ok_or_else(|| not_found("challenge"))?;
    let reply = Reply::json(&wire::challenge(&cx.urls, &authz.id, challenge))
        .link(cx.urls.authz(&authz.id), "up");
    Ok(if challenge.status == ChallengeStatus::Processing {
        reply.retry_after(VALIDATING_RETRY_AFTER)
    } else {
        reply
    })
}

/// What answering the challenge did to the stored authorization.
enum Answered {
    /// Written: now processing (validate in the background) or, always-valid, valid.
    Written(AuthzRecord, bool),
    /// Nothing to do (already processing or valid): as stored.
    Unchanged(AuthzRecord),
    /// The authorization cannot take an answer.
    Refused(String),
}

/// `POST /acme/chall/{authz_id}/{id}`.
pub async fn challenge(
    cx: &Cx,
    req: AcmeRequest,
    authz_id: &str,
    id: &str,
) -> Result<Reply, Problem> {
    let account = req.account()?.clone();
    let current = load::authz(cx, authz_id, &account.record.id).await?;
    if !current.challenges.iter().any(|c| c.id == id) {
        return Err(not_found("challenge"));
    }
    if req.is_post_as_get() {
        return challenge_reply(cx, &current, id);
    }
    // RFC 8555 §7.5.1: the response is an (empty) JSON object; its members are ignored.
    let payload: Value = req.payload()?;
    if !payload.is_object() {
        return Err(malformed(
            "A challenge is answered with a JSON object ({}).",
        ));
    }
    // Chaos: refused after too many failed validations of the identifier (`limits`).
    cx.acme
        .chaos
        .check_validation(&account.record.id, &current.identifier, cx.now())?;
    // A chaos validation delay is served in the background, even with always-valid.
    let inline = cx.acme.validator.always_valid() && cx.acme.chaos.validation_delay().is_zero();
    let now = cx.now();
    let _lock = cx.vault.authz_locks.lock(authz_id).await;
    // Validated at once (always-valid), the authorization's order is written with it.
    let _order_lock = match (&current.order_id, inline) {
        (Some(order_id), true) => Some(cx.vault.locks.lock(order_id).await),
        _ => None,
    };
    let (key, challenge_id) = (authz_id.to_string(), id.to_string());
    let answered = cx
        .store(move |s| {
            let Some(mut authz) = s.acme_authz(&key)? else {
                return Ok(Answered::Refused("The authorization is gone.".into()));
            };
            let busy = authz
                .challenges
                .iter()
                .any(|c| c.status != ChallengeStatus::Pending);
            let Some(ch) = authz.challenges.iter_mut().find(|c| c.id == challenge_id) else {
                return Ok(Answered::Refused("No such challenge.".into()));
            };
            if matches!(
                ch.status,
                ChallengeStatus::Processing | ChallengeStatus::Valid
            ) {
                return Ok(Answered::Unchanged(authz));
            }
            if authz.status != AuthzStatus::Pending || now >= authz.expires {
                let status = authz.status.as_str();
                return Ok(Answered::Refused(format!(
                    "The authorization is {status}: its challenges can no longer be answered."
                )));
            }
            if busy {
                return Ok(Answered::Refused(
                    "Another challenge of this authorization was already answered.".into(),
                ));
            }
            ch.status = ChallengeStatus::Processing;
            let mut changes = Vec::with_capacity(2);
            if inline {
                validation::complete(&mut authz, &challenge_id, Ok(()), now);
                changes.extend(load::order_change(s, &authz, now)?);
            }
            changes.push(Change::PutAcmeAuthz(authz.clone()));
            s.apply(changes)?;
            Ok(Answered::Written(authz, !inline))
        })
        .await?;
    match answered {
        Answered::Written(authz, background) => {
            if background {
                validation::spawn(&cx.acme, &cx.vault, authz_id);
            } else if let Some(ch) = authz.challenges.iter().find(|c| c.id == id) {
                // always-valid: validated on the spot (counted like a real validation).
                let kind = ch.kind.as_str();
                cx.acme
                    .metrics
                    .acme_validation(kind, "valid", std::time::Duration::ZERO);
            }
            challenge_reply(cx, &authz, id)
        }
        Answered::Unchanged(authz) => challenge_reply(cx, &authz, id),
        Answered::Refused(detail) => Err(malformed(detail)),
    }
}
