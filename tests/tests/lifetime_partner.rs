//! AutoRenew of partnered certificates end to end (issue 8, spec §4.5): an in-process vault wired
//! to a real in-process ca-sim (DigiCert dialect, built-in account), vault's admin clock moved
//! past the trigger.
//!
//! - The certificate gains exactly one new version, ordered from ca-sim and chained to its
//!   DigiCert intermediate; the key is reused or not per `reuse_key`; tags are copied; every
//!   contact gets a `renewed` notice in the outbox.
//! - ca-sim's clock moved with vault's: the new version is not yet due, nothing more happens.
//!   ca-sim's clock left behind: the new version starts in ca-sim's time, already past its own
//!   trigger by vault's clock; vault says so and does not renew it again (no endless loop).
//! - A partner rejection during the renewal: a `renewal_failed` notice with DigiCert's reason,
//!   the operation failed, the old version stays the latest, no second order.
//!
//! "Nothing more happens" is checked after a barrier: a self-signed certificate sorted after the
//! others gets an EmailContacts notice from the next full scan, so by then the scheduler has
//! looked at every other certificate again.

use e2e::{eventually, json, parse_cert, pem_blocks, verify_cert_signed_by, Raw, DEADLINE};
use e2e::{partner_config, put_issuer, set_profile, CaSimAdmin, Provider, TestCaSim, TestVault};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
const CONTACTS: [&str; 2] = ["pki@example.com", "oncall@example.com"];
const ISSUER: &str = "dc-issuer";
const DIGICERT_CA: &str = "ca-sim DigiCert Global G2 TLS RSA SHA256 2020 CA1";
/// Far enough past the trigger (1 % of a one-year DigiCert certificate, 3.65 days).
const ADVANCE: i64 = 30 * DAY;

// ------------------------------------------------------------------------------------------------
// Environment
// ------------------------------------------------------------------------------------------------

struct Env {
    /// Kept for their lifetime (both stop when dropped).
    _ca: TestCaSim,
    _vault: TestVault,
    raw: Raw,
    admin: CaSimAdmin,
}

impl Env {
    /// ca-sim issuing after 200 ms; vault polling it every 50 ms; the DigiCert issuer and two
    /// contacts set.
    async fn start() -> Env {
        let ca = TestCaSim::start_with(|cfg| set_profile(cfg, "fixed:200ms")).await;
        let vault = TestVault::start_with(partner_config(&ca, Duration::from_secs(5))).await;
        let raw = vault.raw();
        let admin = ca.admin();
        let dc = Provider::DigiCert;
        put_issuer(&raw, ISSUER, &dc.issuer_body(dc.secret())).await;
        let contacts: Vec<Value> = CONTACTS.iter().map(|e| json!({ "email": e })).collect();
        let rsp = raw
            .put("/certificates/contacts", &json!({ "contacts": contacts }))
            .await;
        assert_eq!(rsp.status, StatusCode::OK, "PUT contacts: {}", rsp.text);
        Env {
            _ca: ca,
            _vault: vault,
            raw,
            admin,
        }
    }

    /// Moves vault's clock; returns the new offset.
    async fn advance_vault(&self, seconds: i64) -> i64 {
        let rsp = self
            .raw
            .post("/_admin/clock/advance", &json!({ "seconds": seconds }))
            .await;
        assert_eq!(rsp.status, StatusCode::OK, "advance clock: {}", rsp.text);
        rsp.json()["offset_seconds"].as_i64().unwrap()
    }

    /// Moves ca-sim's simulated clock forward.
    async fn advance_ca_sim(&self, seconds: i64) {
        self.admin
            .post("clock", &json!({ "advance_seconds": seconds }))
            .await;
    }

