//! `scenarios`: run scenario files against vault and ca-sim, show the demo, keep both
//! services up for SDK experiments, or load-test them. Thin CLI over the `scenarios` library.

mod cmd;

/// mimalloc instead of glibc malloc: under load, buffers allocated on one runtime worker and
/// freed on another make glibc's arena locks the hottest futex in the process.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// Scenario-driven conformance testing and demos for the Key Vault emulator.
#[derive(Debug, Parser)]
#[command(name = "scenarios", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenario files or folders (default: against an in-process vault and ca-sim).
    Run(cmd::run::Args),
    /// Start ca-sim and vault, then narrate and run the showcase.
    Demo(cmd::demo::Args),
    /// Start ca-sim and vault with the three partner issuers registered; keep them up until Ctrl-C.
    Up(cmd::up::Args),
    /// Load test: N virtual clients create certificates and poll them to the end, then a
    /// throughput and latency report (self-started services by default, running ones on
    /// loopback only).
    Load(cmd::load::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Run(a) => cmd::run::run(a).await,
            Command::Demo(a) => cmd::demo::run(a).await,
            Command::Up(a) => cmd::up::run(a).await,
            Command::Load(a) => cmd::load::run(a).await,
        }
    });
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
