//! The partnered issuance state machine against a scripted CA (no network): submission
//! exactly once, lookup after a lost answer, back-off on transient failures, the deadline,
//! rejection, cancellation, and chain validation. End-to-end runs against ca-sim live in the
//! workspace's `tests/` crate.

use shared::clock::{Clock, OffsetClock};
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{
    CertificateCreateParameters, CertificatePolicy, CurveName, IssuerBundle, IssuerCredentials,
    OperationStatus, OrganizationDetails, ProviderKind,
};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use vault::certs::{Service, Settings};
use vault::issuance::{self, Issuance};
use vault::providers::{
    CaProvider, CancelOutcome, Credentials, OrderRequest, OrderStatus, ProviderError, Providers,
    Submitted,
};
use vault::store::{seal::Sealer, Db, SqliteStore};

/// What the scripted CA answers, call by call, and what it was asked.
#[derive(Default)]
struct Script {
    submits: VecDeque<Result<Submitted, ProviderError>>,
    finds: VecDeque<Result<Option<String>, ProviderError>>,
    polls: VecDeque<Result<OrderStatus, ProviderError>>,
    cancels: VecDeque<Result<CancelOutcome, ProviderError>>,
    calls: Vec<String>,
    last_csr: Option<Vec<u8>>,
    /// Issue with this CA when a poll answer is `Issued` with an empty chain.
    ca: Option<(PrivateKey, Vec<u8>)>,
}

#[derive(Clone, Default)]
struct FakeCa(Arc<Mutex<Script>>);

impl FakeCa {
    fn calls(&self) -> Vec<String> {
        self.0.lock().unwrap().calls.clone()
    }
}

fn pop<T>(q: &mut VecDeque<Result<T, ProviderError>>, what: &str) -> Result<T, ProviderError> {
    q.pop_front().unwrap_or_else(|| {
        Err(ProviderError::Refused {
            message: format!("script has no {what} answer"),
        })
    })
}

#[async_trait::async_trait]
impl CaProvider for FakeCa {
    fn kind(&self) -> ProviderKind {
        ProviderKind::DigiCert
    }
    async fn submit(&self, order: &OrderRequest) -> Result<Submitted, ProviderError> {
        let mut s = self.0.lock().unwrap();
        s.calls.push("submit".into());
        s.last_csr = Some(order.csr_der.clone());
        pop(&mut s.submits, "submit")
    }
    async fn find(&self, _order: &OrderRequest) -> Result<Option<String>, ProviderError> {
        let mut s = self.0.lock().unwrap();
        s.calls.push("find".into());
        pop(&mut s.finds, "find")
    }
    async fn poll(&self, _c: &Credentials, order_id: &str) -> Result<OrderStatus, ProviderError> {
        let mut s = self.0.lock().unwrap();
        s.calls.push(format!("poll {order_id}"));
        let answer = pop(&mut s.polls, "poll")?;
        Ok(match answer {
            OrderStatus::Issued { chain } if chain.is_empty() => {
                let (ca_key, ca_der) = s.ca.as_ref().expect("script CA");
                let csr = s.last_csr.clone().expect("a CSR was submitted");
                let now = time::OffsetDateTime::now_utc();
                let profile = CertProfile {
                    subject: "CN=partner.example".into(),
                    sans: shared::models::SubjectAlternativeNames {
                        dns_names: Some(vec!["partner.example".into()]),
                        ..Default::default()
                    },
                    ekus: vec!["1.3.6.1.5.5.7.3.1".into()],
                    key_usage: vec![],
                    not_before: now,
                    not_after: now + time::Duration::days(90),
                    is_ca: false,
                    path_len: None,
                };
                let leaf = crypto::sign_csr(&csr, &profile, ca_key, ca_der).unwrap();
                OrderStatus::Issued {
                    chain: vec![leaf, ca_der.clone()],
                }
            }
            other => other,
        })
    }
    async fn cancel(
        &self,
        _c: &Credentials,
        order_id: &str,
    ) -> Result<CancelOutcome, ProviderError> {
        let mut s = self.0.lock().unwrap();
        s.calls.push(format!("cancel {order_id}"));
        pop(&mut s.cancels, "cancel")
    }
}

