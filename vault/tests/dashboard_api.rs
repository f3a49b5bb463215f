//! The dashboard's backend (issue 17): timeline events recorded at each step of an operation
//! (against the scripted CA: submit, polls, faults and retries, rejection, cancel, AutoRenew),
//! kept across a restart; the admin listing endpoints (paging and search at 10,000
//! certificates); the live stream (SSE) and the request log; and the admin gate's cookie in
//! `--auth entra` mode.

use crate::common;

use common::{
    eventually, harness, open_db, partner_policy, pending, submitted, Harness, ScriptedCa, ISSUER,
};
use serde_json::{json, Value};
use shared::models::{CertificateCreateParameters, CertificatePolicy, OperationStatus};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use vault::model::{EventKind, TimelineEvent};
use vault::providers::{OrderStatus, ProviderError};

/// Waits until the operation of `name` left `inProgress`, then returns its stored events.
async fn settled_events(h: &Harness, name: &str) -> Vec<TimelineEvent> {
    eventually("the operation to end", || async {
        let (_, op) = h.service.operation(name).await.unwrap();
        (op.status != OperationStatus::InProgress).then_some(())
    })
    .await;
    // The final event is recorded right after the step's write: wait for it too.
    eventually("the final event", || async {
        let events = h
            .issuance
            .timeline
            .events(Some(name), 0, 200)
            .await
            .unwrap();
        events
            .iter()
            .any(|e| {
                matches!(
                    e.kind,
                    EventKind::Completed | EventKind::Failed | EventKind::Cancelled
                )
            })
            .then_some(events)
    })
    .await
}

fn kinds(events: &[TimelineEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

#[tokio::test]
async fn a_partnered_create_records_every_step_in_order_through_completed() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(submitted("o-7"));
        s.polls.extend([
            pending("processing"),
            Ok(OrderStatus::Issued { chain: vec![] }),
        ]);
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    let (_, op) = h.service.create("tl-1", partner_policy()).await.unwrap();
    let events = settled_events(&h, "tl-1").await;
    assert_eq!(
        kinds(&events),
        [
            "created",
            "key_created",
            "csr_created",
            "submitted",
            "ca_polled",
            "ca_polled",
            "ca_polled",
            "chain_checked",
            "completed"
        ]
    );
    for pair in events.windows(2) {
        assert!(pair[0].seq < pair[1].seq, "seq increases: {events:?}");
    }
    assert!(events
        .iter()
        .all(|e| e.operation.as_deref() == Some(op.request_id.as_str())));
    assert_eq!(events[0].detail["issuer"], ISSUER);
    assert_eq!(events[0].detail["provider"], "DigiCert");
    assert_eq!(events[1].detail["kty"], "EC");
    assert_eq!(events[1].detail["curve"], "P-256");
    assert_eq!(events[1].detail["reused"], false);
    assert_eq!(events[3].detail["ca_order_id"], "o-7");
    let answers: Vec<&Value> = events[4..7]
        .iter()
        .map(|e| &e.detail["ca_status"])
        .collect();
    assert_eq!(
        answers,
        [&json!("pending"), &json!("processing"), &json!("issued")]
    );
    assert_eq!(events[7].detail["chain_length"], 2);
    let (_, latest) = h.service.latest("tl-1").await.unwrap();
    assert_eq!(events[8].detail["version"], latest.version.as_str());
}

#[tokio::test]
async fn a_ca_fault_is_a_fault_and_a_retry_then_the_order_goes_on() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(submitted("o-8"));
        s.polls.extend([
            Err(ProviderError::Ambiguous {
                message: "HTTP 503 from the CA".into(),
                retry_after: None,
            }),
            Ok(OrderStatus::Issued { chain: vec![] }),
        ]);
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    h.service
        .create("tl-fault", partner_policy())
        .await
        .unwrap();
    let events = settled_events(&h, "tl-fault").await;
    let k = kinds(&events);
    let fault = k.iter().position(|k| *k == "fault").expect("a fault");
    assert_eq!(k[fault + 1], "retry", "{k:?}");
    assert_eq!(k.last(), Some(&"completed"), "{k:?}");
    assert!(events[fault].detail["error"]
        .as_str()
        .unwrap()
        .contains("HTTP 503"));
    let backoff = events[fault + 1].detail["backoff_seconds"]
        .as_f64()
        .unwrap();
    assert!(backoff >= 0.0, "{backoff}");
}

