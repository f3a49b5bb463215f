//! `scenarios demo`: starts ca-sim and vault in-process, then narrates and runs the showcase
//! (the scenario files in `scenarios/demo/`, built into the binary), one after the other, with
//! a progress bar while an operation is polled. Ends with a summary. With `ui` it prints both
//! dashboards' URLs first; its [`Pace`] spaces the chapters so a viewer can follow them there.

use crate::case::{self, Case, Step};
use crate::error::Error;
use crate::pace::Pace;
use crate::report;
use crate::runner::{self, CaseReport, Env, Observer, Outcome, StepReport};
use crate::services::{LocalOptions, LocalServices};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The showcase, in order (file name, text).
pub const SHOWCASE: &[(&str, &str)] = &[
    (
        "demo/01-self-signed.toml",
        include_str!("../demo/01-self-signed.toml"),
    ),
    (
        "demo/02-digicert.toml",
        include_str!("../demo/02-digicert.toml"),
    ),
    (
        "demo/03-globalsign.toml",
        include_str!("../demo/03-globalsign.toml"),
    ),
    (
        "demo/04-wosign.toml",
        include_str!("../demo/04-wosign.toml"),
    ),
    (
        "demo/05-unknown-merge.toml",
        include_str!("../demo/05-unknown-merge.toml"),
    ),
    (
        "demo/06-import.toml",
        include_str!("../demo/06-import.toml"),
    ),
    (
        "demo/07-cancel.toml",
        include_str!("../demo/07-cancel.toml"),
    ),
    (
        "demo/08-rejection.toml",
        include_str!("../demo/08-rejection.toml"),
    ),
    (
        "demo/09-outage.toml",
        include_str!("../demo/09-outage.toml"),
    ),
    (
        "demo/10-acme-digicert.toml",
        include_str!("../demo/10-acme-digicert.toml"),
    ),
    (
        "demo/11-acme-issuer.toml",
        include_str!("../demo/11-acme-issuer.toml"),
    ),
];

/// The showcase scenarios, parsed.
pub fn showcase() -> Result<Vec<Case>, Error> {
    SHOWCASE
        .iter()
        .map(|(file, text)| case::parse(text, Path::new(file)))
        .collect()
}

/// How the demo talks.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Print nothing (tests).
    pub quiet: bool,
    /// Print both dashboards' URLs before the first chapter, and pause before it and before
    /// stopping the services (as `pace` says) so the viewer can open and read them.
    pub ui: bool,
    /// The wait between chapters.
    pub pace: Pace,
}

/// What the demo did.
#[derive(Debug)]
pub struct DemoOutcome {
    pub reports: Vec<CaseReport>,
    pub duration: Duration,
}

impl DemoOutcome {
    pub fn passed(&self) -> bool {
        self.reports.iter().all(|r| r.passed)
    }
}

/// Starts the services, runs the showcase narrated, prints the summary, stops the services.
pub async fn run(options: DemoOptions) -> Result<DemoOutcome, Error> {
    let cases = showcase()?;
    let out = Narrator::new(options.quiet, cases.len());
    let started = Instant::now();
    out.say("Starting ca-sim (partner CA simulator) and vault (Key Vault emulator) on free ports…");
    let services = LocalServices::start(LocalOptions::default()).await?;
    let ep = &services.endpoints;
    out.say(&format!(
        "  vault   {}   (trust {})",
        ep.vault_url,
        path_or(&ep.vault_ca_path)
    ));
    out.say(&format!(
        "  ca-sim  {}   (DigiCert /services/v2, GlobalSign /kb/ws/v1, WoSign /api/v1)",
        ep.ca_sim_url
    ));
    out.say(&format!("  ACME    {}/acme/directory", ep.vault_url));
    if options.ui {
        out.say(&format!("\n{:2}", services.dashboard_urls()));
        out.say(&format!(
            "  (the browser warns about the services' own CAs: accept, or trust {} and {})",
            path_or(&ep.vault_ca_path),
            path_or(&ep.ca_sim_ca_path)
        ));
    }
    let env = Env::new(ep)?;

    let mut reports = Vec::new();
    let total = cases.len();
    for (i, case) in cases.iter().enumerate() {
        if options.ui || i > 0 {
            let next = format!("chapter {}/{total} {}", i + 1, case.name);
            out.pause(options.pace, &next).await;
        }
        reports.push(runner::run_case(&env, case, &out).await);
    }
    let duration = started.elapsed();
    if options.ui {
        out.pause(options.pace, "stop the services").await;
    }
    services.stop().await;

    out.say("");
    out.say("━━ Summary");
    for line in report::summary_table(&reports).lines() {
        out.say(&format!("  {line}"));
    }
    let outcome = DemoOutcome { reports, duration };
    out.say(&format!(
        "\n{} in {:.1}s.",
        if outcome.passed() {
            "Everything passed"
        } else {
            "Something failed (see above)"
        },
        duration.as_secs_f64()
    ));
    Ok(outcome)
}