struct Harness {
    service: Service,
    token: CancellationToken,
    tracker: TaskTracker,
    _dir: tempfile::TempDir,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

fn root_ca() -> (PrivateKey, Vec<u8>) {
    let key = PrivateKey::generate(KeySpec::Ec {
        curve: CurveName::P256,
    })
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let der = crypto::self_signed(
        &key,
        &CertProfile {
            subject: "CN=Scripted Root".into(),
            sans: Default::default(),
            ekus: vec![],
            key_usage: vec![shared::models::KeyUsage::KeyCertSign],
            not_before: now - time::Duration::hours(1),
            not_after: now + time::Duration::days(365),
            is_ca: true,
            path_len: None,
        },
    )
    .unwrap();
    (key, der)
}

async fn harness(ca: &FakeCa, deadline: Duration) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let sealer = Sealer::load(dir.path(), None).unwrap();
    let db = Db(Arc::new(SqliteStore::open(dir.path(), sealer).unwrap()));
    let clock: Arc<dyn Clock> = Arc::new(OffsetClock::default());
    let mut providers = Providers::default();
    providers.insert(Arc::new(ca.clone()));
    let tracker = TaskTracker::new();
    let issuance = Issuance::new(
        db.clone(),
        clock.clone(),
        providers,
        issuance::Settings {
            poll_interval: Duration::from_millis(20),
            deadline,
        },
        tracker.clone(),
    );
    let token = CancellationToken::new();
    tracker.spawn(issuance.clone().run(token.clone()));
    let service = Service::new(
        db,
        clock,
        issuance,
        Settings {
            self_signed_delay: Duration::ZERO,
        },
    );
    service
        .set_issuer(
            "dc",
            IssuerBundle {
                provider: Some("DigiCert".into()),
                credentials: Some(IssuerCredentials {
                    account_id: Some("acct".into()),
                    pwd: Some("key".into()),
                }),
                org_details: Some(OrganizationDetails {
                    id: Some("100001".into()),
                    admin_details: None,
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    Harness {
        service,
        token,
        tracker,
        _dir: dir,
    }
}

fn partner_policy() -> CertificateCreateParameters {
    let policy: CertificatePolicy = serde_json::from_value(serde_json::json!({
        "key_props": {"kty": "EC", "crv": "P-256"},
        "x509_props": {"subject": "CN=partner.example", "sans": {"dns_names": ["partner.example"]}},
        "issuer": {"name": "dc", "cty": "OV-SSL"}
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

fn pending(s: &str) -> Result<OrderStatus, ProviderError> {
    Ok(OrderStatus::Pending {
        ca_status: s.into(),
    })
}

fn issued() -> Result<OrderStatus, ProviderError> {
    Ok(OrderStatus::Issued { chain: vec![] })
}

fn submitted(id: &str) -> Result<Submitted, ProviderError> {
    Ok(Submitted {
        order_id: id.into(),
        status: OrderStatus::Pending {
            ca_status: "pending".into(),
        },
    })
}

#[tokio::test]
async fn submit_poll_issue_completes_with_a_validated_chain() {
    let ca = FakeCa::default();
    {
        let mut s = ca.0.lock().unwrap();
        s.ca = Some(root_ca());
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
    let ca = FakeCa::default();
    {
        let mut s = ca.0.lock().unwrap();
        s.ca = Some(root_ca());
        s.submits.push_back(Err(ProviderError::NoAnswer {
            message: "connection reset".into(),
        }));
        s.finds.push_back(Ok(Some("o-7".into())));
        s.polls.push_back(issued());
    }
    let h = harness(&ca, Duration::from_secs(60)).await;
    h.service.create("p2", partner_policy()).await.unwrap();
    let op = settle(&h, "p2").await;
    assert_eq!(op.status, OperationStatus::Completed, "{op:?}");
    assert_eq!(ca.calls(), vec!["submit", "find", "poll o-7"]);
}

#[tokio::test]
async fn lookup_that_finds_nothing_submits_again_and_transients_back_off() {
    let ca = FakeCa::default();
    {
        let mut s = ca.0.lock().unwrap();
        s.ca = Some(root_ca());
        s.submits.push_back(Err(ProviderError::NoAnswer {
            message: "timeout".into(),
        }));
        s.finds.push_back(Ok(None));
        s.submits.push_back(Err(ProviderError::Transient {
            message: "503 maintenance".into(),
            retry_after: None,
        }));
        s.submits.push_back(submitted("o-9"));
        s.polls.push_back(Err(ProviderError::Transient {
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
        vec!["submit", "find", "submit", "submit", "poll o-9", "poll o-9"]
    );
}

#[tokio::test]
async fn transient_failures_past_the_deadline_fail_with_the_last_error() {
    let ca = FakeCa::default();
    {
        let mut s = ca.0.lock().unwrap();
        for _ in 0..100 {
            s.submits.push_back(Err(ProviderError::Transient {
                message: "502 bad gateway".into(),
                retry_after: None,
            }));
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
    let ca = FakeCa::default();
    {
        let mut s = ca.0.lock().unwrap();
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
    let ca = FakeCa::default();
    let (root_key, root_der) = root_ca();
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
        let mut s = ca.0.lock().unwrap();
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
    let ca = FakeCa::default();
    {
        let mut s = ca.0.lock().unwrap();
        s.ca = Some(root_ca());
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
        let mut s = ca.0.lock().unwrap();
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
        let mut s = ca.0.lock().unwrap();
        s.polls.clear();
        s.polls.push_back(issued());
    }
    h.service.cancel_operation("p9", true).await.unwrap();
    let op = settle(&h, "p9").await;
    assert_eq!(op.status, OperationStatus::Completed, "{op:?}");
    h.token.cancel();
    h.tracker.close();
}
