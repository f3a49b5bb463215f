//! The partnered issuance state machine against a scripted CA (no network): submission
//! exactly once, lookup after a lost answer, back-off on transient failures, the deadline,
//! rejection, cancellation, and chain validation. End-to-end runs against ca-sim live in the
//! workspace's `tests/` crate.

use crate::common;

use common::{ambiguous, harness, issued, pending, submitted, Harness, Root, ScriptedCa, ISSUER};
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{CertificateCreateParameters, CertificatePolicy, CurveName, OperationStatus};
use std::time::{Duration, Instant};
use vault::providers::{CancelOutcome, OrderStatus, ProviderError};

fn partner_policy() -> CertificateCreateParameters {
    let policy: CertificatePolicy = serde_json::from_value(serde_json::json!({
        "key_props": {"kty": "EC", "crv": "P-256"},
        "x509_props": {"subject": "CN=partner.example", "sans": {"dns_names": ["partner.example"]}},
        "issuer": {"name": ISSUER, "cty": "OV-SSL"}
    }))
    .unwrap();
    CertificateCreateParameters {
        policy: Some(policy),
        ..Default::default()
    }
}

/// Polls the operation until it leaves `inProgress` (or the deadline passes).
async fn settle(h: &Harness, name: &str) -> vault::store::OperationRecord {
    let started = Instant::now();
    loop {
        let (_, op) = h.service.operation(name).await.unwrap();
        if op.status != OperationStatus::InProgress {
            return op;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "operation stuck: {op:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn submit_poll_issue_completes_with_a_validated_chain() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(submitted("o-1"));
        s.polls
            .extend([pending("pending"), pending("processing"), issued()]);
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    h.service.create("p1", partner_policy()).await.unwrap();
    let op = settle(&h, "p1").await;
    assert_eq!(op.status, OperationStatus::Completed, "{op:?}");
    assert_eq!(
        ca.calls(),
        vec!["submit", "poll o-1", "poll o-1", "poll o-1"]
    );
    let (_, v) = h.service.latest("p1").await.unwrap();
    assert_eq!(v.chain.len(), 2);
    let leaf = crypto::parse_certificate(v.leaf().unwrap()).unwrap();
    assert_eq!(leaf.subject, "CN=partner.example");
}

#[tokio::test]
async fn a_lost_submit_answer_leads_to_a_lookup_not_a_second_order() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(Err(ambiguous("connection reset")));
        s.finds.push_back(Ok(Some("o-7".into())));
        s.polls.push_back(issued());
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    h.service.create("p2", partner_policy()).await.unwrap();
    let op = settle(&h, "p2").await;
    assert_eq!(op.status, OperationStatus::Completed, "{op:?}");
    assert_eq!(ca.calls(), vec!["submit", "find", "poll o-7"]);
}

/// Issue 13 changed this: a 503 on submit is ambiguous (a gateway's 5xx can follow the act),
/// so it is looked up like any lost answer; only a lookup that finds nothing resubmits.
#[tokio::test]
async fn lookup_that_finds_nothing_submits_again_and_transients_back_off() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(Err(ambiguous("timeout")));
        s.finds.push_back(Ok(None));
        s.submits.push_back(Err(ambiguous("503 maintenance")));
        s.finds.push_back(Ok(None));
        s.submits.push_back(submitted("o-9"));
        s.polls.push_back(Err(ProviderError::Throttled {
            message: "429 request_limit_exceeded".into(),
            retry_after: Some(Duration::from_millis(30)),
        }));
        s.polls.push_back(issued());
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    h.service.create("p3", partner_policy()).await.unwrap();
    let op = settle(&h, "p3").await;
    assert_eq!(op.status, OperationStatus::Completed, "{op:?}");
    assert_eq!(
        ca.calls(),
        vec!["submit", "find", "submit", "find", "submit", "poll o-9", "poll o-9"]
    );
}

