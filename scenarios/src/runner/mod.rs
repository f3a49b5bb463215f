//! Runs scenarios against an [`Env`]: each case's setup, its steps in order (the first failing
//! step ends the case), then its teardown. [`run_all`] runs many cases at once where their
//! names do not collide; cases touching global state run alone. Progress goes to an
//! [`Observer`].
//!
//! Layout: this file schedules cases ([`run_all`]) and runs one ([`run_case`]);
//! - `env.rs`: the clients ([`Env`]); `observer.rs`: live progress; `outcome.rs`: the reports;
//! - `setup.rs`: a case's setup, and the snapshot and teardown of global state;
//! - `steps/`: what each step kind sends, one function per kind; `check.rs`: its expectations,
//!   against what the step saw (`observed.rs`);
//! - `state.rs`: per-case state and step failures; `wire.rs`: paths and bodies setup and steps
//!   share.

mod check;
mod env;
mod observed;
mod observer;
mod outcome;
mod setup;
mod state;
mod steps;
mod wire;

pub use env::{AcmeEnv, Env};
pub use observer::{Observer, Quiet};
pub use outcome::{CaseReport, Outcome, StepReport};
pub use wire::issuer_body;

use crate::case::Case;
use state::CaseState;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Default deadline of one scenario.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Keeps cases whose name contains one of `names` (if any) and that carry one of `tags` (if
/// any).
pub fn filter(cases: Vec<Case>, names: &[String], tags: &[String]) -> Vec<Case> {
    cases
        .into_iter()
        .filter(|c| names.is_empty() || names.iter().any(|n| c.name.contains(n.as_str())))
        .filter(|c| tags.is_empty() || c.tags.iter().any(|t| tags.contains(t)))
        .collect()
}

/// Runs one scenario to the end (or its first failure) and reports it.
pub async fn run_case(env: &Env, case: &Case, observer: &dyn Observer) -> CaseReport {
    observer.case_started(case);
    let started = Instant::now();
    let mut reports: Vec<StepReport> = Vec::new();
    let timeout = case.timeout.map(|d| d.0).unwrap_or(DEFAULT_TIMEOUT);

    // Global state the case changes, read first so that teardown puts it back.
    let saved = setup::snapshot(env, case).await;
    let body = async {
        setup::setup(env, case)
            .await
            .map_err(|e| format!("setup: {e}"))?;
        let mut state = CaseState::default();
        let uses_orders = case
            .steps
            .iter()
            .any(|s| s.get_ref().order_common_name().is_some());
        if uses_orders {
            state.orders_before = env
                .ca_sim
                .last_order_seq()
                .await
                .map_err(|e| format!("setup: {e}"))?;
        }
        if case.reads_notifications() {
            state.notifications_before = setup::last_notification_id(env)
                .await
                .map_err(|e| format!("setup: {e}"))?;
        }
        for (index, spanned) in case.steps.iter().enumerate() {
            let step = spanned.get_ref();
            observer.step_started(case, index, step);
            let t = Instant::now();
            let result = steps::run_step(env, case, index, step, &mut state, observer).await;
            let (outcome, http_status, message, detail) = match result {
                Ok((status, detail)) => (Outcome::Passed, status, None, detail),
                Err(f) => (Outcome::Failed, f.status, Some(f.message), None),
            };
            let report = StepReport {
                index,
                label: step.label(),
                outcome,
                duration: t.elapsed(),
                http_status,
                message: message.clone(),
                detail,
            };
            observer.step_finished(case, &report);
            reports.push(report);
            if let Some(m) = message {
                return Err(format!("step {} ({}): {m}", index + 1, step.label()));
            }
        }
        Ok::<(), String>(())
    };
    let error = match tokio::time::timeout(timeout, body).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => Some(format!("timed out after {}s", timeout.as_secs_f64())),
    };
    if let Err(e) = setup::teardown(env, case, &saved).await {
        tracing_free_warn(&format!("{}: teardown: {e}", case.name));
    }
    for index in reports.len()..case.steps.len() {
        reports.push(StepReport {
            index,
            label: case.steps[index].get_ref().label(),
            outcome: Outcome::Skipped,
            duration: Duration::ZERO,
            http_status: None,
            message: None,
            detail: None,
        });
    }
    let report = CaseReport {
        name: case.name.clone(),
        file: case.file.display().to_string(),
        tags: case.tags.clone(),
        passed: error.is_none(),
        duration: started.elapsed(),
        steps: reports,
        error,
    };
    observer.case_finished(case, &report);
    report
}

fn tracing_free_warn(msg: &str) {
    eprintln!("warning: {msg}");
}

/// Runs every case, at most `concurrency` at a time; two cases sharing a certificate, issuer or
/// account name never overlap, and exclusive cases run alone after the others. Reports come
/// back in the order of `cases`.
pub async fn run_all(
    env: &Env,
    cases: &[Case],
    observer: Arc<dyn Observer>,
    concurrency: usize,
) -> Vec<CaseReport> {
    let concurrency = concurrency.max(1);
    let cases: Vec<Arc<Case>> = cases.iter().cloned().map(Arc::new).collect();
    let resources: Vec<BTreeSet<String>> = cases.iter().map(|c| c.resources()).collect();
    let mut queue: VecDeque<usize> = (0..cases.len())
        .filter(|&i| !cases[i].is_exclusive())
        .chain((0..cases.len()).filter(|&i| cases[i].is_exclusive()))
        .collect();
    let mut reports: Vec<Option<CaseReport>> = vec![None; cases.len()];
    let mut running: JoinSet<(usize, CaseReport)> = JoinSet::new();
    let mut busy: HashMap<usize, bool> = HashMap::new();
    let mut ids: HashMap<tokio::task::Id, usize> = HashMap::new();

    loop {
        let exclusive_running = busy.values().any(|&x| x);
        let mut i = 0;
        while !exclusive_running && running.len() < concurrency && i < queue.len() {
            let idx = queue[i];
            let exclusive = cases[idx].is_exclusive();
            let free = if exclusive {
                busy.is_empty()
            } else {
                busy.keys()
                    .all(|&b| resources[b].is_disjoint(&resources[idx]))
            };
            if free {
                queue.remove(i);
                busy.insert(idx, exclusive);
                let env = env.clone();
                let case = cases[idx].clone();
                let observer = observer.clone();
                let handle = running
                    .spawn(async move { (idx, run_case(&env, &case, observer.as_ref()).await) });
                ids.insert(handle.id(), idx);
                if exclusive {
                    break;
                }
            } else if exclusive {
                break;
            } else {
                i += 1;
            }
        }
        match running.join_next_with_id().await {
            Some(Ok((id, (idx, report)))) => {
                ids.remove(&id);
                busy.remove(&idx);
                reports[idx] = Some(report);
            }
            Some(Err(e)) => {
                if let Some(idx) = ids.remove(&e.id()) {
                    busy.remove(&idx);
                    reports[idx] = Some(panic_report(&cases[idx], &e.to_string()));
                }
            }
            None => {
                if queue.is_empty() {
                    break;
                }
            }
        }
    }
    reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|| panic_report(&cases[i], "did not run")))
        .collect()
}

fn panic_report(case: &Case, why: &str) -> CaseReport {
    CaseReport {
        name: case.name.clone(),
        file: case.file.display().to_string(),
        tags: case.tags.clone(),
        passed: false,
        duration: Duration::ZERO,
        steps: Vec::new(),
        error: Some(format!("runner task failed: {why}")),
    }
}
