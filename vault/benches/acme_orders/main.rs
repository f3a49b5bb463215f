//! Full ACME order cycles per second, vault's gateway and ca-sim's ACME dialect next to
//! Debian's `pebble`, in the same run with the same client: `cargo bench -p vault --bench
//! acme_orders`.
//!
//! One cycle is what a client does for one certificate: new order → fetch the authorization →
//! answer its http-01 challenge → poll the order until `ready` → finalize with a fresh EC P-256
//! CSR → poll until `valid` → download the chain. Every order names a new `.localhost` name,
//! so no authorization is reused. Each client has its own account (created before the clock
//! starts) and runs its share of the cycles back to back; 1, 16 and 64 clients, first with
//! validation off (vault and ca-sim `--acme-validation always-valid`, Pebble
//! `PEBBLE_VA_ALWAYS_VALID=1`), then with real http-01 validation against a responder in this
//! process on loopback (vault and ca-sim `--acme-http01-port`).
//!
//! The servers are separate processes (vault's and ca-sim's release binaries, the latter
//! built by the bench when run under cargo; `pebble` from PATH) started on
//! free loopback ports with fresh state, their output discarded; the client is `instant-acme`
//! on this process's runtime, over reqwest with `TCP_NODELAY` (see `cycles::Http`). Polls repeat
//! every `BENCH_POLL_MS` whatever `Retry-After` says, the same for all. Pebble runs with
//! `PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0` (and
//! `PEBBLE_VA_ALWAYS_VALID=1` in the first mode); for real http-01 it resolves names through
//! `pebble-challtestsrv` (same package), which answers every A query with 127.0.0.1. Without
//! `pebble` on PATH the Pebble column is skipped with a line saying so (`apt-get install
//! pebble`); this is a bench, not a test.
//!
//! Each client count runs in rounds, every server per round, alternating the order;
//! every run gets a fresh server process with empty state. A run in which cycles failed (a
//! server that stalled: Debian's pebble 2.4 deadlocks under concurrent orders) is repeated on
//! a fresh server, up to 3 times, and the repeats are counted at the end.
//! Printed per mode and client count: orders/s (the median of the rounds), p50/p99 cycle
//! latency (all rounds' cycles pooled), the server's CPU per order and this process's (the
//! clients') CPU per order (from `/proc/PID/stat`: unlike the rates, independent of what else
//! the machine runs), then each server's ratios to Pebble (the median of the rounds' orders/s
//! ratios). The issues' targets: ≥ 3× Pebble's orders/s with validation off (vault, issue 15;
//! ca-sim, issue 16), and for vault a p99 below Pebble's.
//!
//! Env: `BENCH_ORDERS` (cycles per round, client count and server, at least 4 per client;
//! 320), `BENCH_ROUNDS` (3), `BENCH_CLIENTS` (comma list; `1,16,64`), `BENCH_POLL_MS` (10),
//! `BENCH_MODES` (`always-valid,http-01`), `BENCH_SERVERS` (comma list;
//! `vault,casim,pebble`), `BENCH_NO_PEBBLE` (set: no Pebble),
//! `BENCH_LOG_DIR` (the servers' output appended to `DIR/NAME.log` instead of discarded),
//! `BENCH_VERBOSE` (set: one line per run, with the server's pid).
//!
//! Layout: `servers.rs` starts and measures the server processes, `cycles.rs` is the client
//! side (the order cycle, the http-01 responder, the figures); this file runs the rounds and
//! prints.

// The allocator the shipped binaries use (see vault/src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../common/mod.rs"]
mod common;
mod cycles;
mod servers;

use std::time::Duration;

use common::{env_or, median};
use cycles::{run, Figures, Measured, Responder};
use servers::{ca_sim_binary, on_path, start_vault, Kind};

/// The throughput target with validation off.
const TARGET_RATIO: f64 = 3.0;
/// How often a run that stalled (some cycles failed) is repeated on a fresh server.
const MAX_REPEATS: usize = 3;

/// Whether challenges are checked.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    AlwaysValid,
    Http01,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::AlwaysValid => "always-valid",
            Mode::Http01 => "http-01",
        }
    }
}

