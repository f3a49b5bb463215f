//! AutoRenew of partnered certificates (spec §4.5) against a scripted CA (no network): the
//! renewal goes through the adapter flow (submit, poll, chain validation), honours `reuse_key`,
//! and its outcome reaches the contacts through the outbox: `renewed`, or `renewal_failed` when
//! the CA rejects the renewal order. SMTP delivery itself is covered in the e2e tests
//! (`tests/tests/lifetime.rs`); here notifications are recorded only (`not_sent`).

use crate::common;

use common::{lifetime_harness, LifetimeHarness, ISSUER};
use shared::crypto;
use shared::models::{
    CertificateCreateParameters, CertificatePolicy, Contact, Contacts, OperationStatus,
};
use std::time::{Duration, Instant};
use vault::store::{DeliveryStatus, NotificationKind};

const DAY: i64 = 86_400;
const CONTACT: &str = "pki-team@example.com";

async fn harness(reject: Vec<usize>) -> LifetimeHarness {
    harness_with(reject, true).await
}

/// [`lifetime_harness`] with [`CONTACT`] as the vault's contact.
async fn harness_with(reject: Vec<usize>, ca_follows_vault_clock: bool) -> LifetimeHarness {
    let h = lifetime_harness(reject, ca_follows_vault_clock).await;
    h.service
        .set_contacts(Contacts {
            id: None,
            contacts: Some(vec![Contact {
                email: Some(CONTACT.into()),
                ..Default::default()
            }]),
        })
        .await
        .unwrap();
    h
}

fn partner_params(reuse_key: bool) -> CertificateCreateParameters {
    let policy: CertificatePolicy = serde_json::from_value(serde_json::json!({
        "key_props": {"kty": "EC", "crv": "P-256", "reuse_key": reuse_key},
        "x509_props": {"subject": "CN=partner.example", "sans": {"dns_names": ["partner.example"]}},
        "issuer": {"name": ISSUER, "cty": "OV-SSL"},
        "lifetime_actions": [
            {"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "AutoRenew"}}
        ]
    }))
    .unwrap();
    CertificateCreateParameters {
        policy: Some(policy),
        tags: Some([("env".to_string(), "prod".to_string())].into()),
        ..Default::default()
    }
}

/// Waits (with a deadline) until `check` returns `Some`.
async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Issues the first version and returns it.
async fn first_version(
    h: &LifetimeHarness,
    name: &str,
    reuse_key: bool,
) -> vault::store::VersionRecord {
    h.service
        .create(name, partner_params(reuse_key))
        .await
        .unwrap();
    wait_for("the first issuance", || async {
        let (_, op) = h.service.operation(name).await.unwrap();
        (op.status == OperationStatus::Completed).then_some(())
    })
    .await;
    h.service.latest(name).await.unwrap().1
}

fn spki(v: &vault::store::VersionRecord) -> Vec<u8> {
    crypto::parse_certificate(v.leaf().unwrap())
        .unwrap()
        .spki_der
}

async fn notifications(
    h: &LifetimeHarness,
    name: &str,
    kind: NotificationKind,
) -> Vec<vault::store::NotificationRecord> {
    h.notifier
        .list(Some(name))
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.kind == kind)
        .collect()
}

