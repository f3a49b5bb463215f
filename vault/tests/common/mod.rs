//! What vault's tests against a scripted CA share (no network): a root that signs the submitted
//! CSR, the scripted CA itself, and a vault with that CA behind the DigiCert issuer
//! [`ISSUER`]. `partner_worker.rs` scripts the CA's answers call by call; `lifetime_scripted_ca.rs`
//! lets it issue every order; `leases.rs` and `orphans.rs` run workers on the wall clock
//! ([`leased_vault`]) and leave operations where a dead worker would ([`die_while_submitting`]);
//! `lifetime_scripted_ca.rs` and `dashboard_api.rs` add the lifetime scheduler on a vault clock
//! they move ([`lifetime_harness`]).
//!
//! The HTTP-level tests start a whole vault on a port instead: [`Served`] (`served.rs`).

// Each test module uses only part of this module.
#![allow(dead_code)]

mod served;

pub use served::{access_file, challenge, dashboard_vault, entra_config, serve, trusting, Served};

use shared::clock::{Clock, OffsetClock};
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{
    CurveName, IssuerBundle, IssuerCredentials, KeyUsage, OrganizationDetails, ProviderKind,
    SubjectAlternativeNames,
};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use time::OffsetDateTime;
use tokio_util::task::TaskTracker;
use vault::certs::{Service, Settings};
use vault::issuance::{self, Issuance};
use vault::providers::{
    CaProvider, CancelOutcome, Credentials, OrderRequest, OrderStatus, ProviderError, Providers,
    Submitted,
};
use vault::store::{seal::Sealer, Db, SqliteStore};

/// The DigiCert issuer the partnered policies name.
pub const ISSUER: &str = "dc";

/// A self-signed P-256 root, valid for ten years (longer than any clock move in the tests).
pub struct Root {
    pub key: PrivateKey,
    pub der: Vec<u8>,
}

impl Root {
    pub fn new() -> Self {
        let key = PrivateKey::generate(KeySpec::Ec {
            curve: CurveName::P256,
        })
        .unwrap();
        let now = OffsetDateTime::now_utc();
        let der = crypto::self_signed(
            &key,
            &CertProfile {
                subject: "CN=Scripted Root".into(),
                sans: Default::default(),
                ekus: vec![],
                key_usage: vec![KeyUsage::KeyCertSign],
                not_before: now - time::Duration::hours(1),
                not_after: now + time::Duration::days(3650),
                is_ca: true,
                path_len: None,
            },
        )
        .unwrap();
        Self { key, der }
    }

    /// A 90-day server certificate for `partner.example` on the CSR's key, starting `now`.
    pub fn sign(&self, csr: &[u8], now: OffsetDateTime) -> Vec<u8> {
        let profile = CertProfile {
            subject: "CN=partner.example".into(),
            sans: SubjectAlternativeNames {
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
        crypto::sign_csr(csr, &profile, &self.key, &self.der).unwrap()
    }
}

/// What the scripted CA answers, call by call. A poll answer `Issued` with an empty chain
/// means "sign the order's CSR": the CA fills in the leaf and its root.
#[derive(Default)]
pub struct Script {
    pub submits: VecDeque<Result<Submitted, ProviderError>>,
    pub finds: VecDeque<Result<Option<String>, ProviderError>>,
    pub polls: VecDeque<Result<OrderStatus, ProviderError>>,
    pub cancels: VecDeque<Result<CancelOutcome, ProviderError>>,
    /// What the CA does once a queue is empty. `None`: it refuses ("script has no … answer").
    /// `Some(rejected)`: it accepts every order (ids "1", "2", … by submission), issues it on
    /// the first poll, and rejects the submissions numbered in `rejected` (from 1).
    issue_all_except: Option<Vec<usize>>,
    /// Every call, as `submit`, `find`, `poll {id}`, `cancel {id}`.
    calls: Vec<String>,
    /// Every submitted CSR, in order.
    csrs: Vec<Vec<u8>>,
    /// How long each submission takes before it is answered (the order exists meanwhile).
    pub submit_delay: Option<Duration>,
    /// Replaces the poll answers when the next cancel arrives (the order's state after it).
    pub polls_after_cancel: Option<VecDeque<Result<OrderStatus, ProviderError>>>,
}

/// A DigiCert-kind CA whose answers the test writes (see [`Script`]), recording what it was
/// asked.
pub struct ScriptedCa {
    root: Root,
    /// Signs by the vault's clock when set (follows its shifts), else by the system clock.
    clock: Option<Arc<dyn Clock>>,
    script: Mutex<Script>,
}

impl ScriptedCa {
    /// A CA that answers only what the test queues.
    pub fn scripted() -> Arc<Self> {
        Self::with(None, Script::default())
    }

    /// A CA that issues every order, signing by `clock` (or the system clock), except the
    /// submissions numbered in `rejected` (from 1).
    pub fn issuing(clock: Option<Arc<dyn Clock>>, rejected: Vec<usize>) -> Arc<Self> {
        Self::with(
            clock,
            Script {
                issue_all_except: Some(rejected),
                ..Script::default()
            },
        )
    }

    fn with(clock: Option<Arc<dyn Clock>>, script: Script) -> Arc<Self> {
        Arc::new(Self {
            root: Root::new(),
            clock,
            script: Mutex::new(script),
        })
    }

    /// The answer queues, to add to or clear.
    pub fn script(&self) -> MutexGuard<'_, Script> {
        self.script.lock().unwrap()
    }

    pub fn calls(&self) -> Vec<String> {
        self.script().calls.clone()
    }

    /// How many orders were submitted.
    pub fn submissions(&self) -> usize {
        self.script().csrs.len()
    }

    /// The next queued answer, else what the unscripted CA does (`fallback`), else a refusal.
    fn next<T>(
        s: &mut Script,
        queue: fn(&mut Script) -> &mut VecDeque<Result<T, ProviderError>>,
        what: &str,
        fallback: impl FnOnce(&Script, &[usize]) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        if let Some(answer) = queue(s).pop_front() {
            return answer;
        }
        match &s.issue_all_except {
            Some(rejected) => fallback(s, rejected),
            None => Err(ProviderError::Refused {
                message: format!("script has no {what} answer"),
            }),
        }
    }
}

#[async_trait::async_trait]
impl CaProvider for ScriptedCa {
    fn kind(&self) -> ProviderKind {
        ProviderKind::DigiCert
    }

