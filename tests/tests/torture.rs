//! The crash torture test of issue 13: exactly once across `kill -9`, with the CA's answers
//! lost after the act.
//!
//! One in-process ca-sim (every account on the `instant` timing profile, seeded) and the real
//! `vault` binary on one data dir for the whole run. Each round:
//!
//! 1. ca-sim's fault rules lose the answer to a seeded share (15–25 %) of order creations at
//!    all three CAs **after** the order exists (`"phase": "after"`: a 502, a dropped
//!    connection, a truncated body, or a delay longer than vault's `--provider-timeout`);
//! 2. 50 concurrent partnered creates, round-robin over DigiCert, GlobalSign and WoSign, with
//!    names and common names unique to the round;
//! 3. `kill -9` of vault at a seeded moment 0–800 ms after the creates start, a restart on the
//!    same data dir (a new port), and the client's own recovery: a create whose answer the
//!    kill swallowed is sent again only if vault has no such operation (404 on `pending`);
//! 4. a wait (polling, with a deadline) until every operation has finished.
//!
//! Invariants after every round, read from the servers' APIs: every operation `completed`
//! (nothing here may legitimately fail: after-phase faults never refuse, and every lost
//! answer can be resolved by a lookup, so a `failed` operation is a bug); exactly one CA order
//! per operation (`/admin/orders`, matched by common name), in the operation's dialect and
//! `issued`; no CA order without an operation (none orphaned, also counted over the whole run);
//! the certificate vault holds is the leaf of that one order. Over the run: the faults struck,
//! vault looked orders up at the CA (ca-sim's `lookup` requests: DigiCert's order list,
//! WoSign's `clientOrderId` query), and at least one kill caught operations in flight (their
//! certificate version was written after the kill, by the restarted process).
//!
//! Run: `cargo test -p e2e --test torture -- --rounds 50 --seed 7` (defaults: 10 rounds, seed
//! 13; also `TORTURE_ROUNDS` / `TORTURE_SEED`, the flags win). Documented in
//! docs/reliability.md ("Crash torture test").

use std::{
    collections::{BTreeMap, BTreeSet},
    process::ExitCode,
    time::{Duration, Instant},
};

use e2e::*;
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::Value;

const DEFAULT_ROUNDS: u32 = 10;
const DEFAULT_SEED: u64 = 13;
/// Concurrent creates per round.
const OPERATIONS: usize = 50;
/// The kill lands this many milliseconds (at most) after the creates start.
const KILL_WINDOW_MS: u64 = 800;
/// vault's timeout of one CA call; the `delay` fault holds the answer longer.
const PROVIDER_TIMEOUT: &str = "2s";
const DELAY_FAULT_MS: u64 = 3_000;
/// How long a round's operations may take to finish after the restart.
const ROUND_DEADLINE: Duration = Duration::from_secs(90);
/// The test's name as the libtest-style filter and `--list` see it.
const TEST_NAME: &str = "crash_torture";

/// The torture run's issuer of `p` (ca-sim's built-in account).
fn issuer(p: Provider) -> String {
    format!("torture-{}", p.short())
}

// ------------------------------------------------------------------------------------------------
// Command line
// ------------------------------------------------------------------------------------------------

struct Options {
    rounds: u32,
    seed: u64,
    /// `--list`: name the one test (as libtest would) and exit.
    list: bool,
    /// A libtest-style name filter that does not match this test.
    filtered_out: bool,
}

