//! Steps that steer or inspect the test bed rather than a certificate resource: any raw vault
//! request, the clocks, ca-sim's orders and fault rules, vault's outbox, a pause.

use crate::case::step;
use crate::client::Reply;
use crate::error::Error;
use crate::runner::env::Env;
use crate::runner::observed::Observed;
use crate::runner::state::{CaseState, Failure};
use crate::runner::wire::{notifications_path, toml_to_json, POLL_EVERY};
use reqwest::Method;
use serde_json::{json, Value};
use std::future::Future;
use std::time::{Duration, Instant};

/// How long ca-sim admin steps wait for vault to have placed the order.
const ORDER_WAIT: Duration = Duration::from_secs(15);

/// `request`: any vault request; a body that looks like a pending operation is kept as one.
pub(super) async fn request(
    env: &Env,
    s: &step::Request,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let method = Method::from_bytes(s.method.to_uppercase().as_bytes())
        .map_err(|e| Failure::new(e.to_string()))?;
    let body = s.body.as_ref().map(toml_to_json);
    let r = env
        .vault
        .send(method, &s.path, body.as_ref(), !s.anonymous)
        .await?;
    if r.body.get("status").is_some() && r.body.get("csr").is_some() {
        obs.op = Some(r.body.clone());
    }
    obs.reply = Some(r);
    Ok(())
}

/// `advance_clock`: ca-sim's simulated clock (`POST /admin/clock`), then vault's
/// (`POST /_admin/clock/advance`); the last answer is the step's reply.
pub(super) async fn advance_clock(
    env: &Env,
    s: &step::AdvanceClock,
    obs: &mut Observed,
) -> Result<(), Failure> {
    if let Some(d) = s.ca_sim {
        let r = env
            .ca_sim
            .send(
                Method::POST,
                "/clock",
                Some(&json!({ "advance_seconds": d.0.as_secs_f64() })),
            )
            .await?;
        obs.reply = Some(r);
    }
    if let Some(secs) = s.seconds {
        let r = env
            .vault
            .send(
                Method::POST,
                "/_admin/clock/advance",
                Some(&json!({ "seconds": secs })),
                true,
            )
            .await?;
        obs.reply = Some(r);
    }
    Ok(())
}

/// `ca_approve`: approves the open ca-sim order for `common_name`.
pub(super) async fn ca_approve(
    env: &Env,
    s: &step::CaApprove,
    state: &CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let decision = ("approve", json!({}));
    decide(env, &s.common_name, s.wait, decision, state, obs).await
}

/// `ca_reject`: rejects the open ca-sim order for `common_name`, with the step's `reason`.
pub(super) async fn ca_reject(
    env: &Env,
    s: &step::CaReject,
    state: &CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let reason = s.reason.as_deref().unwrap_or("Rejected by the scenario");
    let decision = ("reject", json!({ "reason": reason }));
    decide(env, &s.common_name, s.wait, decision, state, obs).await
}

/// Waits for vault's order for `common_name`, then `POST /admin/orders/{id}/{action}`.
async fn decide(
    env: &Env,
    common_name: &str,
    wait: Option<shared::duration::Dur>,
    (action, body): (&str, Value),
    state: &CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let wait = wait.map(|d| d.0).unwrap_or(ORDER_WAIT);
    let order = wait_for_order(env, common_name, state.orders_before, wait).await?;
    let id = order["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| order["id"].to_string());
    let r = env
        .ca_sim
        .send(Method::POST, &format!("/orders/{id}/{action}"), Some(&body))
        .await?;
    obs.ca_order = Some(r.body.clone());
    obs.reply = Some(r);
    Ok(())
}

/// `ca_order`: the newest ca-sim order for `common_name` (a 200 reply with the order).
pub(super) async fn ca_order(
    env: &Env,
    s: &step::CaOrder,
    state: &CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let order = if s.acme {
        wait_for_acme_order(env, &s.common_name).await?
    } else {
        wait_for_order(env, &s.common_name, state.orders_before, ORDER_WAIT).await?
    };
    obs.ca_order = Some(order.clone());
    obs.reply = Some(Reply {
        status: 200,
        body: order,
    });
    Ok(())
}

/// The newest ca-sim order for `common_name`, waiting until vault has placed it.
async fn wait_for_order(
    env: &Env,
    common_name: &str,
    after: u64,
    wait: Duration,
) -> Result<Value, Failure> {
    let what = format!("order for '{common_name}'");
    wait_for(&what, wait, || env.ca_sim.order_for(common_name, after)).await
}

/// The newest ca-sim ACME order naming `identifier`, waiting until vault has placed it.
async fn wait_for_acme_order(env: &Env, identifier: &str) -> Result<Value, Failure> {
    let what = format!("ACME order for '{identifier}'");
    wait_for(&what, ORDER_WAIT, || env.ca_sim.acme_order_for(identifier)).await
}

/// Asks `find` every [`POLL_EVERY`] until it finds the order; after `wait` the step fails
/// saying ca-sim has no `what`.
async fn wait_for<Fut>(what: &str, wait: Duration, find: impl Fn() -> Fut) -> Result<Value, Failure>
where
    Fut: Future<Output = Result<Option<Value>, Error>>,
{
    let started = Instant::now();
    loop {
        if let Some(o) = find().await? {
            return Ok(o);
        }
        if started.elapsed() >= wait {
            return Err(Failure::new(format!(
                "ca-sim has no {what} after {:.1}s",
                wait.as_secs_f64()
            )));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// `set_faults`: replaces ca-sim's fault rules (`PUT /admin/faults`).
pub(super) async fn set_faults(
    env: &Env,
    s: &step::SetFaults,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let body = serde_json::to_value(&s.rules).map_err(|e| Failure::new(e.to_string()))?;
    obs.reply = Some(env.ca_sim.send(Method::PUT, "/faults", Some(&body)).await?);
    Ok(())
}

/// `notifications`: vault's outbox rows (one certificate's, or all) added since the case
/// started. `run_step` calls it again until the expectations hold or the wait is over.
pub(super) async fn notifications(
    env: &Env,
    s: &step::Notifications,
    state: &CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let r = env
        .vault
        .get(&notifications_path(s.name.as_deref()))
        .await?;
    if r.is_success() {
        obs.notifications = Some(
            r.body["value"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|n| n["id"].as_u64().unwrap_or(0) > state.notifications_before)
                .cloned()
                .collect(),
        );
    }
    obs.reply = Some(r);
    Ok(())
}

/// `sleep`: waits (nothing is sent).
pub(super) async fn sleep(s: &step::Sleep) {
    tokio::time::sleep(s.duration.0).await;
}
