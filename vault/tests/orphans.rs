//! No orphans at the CA (issue 13): a cancel or delete that arrives before the order's id is
//! known is a durable intent, carried out once a lookup finds the order, also after a restart;
//! deleting a certificate whose operation is in flight cancels the order at the CA.

use crate::common;

use common::{
    die_while_submitting, eventually, fresh_operation, leased_vault, open_db, partner_policy,
    ScriptedCa,
};
use shared::models::OperationStatus;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use vault::certs::Service;
use vault::model::{key_of, orphan_key};

/// A service over the store in `dir` and, when `run`, its worker.
async fn vault(dir: &Path, ca: &Arc<ScriptedCa>, run: bool) -> (Service, CancellationToken) {
    let db = open_db(dir);
    let tracker = TaskTracker::new();
    let (issuance, service) = leased_vault(&db, ca, &tracker).await;
    let token = CancellationToken::new();
    if run {
        tracker.spawn(issuance.run(token.clone()));
    }
    (service, token)
}

/// Waits until the submission of an order is in flight at the CA (its answer not back yet).
async fn submission_in_flight(ca: &ScriptedCa) {
    eventually("the submission to reach the CA", || async {
        ca.calls().iter().any(|c| c == "submit").then_some(())
    })
    .await;
}

/// A running vault on `dir` whose CA takes 300 ms to answer a submission, with `name` created
/// and its submission in flight: the CA, the service, the worker's stop token and the operation.
async fn create_in_flight(
    dir: &Path,
    name: &str,
) -> (
    Arc<ScriptedCa>,
    Service,
    CancellationToken,
    vault::model::OperationRecord,
) {
    let ca = ScriptedCa::issuing(None, vec![]);
    ca.script().submit_delay = Some(Duration::from_millis(300));
    let (service, token) = vault(dir, &ca, true).await;
    let (_, op) = service.create(name, partner_policy()).await.unwrap();
    submission_in_flight(&ca).await;
    (ca, service, token, op)
}

/// Waits until the orphaned row of `request_id` is gone (its intent carried out).
async fn orphan_settled(dir: &Path, request_id: &str) {
    eventually("the orphaned operation to be settled", || async {
        fresh_operation(dir, &orphan_key(request_id))
            .is_none()
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn delete_pending_while_the_submission_is_unanswered_cancels_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, service, token, op) = create_in_flight(dir.path(), "d1").await;

    // The order exists at the CA; vault does not know its id yet.
    service.delete_operation("d1").await.unwrap();
    assert!(service.operation("d1").await.is_err(), "no longer tracked");
    orphan_settled(dir.path(), &op.request_id).await;
    assert_eq!(ca.calls(), ["submit", "cancel 1"]);
    token.cancel();
}

#[tokio::test]
async fn cancel_while_the_submission_is_unanswered_cancels_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, service, token, _) = create_in_flight(dir.path(), "c1").await;

    service.cancel_operation("c1", true).await.unwrap();
    let op = eventually("the operation to end", || async {
        let (_, op) = service.operation("c1").await.unwrap();
        (op.status != OperationStatus::InProgress).then_some(op)
    })
    .await;
    assert_eq!(op.status, OperationStatus::Cancelled, "{op:?}");
    assert_eq!(ca.calls(), ["submit", "cancel 1"]);
    token.cancel();
}

#[tokio::test]
async fn deleting_the_certificate_cancels_the_order_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, service, token, op) = create_in_flight(dir.path(), "x1").await;

    service.delete("x1").await.unwrap();
    orphan_settled(dir.path(), &op.request_id).await;
    assert_eq!(ca.calls(), ["submit", "cancel 1"]);
    token.cancel();
}

#[tokio::test]
async fn a_delete_before_the_order_id_is_known_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ScriptedCa::issuing(None, vec![]);
    // First life: the worker died in the middle of its submission (the CA created the
    // order), then the client deleted the pending operation, then vault stopped.
    let op = {
        let (service, _token) = vault(dir.path(), &ca, false).await;
        service.create("r1", partner_policy()).await.unwrap();
        let db = open_db(dir.path());
        let op = die_while_submitting(&db, &ca, "r1", i64::MAX / 2).await;
        service.delete_operation("r1").await.unwrap();
        op
    };
    let orphan =
        fresh_operation(dir.path(), &orphan_key(&op.request_id)).expect("the intent is on disk");
    assert!(orphan.cancellation_requested && orphan.is_orphan());
    assert!(fresh_operation(dir.path(), &key_of("r1")).is_none());
    assert_eq!(ca.calls(), ["submit"]);

    // Second life: vault starts on the same data dir. The dead worker's leases go (vault holds
    // the data dir's lock), and the intent is carried out: look the order up, cancel it.
    open_db(dir.path()).store().clear_leases().unwrap();
    let (_service, token) = vault(dir.path(), &ca, true).await;
    orphan_settled(dir.path(), &op.request_id).await;
    assert_eq!(ca.calls(), ["submit", "find", "cancel 1"]);
    token.cancel();
}
