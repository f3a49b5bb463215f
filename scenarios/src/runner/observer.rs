//! [`Observer`]: live progress of a run (the CLI's progress lines, the demo's narration).

use super::outcome::{CaseReport, StepReport};
use crate::case::{Case, Step};
use std::time::Duration;

/// Live progress. Every method has an empty default.
pub trait Observer: Send + Sync {
    fn case_started(&self, _case: &Case) {}
    fn step_started(&self, _case: &Case, _index: usize, _step: &Step) {}
    /// Called while `poll_until` waits: time spent, the expected time if the step gave one,
    /// and the operation's current status.
    fn polling(
        &self,
        _case: &Case,
        _index: usize,
        _elapsed: Duration,
        _expected: Option<Duration>,
        _status: &str,
    ) {
    }
    fn step_finished(&self, _case: &Case, _report: &StepReport) {}
    fn case_finished(&self, _case: &Case, _report: &CaseReport) {}
}

/// An observer that says nothing.
pub struct Quiet;
impl Observer for Quiet {}