#[tokio::test]
async fn a_rejected_order_fails_with_the_cas_message() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(submitted("o-9"));
        s.polls.push_back(Ok(OrderStatus::Rejected {
            message: "Domain validation failed for partner.example".into(),
        }));
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    h.service.create("tl-rej", partner_policy()).await.unwrap();
    let events = settled_events(&h, "tl-rej").await;
    let failed = events.last().unwrap();
    assert_eq!(failed.kind, EventKind::Failed, "{:?}", kinds(&events));
    assert_eq!(failed.detail["code"], "Request rejected");
    assert_eq!(
        failed.detail["message"],
        "Domain validation failed for partner.example"
    );
}

#[tokio::test]
async fn a_cancel_is_requested_then_cancelled() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(submitted("o-10"));
        // The order stays pending until vault cancels it.
        s.polls.extend((0..50).map(|_| pending("pending")));
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    h.service
        .create("tl-cancel", partner_policy())
        .await
        .unwrap();
    eventually("the submission", || async {
        let events = h
            .issuance
            .timeline
            .events(Some("tl-cancel"), 0, 200)
            .await
            .unwrap();
        events
            .iter()
            .any(|e| e.kind == EventKind::Submitted)
            .then_some(())
    })
    .await;
    h.service.cancel_operation("tl-cancel", true).await.unwrap();
    let events = settled_events(&h, "tl-cancel").await;
    let k = kinds(&events);
    assert!(k.contains(&"cancel_requested"), "{k:?}");
    assert_eq!(k.last(), Some(&"cancelled"), "{k:?}");
}