#[tokio::test]
async fn transient_failures_past_the_deadline_fail_with_the_last_error() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        for _ in 0..100 {
            s.submits.push_back(Err(ambiguous("502 bad gateway")));
        }
    }
    let h = harness(&ca, Duration::ZERO).await;
    h.service.create("p4", partner_policy()).await.unwrap();
    let op = settle(&h, "p4").await;
    assert_eq!(op.status, OperationStatus::Failed);
    let error = op.error.unwrap();
    assert_eq!(error.code, "Certificate issuer error");
    assert!(
        error.message.contains("502 bad gateway"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn rejection_and_bad_credentials_fail_with_the_cas_message() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(submitted("o-r"));
        s.polls.push_back(Ok(OrderStatus::Rejected {
            message: "Organization validation failed".into(),
        }));
        s.submits.push_back(Err(ProviderError::Credentials {
            message: "Invalid API key".into(),
        }));
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    h.service.create("p5", partner_policy()).await.unwrap();
    let op = settle(&h, "p5").await;
    assert_eq!(op.status, OperationStatus::Failed);
    let e = op.error.unwrap();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("Request rejected", "Organization validation failed")
    );

    h.service.create("p6", partner_policy()).await.unwrap();
    let op = settle(&h, "p6").await;
    let e = op.error.unwrap();
    assert_eq!(
        (e.code.as_str(), e.message.as_str()),
        ("Certificate issuer error", "Invalid API key")
    );
}

#[tokio::test]
async fn a_chain_for_another_key_fails_the_operation() {
    let ca = ScriptedCa::scripted();
    let Root {
        key: root_key,
        der: root_der,
    } = Root::new();
    let other = PrivateKey::generate(KeySpec::Ec {
        curve: CurveName::P256,
    })
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let wrong_leaf = crypto::issue_for_key(
        &other,
        &CertProfile {
            subject: "CN=partner.example".into(),
            sans: Default::default(),
            ekus: vec![],
            key_usage: vec![],
            not_before: now,
            not_after: now + time::Duration::days(30),
            is_ca: false,
            path_len: None,
        },
        &root_key,
        &root_der,
    )
    .unwrap();
    {
        let mut s = ca.script();
        s.submits.push_back(submitted("o-w"));
        s.polls.push_back(Ok(OrderStatus::Issued {
            chain: vec![wrong_leaf, root_der],
        }));
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    h.service.create("p7", partner_policy()).await.unwrap();
    let op = settle(&h, "p7").await;
    assert_eq!(op.status, OperationStatus::Failed);
    assert!(op.error.unwrap().message.contains("different key"));
}

#[tokio::test]
async fn cancel_is_forwarded_and_a_late_cancel_collects_the_certificate() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(submitted("o-c"));
        for _ in 0..1000 {
            s.polls.push_back(pending("pending"));
        }
        s.cancels.push_back(Ok(CancelOutcome::Cancelled));
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    h.service.create("p8", partner_policy()).await.unwrap();
    // Wait until the order reached the CA, then cancel.
    let started = Instant::now();
    while !ca.calls().iter().any(|c| c.starts_with("poll")) {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (_, op) = h.service.cancel_operation("p8", true).await.unwrap();
    assert!(op.cancellation_requested);
    let op = settle(&h, "p8").await;
    assert_eq!(op.status, OperationStatus::Cancelled, "{op:?}");
    assert!(ca.calls().contains(&"cancel o-c".to_string()));

    // Second certificate: the CA had already issued when the cancel arrived.
    {
        let mut s = ca.script();
        s.polls.clear();
        s.submits.push_back(submitted("o-late"));
        for _ in 0..1000 {
            s.polls.push_back(pending("processing"));
        }
        s.cancels.push_back(Ok(CancelOutcome::AlreadyIssued));
    }
    h.service.create("p9", partner_policy()).await.unwrap();
    let started = Instant::now();
    while !ca.calls().iter().any(|c| c == "poll o-late") {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    {
        let mut s = ca.script();
        s.polls.clear();
        s.polls.push_back(issued());
    }
    h.service.cancel_operation("p9", true).await.unwrap();
    let op = settle(&h, "p9").await;
    assert_eq!(op.status, OperationStatus::Completed, "{op:?}");
    h.token.cancel();
    h.tracker.close();
}