/// `--rounds N`, `--seed S` (also `--rounds=N`); libtest's own flags, which `cargo test`
/// passes to every test binary, are accepted and ignored, and a positional filter is honoured
/// as libtest honours it, so this binary behaves inside `cargo test --workspace -- …`.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let env_num = |name: &str| -> Result<Option<u64>, String> {
        match std::env::var(name) {
            Ok(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("{name}={v:?} is not a non-negative integer")),
            Err(_) => Ok(None),
        }
    };
    let mut opts = Options {
        rounds: env_num("TORTURE_ROUNDS")?.map_or(DEFAULT_ROUNDS, |n| n as u32),
        seed: env_num("TORTURE_SEED")?.unwrap_or(DEFAULT_SEED),
        list: false,
        filtered_out: false,
    };
    let mut filters = Vec::new();
    let mut exact = false;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs {what}"))
        };
        match flag.as_str() {
            "--rounds" => {
                let v = value("a number of rounds")?;
                opts.rounds = v
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("--rounds {v:?}: expected an integer >= 1"))?;
            }
            "--seed" => {
                let v = value("a seed")?;
                opts.seed = v
                    .parse()
                    .map_err(|_| format!("--seed {v:?}: expected an unsigned integer"))?;
            }
            "--list" => opts.list = true,
            "--exact" => exact = true,
            // libtest options that take a value.
            "--test-threads" | "--format" | "--color" | "--logfile" | "--skip" | "-Z"
            | "--shuffle-seed" => {
                if inline.is_none() {
                    args.next();
                }
            }
            // Only ignored tests were asked for: this one is not ignored.
            "--ignored" => opts.filtered_out = true,
            f if f.starts_with('-') => {} // --nocapture, --include-ignored, -q, …
            _ => filters.push(arg),
        }
    }
    if !filters.is_empty()
        && !filters.iter().any(|f| {
            if exact {
                f == TEST_NAME
            } else {
                TEST_NAME.contains(f.as_str())
            }
        })
    {
        opts.filtered_out = true;
    }
    Ok(opts)
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(opts) => opts,
        Err(message) => {
            eprintln!("torture: {message} (usage: torture [--rounds N] [--seed S])");
            return ExitCode::from(2);
        }
    };
    if opts.list {
        println!("{TEST_NAME}: test");
        return ExitCode::SUCCESS;
    }
    if opts.filtered_out {
        println!("\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out\n");
        return ExitCode::SUCCESS;
    }
    println!("\nrunning 1 test");
    println!(
        "torture: {} rounds of {OPERATIONS} partnered creates, seed {} (--rounds N, --seed S)",
        opts.rounds, opts.seed
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(opts.rounds, opts.seed)) {
        Ok(summary) => {
            println!("{summary}");
            println!("test {TEST_NAME} ... ok\n");
            println!(
                "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n"
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("torture: FAILED (seed {}): {message}", opts.seed);
            println!("test {TEST_NAME} ... FAILED\n");
            println!(
                "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n"
            );
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------------------------------------
// The run
// ------------------------------------------------------------------------------------------------

/// splitmix64: the test's own seeded choices (fault rate, kill moment), so a seed replays
/// the same plan.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What one round counted.
#[derive(Default)]
struct Tally {
    operations: usize,
    orders: usize,
    duplicated: usize,
    orphaned: usize,
    lookups: usize,
    lost_answers: u64,
    /// Finished by the restarted process: still in flight when the kill landed.
    in_flight_at_kill: usize,
    /// Creates whose answer the kill swallowed and that vault had not stored: sent again.
    resent: usize,
    /// vault's own `find` calls (every dialect, GlobalSign's included), restarted process only.
    finds: u64,
}

impl Tally {
    fn add(&mut self, r: &Tally) {
        self.operations += r.operations;
        self.orders += r.orders;
        self.duplicated += r.duplicated;
        self.orphaned += r.orphaned;
        self.lookups += r.lookups;
        self.lost_answers += r.lost_answers;
        self.in_flight_at_kill += r.in_flight_at_kill;
        self.resent += r.resent;
        self.finds += r.finds;
    }
}

struct Run {
    admin: CaSimAdmin,
    data_dir: tempfile::TempDir,
    args: Vec<String>,
    vault: Option<VaultProcess>,
    /// The killed processes' output, for a failure report.
    previous_output: String,
}

async fn run(rounds: u32, seed: u64) -> Result<String, String> {
    let started = Instant::now();
    let ca = TestCaSim::start_with(move |c| {
        set_profile(c, "instant");
        // Hundreds of orders, polls and lookups a minute would trip DigiCert's rate limit:
        // not what this test is about.
        c.digicert_rate_limits = Vec::new();
        c.seed = seed;
    })
    .await;
    let data_dir = tempfile::Builder::new()
        .prefix("e2e-torture-")
        .tempdir()
        .expect("temp dir");
    let args = vault_args(&ca);
    let vault = VaultProcess::spawn_with_args(data_dir.path(), &args).await;
    for p in Provider::ALL {
        let rsp = vault
            .raw()
            .put(
                &format!("/certificates/issuers/{}", issuer(p)),
                &p.issuer_body(p.secret()),
            )
            .await;
        if rsp.status != StatusCode::OK {
            return Err(format!("PUT issuer {}: {}", issuer(p), rsp.text));
        }
    }
    let mut run = Run {
        admin: ca.admin(),
        data_dir,
        args,
        vault: Some(vault),
        previous_output: String::new(),
    };
    let mut rng = Rng(seed);
    let mut total = Tally::default();
    for r in 1..=rounds {
        let t = Instant::now();
        let tally = run
            .round(r, &mut rng)
            .await
            .map_err(|e| format!("round {r}: {e}"))?;
        total.add(&tally);
        // Over the whole run: every CA order belongs to an operation.
        let all_orders = run.admin.orders().await.len();
        if all_orders != total.operations {
            return Err(format!(
                "after round {r}: ca-sim holds {all_orders} orders for {} operations",
                total.operations
            ));
        }
        println!(
            "round {r}/{rounds}: {} operations ({} re-sent after the kill), {} CA orders, \
             {} duplicated, {} orphaned, {} lost answers, {} lookups ({} vault finds after the \
             restart), {} in flight at the kill, {:.1} s",
            tally.operations,
            tally.resent,
            tally.orders,
            tally.duplicated,
            tally.orphaned,
            tally.lost_answers,
            tally.lookups,
            tally.finds,
            tally.in_flight_at_kill,
            t.elapsed().as_secs_f64()
        );
    }

    // The hard path ran: answers were lost, orders were looked up, kills caught work.
    let mut missing = Vec::new();
    if total.lost_answers == 0 {
        missing.push("no after-phase fault struck");
    }
    if total.lookups == 0 {
        missing.push("vault never looked an order up at the CA");
    }
    if total.in_flight_at_kill == 0 {
        missing.push("no kill caught an operation in flight");
    }
    let output = run
        .vault
        .as_ref()
        .map(VaultProcess::output)
        .unwrap_or_default();
    if output.contains("panicked") || run.previous_output.contains("panicked") {
        missing.push("vault panicked (see its output)");
    }
    if !missing.is_empty() {
        return Err(format!(
            "over {rounds} rounds: {}\n{}",
            missing.join("; "),
            tail(&format!("{}{output}", run.previous_output), 60)
        ));
    }
    Ok(format!(
        "torture: {rounds} rounds, {} operations, {} CA orders, {} duplicated, {} orphaned, \
         {} lookups, {:.1} s ({} lost answers, {} in flight at a kill, {} re-sent creates, \
         {} vault finds after restarts; seed {seed})",
        total.operations,
        total.orders,
        total.duplicated,
        total.orphaned,
        total.lookups,
        started.elapsed().as_secs_f64(),
        total.lost_answers,
        total.in_flight_at_kill,
        total.resent,
        total.finds,
    ))
}

fn vault_args(ca: &TestCaSim) -> Vec<String> {
    partner_vault_args(
        ca,
        &[
            ("--provider-poll-interval", "50ms"),
            ("--provider-timeout", PROVIDER_TIMEOUT),
            // Long enough that retries never give up within a round.
            ("--provider-deadline", "10m"),
            ("--retry-after", "100ms"),
        ],
    )
}

/// After-phase faults on every dialect's order creation: four rules, one per way of losing an
/// answer, sharing `rate` between them. ca-sim draws each rule's chances from its seed and the
/// rule's name, so the round in the name gives every round its own seeded draws.
fn fault_rules(round: u32, rate: f64) -> Value {
    let actions = [
        (
            "server-error",
            json!({"kind": "server_error", "status": 502}),
        ),
        ("drop", json!({"kind": "drop"})),
        ("malformed", json!({"kind": "malformed"})),
        ("delay", json!({"kind": "delay", "ms": DELAY_FAULT_MS})),
    ];
    // The first rule that fires wins: each fires with q, so that 1 - (1 - q)^4 = rate.
    let q = 1.0 - (1.0 - rate).powf(1.0 / actions.len() as f64);
    Value::Array(
        actions
            .into_iter()
            .map(|(name, action)| {
                json!({
                    "name": format!("lost-order-{name}-r{round}"), "operation": "order",
                    "phase": "after", "probability": q, "action": action,
                })
            })
            .collect(),
    )
}

/// How a create's request went before and during the kill.
enum Sent {
    Accepted,
    /// No answer (the kill closed the connection, or it was refused).
    Lost,
}

impl Run {
    async fn round(&mut self, r: u32, rng: &mut Rng) -> Result<Tally, String> {
        let rate = 0.15 + 0.10 * rng.unit();
        let kill_after = Duration::from_millis(rng.below(KILL_WINDOW_MS + 1));
        self.admin.set_faults(&fault_rules(r, rate)).await;
        // One round's requests at a time (the history is capped).
        let rsp = self.admin.send(Method::DELETE, "requests", None).await;
        if !rsp.status.is_success() {
            return Err(format!(
                "DELETE /admin/requests: {} {}",
                rsp.status, rsp.text
            ));
        }

        let ops: Vec<(Provider, String)> = (0..OPERATIONS)
            .map(|i| {
                let p = Provider::ALL[i % Provider::ALL.len()];
                (p, format!("t{r:03}-{i:02}-{}", p.short()))
            })
            .collect();

        // 50 creates at once, and the kill at the planned moment.
        let vault = self.vault.take().expect("a running vault");
        let (client, base) = (vault.http(), vault.base_url());
        let creates: Vec<_> = ops
            .iter()
            .map(|(p, name)| {
                let (client, base, p, name) = (client.clone(), base.clone(), *p, name.clone());
                tokio::spawn(async move { send_create(&client, &base, p, &name).await })
            })
            .collect();
        tokio::time::sleep(kill_after).await;
        let output = vault.output();
        vault.kill().await;
        // Everything ca-sim answers from here on was asked by an operation the kill caught
        // unfinished (a request of the dead process answered late, or the restarted one's).
        let kill_seq = self
            .admin
            .requests(None, None)
            .await
            .iter()
            .filter_map(|e| e["seq"].as_u64())
            .max()
            .unwrap_or(0);
        self.previous_output.push_str(&output);
        let mut sent = Vec::with_capacity(creates.len());
        for handle in creates {
            sent.push(handle.await.map_err(|e| format!("a create task: {e}"))??);
        }

        let vault = VaultProcess::spawn_with_args(self.data_dir.path(), &self.args).await;
        let raw = vault.raw();
        self.vault = Some(vault);
        let fail = |what: String| -> String {
            let output = self
                .vault
                .as_ref()
                .map(VaultProcess::output)
                .unwrap_or_default();
            format!(
                "{what}\nkilled vault's output (tail):\n{}\nrestarted vault's output (tail):\n{}",
                tail(&self.previous_output, 40),
                tail(&output, 40)
            )
        };

        // The client's recovery from answers the kill swallowed: vault either stored the
        // create (it has the operation) or not (send it again).
        let mut resent = BTreeSet::new();
        for ((p, name), how) in ops.iter().zip(&sent) {
            let Sent::Lost = how else { continue };
            let rsp = raw.get(&format!("/certificates/{name}/pending")).await;
            match rsp.status {
                StatusCode::OK => {}
                StatusCode::NOT_FOUND => {
                    raw.start_create(name, &p.create_body(&issuer(*p), name))
                        .await;
                    resent.insert(name.clone());
                }
                s => {
                    return Err(fail(format!(
                        "GET pending {name} after the restart: {s} {}",
                        rsp.text
                    )))
                }
            }
        }

        // Every operation finishes, and completes.
        let finished = join_all(
            ops.iter()
                .map(|(_, name)| wait_finished(&raw, name, ROUND_DEADLINE)),
        )
        .await;
        let mut problems = Vec::new();
        for ((_, name), op) in ops.iter().zip(&finished) {
            match op {
                Ok(op) if op["status"] == "completed" => {}
                Ok(op) => problems.push(format!("{name} ended {}: {op}", op["status"])),
                Err(e) => problems.push(e.clone()),
            }
        }
        if !problems.is_empty() {
            return Err(fail(format!(
                "{} of {OPERATIONS} operations did not complete:\n{}",
                problems.len(),
                problems.join("\n")
            )));
        }

        // Exactly one CA order per operation, none without one.
        let prefix = format!("t{r:03}-");
        let mut per_cn: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for order in self.admin.orders().await {
            let cn = order["common_name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if cn.starts_with(&prefix) {
                per_cn.entry(cn).or_default().push(order);
            }
        }
        let expected: BTreeSet<String> = ops.iter().map(|(_, n)| cn_of(n)).collect();
        let duplicated: Vec<String> = per_cn
            .iter()
            .filter(|(_, orders)| orders.len() > 1)
            .map(|(cn, orders)| format!("{cn}: {} orders {:?}", orders.len(), ids(orders)))
            .collect();
        let orphaned: Vec<String> = per_cn
            .iter()
            .filter(|(cn, _)| !expected.contains(*cn))
            .map(|(cn, orders)| format!("{cn}: {:?}", ids(orders)))
            .collect();
        let unordered: Vec<&String> = expected
            .iter()
            .filter(|cn| !per_cn.contains_key(*cn))
            .collect();
        if !duplicated.is_empty() || !orphaned.is_empty() || !unordered.is_empty() {
            return Err(fail(format!(
                "CA orders vs operations: duplicated {duplicated:?}; orphaned {orphaned:?}; \
                 operations without an order {unordered:?}"
            )));
        }

        // Each order is the operation's: its dialect, issued, and its leaf is vault's
        // certificate. An order ca-sim heard about after the kill (a poll, a lookup's
        // follow-up, the create itself) belongs to an operation the kill caught in flight.
        let heard_after_kill: BTreeSet<String> = self
            .admin
            .requests(None, None)
            .await
            .iter()
            .filter(|e| e["seq"].as_u64().is_some_and(|seq| seq > kill_seq))
            .filter_map(|e| e["order_id"].as_str().map(str::to_string))
            .collect();
        let mut in_flight_at_kill = 0;
        for (p, name) in &ops {
            let order = &per_cn[&cn_of(name)][0];
            if order["dialect"] != p.dialect() || order["status"] != "issued" {
                return Err(fail(format!(
                    "{name}: the CA's order is not an issued {} order: {order}",
                    p.dialect()
                )));
            }
            let leaf = order["cert"]["pem"]
                .as_str()
                .map(pem_blocks)
                .and_then(|blocks| blocks.into_iter().next())
                .map(|(_, der)| der);
            let rsp = raw.get(&format!("/certificates/{name}")).await;
            if rsp.status != StatusCode::OK {
                return Err(fail(format!(
                    "GET /certificates/{name}: {} {}",
                    rsp.status, rsp.text
                )));
            }
            let bundle = rsp.json();
            let cer = bundle["cer"].as_str().map(decode_b64_std_strict);
            if cer.is_none() || cer != leaf {
                return Err(fail(format!(
                    "{name}: vault's certificate is not the leaf of the CA's order {}",
                    order["id"]
                )));
            }
            if heard_after_kill.contains(&id_text(&order["id"])) && !resent.contains(name) {
                in_flight_at_kill += 1;
            }
        }

        let lookups = self.admin.requests(None, Some("lookup")).await.len();
        let faults = self.admin.get("faults").await;
        let lost_answers = faults["rules"]
            .as_array()
            .map(|rules| rules.iter().filter_map(|r| r["fired"].as_u64()).sum())
            .unwrap_or(0);
        let finds = find_calls(&raw).await;
        Ok(Tally {
            operations: ops.len(),
            orders: per_cn.values().map(Vec::len).sum(),
            duplicated: 0,
            orphaned: 0,
            lookups,
            lost_answers,
            in_flight_at_kill,
            resent: resent.len(),
            finds,
        })
    }
}

fn ids(orders: &[Value]) -> Vec<String> {
    orders.iter().map(|o| id_text(&o["id"])).collect()
}

/// An order id as the request history spells it (a string; DigiCert's ids are numbers).
fn id_text(id: &Value) -> String {
    id.as_str().map_or_else(|| id.to_string(), str::to_string)
}

/// `POST …/create` that survives the kill: a transport error is a lost answer, not a panic.
async fn send_create(
    client: &reqwest::Client,
    base: &str,
    p: Provider,
    name: &str,
) -> Result<Sent, String> {
    let url = with_api_version(&format!("{base}/certificates/{name}/create"));
    let sent = client
        .post(url)
        .bearer_auth("e2e-torture")
        .json(&p.create_body(&issuer(p), name))
        .send()
        .await;
    let rsp = match sent {
        Ok(rsp) => rsp,
        Err(_) => return Ok(Sent::Lost),
    };
    let status = rsp.status();
    match rsp.text().await {
        Ok(_) if status == StatusCode::ACCEPTED => Ok(Sent::Accepted),
        Ok(text) => Err(format!("create {name}: {status} {text}")),
        Err(_) => Ok(Sent::Lost),
    }
}

/// Polls the operation of `name` until it leaves `inProgress`, at most for `timeout`.
async fn wait_finished(raw: &Raw, name: &str, timeout: Duration) -> Result<Value, String> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        let rsp = raw.get(&format!("/certificates/{name}/pending")).await;
        if rsp.status == StatusCode::OK {
            let op = rsp.json();
            if op["status"] != "inProgress" {
                return Ok(op);
            }
        }
        if start.elapsed() > timeout {
            return Err(format!(
                "{name} unfinished after {timeout:?}: {} {}",
                rsp.status, rsp.text
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// vault's `find` calls at the CA so far (this process), from `/metrics`.
async fn find_calls(raw: &Raw) -> u64 {
    let rsp = raw.get("/metrics").await;
    rsp.text
        .lines()
        .filter(|l| {
            l.starts_with("vault_ca_call_duration_seconds_count{") && l.contains("call=\"find\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// The last `n` lines of `text`, without terminal colour codes.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for line in &lines[lines.len().saturating_sub(n)..] {
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // CSI: ESC [ parameters final-byte
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}