    /// Creates `name` through the DigiCert issuer and waits until it is issued; returns the
    /// first version.
    async fn create(&self, name: &str, reuse_key: bool) -> String {
        let cn = cn_of(name);
        let op = self
            .raw
            .create_body_and_wait(
                name,
                &json!({
                    "policy": {
                        "key_props": { "kty": "EC", "crv": "P-256", "exportable": true, "reuse_key": reuse_key },
                        "secret_props": { "contentType": "application/x-pem-file" },
                        "x509_props": { "subject": format!("CN={cn}"), "sans": { "dns_names": [cn] }, "validity_months": 12 },
                        "issuer": { "name": ISSUER, "cty": "OV-SSL" },
                        "lifetime_actions": [
                            { "trigger": { "lifetime_percentage": 1 }, "action": { "action_type": "AutoRenew" } }
                        ]
                    },
                    "tags": { "team": "payments" }
                }),
            )
            .await;
        assert_eq!(op["status"], "completed", "first issuance of {name}: {op}");
        let bundle = self.latest(name).await;
        e2e::version_of(bundle["id"].as_str().unwrap())
    }

    async fn latest(&self, name: &str) -> Value {
        let rsp = self.raw.get(&format!("/certificates/{name}")).await;
        assert_eq!(rsp.status, StatusCode::OK, "GET {name}: {}", rsp.text);
        rsp.json()
    }

    /// The chain (leaf first) in the secret of `name`'s `version`.
    async fn chain(&self, name: &str, version: &str) -> Vec<Vec<u8>> {
        let rsp = self.raw.get(&format!("/secrets/{name}/{version}")).await;
        assert_eq!(rsp.status, StatusCode::OK, "secret: {}", rsp.text);
        pem_blocks(rsp.json()["value"].as_str().unwrap())
            .into_iter()
            .filter(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| der)
            .collect()
    }

    async fn outbox(&self, name: &str) -> Vec<Value> {
        let rsp = self
            .raw
            .get(&format!("/_admin/notifications?certificate={name}"))
            .await;
        assert_eq!(rsp.status, StatusCode::OK, "notifications: {}", rsp.text);
        rsp.json()["value"].as_array().unwrap().clone()
    }

    async fn notices(&self, name: &str, kind: &str) -> Vec<Value> {
        self.outbox(name)
            .await
            .into_iter()
            .filter(|n| n["kind"] == kind)
            .collect()
    }

    /// Waits until every contact has a `kind` notice about `name`; returns them.
    async fn wait_for_notices(&self, name: &str, kind: &str) -> Vec<Value> {
        eventually(
            DEADLINE,
            &format!("{kind} notices about {name}"),
            || async {
                let rows = self.notices(name, kind).await;
                (rows.len() >= CONTACTS.len()).then_some(rows)
            },
        )
        .await
    }

    /// Returns once a full lifetime scan has looked at every certificate again: moves vault's
    /// clock by 8 hours, past 1 % of a one-month self-signed `zz-barrier-*` certificate (sorted
    /// after the others) and waits for its EmailContacts notice.
    async fn barrier(&self, tag: &str) {
        let name = format!("zz-barrier-{tag}");
        let op = self
            .raw
            .create_and_wait(
                &name,
                json!({
                    "key_props": { "kty": "EC", "crv": "P-256" },
                    "x509_props": { "subject": "CN=barrier", "validity_months": 1 },
                    "issuer": { "name": "Self" },
                    "lifetime_actions": [
                        { "trigger": { "lifetime_percentage": 1 }, "action": { "action_type": "EmailContacts" } }
                    ]
                }),
            )
            .await;
        assert_eq!(op["status"], "completed", "barrier: {op}");
        self.advance_vault(8 * HOUR).await;
        self.wait_for_notices(&name, "expiring").await;
    }
}

fn cn_of(name: &str) -> String {
    format!("{name}.example.com")
}

fn issuer_cn(der: &[u8]) -> String {
    let cert = parse_cert(der);
    let cn = cert
        .issuer()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or_default()
        .to_string();
    cn
}

fn spki(der: &[u8]) -> Vec<u8> {
    parse_cert(der).public_key().raw.to_vec()
}

fn not_before(der: &[u8]) -> i64 {
    parse_cert(der).validity().not_before.timestamp()
}

/// Vault's notion of now (unix seconds).
async fn vault_now(raw: &Raw) -> i64 {
    let rsp = raw.get("/_admin/clock").await;
    assert_eq!(rsp.status, StatusCode::OK, "clock: {}", rsp.text);
    rsp.json()["now"].as_i64().unwrap()
}

