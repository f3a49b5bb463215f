//! The `ca-sim` binary: parse flags, set up logging, run [`ca_sim::serve`] until Ctrl-C.

/// mimalloc instead of glibc malloc: under load, buffers allocated on one runtime worker and
/// freed on another make glibc's arena locks the hottest futex in the process.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use ca_sim::config::{Cli, LogFormat};
use clap::Parser;
use std::io::Write;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let config = cli.config().context("invalid configuration")?;
    tracing::info!(
        listen = %cli.listen,
        data_dir = %config.data_dir.display(),
        ephemeral = config.ephemeral,
        seed = config.seed,
        time_scale = config.time_scale,
        accounts = config.accounts.len(),
        fault_rules = config.faults.len(),
        digicert_rate_limits = ?config.digicert_rate_limits,
        "starting ca-sim"
    );
    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cli.listen))?;
    let shutdown = CancellationToken::new();
    let accounts = config.accounts.clone();
    let handle = ca_sim::serve(listener, config, shutdown.clone())
        .await
        .context("ca-sim failed to start")?;

    let mut out = std::io::stdout().lock();
    writeln!(out, "ca-sim listening on {}", handle.url())?;
    writeln!(out, "seed: {}", handle.seed)?;
    writeln!(out, "trust this TLS CA: {}", handle.ca_path.display())?;
    for (d, _, path) in &handle.roots {
        match path {
            Some(p) => writeln!(out, "{d} issuing root: {}", p.display())?,
            None => writeln!(out, "{d} issuing root: in memory (GET /admin/roots)")?,
        }
    }
    for a in &accounts {
        let orgs: Vec<String> = a
            .organizations
            .iter()
            .map(|o| {
                format!(
                    "{}{}",
                    o.id,
                    if o.validated { "" } else { " (not validated)" }
                )
            })
            .collect();
        writeln!(
            out,
            "account {}: id {} secret {}{}",
            a.dialect,
            a.id,
            a.secret,
            if orgs.is_empty() {
                String::new()
            } else {
                format!(" organizations {}", orgs.join(", "))
            }
        )?;
    }
    writeln!(out, "ready")?;
    out.flush()?;
    drop(out);

    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    shutdown.cancel();
    handle.stopped().await;
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
