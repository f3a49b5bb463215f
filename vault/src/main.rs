//! The `vault` binary: parse flags, set up logging, run [`vault::serve`] until Ctrl-C.

/// mimalloc instead of glibc malloc: under load, buffers allocated on one runtime worker and
/// freed on another make glibc's arena locks the hottest futex in the process.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use clap::Parser;
use std::io::Write;
use tokio_util::sync::CancellationToken;
use vault::config::{Cli, LogFormat};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let config = cli.config();
    tracing::info!(
        listen = %cli.listen,
        data_dir = %config.data_dir.display(),
        public_url = ?config.public_url.as_ref().map(|u| u.as_str()),
        hostnames = ?config.hostnames,
        byo_tls = config.tls_cert.is_some(),
        self_signed_delay_ms = config.self_signed_delay.as_millis() as u64,
        retry_after_ms = config.retry_after.as_millis() as u64,
        master_key_from_env = config.master_key.is_some(),
        providers = ?config.provider_endpoints.iter().map(|(k, u)| format!("{k}={u}")).collect::<Vec<_>>(),
        provider_poll_interval_ms = config.provider_poll_interval.as_millis() as u64,
        provider_deadline_s = config.provider_deadline.as_secs(),
        provider_timeout_ms = config.provider_timeout.as_millis() as u64,
        throttle = ?config.throttle,
        smtp = config.smtp.is_some(),
        lifetime_scan_interval_s = config.lifetime_scan_interval.as_secs(),
        "starting vault"
    );
    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cli.listen))?;
    let shutdown = CancellationToken::new();
    let handle = vault::serve(listener, config, shutdown.clone())
        .await
        .context("vault failed to start")?;

    let mut out = std::io::stdout().lock();
    writeln!(out, "vault listening on {}", handle.url())?;
    if let Some(at) = handle.identity_addr {
        writeln!(out, "identity listening on http://{at}")?;
    }
    writeln!(out, "trust this CA: {}", handle.ca_path.display())?;
    if let Some(proxy) = handle.proxy_addr {
        writeln!(out, "proxy listening on http://{proxy}")?;
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