/// Waits until `name`'s latest version is not `old` and the renewal completed; returns the new
/// version.
async fn wait_for_renewal(env: &Env, name: &str, old: &str) -> String {
    eventually(DEADLINE, &format!("{name} to be renewed"), || async {
        let op = env.raw.pending(name).await;
        assert_ne!(op["status"], "failed", "renewal of {name} failed: {op}");
        if op["status"] != "completed" {
            return None;
        }
        let version = e2e::version_of(env.latest(name).await["id"].as_str().unwrap());
        (version != old).then_some(version)
    })
    .await
}

/// Checks one renewed certificate: exactly one new version, issued by ca-sim's DigiCert
/// intermediate through one new order, key reused or not per policy, tags copied, a `renewed`
/// notice per contact. Returns the notices.
async fn check_renewed(env: &Env, name: &str, v1: &str, v2: &str, reuse_key: bool) -> Vec<Value> {
    let all = env.raw.versions(name).await;
    assert_eq!(all.len(), 2, "{name}: exactly one new version: {all:?}");
    assert!(all.contains(&v1.to_string()) && all.contains(&v2.to_string()));

    let old = env.chain(name, v1).await;
    let new = env.chain(name, v2).await;
    assert_eq!(new.len(), 3, "{name}: leaf, intermediate and root");
    assert_eq!(issuer_cn(&new[0]), DIGICERT_CA, "{name}: issued by ca-sim");
    verify_cert_signed_by(&new[0], &new[1]).unwrap();
    verify_cert_signed_by(&new[1], &new[2]).unwrap();
    assert_eq!(new[1], old[1], "{name}: the same DigiCert intermediate");
    assert_ne!(new[0], old[0], "{name}: a new certificate");
    assert_eq!(
        spki(&new[0]) == spki(&old[0]),
        reuse_key,
        "{name}: reuse_key {reuse_key}"
    );

    let bundle = env.latest(name).await;
    assert_eq!(bundle["tags"]["team"], "payments", "{name}: tags copied");
    assert_eq!(bundle["policy"]["issuer"]["name"], ISSUER);

    let orders = env.admin.orders_for(&cn_of(name)).await;
    assert_eq!(orders.len(), 2, "{name}: the first order and one renewal");

    let rows = env.wait_for_notices(name, "renewed").await;
    assert_eq!(rows.len(), CONTACTS.len(), "{name}: one notice per contact");
    for contact in CONTACTS {
        let row = rows
            .iter()
            .find(|r| r["recipient"] == contact)
            .unwrap_or_else(|| panic!("{name}: no notice to {contact}: {rows:?}"));
        assert_eq!(
            row["version"], v1,
            "the notice is about the renewed version"
        );
        assert_eq!(row["status"], "not_sent", "recorded only (no --smtp)");
        let body = row["body"].as_str().unwrap();
        assert!(body.contains(v2), "{body}");
        assert!(body.contains(&format!("Issuer:       {ISSUER}")), "{body}");
        let key = if reuse_key {
            "the previous version's key pair"
        } else {
            "a new key pair"
        };
        assert!(body.contains(key), "{body}");
    }
    rows
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn partnered_auto_renew_through_ca_sim_once_with_and_without_key_reuse() {
    let env = Env::start().await;
    let certs = [("dc-renew-reuse", true), ("dc-renew-fresh", false)];
    let mut first = Vec::new();
    for (name, reuse) in certs {
        first.push(env.create(name, reuse).await);
    }

    // Both clocks move together: ca-sim issues the renewals in vault's time.
    env.advance_ca_sim(ADVANCE).await;
    env.advance_vault(ADVANCE).await;
    let now = vault_now(&env.raw).await;

    for ((name, reuse), v1) in certs.iter().zip(&first) {
        let v2 = wait_for_renewal(&env, name, v1).await;
        let rows = check_renewed(&env, name, v1, &v2, *reuse).await;
        let body = rows[0]["body"].as_str().unwrap();
        assert!(
            !body.contains("will not be renewed automatically"),
            "{body}"
        );
        let leaf = &env.chain(name, &v2).await[0];
        assert!(
            (not_before(leaf) - now).abs() < HOUR,
            "{name}: the renewal starts at vault's (and ca-sim's) now"
        );
    }

    // The new versions' own triggers (3.65 days on) are not due: nothing more happens.
    env.barrier("renew").await;
    for ((name, _), _) in certs.iter().zip(&first) {
        assert_eq!(
            env.raw.versions(name).await.len(),
            2,
            "{name}: renewed once"
        );
        assert_eq!(env.admin.orders_for(&cn_of(name)).await.len(), 2);
        assert_eq!(env.notices(name, "renewed").await.len(), CONTACTS.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_renewal_issued_in_ca_sim_time_already_past_its_trigger_is_not_renewed_again() {
    let env = Env::start().await;
    let name = "dc-renew-skewed";
    let v1 = env.create(name, false).await;

    // Only vault's clock moves: ca-sim signs the renewal from its own (30 days earlier) now, so
    // by vault's clock the new version is past 1 % of its lifetime the moment it arrives.
    env.advance_vault(ADVANCE).await;
    let v2 = wait_for_renewal(&env, name, &v1).await;
    let rows = check_renewed(&env, name, &v1, &v2, false).await;
    for row in &rows {
        let body = row["body"].as_str().unwrap();
        assert!(body.contains("will not be renewed automatically"), "{body}");
    }
    let leaf = &env.chain(name, &v2).await[0];
    assert!(
        vault_now(&env.raw).await - not_before(leaf) > ADVANCE - DAY,
        "the renewal starts in ca-sim's time"
    );

    env.barrier("skewed").await;
    assert_eq!(env.raw.versions(name).await.len(), 2, "not renewed again");
    assert_eq!(env.admin.orders_for(&cn_of(name)).await.len(), 2);
    assert_eq!(env.notices(name, "renewed").await.len(), CONTACTS.len());
    assert!(env.notices(name, "renewal_failed").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_partner_rejection_during_renewal_produces_a_failure_notice() {
    let env = Env::start().await;
    let name = "dc-renew-rejected";
    let cn = cn_of(name);
    let v1 = env.create(name, false).await;
    let v1_cer = env.latest(name).await["cer"].clone();

    env.admin
        .set_faults(&json!([{
            "name": "reject-renewal",
            "dialect": "digicert",
            "operation": "order",
            "common_name": cn,
            "action": { "kind": "reject", "reason": "Domain control validation expired" }
        }]))
        .await;
    env.advance_ca_sim(ADVANCE).await;
    env.advance_vault(ADVANCE).await;

    let rows = env.wait_for_notices(name, "renewal_failed").await;
    assert_eq!(rows.len(), CONTACTS.len(), "one failure notice per contact");
    for contact in CONTACTS {
        let row = rows
            .iter()
            .find(|r| r["recipient"] == contact)
            .unwrap_or_else(|| panic!("no failure notice to {contact}: {rows:?}"));
        assert_eq!(row["version"], v1.as_str());
        let subject = row["subject"].as_str().unwrap();
        assert!(
            subject.contains(&format!("Renewal of certificate '{name}' failed")),
            "{subject}"
        );
        let body = row["body"].as_str().unwrap();
        assert!(body.contains("Domain control validation expired"), "{body}");
        assert!(body.contains(&format!("Issuer:       {ISSUER}")), "{body}");
    }
    assert!(env.notices(name, "renewed").await.is_empty());

    let op = env.raw.pending(name).await;
    assert_eq!(op["status"], "failed", "{op}");
    let message = op["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Domain control validation expired"),
        "{op}"
    );
    let latest = env.latest(name).await;
    assert_eq!(
        e2e::version_of(latest["id"].as_str().unwrap()),
        v1,
        "the issued version stays the latest"
    );
    assert_eq!(latest["cer"], v1_cer);

    let orders = env.admin.orders_for(&cn).await;
    assert_eq!(orders.len(), 2, "the first order and the rejected renewal");
    assert!(
        orders.iter().any(|o| o["status"] == "rejected"),
        "{orders:?}"
    );

    // The action fired once for this version: no second order, no second notice.
    env.admin.set_faults(&json!([])).await;
    env.barrier("rejected").await;
    assert_eq!(env.admin.orders_for(&cn).await.len(), 2, "no second order");
    assert_eq!(
        env.notices(name, "renewal_failed").await.len(),
        CONTACTS.len()
    );
}
