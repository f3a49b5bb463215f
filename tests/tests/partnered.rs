//! Partnered issuance end to end (issue 5): vault and an in-process ca-sim on loopback, for each
//! provider dialect (DigiCert REST, GlobalSign SOAP, WoSign HMAC JSON).
//!
//! - success after a time-scaled delay, immediate issuance (`instant`), CA rejection, wrong
//!   credentials, bursts of 5xx and 429, ca-sim down for a while then back on the same port,
//!   cancel (PATCH) and delete (DELETE) of the pending operation mid-flight, chains with a wrong
//!   key (and chains served out of order or with CRLF, which still complete);
//! - the real Azure SDK for Rust poller drives success and failure;
//! - crash safety with the real `vault` binary: 50 creates, `kill -9`, restart, all complete and
//!   the CA saw exactly 50 orders;
//! - measurements (printed, not asserted): 100 concurrent issuances under `instant`, and the
//!   time from CA issue to vault `completed`.
//!
//! Each test runs its scenario for the three providers concurrently against one ca-sim and one
//! vault and reports every provider that failed. Names: certificate `{scenario}-{dc|gs|ws}`,
//! common name `{certificate}.example.com` (unique, so ca-sim's orders are found by it).

use std::{
    any::Any,
    collections::{BTreeMap, BTreeSet},
    future::Future,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use azure_security_keyvault_certificates::models::{
    CertificateOperation, CertificatePolicy, CreateCertificateParameters, CurveName,
    IssuerParameters, KeyProperties, KeyType, SubjectAlternativeNames, X509CertificateProperties,
};
use e2e::{
    Provider::{DigiCert, GlobalSign, WoSign},
    *,
};
use futures::{stream, StreamExt as _};
use reqwest::StatusCode;
use serde_json::Value;
use shared::crypto::pkcs12_parse;
use x509_parser::prelude::GeneralName;

// ------------------------------------------------------------------------------------------------
// Providers and issuers (the accounts and issuer bodies are the harness's `Provider`)
// ------------------------------------------------------------------------------------------------

/// Error codes of a failed partnered operation (spec §4.1, partner-dialects.md §1.4).
const ISSUER_ERROR: &str = "Certificate issuer error";
const REQUEST_REJECTED: &str = "Request rejected";

/// This file's second issuer per provider.
trait BadIssuer {
    /// The vault issuer with a wrong password / API key.
    fn bad_issuer(self) -> String;
}

impl BadIssuer for Provider {
    fn bad_issuer(self) -> String {
        format!("{}-bad-issuer", self.short())
    }
}

/// The same policy as [`partner_policy`] for the SDK.
fn sdk_partner_policy(issuer: &str, subject: &str, cn: &str) -> CertificatePolicy {
    CertificatePolicy {
        key_properties: Some(KeyProperties {
            key_type: Some(KeyType::Ec),
            curve: Some(CurveName::P256),
            exportable: Some(true),
            ..Default::default()
        }),
        x509_certificate_properties: Some(X509CertificateProperties {
            subject: Some(subject.into()),
            subject_alternative_names: Some(SubjectAlternativeNames {
                dns_names: Some(vec![cn.into()]),
                ..Default::default()
            }),
            validity_in_months: Some(12),
            ..Default::default()
        }),
        issuer_parameters: Some(IssuerParameters {
            name: Some(issuer.into()),
            certificate_type: Some("OV-SSL".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

// ------------------------------------------------------------------------------------------------
// Environment: one ca-sim, one vault wired to it
// ------------------------------------------------------------------------------------------------

/// vault's timeout of one CA call.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);

struct Env {
    ca: TestCaSim,
    vault: TestVault,
}

impl Env {
    async fn start(configure_ca: impl Fn(&mut ca_sim::Config) + Send + Sync + 'static) -> Env {
        let ca = TestCaSim::start_with(configure_ca).await;
        let vault = TestVault::start_with(partner_config(&ca, PROVIDER_TIMEOUT)).await;
        put_issuers(&vault.raw()).await;
        Env { ca, vault }
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            raw: self.vault.raw(),
            admin: self.ca.admin(),
        }
    }
}

/// Creates the good and the bad issuer of every provider.
async fn put_issuers(raw: &Raw) {
    put_partner_issuers(raw).await;
    for p in Provider::ALL {
        put_issuer(raw, &p.bad_issuer(), &p.issuer_body("not-the-right-secret")).await;
    }
}

/// What a per-provider scenario needs: vault over raw HTTP and ca-sim's admin API.
#[derive(Clone)]
struct Ctx {
    raw: Raw,
    admin: CaSimAdmin,
}

impl Ctx {
    /// `POST /certificates/{name}/create` with a partnered policy; returns the operation.
    async fn create_with(&self, name: &str, issuer: &str, subject: &str) -> Value {
        let cn = cn_of(name);
        self.raw
            .start_create(
                name,
                &json!({ "policy": partner_policy(issuer, subject, &cn) }),
            )
            .await
    }

    /// Creates `name` through `p`'s good issuer.
    async fn create(&self, p: Provider, name: &str) -> Value {
        let op = self
            .create_with(name, &p.issuer(), &p.subject(&cn_of(name)))
            .await;
        assert_eq!(op["status"], "inProgress", "create {name}: {op}");
        assert_eq!(op["issuer"]["name"], p.issuer().as_str(), "{op}");
        op
    }

    /// Waits until the CA has an order for `cn` and vault reports the CA's state (the order id
    /// is known to vault); returns the CA's order.
    async fn wait_submitted(&self, p: Provider, name: &str) -> Value {
        let cn = cn_of(name);
        let order = eventually(
            DEADLINE,
            &format!("an order for {cn} at the CA"),
            || async { self.admin.orders_for(&cn).await.into_iter().next() },
        )
        .await;
        self.raw
            .wait_operation(
                name,
                DEADLINE,
                &format!("vault to report the CA's state of {name}"),
                |op| {
                    let details = op["status_details"].as_str().unwrap_or_default();
                    assert_eq!(op["status"], "inProgress", "{name} is still pending: {op}");
                    details.contains(p.pending_word())
                },
            )
            .await;
        order
    }

    /// After a failed operation the certificate is still only the pending version: no `cer`,
    /// disabled (as Key Vault shows a failed request).
    async fn assert_no_certificate(&self, name: &str) {
        let rsp = self.raw.get(&format!("/certificates/{name}")).await;
        if rsp.status == StatusCode::OK {
            let bundle = rsp.json();
            assert!(
                bundle.get("cer").is_none() && bundle.get("x5t").is_none(),
                "{name}: a failed request stores no certificate: {bundle:#}"
            );
            assert_eq!(bundle["attributes"]["enabled"], false, "{name}: {bundle:#}");
        } else {
            assert_eq!(rsp.status, StatusCode::NOT_FOUND, "{name}: {}", rsp.text);
        }
    }

    /// The only order the CA has for `cn`.
    async fn single_order(&self, cn: &str) -> Value {
        let orders = self.admin.orders_for(cn).await;
        assert_eq!(
            orders.len(),
            1,
            "exactly one order at the CA for {cn}: {orders:#?}"
        );
        orders.into_iter().next().unwrap()
    }

    /// Checks a completed partnered certificate against the CA's order: the same leaf, the
    /// requested name, the pending key, and the CA's chain in the secret.
    async fn assert_issued_by_ca(&self, p: Provider, name: &str) {
        let cn = cn_of(name);
        let order = self.single_order(&cn).await;
        assert_eq!(order["dialect"], p.dialect(), "{order:#?}");
        assert_eq!(order["status"], "issued", "CA order of {name}: {order:#?}");
        let ca_leaf = pem_der(order["cert"]["pem"].as_str().expect("order cert pem"));
        let intermediates: Vec<Vec<u8>> = order["cert"]["intermediates"]
            .as_array()
            .expect("order intermediates")
            .iter()
            .map(|pem| pem_der(pem.as_str().expect("intermediate pem")))
            .collect();
        assert!(!intermediates.is_empty(), "the CA has intermediates");

        let rsp = self.raw.get(&format!("/certificates/{name}")).await;
        assert_eq!(rsp.status, StatusCode::OK, "GET {name}: {}", rsp.text);
        let bundle = rsp.json();
        let cer = decode_b64_std_strict(bundle["cer"].as_str().expect("cer"));
        assert!(
            cer == ca_leaf,
            "{name}: vault's certificate is the one the CA issued"
        );
        verify_cert_signed_by(&cer, &intermediates[0])
            .unwrap_or_else(|e| panic!("{name}: leaf not signed by the CA's intermediate: {e}"));
        assert!(
            dns_names(&cer).contains(&cn),
            "{name}: the leaf names {cn}: {:?}",
            dns_names(&cer)
        );

        let rsp = self.raw.get(&format!("/secrets/{name}")).await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "GET secret {name}: {}",
            rsp.text
        );
        let secret = rsp.json();
        let (key, certs) = pkcs12_parse(
            &decode_b64_std_strict(secret["value"].as_str().expect("secret value")),
            "",
        )
        .expect("the secret PFX opens with an empty password");
        let key = key.expect("the PFX holds the private key");
        assert!(
            private_key_matches_cert(key.pkcs8_der(), &cer),
            "{name}: the CA certified the key vault generated"
        );
        assert!(certs.contains(&cer), "{name}: the PFX holds the leaf");
        for (i, der) in intermediates.iter().enumerate() {
            assert!(
                certs.contains(der),
                "{name}: the PFX holds the CA's intermediate #{i}"
            );
        }
    }
}

/// Runs `scenario` for the three providers concurrently; fails with every provider's failure.
async fn for_each_provider<F, Fut>(scenario: F)
where
    F: Fn(Provider) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tasks: Vec<_> = Provider::ALL
        .iter()
        .map(|&p| (p, tokio::spawn(scenario(p))))
        .collect();
    let mut failures = Vec::new();
    for (p, task) in tasks {
        if let Err(err) = task.await {
            let message = if err.is_panic() {
                panic_text(err.into_panic())
            } else {
                err.to_string()
            };
            failures.push(format!("{p:?}: {message}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} provider(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

fn panic_text(payload: Box<dyn Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic)".into()
    }
}

// ------------------------------------------------------------------------------------------------
// Small helpers
// ------------------------------------------------------------------------------------------------

/// The DER of the first PEM certificate in `pem`.
fn pem_der(pem: &str) -> Vec<u8> {
    pem_blocks(pem)
        .into_iter()
        .find(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .expect("a PEM certificate")
}

fn dns_names(cert_der: &[u8]) -> Vec<String> {
    let cert = parse_cert(cert_der);
    let san = cert
        .subject_alternative_name()
        .expect("parse SAN")
        .map(|ext| ext.value.general_names.clone())
        .unwrap_or_default();
    san.iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(d) => Some(d.to_string()),
            _ => None,
        })
        .collect()
}

fn error_of(op: &Value) -> (String, String) {
    let code = op["error"]["code"].as_str().unwrap_or_default().to_string();
    let message = op["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (code, message)
}

/// Asserts a `failed` operation with `code` whose message contains every needle.
fn assert_failed(name: &str, op: &Value, code: &str, needles: &[&str]) {
    assert_eq!(op["status"], "failed", "{name}: {op:#}");
    let (actual, message) = error_of(op);
    assert_eq!(actual, code, "{name}: error code: {op:#}");
    assert!(!message.is_empty(), "{name}: error message: {op:#}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "{name}: the error message passes the CA's {needle:?} through; got {message:?}"
        );
    }
}

/// Unix milliseconds of `YYYY-MM-DDTHH:MM:SS.mmmZ` (ca-sim's timestamps).
fn rfc3339_ms(text: &str) -> i64 {
    let num = |range: std::ops::Range<usize>| -> i64 {
        text.get(range)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("timestamp {text:?}"))
    };
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let (hh, mm, ss) = (num(11..13), num(14..16), num(17..19));
    let ms = if text.as_bytes().get(19) == Some(&b'.') {
        num(20..23)
    } else {
        0
    };
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + ms
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// Wall-clock ms of the CA's `issued` event of an order.
fn issued_wall_ms(order: &Value) -> Option<i64> {
    order["timeline"]
        .as_array()?
        .iter()
        .find(|e| e["event"] == "issued")
        .and_then(|e| e["wall_ms"].as_i64().or_else(|| e["at_ms"].as_i64()))
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    assert!(!sorted.is_empty());
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

// ------------------------------------------------------------------------------------------------
// Success paths
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issues_after_a_time_scaled_delay() {
    // One simulated hour at 1800x: about two real seconds.
    let env = Env::start(|c| {
        c.time_scale = 1800.0;
        set_profile(c, "fixed:1h");
    })
    .await;
    let ctx = env.ctx();
    for_each_provider(|p| {
        let ctx = ctx.clone();
        async move {
            let name = format!("delay-{}", p.short());
            let started = Instant::now();
            let op = ctx.create(p, &name).await;
            assert!(op["csr"].as_str().is_some_and(|c| !c.is_empty()), "{op}");
            // While the CA works on it, vault shows the CA's state.
            let order = ctx.wait_submitted(p, &name).await;
            assert_eq!(order["status"], "pending", "{order:#}");

            let op = ctx.raw.wait_finished(&name).await;
            let elapsed = started.elapsed();
            assert_eq!(op["status"], "completed", "{name}: {op:#}");
            assert!(op["error"].is_null(), "{op:#}");
            assert!(
                op["target"]
                    .as_str()
                    .is_some_and(|t| t.ends_with(&format!("/certificates/{name}"))),
                "{op:#}"
            );
            assert!(
                elapsed >= Duration::from_millis(1500),
                "{name}: completed after the CA's delay (1 h simulated at 1800x), not before: {elapsed:?}"
            );
            ctx.assert_issued_by_ca(p, &name).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instant_profile_issues_at_once() {
    let env = Env::start(|c| set_profile(c, "instant")).await;
    let ctx = env.ctx();
    for_each_provider(|p| {
        let ctx = ctx.clone();
        async move {
            let name = format!("instant-{}", p.short());
            let started = Instant::now();
            ctx.create(p, &name).await;
            let op = ctx.raw.wait_finished(&name).await;
            assert_eq!(op["status"], "completed", "{name}: {op:#}");
            let elapsed = started.elapsed();
            assert!(
                elapsed < Duration::from_secs(15),
                "{name}: instant issuance completes promptly: {elapsed:?}"
            );
            ctx.assert_issued_by_ca(p, &name).await;

            let order = ctx.single_order(&cn_of(&name)).await;
            let order_id = order["id"].as_str().expect("order id");
            let polls: Vec<Value> = ctx
                .admin
                .requests(Some(p.dialect()), Some("poll"))
                .await
                .into_iter()
                .filter(|r| r["order_id"] == order_id)
                .collect();
            match p {
                // The 201 carries the chain: nothing to poll.
                DigiCert => assert!(
                    polls.is_empty(),
                    "{name}: DigiCert instant issuance needs no poll: {polls:#?}"
                ),
                // Issued before the create call returned: the create's answer or the first
                // poll collects it.
                _ => assert!(
                    polls.len() <= 1,
                    "{name}: at most one poll collects an instant order: {polls:#?}"
                ),
            }
        }
    })
    .await;
}

/// Documents the expectation: a GlobalSign OV order whose subject has no O completes (vault
/// must still send what OVOrder requires, or ca-sim must not require it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn globalsign_subject_without_organization_completes() {
    let env = Env::start(|c| set_profile(c, "instant")).await;
    let ctx = env.ctx();
    let name = "noorg-gs";
    let op = ctx
        .create_with(name, &GlobalSign.issuer(), &format!("CN={}", cn_of(name)))
        .await;
    assert_eq!(op["status"], "inProgress", "{op}");
    let op = ctx.raw.wait_finished(name).await;
    assert_eq!(
        op["status"], "completed",
        "a GlobalSign OV policy without O= in the subject: {op:#}"
    );
    ctx.assert_issued_by_ca(GlobalSign, name).await;
}

// ------------------------------------------------------------------------------------------------
// CA-side failures
// ------------------------------------------------------------------------------------------------

const REASON_DC: &str = "Organization validation failed for e2e (dc)";
const REASON_GS: &str = "Domain control not demonstrated for e2e (gs)";
const REASON_WS: &str = "CAA record forbids issuance for e2e (ws)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_rejection_fails_with_the_cas_message() {
    let env = Env::start(|c| set_profile(c, "fixed:1s")).await;
    let ctx = env.ctx();
    // DigiCert: organization 100002 is not validated, so the order waits for an admin, who
    // rejects it. GlobalSign: a reject fault sticks to the order. WoSign: a reject fault on a
    // poll rejects the order at once.
    let mut unvalidated = DigiCert.issuer_body(DigiCert.secret());
    unvalidated["org_details"]["id"] = json!("100002");
    put_issuer(&ctx.raw, "dc-unvalidated", &unvalidated).await;
    ctx.admin
        .set_faults(&json!([
            { "name": "gs-reject", "dialect": "globalsign", "operation": "order",
              "common_name": "reject-gs.example.com",
              "action": { "kind": "reject", "reason": REASON_GS } },
            { "name": "ws-reject", "dialect": "wosign", "operation": "poll",
              "common_name": "reject-ws.example.com",
              "action": { "kind": "reject", "reason": REASON_WS } }
        ]))
        .await;

    for_each_provider(|p| {
        let ctx = ctx.clone();
        async move {
            let name = format!("reject-{}", p.short());
            let cn = cn_of(&name);
            match p {
                DigiCert => {
                    ctx.create_with(&name, "dc-unvalidated", &p.subject(&cn))
                        .await;
                    let order = ctx.wait_submitted(p, &name).await;
                    assert_eq!(order["awaiting_validation"], true, "{order:#}");
                    let id = order["id"].as_str().expect("order id");
                    ctx.admin
                        .post(
                            &format!("orders/{id}/reject"),
                            &json!({ "reason": REASON_DC }),
                        )
                        .await;
                }
                _ => {
                    ctx.create(p, &name).await;
                }
            }
            let op = ctx.raw.wait_finished(&name).await;
            let order = ctx.single_order(&cn).await;
            assert_eq!(order["status"], "rejected", "{order:#}");
            let order_id = order["id"].as_str().expect("order id");
            match p {
                // DigiCert passes the reason in requests[0].processor_comment (and notes).
                DigiCert => assert_failed(&name, &op, REQUEST_REJECTED, &[REASON_DC]),
                // GCC's GetOrderByOrderID has no reason field: status 10 (Denied) only.
                GlobalSign => assert_failed(&name, &op, REQUEST_REJECTED, &[order_id]),
                WoSign => assert_failed(&name, &op, REQUEST_REJECTED, &[REASON_WS]),
            }
            ctx.assert_no_certificate(&name).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_fail() {
    let env = Env::start(|c| set_profile(c, "instant")).await;
    let ctx = env.ctx();
    for_each_provider(|p| {
        let ctx = ctx.clone();
        async move {
            let name = format!("badcreds-{}", p.short());
            let cn = cn_of(&name);
            ctx.create_with(&name, &p.bad_issuer(), &p.subject(&cn))
                .await;
            let op = ctx.raw.wait_finished(&name).await;
            // The vendor's own error code travels in the message.
            let code = match p {
                DigiCert => "invalid_api_key",
                GlobalSign => "-4001",
                WoSign => "1001",
            };
            assert_failed(&name, &op, ISSUER_ERROR, &[code]);
            let orders = ctx.admin.orders_for(&cn).await;
            assert!(
                orders.is_empty(),
                "{name}: no order with wrong credentials: {orders:#?}"
            );
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_5xx_and_429_still_complete() {
    let env = Env::start(|c| set_profile(c, "fixed:1s")).await;
    let ctx = env.ctx();
    let mut rules = Vec::new();
    for p in Provider::ALL {
        let d = p.dialect();
        rules.push(
            json!({ "name": format!("{d}-order-503"), "dialect": d, "operation": "order",
            "times": 2, "action": { "kind": "server_error", "status": 503 } }),
        );
        rules.push(
            json!({ "name": format!("{d}-poll-429"), "dialect": d, "operation": "poll",
            "times": 2, "action": { "kind": "rate_limit", "retry_after": 1 } }),
        );
        rules.push(
            json!({ "name": format!("{d}-poll-500"), "dialect": d, "operation": "poll",
            "times": 2, "action": { "kind": "server_error", "status": 500 } }),
        );
        if p != GlobalSign {
            // GlobalSign delivers the chain in the poll; the others download it.
            rules.push(json!({ "name": format!("{d}-download-502"), "dialect": d,
                "operation": "download", "times": 1,
                "action": { "kind": "server_error", "status": 502 } }));
        }
    }
    ctx.admin.set_faults(&Value::Array(rules)).await;

    for_each_provider(|p| {
        let ctx = ctx.clone();
        async move {
            let name = format!("faults-{}", p.short());
            ctx.create(p, &name).await;
            let op = ctx.raw.wait_finished(&name).await;
            assert_eq!(op["status"], "completed", "{name}: {op:#}");
            // Refused submissions (503) created no order; the one that went through did.
            ctx.assert_issued_by_ca(p, &name).await;

            let faults = ctx.admin.get("faults").await;
            for rule in faults["rules"].as_array().expect("rules") {
                if rule["dialect"] != p.dialect() {
                    continue;
                }
                assert_eq!(
                    rule["fired"], rule["times"],
                    "{name}: every fault of the burst was met: {rule}"
                );
            }

            // Retry-After: 1 was honoured after each 429.
            let requests = ctx.admin.requests(Some(p.dialect()), None).await;
            let mut seen_429 = 0;
            for pair in requests.windows(2) {
                if pair[0]["status"] == 429 {
                    seen_429 += 1;
                    let gap = rfc3339_ms(pair[1]["at"].as_str().unwrap())
                        - rfc3339_ms(pair[0]["at"].as_str().unwrap());
                    assert!(
                        gap >= 900,
                        "{name}: the next call came {gap} ms after a 429 with Retry-After: 1"
                    );
                }
            }
            assert_eq!(seen_429, 2, "{name}: two 429s answered: {requests:#?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_down_for_a_while_then_back_completes() {
    // Long enough that the first orders are still pending when the CA goes away.
    let mut env = Env::start(|c| set_profile(c, "fixed:4s")).await;
    let ctx = env.ctx();

    // Orders already at the CA when it goes away.
    for_each_provider(|p| {
        let ctx = ctx.clone();
        async move {
            let name = format!("down-a-{}", p.short());
            ctx.create(p, &name).await;
            ctx.wait_submitted(p, &name).await;
        }
    })
    .await;

    env.ca.stop().await;
    assert!(!env.ca.is_running());

    // Orders created while the CA is away, and every operation noticing the outage.
    for_each_provider(|p| {
        let ctx = ctx.clone();
        async move {
            let name = format!("down-b-{}", p.short());
            ctx.create(p, &name).await;
            for name in [format!("down-a-{}", p.short()), name] {
                let op = ctx
                    .raw
                    .wait_operation(
                        &name,
                        DEADLINE,
                        &format!("{name} to report a failed CA call"),
                        |op| {
                            let details = op["status_details"]
                                .as_str()
                                .unwrap_or_default()
                                .to_ascii_lowercase();
                            details.contains("retr") || op["status"] != "inProgress"
                        },
                    )
                    .await;
                assert_eq!(
                    op["status"], "inProgress",
                    "{name}: an unreachable CA is retried, not fatal: {op:#}"
                );
            }
        }
    })
    .await;

    env.ca.serve_again().await;

    for_each_provider(|p| {
        let ctx = ctx.clone();
        async move {
            for name in [
                format!("down-a-{}", p.short()),
                format!("down-b-{}", p.short()),
            ] {
                let op = ctx.raw.wait_finished(&name).await;
                assert_eq!(op["status"], "completed", "{name}: {op:#}");
                ctx.assert_issued_by_ca(p, &name).await;
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_delete_mid_flight_reach_the_ca() {
    // An hour at 1x: the orders stay pending for the whole test.
    let env = Env::start(|c| set_profile(c, "fixed:1h")).await;
    let ctx = env.ctx();
    let roots = ctx.admin.get("roots").await;
    let some_cert = b64_std(&pem_der(
        roots["digicert"]["root"]["pem"].as_str().expect("root pem"),
    ));

    for_each_provider(|p| {
        let ctx = ctx.clone();
        let some_cert = some_cert.clone();
        async move {
            // PATCH pending: forwarded to the CA, cancelled once it confirms.
            let name = format!("cancel-{}", p.short());
            ctx.create(p, &name).await;
            ctx.wait_submitted(p, &name).await;

            // Merge is forbidden while a partnered operation is in progress (spec §4.2).
            let rsp = ctx
                .raw
                .post(
                    &format!("/certificates/{name}/pending/merge"),
                    &json!({ "x5c": [some_cert] }),
                )
                .await;
            assert_eq!(rsp.status, StatusCode::FORBIDDEN, "{name}: {}", rsp.text);
            rsp.assert_kv_error();

            let rsp = ctx
                .raw
                .patch(
                    &format!("/certificates/{name}/pending"),
                    &json!({ "cancellation_requested": true }),
                )
                .await;
            assert_eq!(rsp.status, StatusCode::OK, "PATCH {name}: {}", rsp.text);
            assert_eq!(rsp.json()["cancellation_requested"], true, "{}", rsp.text);
            let op = ctx.raw.wait_finished(&name).await;
            assert_eq!(op["status"], "cancelled", "{name}: {op:#}");
            assert_eq!(op["cancellation_requested"], true, "{op:#}");
            let order = ctx.single_order(&cn_of(&name)).await;
            assert_eq!(
                order["status"], "canceled",
                "{name}: the CA's order is cancelled: {order:#}"
            );

            // DELETE pending: vault stops tracking, and cancels at the CA.
            let name = format!("delete-{}", p.short());
            ctx.create(p, &name).await;
            ctx.wait_submitted(p, &name).await;
            let rsp = ctx
                .raw
                .delete(&format!("/certificates/{name}/pending"))
                .await;
            assert_eq!(rsp.status, StatusCode::OK, "DELETE {name}: {}", rsp.text);
            let rsp = ctx.raw.get(&format!("/certificates/{name}/pending")).await;
            rsp.assert_error(StatusCode::NOT_FOUND, "PendingCertificateNotFound");
            let cn = cn_of(&name);
            let order = eventually(
                DEADLINE,
                &format!("the CA's order for {cn} to be cancelled"),
                || async {
                    let order = ctx.single_order(&cn).await;
                    (order["status"] == "canceled").then_some(order)
                },
            )
            .await;
            assert_eq!(order["status"], "canceled");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_faults_wrong_key_fails_others_complete() {
    let env = Env::start(|c| set_profile(c, "instant")).await;
    let ctx = env.ctx();
    ctx.admin
        .set_faults(&json!([
            { "name": "wrong-key", "operation": "order", "common_name": "wrongkey-*",
              "action": { "kind": "wrong_key" } },
            { "name": "wrong-order", "operation": "order", "common_name": "wrongorder-*",
              "action": { "kind": "chain_wrong_order" } },
            { "name": "crlf", "operation": "order", "common_name": "crlf-*",
              "action": { "kind": "chain_crlf" } }
        ]))
        .await;
    for_each_provider(|p| {
        let ctx = ctx.clone();
        async move {
            let name = format!("wrongkey-{}", p.short());
            ctx.create(p, &name).await;
            let op = ctx.raw.wait_finished(&name).await;
            assert_failed(&name, &op, ISSUER_ERROR, &["key"]);
            let order = ctx.single_order(&cn_of(&name)).await;
            assert_eq!(
                order["status"], "issued",
                "the CA issued (wrongly): {order:#}"
            );
            ctx.assert_no_certificate(&name).await;

            // Chains served out of order or with CRLF line ends are still usable.
            for name in [
                format!("wrongorder-{}", p.short()),
                format!("crlf-{}", p.short()),
            ] {
                ctx.create(p, &name).await;
                let op = ctx.raw.wait_finished(&name).await;
                assert_eq!(op["status"], "completed", "{name}: {op:#}");
                ctx.assert_issued_by_ca(p, &name).await;
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partnered_create_without_endpoint_fails_clearly() {
    let vault = TestVault::start_with(|config| {
        config.retry_after = Duration::from_millis(100);
    })
    .await;
    let raw = vault.raw();
    put_issuers(&raw).await;
    let ctx = Ctx {
        raw,
        // Never used: no CA is configured.
        admin: CaSimAdmin {
            client: vault.http(),
            base: vault.base_url(),
        },
    };
    for p in Provider::ALL {
        let name = format!("noendpoint-{}", p.short());
        let op = ctx
            .create_with(&name, &p.issuer(), &p.subject(&cn_of(&name)))
            .await;
        let op = if op["status"] == "inProgress" {
            ctx.raw.wait_finished(&name).await
        } else {
            op
        };
        assert_failed(
            &name,
            &op,
            ISSUER_ERROR,
            &["--provider-endpoint", p.provider_name()],
        );
    }
}

// ------------------------------------------------------------------------------------------------
// The real SDK poller
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_poller_drives_success_and_failure() {
    let env = Env::start(|c| set_profile(c, "fixed:1s")).await;
    let ctx = env.ctx();
    let base = env.vault.base_url();
    let ca_pem = env.vault.ca_pem().to_string();
    for_each_provider(|p| {
        let ctx = ctx.clone();
        let client = certificate_client(&base, &ca_pem);
        async move {
            // Success: the poller's future resolves to the certificate the CA issued.
            let name = format!("sdk-ok-{}", p.short());
            let cn = cn_of(&name);
            let parameters = CreateCertificateParameters {
                certificate_policy: Some(sdk_partner_policy(&p.issuer(), &p.subject(&cn), &cn)),
                ..Default::default()
            };
            let poller = client
                .begin_create_certificate(&name, parameters.try_into().unwrap(), fast_poller())
                .unwrap();
            let cert = tokio::time::timeout(DEADLINE, poller)
                .await
                .unwrap_or_else(|_| panic!("{name}: poller did not finish"))
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .into_model()
                .unwrap();
            let order = ctx.single_order(&cn).await;
            let ca_leaf = pem_der(order["cert"]["pem"].as_str().expect("order cert"));
            assert_eq!(
                cert.cer.as_deref(),
                Some(ca_leaf.as_slice()),
                "{name}: the SDK returns the CA's certificate"
            );
            assert_eq!(
                cert.policy
                    .as_ref()
                    .and_then(|pol| pol.issuer_parameters.as_ref())
                    .and_then(|i| i.name.as_deref()),
                Some(p.issuer().as_str())
            );

            // Failure: wrong credentials. The stream ends with the failed operation...
            let name = format!("sdk-fail-{}", p.short());
            let cn = cn_of(&name);
            let parameters = CreateCertificateParameters {
                certificate_policy: Some(sdk_partner_policy(&p.bad_issuer(), &p.subject(&cn), &cn)),
                ..Default::default()
            };
            let mut poller = client
                .begin_create_certificate(&name, parameters.try_into().unwrap(), fast_poller())
                .unwrap();
            let mut last: Option<CertificateOperation> = None;
            let drained = tokio::time::timeout(DEADLINE, async {
                while let Some(item) = poller.next().await {
                    let rsp = item.unwrap_or_else(|e| panic!("{name}: poll: {e}"));
                    last = Some(rsp.into_model().expect("operation model"));
                }
            })
            .await;
            assert!(drained.is_ok(), "{name}: the poller stream ended");
            let op = last.expect("at least one poll");
            assert_eq!(op.status.as_deref(), Some("failed"), "{name}: {op:?}");
            let error = op
                .error
                .as_ref()
                .expect("a failed operation carries an error");
            assert_eq!(error.code.as_deref(), Some(ISSUER_ERROR), "{name}: {op:?}");
            assert!(
                error.message.as_deref().is_some_and(|m| !m.is_empty()),
                "{name}: {op:?}"
            );

            // ...and awaiting the poller surfaces the failure as an error.
            let name = format!("sdk-fail2-{}", p.short());
            let cn = cn_of(&name);
            let parameters = CreateCertificateParameters {
                certificate_policy: Some(sdk_partner_policy(&p.bad_issuer(), &p.subject(&cn), &cn)),
                ..Default::default()
            };
            let poller = client
                .begin_create_certificate(&name, parameters.try_into().unwrap(), fast_poller())
                .unwrap();
            let result = tokio::time::timeout(DEADLINE, poller)
                .await
                .unwrap_or_else(|_| panic!("{name}: poller did not finish"));
            assert!(
                result.is_err(),
                "{name}: awaiting a failed operation is an error"
            );
        }
    })
    .await;
}

// ------------------------------------------------------------------------------------------------
// Crash safety with the real binary
// ------------------------------------------------------------------------------------------------

fn vault_args(ca: &TestCaSim) -> Vec<String> {
    partner_vault_args(
        ca,
        &[
            ("--provider-poll-interval", "100ms"),
            ("--provider-deadline", "10m"),
            ("--retry-after", "100ms"),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety_kill_9_mid_flight_then_all_complete_once() {
    const N: usize = 50;
    let ca = TestCaSim::start_with(|c| {
        set_profile(c, "fixed:2s");
        // 50 orders plus their polls would trip DigiCert's 100/5 s limit; not the point here.
        c.digicert_rate_limits = Vec::new();
        // Half the submissions are answered slowly, so the kill lands while some orders are
        // placed and others are in flight.
        c.faults = vec![serde_json::from_value(json!({
            "name": "slow-orders", "operation": "order", "probability": 0.5,
            "action": { "kind": "delay", "ms": 2000 }
        }))
        .expect("fault rule")];
    })
    .await;
    let admin = ca.admin();
    let data_dir = tempfile::Builder::new()
        .prefix("e2e-partnered-crash-")
        .tempdir()
        .expect("temp dir");
    let args = vault_args(&ca);

    let vault = VaultProcess::spawn_with_args(data_dir.path(), &args).await;
    let raw = vault.raw();
    put_issuers(&raw).await;
    let names: Vec<(Provider, String)> = (0..N)
        .map(|i| {
            let p = Provider::ALL[i % Provider::ALL.len()];
            (p, format!("crash-{i:02}-{}", p.short()))
        })
        .collect();
    stream::iter(names.iter().cloned())
        .for_each_concurrent(16, |(p, name)| {
            let raw = raw.clone();
            async move {
                let cn = cn_of(&name);
                raw.start_create(
                    &name,
                    &json!({ "policy": partner_policy(&p.issuer(), &p.subject(&cn), &cn) }),
                )
                .await;
            }
        })
        .await;
    // Kill while submissions are under way: some orders at the CA, some in flight, some not
    // sent yet.
    let before_kill = eventually(
        DEADLINE,
        "a third of the orders to reach the CA",
        || async {
            let n = admin.orders().await.len();
            (n >= N / 3).then_some(n)
        },
    )
    .await;
    vault.kill().await;
    let after_kill = admin.orders().await.len();
    let in_flight = admin.requests(None, Some("order")).await.len();
    println!(
        "crash safety: {before_kill} orders at the CA right before kill -9, {after_kill} right after; \
         {in_flight} order requests answered so far"
    );
    assert!(
        after_kill < N,
        "the kill came before every order was placed ({after_kill} of {N})"
    );

    let vault = VaultProcess::spawn_with_args(data_dir.path(), &args).await;
    let raw = vault.raw();
    let deadline = Duration::from_secs(60);
    let results: Vec<(String, Value)> = stream::iter(names.iter().cloned())
        .map(|(_, name)| {
            let raw = raw.clone();
            async move {
                let op = raw
                    .wait_operation(
                        &name,
                        deadline,
                        &format!("{name} to finish after the restart"),
                        |op| op["status"] != "inProgress",
                    )
                    .await;
                (name, op)
            }
        })
        .buffer_unordered(N)
        .collect()
        .await;
    let not_completed: Vec<String> = results
        .iter()
        .filter(|(_, op)| op["status"] != "completed")
        .map(|(name, op)| format!("{name}: {op}"))
        .collect();
    assert!(
        not_completed.is_empty(),
        "all {N} operations complete after kill -9 and restart; not completed:\n{}\nvault output:\n{}",
        not_completed.join("\n"),
        vault.output()
    );

    println!(
        "crash safety: after the restart vault looked {} order(s) up at the CA (DigiCert \
         order list, WoSign clientOrderId; GlobalSign lookups count as polls)",
        admin.requests(None, Some("lookup")).await.len()
    );
    let orders = admin.orders().await;
    let mut per_cn: BTreeMap<String, usize> = BTreeMap::new();
    for order in &orders {
        *per_cn
            .entry(
                order["common_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
            .or_default() += 1;
    }
    let duplicates: Vec<_> = per_cn.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicates.is_empty(),
        "each request was ordered once: {duplicates:?}"
    );
    assert_eq!(
        orders.len(),
        N,
        "ca-sim's order list shows exactly {N} orders"
    );
    let expected: BTreeSet<String> = names.iter().map(|(_, n)| cn_of(n)).collect();
    assert_eq!(
        per_cn.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "one order per certificate"
    );
    for order in &orders {
        assert_eq!(order["status"], "issued", "{order:#}");
    }
    // Vault holds exactly the certificates the CA issued.
    let ctx = Ctx {
        raw: raw.clone(),
        admin: admin.clone(),
    };
    for (p, name) in names.iter().step_by(7) {
        ctx.assert_issued_by_ca(*p, name).await;
    }
}

// ------------------------------------------------------------------------------------------------
// Measurements (printed, not asserted)
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measure_100_concurrent_instant_issuances() {
    const N: usize = 100;
    let env = Env::start(|c| {
        set_profile(c, "instant");
        c.digicert_rate_limits = Vec::new();
    })
    .await;
    let ctx = env.ctx();
    let names: Vec<(Provider, String)> = (0..N)
        .map(|i| {
            let p = Provider::ALL[i % Provider::ALL.len()];
            (p, format!("perf-{i:03}-{}", p.short()))
        })
        .collect();

    let started = Instant::now();
    let creates = futures::future::join_all(names.iter().map(|(p, name)| {
        let ctx = ctx.clone();
        async move {
            let cn = cn_of(name);
            ctx.raw
                .start_create(
                    name,
                    &json!({ "policy": partner_policy(&p.issuer(), &p.subject(&cn), &cn) }),
                )
                .await;
            started.elapsed()
        }
    }));

    // Meanwhile, watch the operations round by round (from the start, so early completions are
    // seen early), recording when each is first seen completed.
    let watch = async {
        let mut remaining: Vec<String> = names.iter().map(|(_, n)| n.clone()).collect();
        let mut completed_at: BTreeMap<String, i64> = BTreeMap::new();
        let mut rounds = 0u32;
        let watch_deadline = Instant::now() + Duration::from_secs(60);
        while !remaining.is_empty() {
            assert!(
                Instant::now() < watch_deadline,
                "{} operations still in progress: {remaining:?}",
                remaining.len()
            );
            rounds += 1;
            let round: Vec<(String, Option<Value>, i64)> = stream::iter(remaining.clone())
                .map(|name| {
                    let raw = ctx.raw.clone();
                    async move {
                        let rsp = raw.get(&format!("/certificates/{name}/pending")).await;
                        let op = match rsp.status {
                            StatusCode::OK => Some(rsp.json()),
                            // Not created yet.
                            StatusCode::NOT_FOUND => None,
                            other => panic!("GET pending {name}: {other} {}", rsp.text),
                        };
                        (name, op, wall_ms())
                    }
                })
                .buffer_unordered(16)
                .collect()
                .await;
            for (name, op, seen) in round {
                let Some(op) = op else { continue };
                if op["status"] == "inProgress" {
                    continue;
                }
                assert_eq!(op["status"], "completed", "{name}: {op:#}");
                completed_at.insert(name.clone(), seen);
                remaining.retain(|n| *n != name);
            }
            if !remaining.is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        (completed_at, started.elapsed(), rounds)
    };
    let (accepted, (completed_at, all_done, rounds)) = tokio::join!(creates, watch);
    let accepted = accepted.into_iter().max().unwrap_or_default();

    let orders = ctx.admin.orders().await;
    assert_eq!(orders.len(), N, "one order per issuance");
    let mut per_provider: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut latencies: Vec<i64> = names
        .iter()
        .map(|(p, name)| {
            let cn = cn_of(name);
            let order = orders
                .iter()
                .find(|o| o["common_name"] == cn.as_str())
                .unwrap_or_else(|| panic!("no order for {cn}"));
            let issued = issued_wall_ms(order).unwrap_or_else(|| panic!("{cn}: no issued event"));
            let latency = completed_at[name] - issued;
            per_provider
                .entry(p.provider_name())
                .or_default()
                .push(latency);
            latency
        })
        .collect();
    latencies.sort_unstable();

    // A lower bound from the CA's side: when the CA last answered a request about the order
    // (the answer that handed the chain to vault; for DigiCert under `instant`, the 201).
    let history = ctx.admin.requests(None, None).await;
    let mut handed: Vec<i64> = orders
        .iter()
        .filter_map(|order| {
            let id = order["id"].as_str()?;
            let issued = issued_wall_ms(order)?;
            let last = history
                .iter()
                .filter(|r| r["order_id"] == id && r["status"] == 200)
                .filter_map(|r| r["at"].as_str().map(rfc3339_ms))
                .max()?;
            Some((last - issued).max(0))
        })
        .collect();
    handed.sort_unstable();
    if !handed.is_empty() {
        println!(
            "MEASURE CA issue -> CA's last answer about the order (CA side, lower bound; {} orders): \
             p50 {} ms, p99 {} ms",
            handed.len(),
            percentile(&handed, 50.0),
            percentile(&handed, 99.0)
        );
    }
    for (provider, list) in &mut per_provider {
        list.sort_unstable();
        println!(
            "MEASURE   {provider}: {} issuances, CA issue -> completed p50 {} ms, p99 {} ms",
            list.len(),
            percentile(list, 50.0),
            percentile(list, 99.0)
        );
    }
    println!(
        "MEASURE {N} concurrent partnered issuances (instant; DigiCert/GlobalSign/WoSign round-robin): \
         all accepted after {:.0} ms, all completed after {:.0} ms",
        accepted.as_secs_f64() * 1000.0,
        all_done.as_secs_f64() * 1000.0
    );
    println!(
        "MEASURE CA issue -> vault completed (observed by polling in {rounds} rounds of up to \
         {N} GETs; includes the round's delay): p50 {} ms, p90 {} ms, p99 {} ms, max {} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 90.0),
        percentile(&latencies, 99.0),
        latencies.last().unwrap()
    );
}
