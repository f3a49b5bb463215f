//! `scenarios demo`: the narrated showcase (see the library's `demo` module).

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print only the summary line.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Returns whether every showcase scenario passed.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    let outcome = scenarios::demo::run(scenarios::demo::DemoOptions { quiet: args.quiet }).await?;
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
