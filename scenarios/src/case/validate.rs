//! Checks that need more than one field (or the file's text, to point at a line): run after
//! deserializing, before anything runs.

use super::position::{line_of, nth_index};
use super::scenario::Case;
use super::step::{AdvanceClock, Import, List, ListOf, Request, SetFaults, Step};
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
            _ => {}
        }
        if !step.get_ref().expect().notifications.is_empty()
            && !matches!(step.get_ref(), Step::Notifications(_))
        {
            return Err(bad(
                line,
                "field `notifications`: only a `notifications` step reads the outbox".into(),
            ));
        }
        let expect = step.get_ref().expect();
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