#[tokio::test]
async fn an_auto_renew_after_a_clock_advance_records_renewal_started() {
    let h = common::lifetime_harness(vec![], true).await;
    let (service, issuance, lifetime) = (&h.service, &h.issuance, &h.lifetime);
    let policy: CertificatePolicy = serde_json::from_value(json!({
        "key_props": {"kty": "EC", "crv": "P-256"},
        "x509_props": {"subject": "CN=partner.example", "sans": {"dns_names": ["partner.example"]}},
        "issuer": {"name": ISSUER, "cty": "OV-SSL"},
        "lifetime_actions": [
            {"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "AutoRenew"}}
        ]
    }))
    .unwrap();
    let params = CertificateCreateParameters {
        policy: Some(policy),
        ..Default::default()
    };
    service.create("tl-renew", params).await.unwrap();
    eventually("the first version", || async {
        let (_, op) = service.operation("tl-renew").await.unwrap();
        (op.status == OperationStatus::Completed).then_some(())
    })
    .await;
    lifetime.advance_clock(80 * 86_400).await.unwrap();
    let renewal = eventually("renewal_started", || async {
        let events = issuance
            .timeline
            .events(Some("tl-renew"), 0, 200)
            .await
            .unwrap();
        events
            .into_iter()
            .find(|e| e.kind == EventKind::RenewalStarted)
    })
    .await;
    assert!(renewal.detail["trigger"].as_str().is_some(), "{renewal:?}");
    let (_, op) = service.operation("tl-renew").await.unwrap();
    assert_eq!(renewal.detail["operation"], op.request_id.as_str());
    assert_eq!(renewal.detail["new_version"], op.version.as_str());
}

// ---- Over HTTPS: the admin API, the live stream, restarts, entra mode. ----

const ADMIN: &str = "dashboard-api-admin-token";
const SELF_POLICY: &str = r#"{"policy":{"key_props":{"kty":"EC"},"x509_props":{"subject":"CN=t"},"issuer":{"name":"Self"}},"tags":{"team":"Payments"}}"#;

struct Running {
    handle: vault::Handle,
    shutdown: CancellationToken,
    client: reqwest::Client,
}

impl Running {
    async fn start(data: &std::path::Path, entra: bool) -> Running {
        let common::Served {
            handle,
            shutdown,
            client,
        } = common::dashboard_vault(data, entra.then_some(ADMIN)).await;
        Running {
            handle,
            shutdown,
            client,
        }
    }

    async fn admin(&self, path: &str) -> Value {
        let resp = self
            .client
            .get(format!("{}{path}", self.handle.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        resp.json().await.unwrap()
    }

    async fn create(&self, name: &str) {
        let resp = self
            .client
            .post(format!(
                "{}/certificates/{name}/create?api-version=7.5",
                self.handle.url()
            ))
            .bearer_auth("t")
            .header("content-type", "application/json")
            .body(SELF_POLICY)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.handle.stopped().await;
    }
}

/// Waits for the self-signed `name` to complete, through the admin timeline.
async fn completed_timeline(r: &Running, name: &str) -> Vec<Value> {
    eventually("the completed event", || async {
        let body = r
            .admin(&format!("/_admin/timeline?certificate={name}"))
            .await;
        let events = body["value"].as_array().unwrap().clone();
        events
            .iter()
            .any(|e| e["kind"] == "completed")
            .then_some(events)
    })
    .await
}

#[tokio::test]
async fn timeline_events_survive_a_restart_and_seq_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let first = Running::start(dir.path(), false).await;
    first.create("restart-1").await;
    let before = completed_timeline(&first, "restart-1").await;
    let kinds: Vec<&str> = before.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["created", "key_created", "csr_created", "completed"]
    );
    assert!(before[0]["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(before[0]["vault"], "default");
    first.stop().await;

    let second = Running::start(dir.path(), false).await;
    let after = second.admin("/_admin/timeline?certificate=restart-1").await;
    assert_eq!(after["value"].as_array().unwrap(), &before);
    second.create("restart-2").await;
    let newer = completed_timeline(&second, "restart-2").await;
    let last_before = before.last().unwrap()["seq"].as_i64().unwrap();
    assert!(newer[0]["seq"].as_i64().unwrap() > last_before);
    // The vault-wide view: newest events, oldest first, `after` skips what was seen.
    let all = second.admin("/_admin/timeline").await;
    let seqs: Vec<i64> = all["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs.len(), 8);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    let later = second
        .admin(&format!("/_admin/timeline?after={last_before}"))
        .await;
    assert_eq!(later["value"].as_array().unwrap().len(), 4);
    second.stop().await;
}

/// Reads the SSE stream until `done` says every wanted event arrived (10 s at most).
async fn read_events(
    resp: &mut reqwest::Response,
    mut done: impl FnMut(&[(String, Value)]) -> bool,
) -> Vec<(String, Value)> {
    let started = Instant::now();
    let mut buffer = String::new();
    let mut events = Vec::new();
    while !done(&events) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "events so far: {events:?}"
        );
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .expect("the stream stalled")
            .unwrap()
            .expect("the stream ended");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let mut event = None;
            let mut data = None;
            for line in frame.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = Some(e.to_string());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str::<Value>(d).unwrap());
                }
            }
            if let (Some(event), Some(data)) = (event, data) {
                events.push((event, data));
            }
        }
    }
    events
}

