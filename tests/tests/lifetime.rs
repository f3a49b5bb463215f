//! Lifetime actions and notifications end to end (issue 8, spec §4.5): an in-process vault, a
//! local SMTP sink started by the test, and the admin clock moved past the triggers.
//!
//! - AutoRenew of self-signed certificates: exactly one new version per trigger, the key reused
//!   or not per `reuse_key`, tags copied, contacts mailed; a later trigger fires only once.
//! - Imports: the expiry notice right after the import, then the derived EmailContacts trigger.
//! - A restart between the renewal's start and its completion neither loses nor duplicates it;
//!   the clock offset persists.
//! - SMTP failures are retried with back-off and visible in the outbox.
//!
//! Partnered renewals (and a CA rejection during renewal) run against a scripted CA in
//! `vault/tests/lifetime_scripted_ca.rs`.

use e2e::{eventually, json, Raw, TestVault, DEADLINE};
use reqwest::StatusCode;
use serde_json::Value;
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::CurveName;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const DAY: i64 = 86_400;
const CONTACTS: [&str; 2] = ["ops@example.com", "security@example.com"];

// ------------------------------------------------------------------------------------------------
// A minimal SMTP sink: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; records every message.
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Mail {
    to: Vec<String>,
    data: String,
}

impl Mail {
    /// The Subject header, unfolded (RFC 5322 §2.2.3).
    fn subject(&self) -> String {
        let headers = self.data.split("\n\n").next().unwrap_or_default();
        let unfolded = headers.replace("\n ", " ").replace("\n\t", " ");
        unfolded
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default()
            .to_string()
    }
}

struct SmtpSink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    /// Starts the sink on 127.0.0.1:0; the first `refuse` connections get `421` and are closed.
    async fn start(refuse: usize) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(AtomicUsize::new(refuse));
        let store = mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                let refuse = refuse.clone();
                tokio::spawn(async move {
                    let _ = session(stream, store, refuse).await;
                });
            }
        });
        SmtpSink { port, mails }
    }

    fn url(&self) -> url::Url {
        url::Url::parse(&format!("smtp://127.0.0.1:{}", self.port)).unwrap()
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Mail>>>,
    refuse: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let refused = refuse
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if refused {
        write
            .write_all(b"421 sink busy, try again later\r\n")
            .await?;
        return Ok(());
    }
    write.write_all(b"220 sink ESMTP ready\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 sink\r\n"
        } else if command.starts_with("MAIL FROM:") || command == "RSET" {
            to.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT TO:") {
            let addr = line.trim_end()[8..]
                .trim()
                .trim_matches(|c| c == '<' || c == '>');
            to.push(addr.to_string());
            b"250 OK\r\n"
        } else if command == "DATA" {
            write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                let text = line.trim_end_matches(['\r', '\n']);
                if text == "." {
                    break;
                }
                data.push_str(text.strip_prefix('.').unwrap_or(text));
                data.push('\n');
            }
            store.lock().unwrap().push(Mail {
                to: std::mem::take(&mut to),
                data,
            });
            b"250 OK queued\r\n"
        } else if command == "NOOP" {
            b"250 OK\r\n"
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

async fn set_contacts(raw: &Raw) {
    let contacts: Vec<Value> = CONTACTS.iter().map(|e| json!({ "email": e })).collect();
    let rsp = raw
        .put("/certificates/contacts", &json!({ "contacts": contacts }))
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "set contacts: {}", rsp.text);
}

async fn advance(raw: &Raw, seconds: i64) -> Value {
    let rsp = raw
        .post("/_admin/clock/advance", &json!({ "seconds": seconds }))
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "advance clock: {}", rsp.text);
    rsp.json()
}

async fn outbox(raw: &Raw, certificate: &str) -> Vec<Value> {
    let rsp = raw
        .get(&format!("/_admin/notifications?certificate={certificate}"))
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "notifications: {}", rsp.text);
    rsp.json()["value"].as_array().unwrap().clone()
}

/// Waits until `certificate` has `count` notifications of `kind` with `status`.
async fn wait_for_notifications(
    raw: &Raw,
    certificate: &str,
    kind: &str,
    status: &str,
    count: usize,
) -> Vec<Value> {
    eventually(
        DEADLINE,
        &format!("{count} {kind} notifications of {certificate} with status {status}"),
        || async {
            let rows: Vec<Value> = outbox(raw, certificate)
                .await
                .into_iter()
                .filter(|n| n["kind"] == kind)
                .collect();
            (rows.len() >= count && rows.iter().all(|n| n["status"] == status)).then_some(rows)
        },
    )
    .await
}