    async fn submit(&self, order: &OrderRequest) -> Result<Submitted, ProviderError> {
        let (number, delay) = {
            let mut s = self.script();
            s.calls.push("submit".into());
            s.csrs.push(order.csr_der.clone());
            (s.csrs.len(), s.submit_delay)
        };
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        let mut s = self.script();
        Self::next(
            &mut s,
            |s| &mut s.submits,
            "submit",
            |_, _| {
                Ok(Submitted {
                    order_id: number.to_string(),
                    status: OrderStatus::Pending {
                        ca_status: "pending".into(),
                    },
                })
            },
        )
    }

    /// Unscripted, it finds the order with the same CSR (ids "1", "2", … by submission).
    async fn find(&self, order: &OrderRequest) -> Result<Option<String>, ProviderError> {
        let mut s = self.script();
        s.calls.push("find".into());
        Self::next(
            &mut s,
            |s| &mut s.finds,
            "find",
            |s, _| {
                Ok(s.csrs
                    .iter()
                    .position(|c| *c == order.csr_der)
                    .map(|i| (i + 1).to_string()))
            },
        )
    }

    async fn poll(&self, _c: &Credentials, order_id: &str) -> Result<OrderStatus, ProviderError> {
        let mut s = self.script();
        s.calls.push(format!("poll {order_id}"));
        let answer = Self::next(
            &mut s,
            |s| &mut s.polls,
            "poll",
            |_, rejected| {
                let number: usize = order_id.parse().unwrap();
                Ok(if rejected.contains(&number) {
                    OrderStatus::Rejected {
                        message: format!(
                            "Order {order_id} was rejected: domain validation expired."
                        ),
                    }
                } else {
                    OrderStatus::Issued { chain: vec![] }
                })
            },
        )?;
        Ok(match answer {
            OrderStatus::Issued { chain } if chain.is_empty() => {
                // The CSR of the numbered order, else the latest (scripted ids, or an order
                // found by lookup after a lost answer).
                let csr = order_id
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| s.csrs.get(n.checked_sub(1)?))
                    .or(s.csrs.last())
                    .expect("a CSR was submitted");
                let now = self
                    .clock
                    .as_ref()
                    .map_or_else(OffsetDateTime::now_utc, |c| c.now());
                OrderStatus::Issued {
                    chain: vec![self.root.sign(csr, now), self.root.der.clone()],
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
        let mut s = self.script();
        s.calls.push(format!("cancel {order_id}"));
        if let Some(polls) = s.polls_after_cancel.take() {
            s.polls = polls;
        }
        Self::next(
            &mut s,
            |s| &mut s.cancels,
            "cancel",
            |_, _| Ok(CancelOutcome::Cancelled),
        )
    }
}

/// A scripted poll answer: the order still pending, the CA's own status `ca_status`.
pub fn pending(ca_status: &str) -> Result<OrderStatus, ProviderError> {
    Ok(OrderStatus::Pending {
        ca_status: ca_status.into(),
    })
}

/// A scripted poll answer: issued, the CA signing the order's CSR (see [`Script`]).
pub fn issued() -> Result<OrderStatus, ProviderError> {
    Ok(OrderStatus::Issued { chain: vec![] })
}

/// A scripted submit answer: accepted as order `id`, pending.
pub fn submitted(id: &str) -> Result<Submitted, ProviderError> {
    Ok(Submitted {
        order_id: id.into(),
        status: OrderStatus::Pending {
            ca_status: "pending".into(),
        },
    })
}

/// A scripted failure whose outcome is unknown (the CA may have acted): no `Retry-After`.
pub fn ambiguous(message: &str) -> ProviderError {
    ProviderError::Ambiguous {
        message: message.into(),
        retry_after: None,
    }
}

/// The store in `dir` (a fresh sealing key, SQLite).
pub fn open_db(dir: &Path) -> Db {
    let sealer = Sealer::load(dir, None).unwrap();
    Db::new(Arc::new(SqliteStore::open(dir, sealer).unwrap()))
}

/// The issuance worker (not started) with `ca` as its only CA, polling every 20 ms and retrying
/// transient failures for `deadline`, and the certificate service over it, with the DigiCert
/// issuer [`ISSUER`] set.
pub async fn partnered_vault(
    db: &Db,
    clock: Arc<dyn Clock>,
    ca: Arc<ScriptedCa>,
    deadline: Duration,
    tracker: &TaskTracker,
) -> (Arc<Issuance>, Service) {
    partnered_vault_leased(db, clock, ca, deadline, Duration::from_secs(30), tracker).await
}

/// [`partnered_vault`] with its worker's lease term.
pub async fn partnered_vault_leased(
    db: &Db,
    clock: Arc<dyn Clock>,
    ca: Arc<ScriptedCa>,
    deadline: Duration,
    lease: Duration,
    tracker: &TaskTracker,
) -> (Arc<Issuance>, Service) {
    let mut providers = Providers::default();
    providers.insert(ca);
    let issuance = Issuance::new(
        db.clone(),
        clock.clone(),
        providers,
        issuance::Settings {
            poll_interval: Duration::from_millis(20),
            deadline,
            lease,
        },
        tracker.clone(),
        Arc::default(),
        test_timeline(db, &clock).await,
    );
    let service = Service::new(
        db.clone(),
        clock,
        issuance.clone(),
        Settings {
            self_signed_delay: Duration::ZERO,
        },
    );
    service
        .set_issuer(
            ISSUER,
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
    (issuance, service)
}

/// [`partnered_vault_leased`] on the wall clock, with the lease tests' terms: retries for 60 s,
/// a 30 s lease. Each call is a separate worker (its own owner id), as another vault would be.
pub async fn leased_vault(
    db: &Db,
    ca: &Arc<ScriptedCa>,
    tracker: &TaskTracker,
) -> (Arc<Issuance>, Service) {
    let clock: Arc<dyn Clock> = Arc::new(OffsetClock::default());
    partnered_vault_leased(
        db,
        clock,
        ca.clone(),
        Duration::from_secs(60),
        Duration::from_secs(30),
        tracker,
    )
    .await
}

/// A partnered EC P-256 policy for `partner.example` under [`ISSUER`].
pub fn partner_policy() -> shared::models::CertificateCreateParameters {
    let policy: shared::models::CertificatePolicy = serde_json::from_value(serde_json::json!({
        "key_props": {"kty": "EC", "crv": "P-256"},
        "x509_props": {"subject": "CN=partner.example", "sans": {"dns_names": ["partner.example"]}},
        "issuer": {"name": ISSUER, "cty": "OV-SSL"}
    }))
    .unwrap();
    shared::models::CertificateCreateParameters {
        policy: Some(policy),
        ..Default::default()
    }
}

/// Polls `check` every 10 ms until it returns `Some`, failing after 10 s with `what`.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = std::time::Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The operation with `key` as a store opened afresh reads it (no cache: another store handle
/// may have written it).
pub fn fresh_operation(dir: &Path, key: &str) -> Option<vault::model::OperationRecord> {
    open_db(dir).store().operation(key).unwrap()
}

/// Puts the operation of `name` where a worker that died in the middle of its submission left
/// it: `Submitting`, leased by a dead owner until `lease_until_ms` (wall clock), and the order
/// created at `ca` (the CA got the request; vault never heard back). Returns the operation.
pub async fn die_while_submitting(
    db: &Db,
    ca: &ScriptedCa,
    name: &str,
    lease_until_ms: i64,
) -> vault::model::OperationRecord {
    let key = vault::model::key_of(name);
    let terms = vault::store::LeaseTerms {
        owner: "dead-worker".into(),
        now_ms: vault::issuance::lease::wall_ms(),
        until_ms: lease_until_ms,
    };
    let claimed = db
        .run(move |s| s.claim_due(i64::MAX - 1, &terms, 1000))
        .await
        .unwrap();
    let op = claimed
        .into_iter()
        .find(|o| o.key == key)
        .expect("the operation is due and free");
    let rid = op.request_id.clone();
    let written = db
        .run(move |s| {
            s.update_leased(
                &rid,
                "dead-worker",
                Box::new(|mut current, _| {
                    let mut state = current.provider.clone().unwrap_or_default();
                    state.phase = vault::model::ProviderPhase::Submitting;
                    current.provider = Some(state);
                    Some(vec![vault::store::Change::PutOperation(current)])
                }),
            )
        })
        .await
        .unwrap();
    assert!(written);
    let order = OrderRequest {
        reference: op.request_id.clone(),
        csr_der: op.csr.clone().unwrap(),
        common_name: Some("partner.example".into()),
        dns_names: vec!["partner.example".into()],
        cert_type: vault::providers::CertType::Ov,
        validity_months: 12,
        cert_transparency: None,
        credentials: Credentials::default(),
    };
    // The request reached the CA; its answer is lost with the worker.
    let _ = ca.submit(&order).await;
    op
}

/// A timeline for a test vault (`test`) on `db`: its writer runs on a tracker of its own, so
/// a test's own tracker never waits for it.
pub async fn test_timeline(db: &Db, clock: &Arc<dyn Clock>) -> vault::timeline::Timeline {
    let hub = vault::timeline::Hub::new(
        tokio_util::task::TaskTracker::new(),
        tokio_util::sync::CancellationToken::new(),
    );
    vault::timeline::Timeline::start("test", db.clone(), hub, clock.clone()).await
}

/// A partnered vault with its issuance worker running against `ca`; the worker stops when the
/// harness drops.
pub struct Harness {
    pub service: vault::certs::Service,
    pub issuance: Arc<vault::issuance::Issuance>,
    pub token: tokio_util::sync::CancellationToken,
    pub tracker: tokio_util::task::TaskTracker,
    _dir: tempfile::TempDir,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// [`Harness`] with operations given up after `deadline`.
pub async fn harness(ca: &Arc<ScriptedCa>, deadline: Duration) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let clock: Arc<dyn Clock> = Arc::new(OffsetClock::default());
    let tracker = tokio_util::task::TaskTracker::new();
    let (issuance, service) = partnered_vault(&db, clock, ca.clone(), deadline, &tracker).await;
    let token = tokio_util::sync::CancellationToken::new();
    tracker.spawn(issuance.clone().run(token.clone()));
    Harness {
        service,
        issuance,
        token,
        tracker,
        _dir: dir,
    }
}

/// A partnered vault on a clock tests move (`ClockControl`), with its issuance worker and its
/// lifetime scheduler (scanning every 60 s) running; notifications are only recorded (no
/// SMTP). Everything stops when it drops.
pub struct LifetimeHarness {
    pub service: Service,
    pub issuance: Arc<Issuance>,
    pub lifetime: Arc<vault::lifetime::Lifetime>,
    pub notifier: Arc<vault::notify::Notifier>,
    pub ca: Arc<ScriptedCa>,
    pub token: tokio_util::sync::CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for LifetimeHarness {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// [`LifetimeHarness`] against a CA that issues every order except the submissions numbered in
/// `rejected` (from 1), signing by the vault clock when `ca_follows_vault_clock`, else by the
/// system clock; operations are given up after 60 s.
pub async fn lifetime_harness(
    rejected: Vec<usize>,
    ca_follows_vault_clock: bool,
) -> LifetimeHarness {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let clock_control = Arc::new(
        vault::clock::ClockControl::restore(db.clone(), None)
            .await
            .unwrap(),
    );
    let clock = clock_control.clock();
    let ca = ScriptedCa::issuing(ca_follows_vault_clock.then(|| clock.clone()), rejected);
    let tracker = TaskTracker::new();
    let token = tokio_util::sync::CancellationToken::new();
    let (issuance, service) = partnered_vault(
        &db,
        clock.clone(),
        ca.clone(),
        Duration::from_secs(60),
        &tracker,
    )
    .await;
    let notifier = vault::notify::Notifier::new(
        db.clone(),
        clock,
        vault::notify::Settings {
            vault_url: "https://vault.test".into(),
            smtp: None,
            from: "vault@localhost".into(),
            retry: Duration::from_secs(1),
        },
        issuance.timeline.clone(),
    )
    .unwrap();
    let lifetime = vault::lifetime::Lifetime::new(
        db,
        clock_control,
        service.clone(),
        issuance.clone(),
        notifier.clone(),
        vault::lifetime::Settings {
            scan_interval: Duration::from_secs(60),
        },
    );
    tracker.spawn(issuance.clone().run(token.clone()));
    tracker.spawn(lifetime.clone().run(token.clone()));
    LifetimeHarness {
        service,
        issuance,
        lifetime,
        notifier,
        ca,
        token,
        _dir: dir,
    }
}
