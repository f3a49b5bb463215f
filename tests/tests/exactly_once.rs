//! Exactly once when the CA's answer is lost (issue 13), end to end against an in-process
//! ca-sim whose fault rules strike **after** the act (`"phase": "after"`: the order is created
//! or the cancel applied, then the answer is lost as a 5xx, a dropped connection, a truncated
//! body, or a delay longer than vault's timeout):
//!
//! - for each dialect × each after-phase fault, on submit and on cancel: exactly one CA order
//!   per operation, and the operation ends as it should, read from ca-sim's admin API;
//! - a delete or cancel that arrives before vault knows the order's id (its lookups failing),
//!   with a restart in between, and with `kill -9` of the real binary in between: the CA's
//!   order ends cancelled;
//! - GlobalSign's -105 on a resubmission (a lookup wrongly said "no order") is looked up;
//! - a second vault process on the same data dir refuses to start.
//!
//! Names: certificate `{case}-{dc|gs|ws}`, common name `{certificate}.example.com`, so each
//! rule and each order is found by its common name.

use std::time::Duration;

use e2e::{
    Provider::{DigiCert, GlobalSign, WoSign},
    *,
};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;

/// The after-phase fault kinds (ca-sim README, Faults), with vault's timeout in mind.
fn after_faults() -> Vec<(&'static str, Value)> {
    vec![
        (
            "server-error",
            json!({"kind": "server_error", "status": 502}),
        ),
        ("drop", json!({"kind": "drop"})),
        ("malformed", json!({"kind": "malformed"})),
        // Longer than VAULT_TIMEOUT: vault gives up waiting; the CA has acted.
        ("delay", json!({"kind": "delay", "ms": 4000})),
    ]
}

/// vault's timeout of one CA call in the after-phase fault tests (shorter than the delay).
const VAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// vault's timeout where the lookups are made to fail: a submission that times out before the
/// CA acted would leave nothing to find, so the timeout must not strike on a busy machine.
const PATIENT_TIMEOUT: Duration = Duration::from_secs(20);

/// The create request for `name` through `p`'s issuer with ca-sim's built-in account.
fn create_body(p: Provider, name: &str) -> Value {
    p.create_body(&p.issuer(), name)
}

/// ca-sim with every built-in account on `profile`, no DigiCert rate limit.
async fn ca_sim(profile: &'static str) -> TestCaSim {
    TestCaSim::start_with(move |c| {
        set_profile(c, profile);
        c.digicert_rate_limits = Vec::new();
    })
    .await
}

/// A rule that strikes once on `operation` for the order named `cn`, after the act.
fn after_rule(p: Provider, operation: &str, cn: &str, action: &Value) -> Value {
    json!({
        "name": format!("after-{operation}-{cn}"), "dialect": p.dialect(),
        "operation": operation, "common_name": cn, "phase": "after", "nth": 1,
        "action": action,
    })
}