/// Waits until the latest version of `name` is not `old` and the operation completed.
async fn wait_for_renewal(raw: &Raw, name: &str, old: &str) -> Value {
    eventually(DEADLINE, &format!("{name} to be renewed"), || async {
        let op = raw.get(&format!("/certificates/{name}/pending")).await;
        if op.status != StatusCode::OK || op.json()["status"] != "completed" {
            return None;
        }
        let bundle = raw.get(&format!("/certificates/{name}")).await.json();
        let version = e2e::version_of(bundle["id"].as_str().unwrap());
        (version != old).then_some(bundle)
    })
    .await
}

async fn public_key(raw: &Raw, name: &str, version: &str) -> (String, String) {
    let rsp = raw.get(&format!("/keys/{name}/{version}")).await;
    assert_eq!(rsp.status, StatusCode::OK, "key: {}", rsp.text);
    let key = rsp.json()["key"].clone();
    (
        key["x"].as_str().unwrap().to_string(),
        key["y"].as_str().unwrap().to_string(),
    )
}

fn policy(subject: &str, reuse_key: bool, action: &str, trigger: Value) -> Value {
    json!({
        "key_props": { "kty": "EC", "crv": "P-256", "exportable": true, "reuse_key": reuse_key },
        "secret_props": { "contentType": "application/x-pem-file" },
        "x509_props": { "subject": subject, "validity_months": 12 },
        "issuer": { "name": "Self" },
        "lifetime_actions": [ { "trigger": trigger, "action": { "action_type": action } } ]
    })
}

/// Creates a self-signed certificate and waits until it is issued; returns its first version.
async fn create(raw: &Raw, name: &str, body: Value) -> String {
    let op = raw.create_body_and_wait(name, &body).await;
    assert_eq!(op["status"], "completed", "create {name}: {op}");
    let rsp = raw.get(&format!("/certificates/{name}")).await;
    assert_eq!(rsp.status, StatusCode::OK, "GET {name}: {}", rsp.text);
    let bundle = rsp.json();
    assert!(bundle.get("cer").is_some(), "{name} is issued: {bundle}");
    e2e::version_of(bundle["id"].as_str().unwrap())
}

