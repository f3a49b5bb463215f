//! What the test files share: where the scenario files live, each failed scenario as one
//! line, a CLI run's exit check, and the dashboards' URLs as the CLI prints them.

use scenarios::runner::CaseReport;
use std::path::{Path, PathBuf};
use std::process::Output;

/// `scenarios/cases/`, the scenario files.
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")
}

/// Each failed scenario as `name: error`, for an assertion's message.
pub fn failures(reports: &[CaseReport]) -> Vec<String> {
    reports
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}", r.name, r.error.as_deref().unwrap_or("")))
        .collect()
}

/// Asserts that every scenario passed; the message lists the failed ones, then `table` (the
/// run's summary).
pub fn assert_all_passed(reports: &[CaseReport], table: &str) {
    let failed = failures(reports);
    assert!(
        failed.is_empty(),
        "failed scenarios:\n{}\n\n{table}",
        failed.join("\n")
    );
}

/// A CLI run's stdout, once it is asserted that the run exited successfully (the message
/// shows the exit status, stdout and stderr otherwise).
pub fn success_stdout(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    stdout
}

/// The URL after `label` on one of `text`'s lines.
pub fn url_after<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .map(str::trim)
}

/// The vault and ca-sim dashboard URLs in what `demo --ui` or `up` printed, asserted to be
/// loopback HTTPS URLs of each dashboard's page.
pub fn dashboard_urls(text: &str) -> (&str, &str) {
    let vault = url_after(text, "vault dashboard").unwrap_or_else(|| panic!("{text}"));
    let ca_sim = url_after(text, "ca-sim dashboard").unwrap_or_else(|| panic!("{text}"));
    assert!(
        vault.starts_with("https://127.0.0.1:") && vault.ends_with("/_admin/ui/"),
        "{vault}"
    );
    assert!(
        ca_sim.starts_with("https://127.0.0.1:") && ca_sim.ends_with("/admin/ui/"),
        "{ca_sim}"
    );
    (vault, ca_sim)
}
