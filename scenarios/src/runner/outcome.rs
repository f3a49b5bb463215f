//! What a run reports: [`StepReport`] per step, [`CaseReport`] per scenario (serialized into
//! the JSON report, so field names are part of the format).

use serde::Serialize;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed,
    Failed,
    Skipped,
}

/// One step's result.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub index: usize,
    pub label: String,
    pub outcome: Outcome,
    #[serde(serialize_with = "ser_ms")]
    pub duration: Duration,
    /// HTTP status of the step's last response.
    pub http_status: Option<u16>,
    /// Why it failed.
    pub message: Option<String>,
    /// The error the step saw and expected (`code: message`), e.g. for a refused merge.
    pub detail: Option<String>,
}

/// One scenario's result.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    pub name: String,
    pub file: String,
    pub tags: Vec<String>,
    pub passed: bool,
    #[serde(serialize_with = "ser_ms")]
    pub duration: Duration,
    pub steps: Vec<StepReport>,
    /// Setup, timeout or step failure, in one line.
    pub error: Option<String>,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}
