//! What most steps do on the wire: send one authorized vault request and keep its reply as
//! what the step saw.

use crate::runner::env::Env;
use crate::runner::observed::Observed;
use crate::runner::state::Failure;
use reqwest::Method;
use serde_json::Value;

/// Sends one authorized vault request; its reply is what the step saw.
pub(super) async fn send(
    env: &Env,
    obs: &mut Observed,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<(), Failure> {
    obs.reply = Some(env.vault.send(method, path, body, true).await?);
    Ok(())
}

/// [`send`] for a request whose successful answer is the pending operation (kept as `op` too).
pub(super) async fn send_op(
    env: &Env,
    obs: &mut Observed,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<(), Failure> {
    send(env, obs, method, path, body).await?;
    obs.op = obs
        .reply
        .as_ref()
        .filter(|r| r.is_success())
        .map(|r| r.body.clone());
    Ok(())
}
