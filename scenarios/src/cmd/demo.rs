//! `scenarios demo`: the narrated showcase (see the library's `demo` module); `--ui` prints the
//! dashboards' URLs and paces the chapters (Enter, or `--pace`).

use scenarios::pace::Pace;
use std::io::IsTerminal as _;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print only the summary line.
    #[arg(long, short = 'q', conflicts_with = "ui")]
    pub quiet: bool,
    /// Print both dashboards' URLs, then wait for Enter before each chapter (or `--pace`; 3s
    /// when stdin is not a terminal) so viewers can follow the flows there.
    #[arg(long)]
    pub ui: bool,
    /// Wait this long between chapters instead of a key press (`500ms`, `3s`, `1m`); also
    /// without `--ui`.
    #[arg(long, value_name = "D", value_parser = shared::duration::parse)]
    pub pace: Option<Duration>,
}

/// Returns whether every showcase scenario passed.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    let (pace, note) = Pace::choose(args.ui, args.pace, std::io::stdin().is_terminal());
    if let Some(note) = note {
        println!("{note}");
    }
    let options = scenarios::demo::DemoOptions {
        quiet: args.quiet,
        ui: args.ui,
        pace,
    };
    let outcome = scenarios::demo::run(options).await?;
    if args.quiet {
        let failed = outcome.reports.iter().filter(|r| !r.passed).count();
        println!(
            "demo: {} passed, {failed} failed in {:.1}s",
            outcome.reports.len() - failed,
            outcome.duration.as_secs_f64()
        );
    }
    Ok(outcome.passed())
}
