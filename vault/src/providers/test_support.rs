//! Fixtures shared by the adapters' tests: EC P-256 CSRs, CA-shaped chains, an order, the
//! HTTP client, a wiremock CA, and the check of a classified error.

use super::http;
use super::types::{
    CaProvider, CancelOutcome, CertType, Credentials, OrderRequest, OrderStatus, ProviderError,
};
use shared::crypto::{build_csr, issue_for_key, self_signed, CertProfile, KeySpec, PrivateKey};
use shared::models::AdministratorDetails;
use shared::models::{CurveName, SubjectAlternativeNames};
use time::{Duration, OffsetDateTime};
use url::Url;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub fn p256() -> PrivateKey {
    PrivateKey::generate(KeySpec::Ec {
        curve: CurveName::P256,
    })
    .unwrap()
}

fn profile(subject: &str, dns: &[&str], ca: bool) -> CertProfile {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    CertProfile {
        subject: subject.into(),
        sans: SubjectAlternativeNames {
            dns_names: (!dns.is_empty()).then(|| dns.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        },
        ekus: if ca {
            vec![]
        } else {
            vec!["1.3.6.1.5.5.7.3.1".into()]
        },
        key_usage: vec![],
        not_before: now - Duration::minutes(5),
        not_after: now + Duration::days(365),
        is_ca: ca,
        path_len: None,
    }
}

/// A PKCS#10 request (DER) for `www.example.com`.
pub fn csr() -> Vec<u8> {
    build_csr(
        &p256(),
        &profile(
            "CN=www.example.com, O=Example Org Inc, L=Boston, ST=MA, C=US",
            &["www.example.com", "example.com"],
            false,
        ),
    )
    .unwrap()
}

/// leaf, `intermediates` intermediates (each signed by the next), root: DER, CA order.
pub fn chain(intermediates: usize) -> Vec<Vec<u8>> {
    let root_key = p256();
    let root = self_signed(&root_key, &profile("CN=Test Root CA", &[], true)).unwrap();
    let mut issuer = (root_key, root.clone());
    let mut cas = vec![root];
    for i in 0..intermediates {
        let key = p256();
        let cert = issue_for_key(
            &key,
            &profile(&format!("CN=Test Intermediate {i}"), &[], true),
            &issuer.0,
            &issuer.1,
        )
        .unwrap();
        cas.insert(0, cert.clone());
        issuer = (key, cert);
    }
    let leaf = issue_for_key(
        &p256(),
        &profile("CN=www.example.com", &["www.example.com"], false),
        &issuer.0,
        &issuer.1,
    )
    .unwrap();
    let mut out = vec![leaf];
    out.extend(cas);
    out
}

pub fn pem(der: &[u8]) -> String {
    shared::crypto::pem_encode("CERTIFICATE", der)
}

pub fn order(reference: &str, credentials: Credentials, cert_type: CertType) -> OrderRequest {
    OrderRequest {
        reference: reference.into(),
        csr_der: csr(),
        common_name: Some("www.example.com".into()),
        dns_names: vec!["www.example.com".into(), "example.com".into()],
        cert_type,
        validity_months: 12,
        cert_transparency: Some(true),
        credentials,
    }
}

pub fn client() -> reqwest::Client {
    http::client(&[], std::time::Duration::from_secs(5)).unwrap()
}

/// A wiremock CA and the adapter's base URL, `path` below the server's root.
pub async fn mock_ca(path: &str) -> (MockServer, Url) {
    let server = MockServer::start().await;
    let base = Url::parse(&format!("{}{path}", server.uri())).unwrap();
    (server, base)
}

/// The issuer's administrator contact, as the GlobalSign and WoSign tests send it.
pub fn admin(first_name: &str) -> AdministratorDetails {
    AdministratorDetails {
        first_name: Some(first_name.into()),
        last_name: Some("Doe".into()),
        email: Some("jane@example.com".into()),
        phone: Some("+1 617 555 0100".into()),
    }
}

/// The error `adapter` returns for an OV submission that the CA at `server` answers with
/// `answer`.
pub async fn submit_error(
    server: &MockServer,
    adapter: &dyn CaProvider,
    credentials: Credentials,
    answer: ResponseTemplate,
) -> ProviderError {
    Mock::given(method("POST"))
        .respond_with(answer)
        .mount(server)
        .await;
    adapter
        .submit(&order("r", credentials, CertType::Ov))
        .await
        .unwrap_err()
}

/// The pause a classified error is expected to ask for.
#[derive(Debug, Clone, Copy)]
pub enum Pause {
    /// Not checked.
    Any,
    /// None asked for.
    Unasked,
    /// This many seconds.
    Secs(u64),
}

/// Asserts `e`'s class ([`ProviderError::class`]), a text its message contains (`""`: any)
/// and its pause.
#[track_caller]
pub fn assert_error(e: &ProviderError, class: &str, contains: &str, pause: Pause) {
    let pause_ok = match pause {
        Pause::Any => true,
        Pause::Unasked => e.retry_after().is_none(),
        Pause::Secs(s) => e.retry_after() == Some(std::time::Duration::from_secs(s)),
    };
    assert!(
        e.class() == class && e.to_string().contains(contains) && pause_ok,
        "expected {class} containing {contains:?} ({pause:?}); got {e:?}"
    );
}

/// Polls each `(order id, variant)` and asserts the status's variant: `pending`, `issued`,
/// `rejected`, `cancelled` or `revoked`.
pub async fn assert_polled(
    adapter: &dyn CaProvider,
    credentials: &Credentials,
    expected: &[(&str, &str)],
) {
    for &(order_id, variant) in expected {
        let status = adapter.poll(credentials, order_id).await.unwrap();
        let got = match status {
            OrderStatus::Pending { .. } => "pending",
            OrderStatus::Issued { .. } => "issued",
            OrderStatus::Rejected { .. } => "rejected",
            OrderStatus::Cancelled { .. } => "cancelled",
            OrderStatus::Revoked { .. } => "revoked",
        };
        assert_eq!(got, variant, "order {order_id}: {status:?}");
    }
}

/// Asserts what `adapter` makes of cancels the CA refuses, by each order's state: the order
/// `issued` is AlreadyIssued, `finished` (rejected or revoked) AlreadyFinal, and for `pending`
/// the refusal stands, returned.
pub async fn assert_cancels_settled(
    adapter: &dyn CaProvider,
    credentials: &Credentials,
    [issued, finished, pending]: [&str; 3],
) -> ProviderError {
    assert_eq!(
        adapter.cancel(credentials, issued).await.unwrap(),
        CancelOutcome::AlreadyIssued
    );
    let outcome = adapter.cancel(credentials, finished).await.unwrap();
    assert!(
        matches!(outcome, CancelOutcome::AlreadyFinal(_)),
        "{outcome:?}"
    );
    let e = adapter.cancel(credentials, pending).await.unwrap_err();
    assert!(matches!(e, ProviderError::Refused { .. }), "{e:?}");
    e
}
