//! The load generator behind `scenarios load`: N virtual clients, each with its own keep-alive
//! HTTPS connection, create certificates and poll them to the end (merging the non-partnered
//! ones with the runner's external CA), with an issuer [`Mix`] and a [`PollPolicy`].
//!
//! Bounded in count (`certificates`) and time (`duration` for new certificates, `max_time` for
//! the whole run, `cert_timeout` per certificate), loopback only. Requests answered 429 are
//! counted, waited out (their `Retry-After`, whatever the poll policy) and sent again.
//! [`run`] returns a [`Report`] (see [`report`]).

//!
//! Layout: this file registers the issuers and runs the clients ([`run`]);
//! - `options.rs`: [`LoadOptions`] and the loopback rule; `mix.rs`: [`Issuer`], [`Mix`];
//!   `poll.rs`: [`PollPolicy`];
//! - `flow.rs`: one client and one certificate's exchanges; `state.rs`: what the clients
//!   share; `progress.rs`: the progress bar;
//! - [`report`]: the measurements and the report.

mod flow;
mod mix;
mod options;
mod poll;
mod progress;
pub mod report;
mod state;

pub use flow::create_body;
pub use mix::{Issuer, Mix};
pub use options::{ensure_loopback, LoadOptions, MAX_CERTIFICATES, MAX_CLIENTS};
pub use poll::{retry_after, PollPolicy};

use crate::case::IssuerSpec;
use crate::client::VaultClient;
use crate::error::Error;
use crate::extca::ExternalCa;
use crate::services::Endpoints;
use report::{ClientStats, Report};
use serde_json::json;
use state::{Live, Shared, Tickets};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Registers the partner issuers the mix uses (`load-digicert`, ...: ca-sim's built-in
/// accounts), then runs the clients until the count or the time is reached.
pub async fn run(endpoints: &Endpoints, opts: LoadOptions) -> Result<Report, Error> {
    opts.validate()?;
    ensure_loopback(&endpoints.vault_url)?;
    ensure_loopback(&endpoints.ca_sim_url)?;

    let admin = VaultClient::new(&endpoints.vault_url, &endpoints.vault_ca_pem)?;
    for (issuer, _) in &opts.mix.0 {
        if !issuer.partner() {
            continue;
        }
        let spec = IssuerSpec {
            name: issuer.vault_issuer().into(),
            provider: issuer.label().into(),
            account_id: None,
            pwd: None,
            org_id: None,
            body: None,
        };
        let path = format!("/certificates/issuers/{}", issuer.vault_issuer());
        let r = admin
            .send(
                reqwest::Method::PUT,
                &path,
                Some(&crate::runner::issuer_body(&spec)),
                true,
            )
            .await?;
        if !r.is_success() {
            return Err(Error::Client(format!(
                "registering issuer {}: {} {}",
                issuer.vault_issuer(),
                r.status,
                r.body
            )));
        }
    }

    let mut clients = Vec::with_capacity(opts.clients);
    for _ in 0..opts.clients {
        clients.push(flow::http_client(&endpoints.vault_ca_pem)?);
    }
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64 & 0xff_ffff_ffff)
        .unwrap_or(0);
    let mix_len = opts.mix.0.len();
    let described = opts.describe();
    let shared = Arc::new(Shared {
        vault_url: endpoints.vault_url.trim_end_matches('/').to_string(),
        prefix: format!("load-{run_id:x}-"),
        ca: ExternalCa::new()?,
        live: Live::default(),
        tickets: Mutex::new(Tickets {
            next: 0,
            assigned: vec![0; mix_len],
        }),
        started: Instant::now(),
        opts,
    });

    let bar = shared
        .opts
        .progress
        .then(|| progress::progress_bar(&shared.opts));
    let ticker = bar.clone().map(|bar| {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tick.tick().await;
                progress::update_bar(&bar, &shared);
            }
        })
    });

    let hard_deadline = shared.started + shared.opts.max_time;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|http| {
            let shared = shared.clone();
            tokio::spawn(async move { flow::client_loop(shared, http, hard_deadline).await })
        })
        .collect();
    let mut stats = ClientStats::new();
    for t in tasks {
        match t.await {
            Ok(s) => stats.merge(&s),
            Err(e) => stats.error(&format!("client task: {e}")),
        }
    }
    let elapsed = shared.started.elapsed();
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(bar) = bar {
        progress::update_bar(&bar, &shared);
        bar.finish_and_clear();
    }
    let mut config = described;
    config["vault_url"] = json!(endpoints.vault_url);
    config["ca_sim_url"] = json!(endpoints.ca_sim_url);
    config["certificate_prefix"] = json!(shared.prefix);
    Ok(Report::build(config, elapsed, &stats))
}
