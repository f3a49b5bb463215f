//! `scenarios run PATH...`: loads scenario files, starts (or finds) the services, runs the
//! scenarios concurrently, prints progress and a summary, writes JUnit/JSON reports.

use super::running::Running;
use anyhow::Context as _;
use scenarios::report::{self, Progress};
use scenarios::runner::{self, Env};
use scenarios::services::{LocalOptions, LocalServices};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files or folders (folders are searched recursively for *.toml).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub running: Running,
    /// Only scenarios whose name contains this text (repeatable).
    #[arg(long = "name", short = 'n')]
    pub names: Vec<String>,
    /// Only scenarios with this tag (repeatable).
    #[arg(long = "tag", short = 't')]
    pub tags: Vec<String>,
    /// Scenarios run at the same time (at most).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Print only failed steps and one line per scenario (default: every step as it finishes).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Only check that the files parse; run nothing.
    #[arg(long)]
    pub check: bool,
}

/// Returns whether every scenario passed.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    let cases = scenarios::case::load_paths(&args.paths)?;
    let cases = runner::filter(cases, &args.names, &args.tags);
    if cases.is_empty() {
        anyhow::bail!("no scenario matches (check the paths, --name and --tag)");
    }
    if args.check {
        println!("{} scenario files are valid", cases.len());
        return Ok(true);
    }

    let (endpoints, local) = match args.running.endpoints()? {
        Some(endpoints) => (endpoints, None),
        None => {
            let local = LocalServices::start(LocalOptions::default())
                .await
                .context("starting vault and ca-sim")?;
            (local.endpoints.clone(), Some(local))
        }
    };
    println!(
        "vault {}  ca-sim {}  — {} scenarios, up to {} at a time",
        endpoints.vault_url,
        endpoints.ca_sim_url,
        cases.len(),
        args.concurrency
    );
    let env = Env::new(&endpoints)?;
    let started = Instant::now();
    let reports = runner::run_all(
        &env,
        &cases,
        Arc::new(Progress {
            verbose: !args.quiet,
        }),
        args.concurrency,
    )
    .await;
    let total = started.elapsed();
    println!();
    print!("{}", report::summary_table(&reports));

    if let Some(path) = &args.junit {
        std::fs::write(path, report::junit_xml(&reports, total))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report::json(&reports, total))?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(local) = local {
        local.stop().await;
    }
    Ok(reports.iter().all(|r| r.passed))
}