/// How often each rule fired, by name.
async fn fired(admin: &CaSimAdmin) -> std::collections::HashMap<String, u64> {
    let faults = admin.get("faults").await;
    faults["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default().to_string(),
                r["fired"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// The one order the CA holds for `cn` (asserting there is exactly one).
async fn single_order(admin: &CaSimAdmin, cn: &str) -> Value {
    let orders = admin.orders_for(cn).await;
    assert_eq!(
        orders.len(),
        1,
        "exactly one CA order for {cn}: {orders:#?}"
    );
    orders.into_iter().next().unwrap()
}

/// Waits until the CA's one order for `cn` reads `status`.
async fn order_becomes(admin: &CaSimAdmin, cn: &str, status: &str) -> Value {
    eventually(
        Duration::from_secs(60),
        &format!("the CA's order for {cn} to be {status}"),
        || async {
            let order = single_order(admin, cn).await;
            (order["status"] == status).then_some(order)
        },
    )
    .await
}

/// Runs one case per (provider, fault) concurrently and reports every failure together.
async fn all_cases<F, Fut>(cases: Vec<(Provider, &'static str, Value)>, run: F)
where
    F: Fn(Provider, &'static str, Value) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let handles: Vec<_> = cases
        .into_iter()
        .map(|(p, fault, action)| (p, fault, tokio::spawn(run(p, fault, action))))
        .collect();
    let mut failures = Vec::new();
    for (p, fault, handle) in handles {
        if let Err(e) = handle.await {
            failures.push(format!("{p:?} × {fault}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.join("\n")
    );
}

fn every_case() -> Vec<(Provider, &'static str, Value)> {
    Provider::ALL
        .iter()
        .flat_map(|p| {
            after_faults()
                .into_iter()
                .map(move |(fault, action)| (*p, fault, action))
        })
        .collect()
}

/// The certificate of one (provider, fault) case: `{prefix}-{fault}-{dc|gs|ws}`.
fn case_name(prefix: &str, fault: &str, p: Provider) -> String {
    format!("{prefix}-{fault}-{}", p.short())
}

/// ca-sim on `profile` with an after-phase rule on `operation` for the order of every case
/// (certificates `{prefix}-…`), and vault wired to it with its issuers, timing out at
/// [`VAULT_TIMEOUT`].
async fn after_fault_env(
    profile: &'static str,
    operation: &str,
    prefix: &str,
) -> (TestCaSim, TestVault) {
    let ca = ca_sim(profile).await;
    let rules: Vec<Value> = every_case()
        .into_iter()
        .map(|(p, fault, action)| {
            after_rule(p, operation, &cn_of(&case_name(prefix, fault, p)), &action)
        })
        .collect();
    ca.admin().set_faults(&Value::Array(rules)).await;
    let vault = TestVault::start_with(partner_config(&ca, VAULT_TIMEOUT)).await;
    put_partner_issuers(&vault.raw()).await;
    (ca, vault)
}

/// Asserts that every case's rule on `operation` struck once (the answers really were lost).
async fn every_rule_fired_once(admin: &CaSimAdmin, operation: &str, prefix: &str) {
    let fired = fired(admin).await;
    for (p, fault, _) in every_case() {
        let rule = format!("after-{operation}-{}", cn_of(&case_name(prefix, fault, p)));
        assert_eq!(fired.get(&rule), Some(&1), "{rule} fired once: {fired:?}");
    }
}

/// Waits (up to a minute: lost answers cost vault a timeout and a lookup) until the operation
/// of `name` leaves `inProgress`; returns it.
async fn finished(raw: &Raw, name: &str) -> Value {
    raw.wait_operation(
        name,
        Duration::from_secs(60),
        &format!("{name} to finish"),
        |op| op["status"] != "inProgress",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submit_whose_answer_is_lost_after_the_act_orders_once() {
    let (ca, vault) = after_fault_env("fixed:1s", "order", "sub").await;
    let (raw, admin) = (vault.raw(), ca.admin());

    all_cases(every_case(), |p, fault, _| {
        let (raw, admin) = (raw.clone(), admin.clone());
        async move {
            let name = case_name("sub", fault, p);
            raw.start_create(&name, &create_body(p, &name)).await;
            let op = finished(&raw, &name).await;
            assert_eq!(op["status"], "completed", "{name}: {op:#}");
            let order = single_order(&admin, &cn_of(&name)).await;
            assert_eq!(order["dialect"], p.dialect(), "{order:#}");
            assert_eq!(order["status"], "issued", "{name}: {order:#}");
        }
    })
    .await;

    // Every rule struck, and vault resolved each lost answer by a lookup.
    every_rule_fired_once(&admin, "order", "sub").await;
    for p in [DigiCert, WoSign] {
        let lookups = admin
            .requests(Some(p.dialect()), Some("lookup"))
            .await
            .len();
        assert!(
            lookups >= 4,
            "{p:?}: a lookup per lost answer, saw {lookups}"
        );
    }
    assert_eq!(admin.orders().await.len(), 12, "12 operations, 12 orders");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_whose_answer_is_lost_after_the_act_ends_cancelled() {
    // An hour at 1x: the orders stay pending until cancelled.
    let (ca, vault) = after_fault_env("fixed:1h", "cancel", "can").await;
    let (raw, admin) = (vault.raw(), ca.admin());

    all_cases(every_case(), |p, fault, _| {
        let (raw, admin) = (raw.clone(), admin.clone());
        async move {
            let name = case_name("can", fault, p);
            raw.start_create(&name, &create_body(p, &name)).await;
            // The order id is known to vault (it reports the CA's state).
            raw.wait_operation(&name, DEADLINE, &format!("{name} to be at the CA"), |op| {
                op["status_details"]
                    .as_str()
                    .is_some_and(|d| d.contains("The CA reports"))
            })
            .await;
            let rsp = raw
                .patch(
                    &format!("/certificates/{name}/pending"),
                    &json!({ "cancellation_requested": true }),
                )
                .await;
            assert_eq!(rsp.status, StatusCode::OK, "PATCH {name}: {}", rsp.text);
            let op = finished(&raw, &name).await;
            assert_eq!(op["status"], "cancelled", "{name}: {op:#}");
            let order = single_order(&admin, &cn_of(&name)).await;
            assert_eq!(order["status"], "canceled", "{name}: {order:#}");
        }
    })
    .await;

    every_rule_fired_once(&admin, "cancel", "can").await;
}

/// What the client does before vault knows the order's id.
#[derive(Debug, Clone, Copy)]
enum Intent {
    DeletePending,
    Cancel,
    DeleteCertificate,
}

impl Intent {
    fn short(self) -> &'static str {
        match self {
            Intent::DeletePending => "delpending",
            Intent::Cancel => "cancel",
            Intent::DeleteCertificate => "delcert",
        }
    }

    async fn send(self, raw: &Raw, name: &str) {
        let rsp = match self {
            Intent::DeletePending => raw.delete(&format!("/certificates/{name}/pending")).await,
            Intent::Cancel => {
                raw.patch(
                    &format!("/certificates/{name}/pending"),
                    &json!({ "cancellation_requested": true }),
                )
                .await
            }
            Intent::DeleteCertificate => raw.delete(&format!("/certificates/{name}")).await,
        };
        assert_eq!(rsp.status, StatusCode::OK, "{self:?} {name}: {}", rsp.text);
    }
}

const INTENTS: [Intent; 3] = [
    Intent::DeletePending,
    Intent::Cancel,
    Intent::DeleteCertificate,
];

/// Fault rules that lose every submission's answer after the order is created (a 502; not a
/// dropped connection, which over HTTP/2 would also cut the other submissions in flight on it
/// before the CA saw them) and make every lookup fail, so vault cannot learn the order ids.
fn lost_and_unfindable() -> Value {
    let mut rules = Vec::new();
    for p in Provider::ALL {
        rules.push(json!({
            "name": format!("lost-{}", p.short()), "dialect": p.dialect(), "operation": "order",
            "phase": "after", "action": {"kind": "server_error", "status": 502},
        }));
        rules.push(json!({
            "name": format!("unfindable-{}", p.short()), "dialect": p.dialect(),
            "operation": p.lookup_operation(), "action": {"kind": "server_error", "status": 503},
        }));
    }
    Value::Array(rules)
}

fn intent_names() -> Vec<(Provider, Intent, String)> {
    Provider::ALL
        .iter()
        .flat_map(|p| {
            INTENTS
                .iter()
                .map(move |i| (*p, *i, format!("{}-{}", i.short(), p.short())))
        })
        .collect()
}

/// Creates every (provider, intent) certificate, waits until each order exists at the CA
/// while vault, its lookups failing, does not know its id, then sends each intent.
async fn intents_before_the_order_id_is_known(raw: &Raw, admin: &CaSimAdmin) {
    let names = intent_names();
    for (p, _, name) in &names {
        raw.start_create(name, &create_body(*p, name)).await;
    }
    join_all(names.iter().map(|(p, intent, name)| async move {
        let cn = cn_of(name);
        eventually(
            DEADLINE,
            &format!("an order for {cn} at the CA"),
            || async { admin.orders_for(&cn).await.into_iter().next() },
        )
        .await;
        // Vault is stuck looking the order up: it does not know the id.
        eventually(DEADLINE, &format!("a failed lookup for {name}"), || async {
            let lookups = admin
                .requests(Some(p.dialect()), Some(p.lookup_operation()))
                .await;
            lookups
                .iter()
                .any(|r| r["status"].as_u64() == Some(503))
                .then_some(())
        })
        .await;
        let op = raw.pending(name).await;
        assert_eq!(op["status"], "inProgress", "{name}: {op:#}");
        intent.send(raw, name).await;
    }))
    .await;
}

/// After the lookups work again: every order ends cancelled at the CA, one per certificate.
async fn every_order_ends_cancelled(raw: &Raw, admin: &CaSimAdmin) {
    join_all(
        intent_names()
            .into_iter()
            .map(|(_, intent, name)| async move {
                let cn = cn_of(&name);
                order_becomes(admin, &cn, "canceled").await;
                match intent {
                    Intent::Cancel => {
                        let op = raw.wait_finished(&name).await;
                        assert_eq!(op["status"], "cancelled", "{name}: {op:#}");
                    }
                    Intent::DeletePending => {
                        let rsp = raw.get(&format!("/certificates/{name}/pending")).await;
                        rsp.assert_error(StatusCode::NOT_FOUND, "PendingCertificateNotFound");
                    }
                    Intent::DeleteCertificate => {
                        let rsp = raw.get(&format!("/deletedcertificates/{name}")).await;
                        assert_eq!(
                            rsp.status,
                            StatusCode::OK,
                            "{name} is soft-deleted: {}",
                            rsp.text
                        );
                    }
                }
            }),
    )
    .await;
    assert_eq!(admin.orders().await.len(), 9, "one order per certificate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intents_before_the_order_id_is_known_survive_a_restart() {
    let ca = ca_sim("fixed:1h").await;
    let admin = ca.admin();
    admin.set_faults(&lost_and_unfindable()).await;
    let vault = TestVault::start_with(partner_config(&ca, PATIENT_TIMEOUT)).await;
    put_partner_issuers(&vault.raw()).await;
    intents_before_the_order_id_is_known(&vault.raw(), &admin).await;

    let vault = vault.restart().await;
    admin.set_faults(&json!([])).await;
    every_order_ends_cancelled(&vault.raw(), &admin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intents_before_the_order_id_is_known_survive_kill_9() {
    let ca = ca_sim("fixed:1h").await;
    let admin = ca.admin();
    admin.set_faults(&lost_and_unfindable()).await;
    let data_dir = tempfile::Builder::new()
        .prefix("e2e-exactly-once-")
        .tempdir()
        .expect("temp dir");
    let args = partner_vault_args(
        &ca,
        &[
            ("--provider-poll-interval", "50ms"),
            ("--provider-timeout", "20s"),
            ("--retry-after", "100ms"),
        ],
    );

    let vault = VaultProcess::spawn_with_args(data_dir.path(), &args).await;
    put_partner_issuers(&vault.raw()).await;
    intents_before_the_order_id_is_known(&vault.raw(), &admin).await;

    // While it runs, a second process on the same data dir is refused.
    let second = tokio::process::Command::new(vault_binary())
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir.path())
        .env_remove("RUST_LOG")
        .output()
        .await
        .expect("run a second vault");
    let text = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "the second vault must not start");
    assert!(
        text.contains("in use by another vault process"),
        "a clear message: {text}"
    );

    vault.kill().await;
    let vault = VaultProcess::spawn_with_args(data_dir.path(), &args).await;
    admin.set_faults(&json!([])).await;
    every_order_ends_cancelled(&vault.raw(), &admin).await;
}

/// GlobalSign's client-chosen OrderID: when a lookup wrongly says "no such order" and vault
/// submits again, GlobalSign answers -105 for the taken id, which vault reads as "it exists:
/// look it up", never as a refusal; still one order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn globalsign_105_on_a_resubmit_is_looked_up() {
    let ca = ca_sim("fixed:1s").await;
    let admin = ca.admin();
    let name = "gs105-gs";
    let cn = cn_of(name);
    admin
        .set_faults(&json!([
            after_rule(GlobalSign, "order", &cn, &json!({"kind": "server_error", "status": 502})),
            {
                "name": "blind-lookup", "dialect": "globalsign", "operation": "poll", "times": 1,
                "action": {"kind": "vendor_error", "code": "-9916", "message": "Order not found"},
            },
        ]))
        .await;
    let vault = TestVault::start_with(partner_config(&ca, PATIENT_TIMEOUT)).await;
    let raw = vault.raw();
    put_partner_issuers(&raw).await;
    raw.start_create(name, &create_body(GlobalSign, name)).await;
    let op = raw.wait_finished(name).await;
    assert_eq!(op["status"], "completed", "{op:#}");
    let order = single_order(&admin, &cn).await;
    assert_eq!(order["status"], "issued", "{order:#}");
    let submissions = admin.requests(Some("globalsign"), Some("order")).await;
    assert_eq!(submissions.len(), 2, "{submissions:#?}");
    assert_eq!(
        submissions[1]["code"], "-105",
        "the resubmission was refused as a taken OrderID: {submissions:#?}"
    );
}