fn path_or(p: &Option<std::path::PathBuf>) -> String {
    p.as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// Prints the story: a header per scenario, the `say` lines, step results, and an indicatif bar
/// while `poll_until` waits.
struct Narrator {
    quiet: bool,
    total: usize,
    index: Mutex<usize>,
    bar: Mutex<Option<ProgressBar>>,
}

impl Narrator {
    fn new(quiet: bool, total: usize) -> Self {
        Self {
            quiet,
            total,
            index: Mutex::new(0),
            bar: Mutex::new(None),
        }
    }

    fn say(&self, text: &str) {
        if !self.quiet {
            println!("{text}");
        }
    }

    /// Says what comes next and waits as `pace` says. A key-press prompt is printed even when
    /// quiet: the wait would look like a hang otherwise.
    async fn pause(&self, pace: Pace, next: &str) {
        if let Some(prompt) = pace.prompt(next) {
            if !self.quiet || pace == Pace::KeyPress {
                println!("\n{prompt}");
            }
            pace.wait().await;
        }
    }

    fn finish_bar(&self) {
        if let Some(bar) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}

fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
    }
    out
}

impl Observer for Narrator {
    fn case_started(&self, case: &Case) {
        let mut i = self.index.lock().unwrap_or_else(|p| p.into_inner());
        *i += 1;
        self.say(&format!("\n━━ {}/{} {}", *i, self.total, case.name));
        self.say(&wrap(&case.description, 92, "   "));
    }

    fn step_started(&self, _case: &Case, _index: usize, step: &Step) {
        if let Some(s) = step.say() {
            self.say(&format!("   → {s}"));
        }
    }

    fn polling(
        &self,
        _case: &Case,
        _index: usize,
        elapsed: Duration,
        expected: Option<Duration>,
        status: &str,
    ) {
        if self.quiet {
            return;
        }
        let mut guard = self.bar.lock().unwrap_or_else(|p| p.into_inner());
        let bar = guard.get_or_insert_with(|| {
            let len = expected.unwrap_or(Duration::from_secs(2)).as_millis() as u64;
            let bar = ProgressBar::with_draw_target(Some(len.max(1)), ProgressDrawTarget::stdout());
            bar.set_style(
                ProgressStyle::with_template(
                    "   {spinner:.cyan} operation {msg:<11} [{bar:32.cyan/blue}] {elapsed_precise}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        let pos = elapsed.as_millis() as u64;
        if let Some(len) = bar.length() {
            if pos > len {
                bar.set_length(pos + pos / 4);
            }
        }
        bar.set_position(pos);
        bar.set_message(status.to_string());
    }

    fn step_finished(&self, _case: &Case, s: &StepReport) {
        self.finish_bar();
        let status = s.http_status.map(|h| format!(" → {h}")).unwrap_or_default();
        match s.outcome {
            Outcome::Passed => {
                self.say(&format!(
                    "   ✓ {}{status}  ({} ms)",
                    s.label,
                    s.duration.as_millis()
                ));
                if let Some(d) = &s.detail {
                    self.say(&format!("     └ {d}"));
                }
            }
            _ => self.say(&format!(
                "   ✗ {}{status}: {}",
                s.label,
                s.message.as_deref().unwrap_or("")
            )),
        }
    }

    fn case_finished(&self, _case: &Case, r: &CaseReport) {
        self.finish_bar();
        match &r.error {
            None => self.say(&format!("   PASS ({:.2}s)", r.duration.as_secs_f64())),
            Some(e) => self.say(&format!("   FAIL: {e}")),
        }
    }
}