fn row(mode: Mode, clients: usize, label: &str, f: &Figures) {
    let ms = |v: Option<f64>| {
        v.map(|c| format!("{c:9.2}"))
            .unwrap_or_else(|| format!("{:>9}", "-"))
    };
    let (cpu, client) = (ms(f.cpu_ms), ms(f.client_cpu_ms));
    println!(
        "{:<13} {:>7} {:<7} {:>7} {:>6} {:>10.1} {:>8.1} {:>8.1} {cpu} {client}",
        mode.label(),
        clients,
        label,
        f.orders,
        f.failed,
        f.per_sec,
        f.p50_ms,
        f.p99_ms,
    );
    if let Some(err) = &f.first_error {
        println!("    first failure ({label}): {err}");
    }
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[tokio::main]
async fn main() {
    let total = env_or("BENCH_ORDERS", 320);
    let rounds = env_or("BENCH_ROUNDS", 3).max(1);
    let poll = Duration::from_millis(env_or("BENCH_POLL_MS", 10) as u64);
    let levels: Vec<usize> = env_list("BENCH_CLIENTS", "1,16,64")
        .iter()
        .map(|s| s.parse().expect("BENCH_CLIENTS: comma-separated numbers"))
        .collect();
    let modes: Vec<Mode> = env_list("BENCH_MODES", "always-valid,http-01")
        .iter()
        .map(|s| match s.as_str() {
            "always-valid" => Mode::AlwaysValid,
            "http-01" => Mode::Http01,
            other => panic!("BENCH_MODES: unknown mode {other}"),
        })
        .collect();
    let servers = env_list("BENCH_SERVERS", "vault,casim,pebble");
    for s in &servers {
        assert!(
            ["vault", "casim", "ca-sim", "pebble"].contains(&s.as_str()),
            "BENCH_SERVERS: unknown server {s} (vault, casim, pebble)"
        );
    }
    let wanted = |name: &str| servers.iter().any(|s| s.replace('-', "") == name);
    let pebble =
        wanted("pebble") && std::env::var_os("BENCH_NO_PEBBLE").is_none() && on_path("pebble");
    if wanted("pebble") && !pebble {
        println!(
            "pebble: not on PATH (apt-get install pebble) or BENCH_NO_PEBBLE set; \
             the Pebble column is skipped"
        );
    }
    let responder = Responder::default();
    let http01_port = responder.start().await;
    println!(
        "ACME order cycles: {rounds} rounds of {total} per client count and server, poll every \
         {poll:?}, EC P-256 CSRs, http-01 responder on 127.0.0.1:{http01_port}"
    );
    println!(
        "{:<13} {:>7} {:<7} {:>7} {:>6} {:>10} {:>8} {:>8} {:>9} {:>9}",
        "mode",
        "clients",
        "server",
        "orders",
        "failed",
        "orders/s",
        "p50 ms",
        "p99 ms",
        "cpu ms/o",
        "client ms"
    );
    // Which servers take part: vault unless this build serves no ACME directory (probed once),
    // ca-sim if its binary is there, Pebble if on PATH.
    let mut kinds = Vec::new();
    if wanted("vault") {
        let probe = tempfile::tempdir().expect("temp dir");
        if start_vault(probe.path(), None).await.is_some() {
            kinds.push(Kind::Vault);
        }
    }
    if wanted("casim") && ca_sim_binary().is_some() {
        kinds.push(Kind::CaSim);
    }
    let pebble_at = pebble.then_some(kinds.len());
    if pebble {
        kinds.push(Kind::Pebble);
    }
    let verbose = std::env::var_os("BENCH_VERBOSE").is_some();
    let mut summary = Vec::new();
    // Per server kind: runs repeated after a stall, and runs made in all.
    let mut stalls = vec![0usize; kinds.len()];
    let mut runs_made = vec![0usize; kinds.len()];
    for mode in modes {
        let port = (mode == Mode::Http01).then_some(http01_port);
        let responder = (mode == Mode::Http01).then_some(&responder);
        for (i, &clients) in levels.iter().enumerate() {
            let total = total.max(4 * clients);
            let mut runs: Vec<Vec<Measured>> = kinds.iter().map(|_| Vec::new()).collect();
            // Per server: each round's orders/s over Pebble's.
            let mut ratios: Vec<Vec<f64>> = kinds.iter().map(|_| Vec::new()).collect();
            for round in 0..rounds {
                // Alternate which server goes first, so neither always runs on a warmer
                // machine or right after the other's burst.
                let mut turn: Vec<usize> = (0..kinds.len()).collect();
                if (i + round) % 2 == 1 {
                    turn.reverse();
                }
                let id = format!("{}{i}r{round}", mode.label().replace('-', ""));
                for k in turn {
                    // A fresh server per run: no state carried over. A run that stalled
                    // (Debian's pebble 2.4 deadlocks under concurrent orders, see
                    // docs/benchmarks.md) is repeated on a fresh server, at most
                    // MAX_REPEATS times, and counted.
                    let mut repeats = 0;
                    let measured = loop {
                        let dir = tempfile::tempdir().expect("temp dir");
                        let server = kinds[k].start(dir.path(), port).await;
                        let measured = run(&server, clients, total, responder, poll, &id).await;
                        if verbose {
                            let pids: Vec<String> = server
                                .children
                                .iter()
                                .filter_map(|c| c.id().map(|id| id.to_string()))
                                .collect();
                            println!(
                                "  {} {clients} clients round {round}: {} {} (pid {}): {} \
                                 orders, {} failed, {:.1}/s",
                                mode.label(),
                                server.label,
                                server.directory,
                                pids.join(", "),
                                measured.latencies.len(),
                                measured.failed,
                                measured.per_sec()
                            );
                        }
                        if measured.failed == 0 || repeats == MAX_REPEATS {
                            break measured;
                        }
                        repeats += 1;
                        stalls[k] += 1;
                        println!(
                            "  {} {clients} clients round {round}: {} failed {} of {total} \
                             cycles ({}); repeating the run on a fresh server",
                            mode.label(),
                            server.label,
                            measured.failed,
                            measured.first_error.as_deref().unwrap_or("?")
                        );
                    };
                    runs_made[k] += 1 + repeats;
                    runs[k].push(measured);
                }
                if let Some(p) = pebble_at {
                    let pebble = runs[p][round].per_sec();
                    for (k, ratio) in ratios.iter_mut().enumerate().filter(|(k, _)| *k != p) {
                        ratio.push(runs[k][round].per_sec() / pebble);
                    }
                }
            }
            let figures: Vec<Figures> = runs.iter().map(|r| Figures::of(r)).collect();
            for (kind, figures) in kinds.iter().zip(&figures) {
                row(mode, clients, kind.label(), figures);
            }
            if let Some(p) = pebble_at {
                for (k, kind) in kinds.iter().enumerate().filter(|(k, _)| *k != p) {
                    let ratio = median(std::mem::take(&mut ratios[k]));
                    let p99 = (figures[k].p99_ms, figures[p].p99_ms);
                    summary.push((kind.label(), mode, clients, ratio, p99));
                }
            }
        }
    }
    // Side by side: each server's ratios to Pebble, one block per server.
    summary.sort_by_key(|(label, ..)| kinds.iter().position(|k| k.label() == *label));
    let mut heading = "";
    for (label, mode, clients, ratio, (vp99, pp99)) in summary {
        if label != heading {
            heading = label;
            println!("\n{label} / pebble (orders/s: the median of the rounds' ratios)");
        }
        let target = match mode {
            Mode::AlwaysValid if ratio >= TARGET_RATIO => " (target ≥ 3×: met)",
            Mode::AlwaysValid => " (target ≥ 3×: NOT met)",
            Mode::Http01 => "",
        };
        let p99 = if vp99 < pp99 { "below" } else { "NOT below" };
        println!(
            "{:<13} {clients:>3} clients: {ratio:5.2}× orders/s{target}; p99 {vp99:.1} ms vs \
             {pp99:.1} ms ({p99} Pebble's)",
            mode.label()
        );
    }
    for (k, kind) in kinds.iter().enumerate() {
        if stalls[k] > 0 {
            println!(
                "{}: {} of {} runs stalled and were repeated on a fresh server",
                kind.label(),
                stalls[k],
                runs_made[k]
            );
        }
    }
}
