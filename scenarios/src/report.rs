//! Reports: the summary table, JUnit XML (one testsuite, one testcase per scenario) and JSON.

use crate::runner::{CaseReport, Outcome};
use std::fmt::Write as _;
use std::time::Duration;

/// A plain-text table: scenario, result, steps passed, time, and the failure reason.
pub fn summary_table(reports: &[CaseReport]) -> String {
    let width = reports
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:<6}  {:>5}  {:>8}  note",
        "scenario", "result", "steps", "time"
    );
    let _ = writeln!(out, "{}", "-".repeat(width + 36));
    for r in reports {
        let passed = r
            .steps
            .iter()
            .filter(|s| s.outcome == Outcome::Passed)
            .count();
        let _ = writeln!(
            out,
            "{:<width$}  {:<6}  {:>5}  {:>7.2}s  {}",
            r.name,
            if r.passed { "PASS" } else { "FAIL" },
            format!("{passed}/{}", r.steps.len()),
            r.duration.as_secs_f64(),
            r.error
                .as_deref()
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
        );
    }
    let failed = reports.iter().filter(|r| !r.passed).count();
    let _ = writeln!(out, "{} passed, {} failed", reports.len() - failed, failed);
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML as CI systems read it: `<testsuites><testsuite name="scenarios">` with one
/// `<testcase>` per scenario; a failure carries the failing step and every step's outcome.
pub fn junit_xml(reports: &[CaseReport], total: Duration) -> String {
    let failures = reports.iter().filter(|r| !r.passed).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"scenarios\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{:.3}\">",
        reports.len(),
        total.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"scenarios\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{:.3}\">",
        reports.len(),
        total.as_secs_f64()
    );
    for r in reports {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"scenarios.{}\" file=\"{}\" time=\"{:.3}\"",
            xml_escape(&r.name),
            xml_escape(&r.tags.first().cloned().unwrap_or_else(|| "case".into())),
            xml_escape(&r.file),
            r.duration.as_secs_f64()
        );
        let steps: String = r
            .steps
            .iter()
            .map(|s| {
                format!(
                    "{:?} {} {}{}\n",
                    s.outcome,
                    s.index + 1,
                    s.label,
                    s.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        if r.passed {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                xml_escape(&steps)
            );
        } else {
            let msg = r.error.as_deref().unwrap_or("failed");
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"ScenarioFailure\">{}</failure>\n    </testcase>",
                xml_escape(msg.lines().next().unwrap_or("")),
                xml_escape(&format!("{msg}\n\n{steps}"))
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// `{"passed": n, "failed": n, "duration_ms": n, "scenarios": [CaseReport...]}`.
pub fn json(reports: &[CaseReport], total: Duration) -> serde_json::Value {
    let failed = reports.iter().filter(|r| !r.passed).count();
    serde_json::json!({
        "passed": reports.len() - failed,
        "failed": failed,
        "duration_ms": total.as_millis() as u64,
        "scenarios": reports,
    })
}

/// Live progress on stdout: one line per finished step (prefixed by the scenario, since
/// scenarios run concurrently) and one per finished scenario.
pub struct Progress {
    /// Also print passing steps (not only failures and scenario results).
    pub verbose: bool,
}

impl crate::runner::Observer for Progress {
    fn case_started(&self, case: &crate::case::Case) {
        if self.verbose {
            println!("▶ {} ({} steps)", case.name, case.steps.len());
        }
    }

    fn step_finished(&self, case: &crate::case::Case, s: &crate::runner::StepReport) {
        let status = s.http_status.map(|h| format!(" → {h}")).unwrap_or_default();
        match s.outcome {
            Outcome::Passed if self.verbose => println!(
                "  {} ✓ {}. {}{status} ({} ms){}",
                case.name,
                s.index + 1,
                s.label,
                s.duration.as_millis(),
                s.detail
                    .as_deref()
                    .map(|d| format!(" [{d}]"))
                    .unwrap_or_default()
            ),
            Outcome::Failed => println!(
                "  {} ✗ {}. {}{status}: {}",
                case.name,
                s.index + 1,
                s.label,
                s.message.as_deref().unwrap_or("")
            ),
            _ => {}
        }
    }

    fn case_finished(&self, _case: &crate::case::Case, r: &CaseReport) {
        println!(
            "{} {} ({:.2}s)",
            if r.passed { "PASS" } else { "FAIL" },
            r.name,
            r.duration.as_secs_f64()
        );
    }
}