#[tokio::test]
async fn the_live_stream_delivers_timeline_request_certificate_and_clock_events() {
    let dir = tempfile::tempdir().unwrap();
    let r = Running::start(dir.path(), false).await;
    let mut stream = r
        .client
        .get(format!("{}/_admin/events", r.handle.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    // The stream opens with a comment before any update.
    let first = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(first.starts_with(b": open"), "{first:?}");

    r.create("live-1").await;
    let events = read_events(&mut stream, |events| {
        events
            .iter()
            .any(|(k, e)| k == "timeline" && e["kind"] == "completed")
            && events
                .iter()
                .any(|(k, e)| k == "request" && e["path"] == "/certificates/live-1/create")
            && events.iter().any(|(k, _)| k == "certificate")
    })
    .await;
    let request = events
        .iter()
        .find(|(k, e)| k == "request" && e["path"] == "/certificates/live-1/create")
        .unwrap();
    assert_eq!(request.1["method"], "POST");
    assert_eq!(request.1["status"], 202);
    assert_eq!(request.1["vault"], "default");
    assert!(request.1["latency_ms"].as_f64().unwrap() >= 0.0);
    let created = events
        .iter()
        .find(|(k, e)| k == "timeline" && e["kind"] == "created")
        .unwrap();
    assert_eq!(created.1["certificate"], "live-1");
    let changed = events.iter().find(|(k, _)| k == "certificate").unwrap();
    assert_eq!(changed.1, json!({"vault": "default", "name": "live-1"}));

    let advanced = r
        .client
        .post(format!("{}/_admin/clock/advance", r.handle.url()))
        .json(&json!({"seconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 200);
    let clock = read_events(&mut stream, |events| {
        events.iter().any(|(k, _)| k == "clock")
    })
    .await;
    let clock = &clock.iter().find(|(k, _)| k == "clock").unwrap().1;
    assert!(clock["offset_seconds"].as_i64().unwrap() >= 3600, "{clock}");

    // The request log has the same entries, newest first, with its filters.
    let log = r
        .admin("/_admin/requests?method=POST&path=/certificates/&status=2xx")
        .await;
    let paths: Vec<&str> = log["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/certificates/live-1/create"]);
    let refused = r
        .client
        .get(format!("{}/_admin/requests?status=7xx", r.handle.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    drop(stream);
    r.stop().await;
}

/// A certificate with one pending version and no operation, written straight to the store.
fn stored_certificate(name: &str, now: i64) -> Vec<vault::store::Change> {
    let policy: CertificatePolicy = serde_json::from_value(json!({
        "key_props": {"kty": "EC", "crv": "P-256"},
        "x509_props": {"subject": format!("CN={name}")},
        "issuer": {"name": "Self"}
    }))
    .unwrap();
    let key = vault::model::key_of(name);
    let cert = vault::model::CertRecord::with_policy(None, &key, name, policy, now);
    let tags = if name.ends_with('7') {
        Some([("team".to_string(), "Payments".to_string())].into())
    } else {
        None
    };
    let version = vault::model::VersionRecord {
        key,
        version: format!("{:032x}", name.len() as u128 * 7919 + now as u128),
        seq: 0,
        created: now,
        updated: now,
        enabled: true,
        nbf: None,
        exp: None,
        tags,
        chain: Vec::new(),
        leaf_index: 0,
        content_type: shared::models::ContentType::Pkcs12,
        exportable: true,
        kty: "EC".into(),
        key_ops: Vec::new(),
        preserve_cert_order: false,
    };
    vec![
        vault::store::Change::PutCert(cert),
        vault::store::Change::PutVersion {
            version,
            private_key: None,
        },
    ]
}

#[tokio::test]
async fn certificate_pages_and_search_at_ten_thousand() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = open_db(dir.path());
        let now = 1_700_000_000;
        for chunk in (0..10_000).collect::<Vec<_>>().chunks(1000) {
            let changes: Vec<_> = chunk
                .iter()
                .flat_map(|i| stored_certificate(&format!("cert-{i:05}"), now))
                .collect();
            db.store().apply(changes).unwrap();
        }
    }
    let r = Running::start(dir.path(), false).await;
    r.create("zz-live").await;

    // Every page in order, no duplicates, the cursor to the end.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/_admin/certificates?limit=500&cursor={c}"),
            None => "/_admin/certificates?limit=500".to_string(),
        };
        let started = Instant::now();
        let page = r.admin(&path).await;
        assert!(started.elapsed() < Duration::from_secs(2), "page too slow");
        assert_eq!(page["total"], 10_001);
        for row in page["value"].as_array().unwrap() {
            seen.push(row["name"].as_str().unwrap().to_string());
        }
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 10_001);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "in name order, no duplicates");

    // The default page; a substring of the name; a tag value; the status filter.
    let first = r.admin("/_admin/certificates").await;
    assert_eq!(first["value"].as_array().unwrap().len(), 50);
    assert_eq!(first["value"][0]["name"], "cert-00000");
    assert_eq!(first["value"][0]["status"], "completed");
    assert_eq!(first["value"][0]["pending"], false);
    assert_eq!(first["next"], "cert-00049");
    let q = r.admin("/_admin/certificates?q=ERT-0999&limit=500").await;
    assert_eq!(q["total"], 10);
    assert_eq!(q["value"].as_array().unwrap().len(), 10);
    assert_eq!(q["next"], Value::Null);
    let tagged = r.admin("/_admin/certificates?q=payments&limit=500").await;
    assert_eq!(
        tagged["total"], 1001,
        "1000 stored with the tag and zz-live"
    );
    let live = r.admin("/_admin/certificates?q=zz-live").await;
    assert_eq!(live["value"][0]["tags"]["team"], "Payments");
    assert_eq!(live["value"][0]["issuer"], "Self");
    let none = r.admin("/_admin/certificates?status=failed").await;
    assert_eq!(none["total"], 0);
    let bad = r
        .client
        .get(format!("{}/_admin/certificates?limit=0", r.handle.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("limit"));

    // One certificate: versions, policy and operation as Key Vault shows them.
    completed_timeline(&r, "zz-live").await;
    let one = r.admin("/_admin/certificates/zz-live").await;
    assert_eq!(one["name"], "zz-live");
    assert_eq!(one["versions"].as_array().unwrap().len(), 1);
    assert!(one["versions"][0]["thumbprint"].as_str().is_some());
    assert_eq!(one["operation"]["status"], "completed");
    assert_eq!(one["policy"]["issuer"]["name"], "Self");
    assert_eq!(one["tags"]["team"], "Payments");
    let vaults = r.admin("/_admin/vaults").await;
    assert_eq!(vaults["value"][0]["name"], "default");
    assert_eq!(vaults["value"][0]["default"], true);
    r.stop().await;
}

#[tokio::test]
async fn entra_mode_needs_the_admin_token_as_bearer_or_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let r = Running::start(dir.path(), true).await;
    let url = format!("{}/_admin/certificates", r.handle.url());
    let anonymous = r.client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = r
        .client
        .get(&url)
        .header("cookie", "vault_admin=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let bearer = r.client.get(&url).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(bearer.status(), 200);

    // The page's login: `?token=` sets the cookie and sends the browser to the page.
    let login_url = format!("{}/_admin/ui/?token=", r.handle.url());
    let login = r.client.get(format!("{login_url}{ADMIN}")).send().await;
    let login = login.unwrap();
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/_admin/ui/");
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert_eq!(
        cookie,
        format!("vault_admin={ADMIN}; HttpOnly; Secure; SameSite=Strict; Path=/_admin")
    );
    let with_cookie = r
        .client
        .get(&url)
        .header("cookie", format!("theme=dark; vault_admin={ADMIN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), 200);
    let body: Value = with_cookie.json().await.unwrap();
    assert_eq!(body["total"], 0);
    let bad_login = r.client.get(format!("{login_url}wrong")).send().await;
    let bad_login = bad_login.unwrap();
    assert_eq!(bad_login.status(), 401);
    assert!(bad_login.headers().get("set-cookie").is_none());
    r.stop().await;
}

#[tokio::test]
async fn acme_accounts_are_listed_in_pages_without_keys() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::acme_support::Server::start(dir.path()).await;
    let mut urls = Vec::new();
    for i in 0..3 {
        let contact = format!("mailto:ops{i}@example.test");
        let (account, _) = crate::acme_support::try_account(&server, &[&contact], None)
            .await
            .unwrap();
        urls.push(account.id().to_string());
    }
    let (status, first) = server.get_json("/_admin/acme/accounts?limit=2").await;
    assert_eq!(status, 200, "{first:#}");
    let rows = first["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let next = first["next"].as_str().unwrap().to_string();
    assert_eq!(rows[1]["id"], next.as_str());
    let (_, second) = server
        .get_json(&format!("/_admin/acme/accounts?cursor={next}"))
        .await;
    assert_eq!(second["next"], Value::Null);
    let all: Vec<&Value> = rows
        .iter()
        .chain(second["value"].as_array().unwrap())
        .collect();
    assert_eq!(all.len(), 3);
    for (i, row) in all.iter().enumerate() {
        assert_eq!(row["url"], urls[i].as_str());
        assert_eq!(row["status"], "valid");
        assert_eq!(
            row["contact"],
            json!([format!("mailto:ops{i}@example.test")])
        );
        assert!(row["created"].as_str().unwrap().ends_with('Z'));
        assert!(row.get("jwk").is_none() && row.get("thumbprint").is_none());
    }
    let (status, _) = server.get_json("/_admin/acme/accounts?limit=0").await;
    assert_eq!(status, 400);
    server.stop().await;
}
