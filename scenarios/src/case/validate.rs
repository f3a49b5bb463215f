//! Checks that need more than one field (or the file's text, to point at a line): run after
//! deserializing, before anything runs.

use super::position::{line_of, nth_index};
use super::scenario::Case;
use super::step::{
    AcmeAccount, AcmeChallenge, AcmeChaos, AcmeFinalize, AcmePoll, AdvanceClock, Import, List,
    ListOf, Request, SetFaults, Step, CHALLENGE_TYPES, ORDER_STATUSES,
};
use crate::error::Error;
use std::path::Path;

/// Checks that need more than one field.
pub(super) fn validate(case: &Case, text: &str, file: &Path) -> Result<(), Error> {
    let bad = |line: usize, message: String| Error::Case {
        file: file.to_path_buf(),
        line,
        column: 1,
        message,
    };
    if case.name.trim().is_empty() {
        return Err(bad(
            line_of(text, text.find("name").unwrap_or(0)),
            "field `name`: must not be empty".into(),
        ));
    }
    if case.steps.is_empty() {
        return Err(bad(
            1,
            "field `steps`: a scenario needs at least one step".into(),
        ));
    }
    for (i, step) in case.steps.iter().enumerate() {
        let line = case.step_line(text, i);
        match step.get_ref() {
            Step::List(List {
                of: ListOf::Versions,
                name: None,
                ..
            }) => {
                return Err(bad(
                    line,
                    "field `name`: `list` of versions needs a name".into(),
                ))
            }
            Step::AdvanceClock(AdvanceClock {
                seconds: None,
                ca_sim: None,
                ..
            }) => {
                return Err(bad(
                    line,
                    "field `seconds`: `advance_clock` needs `seconds` (vault) or `ca_sim`".into(),
                ))
            }
            Step::Import(Import {
                format: Some(f), ..
            }) if f != "pfx" && f != "pem" => {
                return Err(bad(
                    line,
                    format!("field `format`: '{f}' is neither pfx nor pem"),
                ))
            }
            Step::Request(Request { method, .. })
                if reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).is_err() =>
            {
                return Err(bad(
                    line,
                    format!("field `method`: invalid method '{method}'"),
                ))
            }
            // The rules ca-sim would refuse (e.g. `phase = "after"` with a `reject`), caught
            // here with the step's line, as `[[setup.faults]]` are below.
            Step::SetFaults(SetFaults { rules, .. }) => {
                for rule in rules {
                    rule.validate()
                        .map_err(|e| bad(line, format!("field `rules`: {e}")))?;
                }
            }
            Step::AcmeAccount(_)
            | Step::AcmeChallenge(_)
            | Step::AcmeFinalize(_)
            | Step::AcmePoll(_)
            | Step::AcmeRevoke(_)
            | Step::AcmeChaos(_) => acme_step(step.get_ref()).map_err(|e| bad(line, e))?,
            _ => {}
        }
        let expect = step.get_ref().expect();
        let window =
            expect.window_start_days_min.is_some() || expect.window_start_days_max.is_some();
        if window && !matches!(step.get_ref(), Step::AcmeRenewalInfo(_)) {
            return Err(bad(
                line,
                "field `window_start_days_min`: only an `acme_renewal_info` step reads a renewal \
                 window"
                    .into(),
            ));
        }
        if !expect.notifications.is_empty() && !matches!(step.get_ref(), Step::Notifications(_)) {
            return Err(bad(
                line,
                "field `notifications`: only a `notifications` step reads the outbox".into(),
            ));
        }
        if expect
            .notifications
            .iter()
            .any(|n| matches!((n.min, n.max), (Some(a), Some(b)) if a > b))
        {
            return Err(bad(
                line,
                "field `notifications`: `min` is greater than `max`".into(),
            ));
        }
        if expect
            .ca_requests
            .iter()
            .any(|r| r.count.is_none() && r.min.is_none() && r.max.is_none())
        {
            return Err(bad(
                line,
                "field `ca_requests`: give `count`, `min` or `max`".into(),
            ));
        }
    }
    for (i, rule) in case.setup.faults.iter().enumerate() {
        rule.validate().map_err(|e| {
            bad(
                line_of(text, nth_index(text, "[[setup.faults]]", i).unwrap_or(0)),
                format!("field `setup.faults`: {e}"),
            )
        })?;
    }
    Ok(())
}

/// The fields of an ACME step that must agree with each other or with what vault accepts.
fn acme_step(step: &Step) -> Result<(), String> {
    match step {
        Step::AcmeAccount(AcmeAccount {
            eab,
            eab_kid,
            eab_key,
            ..
        }) => match (eab, eab_kid, eab_key) {
            (true, Some(_), _) | (true, _, Some(_)) => {
                Err("field `eab`: give `eab = true` or `eab_kid` + `eab_key`, not both".into())
            }
            (_, Some(_), None) | (_, None, Some(_)) => {
                Err("field `eab_kid`: `eab_kid` and `eab_key` go together".into())
            }
            _ => Ok(()),
        },
        Step::AcmeChallenge(AcmeChallenge {
            challenge_type,
            status,
            ..
        }) => {
            if let Some(t) = challenge_type {
                if !CHALLENGE_TYPES.contains(&t.as_str()) {
                    return Err(format!(
                        "field `type`: '{t}' is not one of {}",
                        CHALLENGE_TYPES.join(", ")
                    ));
                }
            }
            one_of("status", status.as_deref(), &["ready", "invalid"])
        }
        Step::AcmeFinalize(AcmeFinalize {
            key_type,
            key_size,
            curve,
            status,
            ..
        }) => {
            crate::extca::key_spec(key_type.as_deref(), *key_size, curve.as_deref())
                .map_err(|e| format!("field `key_type`: {e}"))?;
            one_of(
                "status",
                status.as_deref(),
                &["valid", "invalid", "processing"],
            )
        }
        Step::AcmePoll(AcmePoll { status, .. }) => {
            one_of("status", status.as_deref(), &ORDER_STATUSES)
        }
        Step::AcmeRevoke(r) => r
            .reason_code()
            .map(|_| ())
            .map_err(|e| format!("field `reason`: {e}")),
        // The document vault would refuse, refused here with the step's line.
        Step::AcmeChaos(AcmeChaos { chaos, .. }) => {
            let json = serde_json::to_vec(chaos).map_err(|e| format!("field `chaos`: {e}"))?;
            vault::acme::chaos::ChaosDoc::parse(&json)
                .map(|_| ())
                .map_err(|e| format!("field `chaos`: {e}"))
        }
        _ => Ok(()),
    }
}

/// `value` (when given) is one of `allowed`.
fn one_of(field: &str, value: Option<&str>, allowed: &[&str]) -> Result<(), String> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(format!(
            "field `{field}`: '{v}' is not one of {}",
            allowed.join(", ")
        )),
        _ => Ok(()),
    }
}
