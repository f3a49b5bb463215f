//! Exactly once against a scripted CA (no network): how each class of CA failure is followed up
//! (issue 13). "Not sent" and "throttled" are sent again as is; an ambiguous submit or cancel
//! (the CA may have acted) is resolved by a lookup or a read of the order first; GlobalSign's
//! "that OrderID exists" (-105) is looked up, never taken as a refusal.

use crate::common;

use common::{
    ambiguous, eventually, issued, open_db, partner_policy, partnered_vault, submitted, ScriptedCa,
};
use shared::clock::{Clock, OffsetClock};
use shared::models::OperationStatus;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use vault::certs::Service;
use vault::providers::{CancelOutcome, OrderStatus, ProviderError};

struct Harness {
    service: Service,
    token: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

async fn harness(ca: &Arc<ScriptedCa>) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let clock: Arc<dyn Clock> = Arc::new(OffsetClock::default());
    let tracker = TaskTracker::new();
    let (issuance, service) =
        partnered_vault(&db, clock, ca.clone(), Duration::from_secs(60), &tracker).await;
    let token = CancellationToken::new();
    tracker.spawn(issuance.run(token.clone()));
    Harness {
        service,
        token,
        _dir: dir,
    }
}

async fn settle(h: &Harness, name: &str) -> vault::model::OperationRecord {
    eventually("the operation to finish", || async {
        let (_, op) = h.service.operation(name).await.unwrap();
        (op.status != OperationStatus::InProgress).then_some(op)
    })
    .await
}

#[tokio::test]
async fn a_request_that_was_never_sent_is_sent_again_without_a_lookup() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(Err(ProviderError::NotSent {
            message: "connection refused".into(),
        }));
        s.submits.push_back(Err(ProviderError::Throttled {
            message: "429 request_limit_exceeded".into(),
            retry_after: Some(Duration::from_millis(20)),
        }));
        s.submits.push_back(submitted("o-1"));
        s.polls.push_back(issued());
    }
    let h = harness(&ca).await;
    h.service.create("ns", partner_policy()).await.unwrap();
    let op = settle(&h, "ns").await;
    assert_eq!(op.status, OperationStatus::Completed, "{op:?}");
    assert_eq!(ca.calls(), vec!["submit", "submit", "submit", "poll o-1"]);
}

#[tokio::test]
async fn an_ambiguous_submit_is_looked_up_and_the_order_is_not_duplicated() {
    // The CA creates every order; the first answer is lost after the act.
    let ca = ScriptedCa::issuing(None, vec![]);
    ca.script()
        .submits
        .push_back(Err(ambiguous("HTTP 502: bad gateway")));
    let h = harness(&ca).await;
    h.service.create("amb", partner_policy()).await.unwrap();
    let op = settle(&h, "amb").await;
    assert_eq!(op.status, OperationStatus::Completed, "{op:?}");
    assert_eq!(ca.calls(), vec!["submit", "find", "poll 1"]);
    assert_eq!(ca.submissions(), 1, "one order at the CA");
}

#[tokio::test]
async fn globalsign_exists_is_looked_up_not_refused() {
    let ca = ScriptedCa::scripted();
    {
        let mut s = ca.script();
        s.submits.push_back(Err(ProviderError::Exists {
            message: "GlobalSign reports order KV01 exists already (-105)".into(),
        }));
        s.finds.push_back(Ok(Some("KV01".into())));
        s.polls.push_back(issued());
        // Second operation: -105, and the lookup finds nothing: fail, never loop.
        s.submits.push_back(Err(ProviderError::Exists {
            message: "GlobalSign reports order KV02 exists already (-105)".into(),
        }));
        s.finds.push_back(Ok(None));
    }
    let h = harness(&ca).await;
    h.service.create("gs1", partner_policy()).await.unwrap();
    let op = settle(&h, "gs1").await;
    assert_eq!(op.status, OperationStatus::Completed, "{op:?}");
    assert_eq!(ca.calls(), vec!["submit", "find", "poll KV01"]);

    h.service.create("gs2", partner_policy()).await.unwrap();
    let op = settle(&h, "gs2").await;
    assert_eq!(op.status, OperationStatus::Failed, "{op:?}");
    assert!(
        op.error.unwrap().message.contains("-105"),
        "the CA's word is kept"
    );
    assert_eq!(
        ca.calls()[3..],
        ["submit", "find"],
        "no second submission after -105"
    );
}

/// The calls from the first `from` on.
fn calls_from(ca: &ScriptedCa, from: &str) -> Vec<String> {
    let calls = ca.calls();
    let at = calls
        .iter()
        .position(|c| c == from)
        .expect("the call was made");
    calls[at..].to_vec()
}

/// Submits `order_id`, keeps it pending, and waits until it was polled once.
async fn pending_order(h: &Harness, ca: &ScriptedCa, name: &str, order_id: &str) {
    {
        let mut s = ca.script();
        s.polls.clear();
        s.submits.push_back(submitted(order_id));
        for _ in 0..1000 {
            s.polls.push_back(Ok(OrderStatus::Pending {
                ca_status: "pending".into(),
            }));
        }
    }
    h.service.create(name, partner_policy()).await.unwrap();
    let polled = format!("poll {order_id}");
    eventually("the first poll", || async {
        ca.calls().contains(&polled).then_some(())
    })
    .await;
}

#[tokio::test]
async fn an_ambiguous_cancel_reads_the_order_before_cancelling_again() {
    let ca = ScriptedCa::scripted();
    let h = harness(&ca).await;

    // Applied at the CA, answer lost: the order reads cancelled afterwards.
    pending_order(&h, &ca, "ca1", "o-a").await;
    {
        let mut s = ca.script();
        s.polls_after_cancel = Some(
            [Ok(OrderStatus::Cancelled {
                message: "DigiCert order o-a was canceled.".into(),
            })]
            .into(),
        );
        s.cancels.push_back(Err(ambiguous("connection reset")));
    }
    h.service.cancel_operation("ca1", true).await.unwrap();
    let op = settle(&h, "ca1").await;
    assert_eq!(op.status, OperationStatus::Cancelled, "{op:?}");
    assert_eq!(
        calls_from(&ca, "cancel o-a"),
        ["cancel o-a", "poll o-a"],
        "the order's state is read, no second cancel"
    );

    // Not applied: the order still reads pending, so the cancel is sent again.
    pending_order(&h, &ca, "ca2", "o-b").await;
    {
        let mut s = ca.script();
        s.polls_after_cancel = Some(
            [Ok(OrderStatus::Pending {
                ca_status: "pending".into(),
            })]
            .into(),
        );
        s.cancels.push_back(Err(ambiguous("timeout")));
        s.cancels.push_back(Ok(CancelOutcome::Cancelled));
    }
    h.service.cancel_operation("ca2", true).await.unwrap();
    let op = settle(&h, "ca2").await;
    assert_eq!(op.status, OperationStatus::Cancelled, "{op:?}");
    assert_eq!(
        calls_from(&ca, "cancel o-b"),
        ["cancel o-b", "poll o-b", "cancel o-b"]
    );
}
