//! `scenarios load`: N virtual clients create certificates and poll them to the end, against
//! running services or an in-process vault + ca-sim; live progress, then a latency and
//! throughput report (text, and JSON with `--json`).

use super::running::Running;
use anyhow::Context as _;
use scenarios::load::{self, LoadOptions, Mix, PollPolicy};
use scenarios::services::{LocalOptions, LocalServices};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

fn throttle(s: &str) -> Result<vault::http::throttle::Limits, String> {
    let (c, o) = s
        .split_once(':')
        .ok_or_else(|| format!("invalid throttle '{s}' (write CREATES:OTHER, e.g. 20:4000)"))?;
    let n = |t: &str| {
        t.trim()
            .parse::<usize>()
            .map_err(|_| format!("invalid throttle '{s}'"))
    };
    Ok(vault::http::throttle::Limits {
        creates: n(c)?,
        other: n(o)?,
    })
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Virtual clients; each runs one certificate at a time over its own keep-alive connection.
    #[arg(long, default_value_t = 16)]
    pub clients: usize,
    /// Stop after this many certificates (default without --duration: 200).
    #[arg(long, value_name = "K")]
    pub certificates: Option<u64>,
    /// Start no new certificate after this long (`30s`, `2m`); in-flight ones finish.
    #[arg(long, value_name = "D", value_parser = shared::duration::parse)]
    pub duration: Option<Duration>,
    /// Issuer shares: Self, DigiCert, GlobalSign, WoSign, Unknown (merged with the runner's CA).
    #[arg(long, default_value = "Self:0.5,DigiCert:0.3,Unknown:0.2")]
    pub mix: Mix,
    /// Wait between polls: `fixed:1s`, `retry-after` (vault's retry-after-ms / Retry-After)
    /// or `backoff:1s..30s`. 429s always wait their Retry-After.
    #[arg(long, default_value = "retry-after")]
    pub poll: PollPolicy,
    /// A certificate not done this long after its create counts as a `timeout` error.
    #[arg(long, value_name = "D", value_parser = shared::duration::parse, default_value = "60s")]
    pub cert_timeout: Duration,
    /// Hard stop of the whole run (default: --duration + 60s, or 10m); in-flight certificates
    /// are reported as incomplete.
    #[arg(long, value_name = "D", value_parser = shared::duration::parse)]
    pub max_time: Option<Duration>,
    /// Write the report as JSON here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub running: Running,
    /// Self-started ca-sim: timing profile of the built-in accounts (`instant`, `fixed:200ms`).
    #[arg(long, default_value = "instant", conflicts_with = "vault")]
    pub ca_profile: String,
    /// Self-started ca-sim: keep its default DigiCert rate limits (off otherwise).
    #[arg(long, conflicts_with = "vault")]
    pub ca_rate_limits: bool,
    /// Self-started vault: the Retry-After it advertises while an operation is in progress.
    #[arg(long, value_name = "D", value_parser = shared::duration::parse, default_value = "1s", conflicts_with = "vault")]
    pub vault_retry_after: Duration,
    /// Self-started vault: first wait between its polls of a CA order.
    #[arg(long, value_name = "D", value_parser = shared::duration::parse, default_value = "50ms", conflicts_with = "vault")]
    pub vault_provider_poll: Duration,
    /// Self-started vault: throttle like Key Vault, CREATES:OTHER requests per 10 s
    /// (`--vault-throttle` alone: 20:4000, Key Vault's limits).
    #[arg(long, value_name = "CREATES:OTHER", num_args = 0..=1, default_missing_value = "20:4000",
          value_parser = throttle, conflicts_with = "vault")]
    pub vault_throttle: Option<vault::http::throttle::Limits>,
}

/// Returns whether every certificate completed without error.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    let certificates = match (args.certificates, args.duration) {
        (None, None) => Some(200),
        (c, _) => c,
    };
    let max_time = args.max_time.unwrap_or(match args.duration {
        Some(d) => d + Duration::from_secs(60),
        None => Duration::from_secs(600),
    });
    let opts = LoadOptions {
        clients: args.clients,
        certificates,
        duration: args.duration,
        mix: args.mix.clone(),
        poll: args.poll,
        cert_timeout: args.cert_timeout,
        max_time,
        progress: !args.quiet,
    };

    // Before the CA files are read (clap lets the URLs come only with them).
    for url in [&args.running.vault, &args.running.ca_sim]
        .into_iter()
        .flatten()
    {
        load::ensure_loopback(url)?;
    }
    let (endpoints, local, services) = match args.running.endpoints()? {
        Some(endpoints) => (endpoints, None, json!({ "self_started": false })),
        None => {
            let options = LocalOptions {
                builtin_profile: Some(args.ca_profile.clone()),
                provider_poll_interval: args.vault_provider_poll,
                provider_deadline: Duration::from_secs(60),
                provider_timeout: Duration::from_secs(10),
                retry_after: args.vault_retry_after,
                throttle: args.vault_throttle,
                digicert_rate_limits: args.ca_rate_limits,
                ..LocalOptions::default()
            };
            let local = LocalServices::start(options)
                .await
                .context("starting vault and ca-sim")?;
            let services = json!({
                "self_started": true,
                "ca_profile": args.ca_profile,
                "ca_digicert_rate_limits": args.ca_rate_limits,
                "vault_retry_after_ms": args.vault_retry_after.as_millis() as u64,
                "vault_provider_poll_ms": args.vault_provider_poll.as_millis() as u64,
                "vault_throttle": args.vault_throttle.map(|l| json!({ "creates": l.creates, "other": l.other })),
            });
            (local.endpoints.clone(), Some(local), services)
        }
    };
    let bound = match (opts.certificates, opts.duration) {
        (Some(k), Some(d)) => format!("{k} certificates or {}s", d.as_secs_f64()),
        (Some(k), None) => format!("{k} certificates"),
        (None, Some(d)) => format!("{}s", d.as_secs_f64()),
        (None, None) => String::new(),
    };
    println!(
        "vault {}  ca-sim {}  — {} clients, {bound}, mix {}, poll {}",
        endpoints.vault_url, endpoints.ca_sim_url, opts.clients, opts.mix, opts.poll
    );
    let result = load::run(&endpoints, opts).await;
    if let Some(local) = local {
        local.stop().await;
    }
    let mut report = result?;
    report.config["services"] = services;
    println!();
    print!("{}", report.text());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report.all_completed())
}