/// A PEM bundle (certificate + PKCS#8 key) valid from now for `days`.
fn pem_certificate(cn: &str, days: i64) -> String {
    let key = PrivateKey::generate(KeySpec::Ec {
        curve: CurveName::P256,
    })
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let der = crypto::self_signed(
        &key,
        &CertProfile {
            subject: format!("CN={cn}"),
            sans: Default::default(),
            ekus: vec!["1.3.6.1.5.5.7.3.1".into()],
            key_usage: vec![shared::models::KeyUsage::DigitalSignature],
            not_before: now - time::Duration::minutes(1),
            not_after: now + time::Duration::days(days),
            is_ca: false,
            path_len: None,
        },
    )
    .unwrap();
    format!(
        "{}{}",
        crypto::pem_encode("CERTIFICATE", &der),
        key.pkcs8_pem()
    )
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn auto_renew_self_signed_once_per_version_with_and_without_key_reuse() {
    let sink = SmtpSink::start(0).await;
    let smtp = sink.url();
    let vault = TestVault::start_with(move |cfg| cfg.smtp = Some(smtp.clone())).await;
    let raw = vault.raw();
    set_contacts(&raw).await;

    let pct80 = json!({ "lifetime_percentage": 80 });
    let fresh_v1 = create(
        &raw,
        "renew-fresh",
        json!({
            "policy": policy("CN=renew-fresh", false, "AutoRenew", pct80.clone()),
            "tags": { "team": "payments" }
        }),
    )
    .await;
    let reuse_v1 = create(
        &raw,
        "renew-reuse",
        json!({ "policy": policy("CN=renew-reuse", true, "AutoRenew", pct80) }),
    )
    .await;
    // Sorted last, so when its notice is out, the scan has looked at every other certificate.
    create(
        &raw,
        "zz-marker",
        json!({ "policy": policy("CN=zz-marker", false, "EmailContacts", json!({ "days_before_expiry": 10 })) }),
    )
    .await;
    let fresh_key = public_key(&raw, "renew-fresh", &fresh_v1).await;
    let reuse_key = public_key(&raw, "renew-reuse", &reuse_v1).await;

    // 300 days into a 12-month certificate: past 80 %, before the marker's 10 days.
    let clock = advance(&raw, 300 * DAY).await;
    assert_eq!(clock["offset_seconds"], 300 * DAY);

    let fresh = wait_for_renewal(&raw, "renew-fresh", &fresh_v1).await;
    let reuse = wait_for_renewal(&raw, "renew-reuse", &reuse_v1).await;
    let fresh_v2 = e2e::version_of(fresh["id"].as_str().unwrap());
    let reuse_v2 = e2e::version_of(reuse["id"].as_str().unwrap());
    assert_ne!(
        public_key(&raw, "renew-fresh", &fresh_v2).await,
        fresh_key,
        "reuse_key false: a new key pair"
    );
    assert_eq!(
        public_key(&raw, "renew-reuse", &reuse_v2).await,
        reuse_key,
        "reuse_key true: the same key pair"
    );
    assert_eq!(fresh["tags"], json!({ "team": "payments" }), "tags copied");
    // The new version's validity starts at the shifted now.
    assert!(fresh["attributes"]["nbf"].as_i64().unwrap() >= clock["now"].as_i64().unwrap());

    for (name, old, new) in [
        ("renew-fresh", &fresh_v1, &fresh_v2),
        ("renew-reuse", &reuse_v1, &reuse_v2),
    ] {
        let rows = wait_for_notifications(&raw, name, "renewed", "sent", CONTACTS.len()).await;
        let mut recipients: Vec<_> = rows
            .iter()
            .map(|r| r["recipient"].as_str().unwrap())
            .collect();
        recipients.sort();
        assert_eq!(recipients, CONTACTS);
        for row in &rows {
            assert_eq!(&row["version"], old, "about the version whose action fired");
            let body = row["body"].as_str().unwrap();
            for needle in [vault.base_url().as_str(), name, old, new, "AutoRenew"] {
                assert!(body.contains(needle), "{needle} missing from {body}");
            }
        }
    }
    let mails = sink.mails();
    for name in ["renew-fresh", "renew-reuse"] {
        let to_contacts: Vec<_> = mails
            .iter()
            .filter(|m| m.subject().contains(&format!("'{name}' was renewed")))
            .flat_map(|m| m.to.clone())
            .collect();
        assert_eq!(
            to_contacts.len(),
            CONTACTS.len(),
            "mails for {name}: {mails:?}"
        );
    }

    // Move on past the marker's trigger: it fires; the renewed certificates do not again.
    advance(&raw, 60 * DAY).await;
    let notices = wait_for_notifications(&raw, "zz-marker", "expiring", "sent", 2).await;
    assert!(notices[0]["body"]
        .as_str()
        .unwrap()
        .contains("10 days before expiry"));
    assert_eq!(raw.versions("renew-fresh").await.len(), 2);
    assert_eq!(raw.versions("renew-reuse").await.len(), 2);
    let renewed: Vec<_> = outbox(&raw, "renew-fresh")
        .await
        .into_iter()
        .filter(|n| n["kind"] == "renewed")
        .collect();
    assert_eq!(renewed.len(), CONTACTS.len(), "one renewal reported once");
}

#[tokio::test]
async fn import_sends_an_expiry_notice_then_email_contacts_fires() {
    let sink = SmtpSink::start(0).await;
    let smtp = sink.url();
    let vault = TestVault::start_with(move |cfg| cfg.smtp = Some(smtp.clone())).await;
    let raw = vault.raw();
    set_contacts(&raw).await;

    let rsp = raw
        .post(
            "/certificates/imported/import",
            &json!({ "value": pem_certificate("imported.example", 30) }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "import: {}", rsp.text);
    let version = e2e::version_of(rsp.json()["id"].as_str().unwrap());

    let rows = wait_for_notifications(&raw, "imported", "imported", "sent", 2).await;
    assert!(rows.iter().all(|r| r["version"] == version.as_str()));
    let subject = rows[0]["subject"].as_str().unwrap();
    assert!(
        subject.contains("'imported' was imported; it expires on"),
        "{subject}"
    );
    eventually(DEADLINE, "the import notices in the sink", || async {
        let mails = sink.mails();
        (mails
            .iter()
            .filter(|m| m.subject().contains("was imported"))
            .count()
            == 2)
            .then_some(())
    })
    .await;

    // The derived policy is EmailContacts at 80 % of the lifetime: day 24 of 30.
    advance(&raw, 25 * DAY).await;
    let rows = wait_for_notifications(&raw, "imported", "expiring", "sent", 2).await;
    assert!(rows[0]["body"]
        .as_str()
        .unwrap()
        .contains("80% of the certificate's lifetime"));
    assert_eq!(raw.versions("imported").await, vec![version]);
}

#[tokio::test]
async fn restart_between_trigger_and_completion_neither_loses_nor_duplicates() {
    // No --smtp: notifications are recorded as not_sent. Self-signed issuance takes 2 s, so
    // the renewal is still running when the vault goes down.
    let vault = TestVault::start_with(|cfg| cfg.self_signed_delay = Duration::from_secs(2)).await;
    let raw = vault.raw();
    set_contacts(&raw).await;
    let v1 = create(
        &raw,
        "restart-renew",
        json!({ "policy": policy("CN=restart-renew", false, "AutoRenew", json!({ "days_before_expiry": 30 })) }),
    )
    .await;

    advance(&raw, 340 * DAY).await;
    let op = raw
        .wait_operation("restart-renew", DEADLINE, "the renewal to start", |op| {
            op["status"] == "inProgress"
        })
        .await;
    assert_eq!(
        raw.versions("restart-renew").await.len(),
        2,
        "pending version"
    );

    let vault = vault.restart().await;
    let raw = vault.raw();
    let clock = raw.get("/_admin/clock").await.json();
    assert_eq!(clock["offset_seconds"], 340 * DAY, "the offset persists");

    let bundle = wait_for_renewal(&raw, "restart-renew", &v1).await;
    let after = raw.get("/certificates/restart-renew/pending").await.json();
    assert_eq!(
        after["request_id"], op["request_id"],
        "the same renewal completed"
    );
    let rows = wait_for_notifications(&raw, "restart-renew", "renewed", "not_sent", 2).await;
    assert_eq!(rows.len(), CONTACTS.len());

    // Another restart and a full scan later: still one renewal, reported once.
    let vault = vault.restart().await;
    let raw = vault.raw();
    advance(&raw, 1).await;
    create(
        &raw,
        "zz-marker",
        json!({ "policy": policy("CN=zz-marker", false, "EmailContacts", json!({ "lifetime_percentage": 1 })) }),
    )
    .await;
    advance(&raw, 5 * DAY).await;
    wait_for_notifications(&raw, "zz-marker", "expiring", "not_sent", 2).await;
    let all = raw.versions("restart-renew").await;
    assert_eq!(all.len(), 2, "exactly one new version: {all:?}");
    assert_eq!(
        all.last().unwrap(),
        &e2e::version_of(bundle["id"].as_str().unwrap())
    );
    let renewed = outbox(&raw, "restart-renew")
        .await
        .into_iter()
        .filter(|n| n["kind"] == "renewed")
        .count();
    assert_eq!(renewed, CONTACTS.len());
}

#[tokio::test]
async fn smtp_failures_are_retried_and_visible() {
    let sink = SmtpSink::start(2).await;
    let smtp = sink.url();
    let vault = TestVault::start_with(move |cfg| {
        cfg.smtp = Some(smtp.clone());
        cfg.smtp_retry = Duration::from_millis(100);
    })
    .await;
    let raw = vault.raw();
    let rsp = raw
        .put(
            "/certificates/contacts",
            &json!({ "contacts": [ { "email": "ops@example.com" } ] }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK);
    let rsp = raw
        .post(
            "/certificates/retried/import",
            &json!({ "value": pem_certificate("retried.example", 90) }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "import: {}", rsp.text);

    let rows = wait_for_notifications(&raw, "retried", "imported", "sent", 1).await;
    assert_eq!(
        rows[0]["attempts"], 3,
        "two refusals, then delivered: {}",
        rows[0]
    );
    assert!(
        rows[0]["last_error"].as_str().unwrap().contains("421"),
        "the last failure stays visible: {}",
        rows[0]
    );
    assert_eq!(sink.mails().len(), 1);
}

#[tokio::test]
async fn clock_admin_api_moves_and_sets_now() {
    let vault = TestVault::start_with(|cfg| cfg.clock_offset = Some(-3600)).await;
    let raw = vault.raw();
    let clock = raw.get("/_admin/clock").await.json();
    assert_eq!(
        clock["offset_seconds"], -3600,
        "--clock-offset applies at start"
    );
    let system = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((clock["now"].as_i64().unwrap() - (system - 3600)).abs() < 60);

    let moved = advance(&raw, 7200).await;
    assert_eq!(moved["offset_seconds"], 3600);
    let rsp = raw
        .put("/_admin/clock", &json!({ "offset_seconds": 10 * DAY }))
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    assert_eq!(rsp.json()["offset_seconds"], 10 * DAY);

    // Timestamps follow the clock.
    let bundle = raw.create_ec_certificate("clocked").await;
    let created = bundle["attributes"]["created"].as_i64().unwrap();
    assert!(created >= system + 10 * DAY - 60, "created {created}");

    let rsp = raw
        .post("/_admin/clock/advance", &json!({ "seconds": "soon" }))
        .await;
    assert_eq!(rsp.status, StatusCode::BAD_REQUEST, "{}", rsp.text);
    let rsp = raw
        .post("/_admin/clock/advance", &json!({ "seconds": i64::MAX }))
        .await;
    assert_eq!(rsp.status, StatusCode::BAD_REQUEST, "{}", rsp.text);

    let notifications = raw.get("/_admin/notifications").await.json();
    assert_eq!(notifications["smtp"], Value::Null);
    assert_eq!(notifications["value"], json!([]));
}