/// Returns once a full scan has evaluated every certificate: a self-signed certificate sorted
/// last gets an EmailContacts notice from the scan that follows a clock move.
async fn barrier(h: &LifetimeHarness) {
    let barrier: CertificatePolicy = serde_json::from_value(serde_json::json!({
        "key_props": {"kty": "EC", "crv": "P-256"},
        "x509_props": {"subject": "CN=barrier"},
        "issuer": {"name": "Self"},
        "lifetime_actions": [
            {"trigger": {"lifetime_percentage": 1}, "action": {"action_type": "EmailContacts"}}
        ]
    }))
    .unwrap();
    h.service
        .create(
            "zz-barrier",
            CertificateCreateParameters {
                policy: Some(barrier),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    wait_for("the barrier certificate", || async {
        let (_, op) = h.service.operation("zz-barrier").await.unwrap();
        (op.status == OperationStatus::Completed).then_some(())
    })
    .await;
    h.lifetime.advance_clock(5 * DAY).await.unwrap();
    wait_for("the barrier's notice", || async {
        let rows = notifications(h, "zz-barrier", NotificationKind::Expiring).await;
        (!rows.is_empty()).then_some(())
    })
    .await;
}

#[tokio::test]
async fn partnered_auto_renew_goes_through_the_ca_once_with_and_without_key_reuse() {
    for (name, reuse) in [("partner-reuse", true), ("partner-fresh", false)] {
        // A vault each: one shared clock would bring the first certificate's renewal due again.
        let h = harness(vec![]).await;
        let v1 = first_version(&h, name, reuse).await;
        let submissions = h.ca.submissions();
        // 80 % of 90 days is day 72.
        h.lifetime.advance_clock(75 * DAY).await.unwrap();
        let renewed = wait_for("the partnered renewal", || async {
            let (_, latest) = h.service.latest(name).await.unwrap();
            let (_, op) = h.service.operation(name).await.unwrap();
            (latest.version != v1.version && op.status == OperationStatus::Completed)
                .then_some(latest)
        })
        .await;
        assert_eq!(h.ca.submissions(), submissions + 1, "one renewal order");
        assert_eq!(spki(&renewed) == spki(&v1), reuse, "reuse_key {reuse}");
        assert_eq!(renewed.tags, v1.tags, "tags copied");
        assert_eq!(renewed.chain.len(), 2, "chain validated and stored");

        let rows = wait_for("the renewal notice", || async {
            let rows = notifications(&h, name, NotificationKind::Renewed).await;
            (!rows.is_empty()).then_some(rows)
        })
        .await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].recipient.as_deref(), Some(CONTACT));
        assert_eq!(rows[0].status, DeliveryStatus::NotSent);
        assert_eq!(rows[0].version, v1.version);
        assert!(rows[0].body.contains(&renewed.version), "{}", rows[0].body);
        assert!(
            rows[0].body.contains("Issuer:       dc"),
            "{}",
            rows[0].body
        );
        let (_, all) = h.service.versions(name, 0, 10).await.unwrap();
        assert_eq!(all.len(), 2, "exactly one new version");
    }
}

#[tokio::test]
async fn a_ca_rejection_during_renewal_notifies_the_contacts() {
    // The second order (the renewal) is rejected by the CA.
    let h = harness(vec![2]).await;
    let v1 = first_version(&h, "partner-rejected", false).await;
    h.lifetime.advance_clock(80 * DAY).await.unwrap();

    let rows = wait_for("the failure notice", || async {
        let rows = notifications(&h, "partner-rejected", NotificationKind::RenewalFailed).await;
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].version, v1.version);
    assert!(
        rows[0].body.contains("domain validation expired"),
        "{}",
        rows[0].body
    );
    assert!(rows[0]
        .subject
        .contains("Renewal of certificate 'partner-rejected' failed"));
    let (_, op) = h.service.operation("partner-rejected").await.unwrap();
    assert_eq!(op.status, OperationStatus::Failed);
    let (_, latest) = h.service.latest("partner-rejected").await.unwrap();
    assert_eq!(
        latest.version, v1.version,
        "the old version stays the latest"
    );

    // The action fired once for this version. A self-signed barrier sorted after it gets an
    // EmailContacts notice from the next full scan; by then the rejected one was looked at again.
    let before = h.ca.submissions();
    barrier(&h).await;
    assert_eq!(h.ca.submissions(), before, "no second renewal order");
    assert_eq!(
        notifications(&h, "partner-rejected", NotificationKind::RenewalFailed)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_renewal_already_past_its_trigger_is_not_renewed_again() {
    // The CA signs by the system clock, so the renewed version is born at 89 % of its lifetime
    // by vault's shifted clock.
    let h = harness_with(vec![], false).await;
    let v1 = first_version(&h, "skewed", false).await;
    h.lifetime.advance_clock(80 * DAY).await.unwrap();
    let rows = wait_for("the renewal notice", || async {
        let rows = notifications(&h, "skewed", NotificationKind::Renewed).await;
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert!(
        rows[0].body.contains("will not be renewed automatically"),
        "{}",
        rows[0].body
    );
    barrier(&h).await;
    assert_eq!(h.ca.submissions(), 2, "the first order and one renewal");
    let (_, all) = h.service.versions("skewed", 0, 10).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_ne!(all[1].version, v1.version);
}
