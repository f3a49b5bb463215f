//! What each step kind does on the wire: [`run_step`] performs a step and checks its
//! expectations; `perform` dispatches on the kind to one function per kind, grouped like the
//! kinds in `case/step/`:
//!
//! - `certs.rs`: certificates, versions, deleted certificates, lists, backups;
//! - `pending.rs`: the pending operation (merge, cancel, get, poll);
//! - `settings.rs`: issuers and contacts;
//! - `control.rs`: raw requests, clocks, ca-sim orders and faults, the outbox, sleep;
//! - `acme.rs`: vault's ACME gateway through `instant-acme`;
//! - `send.rs`: the one vault request most kinds send, kept as what the step saw.

mod acme;
mod certs;
mod control;
mod pending;
mod send;
mod settings;

use super::check;
use super::env::Env;
use super::observed::{error_seen, Observed};
use super::observer::Observer;
use super::state::{CaseState, Failure};
use super::wire::POLL_EVERY;
use crate::case::{Case, Step};
use shared::duration::Dur;
use std::time::{Duration, Instant};

/// How long `notifications` waits for its expectations by default.
const NOTIFICATION_WAIT: Duration = Duration::from_secs(20);

/// Runs one step and checks its expectations. `Ok` carries the HTTP status seen and the error
/// the step saw (and expected), if any.
pub(crate) async fn run_step(
    env: &Env,
    case: &Case,
    index: usize,
    step: &Step,
    state: &mut CaseState,
    observer: &dyn Observer,
) -> Result<(Option<u16>, Option<String>), Failure> {
    // `notifications` reads the outbox again until its expectations hold (mail is recorded
    // by vault's background scheduler, a moment after what caused it).
    let wait = match step {
        Step::Notifications(s) => s.wait.map(|d| d.0).unwrap_or(NOTIFICATION_WAIT),
        _ => Duration::ZERO,
    };
    let started = Instant::now();
    loop {
        let observed = perform(env, case, index, step, state, observer).await?;
        let status = observed.reply.as_ref().map(|r| r.status);
        match check::check(env, step, &observed).await {
            Ok(()) => return Ok((status, error_seen(&observed))),
            Err(message) if started.elapsed() >= wait => {
                let message = if wait.is_zero() {
                    message
                } else {
                    format!("after {:.1}s: {message}", wait.as_secs_f64())
                };
                return Err(Failure { message, status });
            }
            Err(_) => tokio::time::sleep(POLL_EVERY).await,
        }
    }
}

/// Sends what the step's kind sends and records what came back.
async fn perform(
    env: &Env,
    case: &Case,
    index: usize,
    step: &Step,
    state: &mut CaseState,
    observer: &dyn Observer,
) -> Result<Observed, Failure> {
    let mut obs = Observed {
        name: step.cert_name().map(str::to_string),
        ..Default::default()
    };
    let o = &mut obs;
    match step {
        Step::Create(s) => certs::create(env, s, o).await,
        Step::Import(s) => certs::import(env, s, o).await,
        Step::Merge(s) => pending::merge(env, s, o).await,
        Step::Cancel(s) => pending::cancel(env, s, o).await,
        Step::DeletePending(s) => pending::delete_pending(env, s, o).await,
        Step::Get(s) => certs::get(env, s, o).await,
        Step::GetPending(s) => pending::get_pending(env, s, o).await,
        Step::PollUntil(s) => {
            let on_poll = progress(observer, case, index, s.expected);
            pending::poll_until(env, s, o, on_poll).await
        }
        Step::Update(s) => certs::update(env, s, o).await,
        Step::Delete(s) => certs::delete(env, s, o).await,
        Step::GetDeleted(s) => certs::get_deleted(env, s, o).await,
        Step::Recover(s) => certs::recover(env, s, o).await,
        Step::Purge(s) => certs::purge(env, s, o).await,
        Step::List(s) => certs::list(env, s, o).await,
        Step::Backup(s) => certs::backup(env, s, state, o).await,
        Step::Restore(s) => certs::restore(env, s, state, o).await,
        Step::SetIssuer(s) => settings::set_issuer(env, s, o).await,
        Step::GetIssuer(s) => settings::get_issuer(env, s, o).await,
        Step::DeleteIssuer(s) => settings::delete_issuer(env, s, o).await,
        Step::SetContacts(s) => settings::set_contacts(env, s, o).await,
        Step::GetContacts(_) => settings::get_contacts(env, o).await,
        Step::DeleteContacts(_) => settings::delete_contacts(env, o).await,
        Step::Request(s) => control::request(env, s, o).await,
        Step::AdvanceClock(s) => control::advance_clock(env, s, o).await,
        Step::CaApprove(s) => control::ca_approve(env, s, state, o).await,
        Step::CaReject(s) => control::ca_reject(env, s, state, o).await,
        Step::CaOrder(s) => control::ca_order(env, s, state, o).await,
        Step::SetFaults(s) => control::set_faults(env, s, o).await,
        Step::Notifications(s) => control::notifications(env, s, state, o).await,
        Step::Sleep(s) => {
            control::sleep(s).await;
            Ok(())
        }
        Step::AcmeAccount(s) => acme::account(env, s, state, o).await,
        Step::AcmeOrder(s) => acme::order(s, state, o).await,
        Step::AcmeChallenge(s) => acme::challenge(env, s, state, o).await,
        Step::AcmeFinalize(s) => {
            let on_poll = progress(observer, case, index, s.expected);
            acme::finalize(s, state, o, on_poll).await
        }
        Step::AcmePoll(s) => {
            let on_poll = progress(observer, case, index, s.expected);
            acme::poll(s, state, o, on_poll).await
        }
        Step::AcmeDownload(s) => acme::download(s, state, o).await,
        Step::AcmeRevoke(s) => acme::revoke(s, state, o).await,
        Step::AcmeRenewalInfo(s) => acme::renewal_info(env, s, state, o).await,
        Step::AcmeChaos(s) => acme::chaos(env, s, o).await,
    }?;
    Ok(obs)
}

/// What a step that waits for a status calls after every poll: the observer's live progress,
/// with the step's `expected` time.
fn progress<'a>(
    observer: &'a dyn Observer,
    case: &'a Case,
    index: usize,
    expected: Option<Dur>,
) -> impl Fn(Duration, &str) + 'a {
    let expected = expected.map(|d| d.0);
    move |elapsed, status| observer.polling(case, index, elapsed, expected, status)
}
