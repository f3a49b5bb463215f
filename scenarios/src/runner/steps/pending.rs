//! Steps on a certificate's pending operation: merge, cancel, delete, get, poll until a status.

use super::send::{send, send_op};
use crate::case::step::{self, Signer};
use crate::error::Error;
use crate::extca::ExternalCa;
use crate::runner::env::Env;
use crate::runner::observed::{op_summary, Observed};
use crate::runner::state::Failure;
use crate::runner::wire::{enc, toml_to_json, POLL_EVERY};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use shared::crypto::{self, PrivateKey};
use std::time::{Duration, Instant};

/// `poll_until` gives up after this long unless the step says otherwise.
const POLL_DEADLINE: Duration = Duration::from_secs(30);

/// The path of the certificate's pending operation.
fn pending_path(name: &str) -> String {
    format!("/certificates/{}/pending", enc(name))
}

/// `merge`: `POST /certificates/{name}/pending/merge` with a chain from the runner's CA.
pub(super) async fn merge(env: &Env, s: &step::Merge, obs: &mut Observed) -> Result<(), Failure> {
    let body = match &s.body {
        Some(b) => toml_to_json(b),
        None => merge_body(env, &s.name, s.signer).await?,
    };
    let path = format!("/certificates/{}/pending/merge", enc(&s.name));
    send(env, obs, Method::POST, &path, Some(&body)).await
}

/// Signs the pending CSR with the runner's CA (or certifies another key with `wrong_key`).
async fn merge_body(env: &Env, name: &str, signer: Signer) -> Result<Value, Failure> {
    let r = env.vault.get(&pending_path(name)).await?;
    let csr = r.body["csr"]
        .as_str()
        .and_then(|c| B64.decode(c.trim()).ok());
    let ca: &ExternalCa = &env.external_ca;
    let chain = match (csr, signer) {
        (Some(csr), Signer::ExternalCa) => ca.sign_csr(&csr).map_err(Error::from)?,
        (csr, _) => {
            // A different key: the merge must be refused (or there is no pending CSR at all).
            let subject = csr
                .and_then(|c| crypto::parse_csr(&c).ok())
                .map(|i| i.subject)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| format!("CN={name}.example"));
            let key = PrivateKey::generate(crypto::KeySpec::Ec {
                curve: shared::models::CurveName::P256,
            })
            .map_err(Error::from)?;
            ca.issue(&key, &subject, &[], false).map_err(Error::from)?
        }
    };
    Ok(json!({ "x5c": chain.iter().map(|c| B64.encode(c)).collect::<Vec<_>>() }))
}

/// `cancel`: `PATCH /certificates/{name}/pending {"cancellation_requested": true}`.
pub(super) async fn cancel(env: &Env, s: &step::Cancel, obs: &mut Observed) -> Result<(), Failure> {
    let body = json!({ "cancellation_requested": true });
    send_op(env, obs, Method::PATCH, &pending_path(&s.name), Some(&body)).await
}

/// `delete_pending`: `DELETE /certificates/{name}/pending`.
pub(super) async fn delete_pending(
    env: &Env,
    s: &step::DeletePending,
    obs: &mut Observed,
) -> Result<(), Failure> {
    send_op(env, obs, Method::DELETE, &pending_path(&s.name), None).await
}

/// `get_pending`: `GET /certificates/{name}/pending`.
pub(super) async fn get_pending(
    env: &Env,
    s: &step::GetPending,
    obs: &mut Observed,
) -> Result<(), Failure> {
    send_op(env, obs, Method::GET, &pending_path(&s.name), None).await
}

/// `poll_until`: polls `GET .../pending` until the operation has the step's `status`; fails
/// when it ends otherwise or the deadline passes. `on_poll` hears the time spent and the status
/// after every poll (live progress).
pub(super) async fn poll_until(
    env: &Env,
    s: &step::PollUntil,
    obs: &mut Observed,
    on_poll: impl Fn(Duration, &str),
) -> Result<(), Failure> {
    let want = s.status.as_deref().unwrap_or("completed");
    let deadline = s.deadline.map(|d| d.0).unwrap_or(POLL_DEADLINE);
    let started = Instant::now();
    loop {
        let r = env.vault.get(&pending_path(&s.name)).await?;
        if !r.is_success() {
            obs.reply = Some(r);
            return Ok(());
        }
        let now = r.body["status"].as_str().unwrap_or("").to_string();
        on_poll(started.elapsed(), &now);
        let terminal = matches!(now.as_str(), "completed" | "failed" | "cancelled");
        obs.op = Some(r.body.clone());
        obs.reply = Some(r);
        if now.eq_ignore_ascii_case(want) {
            return Ok(());
        }
        if terminal {
            let op = obs.op.as_ref().map(op_summary).unwrap_or_default();
            return Err(Failure {
                message: format!("waited for '{want}', the operation ended {op}"),
                status: Some(200),
            });
        }
        if started.elapsed() >= deadline {
            let op = obs.op.as_ref().map(op_summary).unwrap_or_default();
            return Err(Failure {
                message: format!(
                    "waited {:.1}s for '{want}'; still {op}",
                    deadline.as_secs_f64()
                ),
                status: Some(200),
            });
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
