//! The lease protocol on operation rows (issue 13): a claim excludes every other worker until
//! it expires, a worker that lost its lease cannot write, rows in flight never crowd due rows
//! out of a batch, and two workers on one database (each with its own store handle, as two
//! vault instances on a shared SQL store would be) never both submit an order.

use crate::common;

use common::{
    die_while_submitting, eventually, fresh_operation, leased_vault, open_db, partner_policy,
    ScriptedCa,
};
use shared::models::OperationStatus;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use vault::issuance::lease::wall_ms;
use vault::model::key_of;
use vault::store::{Change, Db, LeaseTerms};

fn terms(owner: &str, now_ms: i64, for_ms: i64) -> LeaseTerms {
    LeaseTerms {
        owner: owner.into(),
        now_ms,
        until_ms: now_ms + for_ms,
    }
}

async fn claim(db: &Db, t: LeaseTerms, limit: usize) -> Vec<String> {
    let mut keys: Vec<String> = db
        .run(move |s| s.claim_due(i64::MAX - 1, &t, limit))
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    keys.sort();
    keys
}

/// A fenced write that only touches `updated`; whether it was applied.
async fn fenced_write(db: &Db, request_id: &str, owner: &str) -> bool {
    let (rid, owner) = (request_id.to_string(), owner.to_string());
    db.run(move |s| {
        s.update_leased(
            &rid,
            &owner,
            Box::new(|mut op, _| {
                op.updated += 1;
                Some(vec![Change::PutOperation(op)])
            }),
        )
    })
    .await
    .unwrap()
}

/// A store with partnered operations `names`, no worker running.
async fn store_with(names: &[&str]) -> (tempfile::TempDir, Db, Arc<ScriptedCa>) {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    let ca = ScriptedCa::issuing(None, vec![]);
    let tracker = TaskTracker::new();
    let (_, service) = leased_vault(&db, &ca, &tracker).await;
    for name in names {
        service.create(name, partner_policy()).await.unwrap();
    }
    (dir, db, ca)
}

#[tokio::test]
async fn no_takeover_before_expiry_and_takeover_after() {
    let (_dir, db, _ca) = store_with(&["l1"]).await;
    let now = wall_ms();
    assert_eq!(claim(&db, terms("a", now, 60_000), 10).await, ["l1"]);
    let rid = db.operation("l1").await.unwrap().unwrap().request_id;

    // Before expiry: nobody else gets the row, renews it or writes it.
    assert!(claim(&db, terms("b", now + 59_999, 1000), 10)
        .await
        .is_empty());
    let r = rid.clone();
    assert!(!db
        .run(move |s| s.renew_lease(&r, "b", now + 120_000))
        .await
        .unwrap());
    assert!(!fenced_write(&db, &rid, "b").await);
    assert!(fenced_write(&db, &rid, "a").await);
    // A client's write of the row keeps the lease.
    let op = db.operation("l1").await.unwrap().unwrap();
    db.run(move |s| s.apply(vec![Change::PutOperation(op)]))
        .await
        .unwrap();
    assert!(claim(&db, terms("b", now + 1, 1000), 10).await.is_empty());

    // After expiry: b takes it over, and a is fenced out.
    assert_eq!(
        claim(&db, terms("b", now + 60_000, 60_000), 10).await,
        ["l1"]
    );
    assert!(!fenced_write(&db, &rid, "a").await);
    let r = rid.clone();
    assert!(!db
        .run(move |s| s.renew_lease(&r, "a", now + 120_000))
        .await
        .unwrap());
    assert!(fenced_write(&db, &rid, "b").await);

    // Given back: anyone may claim it at once.
    let release = Change::ReleaseLease {
        request_id: rid.clone(),
        owner: "b".into(),
    };
    db.run(move |s| s.apply(vec![release])).await.unwrap();
    assert_eq!(claim(&db, terms("c", now, 1000), 10).await, ["l1"]);
}

#[tokio::test]
async fn rows_in_flight_never_crowd_out_due_rows() {
    let (_dir, db, _ca) = store_with(&["c1", "c2", "c3"]).await;
    let now = wall_ms();
    let first = claim(&db, terms("a", now, 60_000), 2).await;
    assert_eq!(first.len(), 2);
    // The batch selects due rows nobody holds: the third, although the first two are older.
    let second = claim(&db, terms("a", now, 60_000), 2).await;
    assert_eq!(second.len(), 1);
    assert!(!first.contains(&second[0]));
    assert!(claim(&db, terms("b", now, 60_000), 10).await.is_empty());
    // Nothing is due for a free worker, but the earliest lease expiry is known.
    let wake = db.run(move |s| s.next_wake(now)).await.unwrap();
    assert_eq!(wake.next_due_ms, None);
    assert_eq!(wake.lease_expiry_ms, Some(now + 60_000));
}

#[tokio::test]
async fn a_worker_takes_over_a_dead_workers_row_only_after_its_lease_expired() {
    let (dir, db, ca) = store_with(&["t1"]).await;
    let lease_end = wall_ms() + 1500;
    let op = die_while_submitting(&db, &ca, "t1", lease_end).await;
    assert_eq!(ca.calls(), ["submit"]);

    // A second worker on the same store starts while the dead worker's lease runs.
    let tracker = TaskTracker::new();
    let (worker, _) = leased_vault(&db, &ca, &tracker).await;
    let token = CancellationToken::new();
    tracker.spawn(worker.run(token.clone()));

    eventually("the takeover to complete the operation", || async {
        let op = fresh_operation(dir.path(), &key_of("t1"))?;
        (op.status != OperationStatus::InProgress).then_some(())
    })
    .await;
    assert!(
        wall_ms() >= lease_end,
        "taken over before the lease expired"
    );
    let op_now = fresh_operation(dir.path(), &key_of("t1")).unwrap();
    assert_eq!(op_now.status, OperationStatus::Completed, "{op_now:?}");
    assert_eq!(op_now.request_id, op.request_id);
    // The row was Submitting: looked up, found, polled; never submitted again.
    assert_eq!(ca.calls(), ["submit", "find", "poll 1"]);
    token.cancel();
}

#[tokio::test]
async fn two_workers_on_one_database_never_both_submit() {
    const N: usize = 24;
    let names: Vec<String> = (0..N).map(|i| format!("w{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (dir, _db, ca) = store_with(&refs).await;
    // Each submission takes a while, so both workers are busy at once.
    ca.script().submit_delay = Some(Duration::from_millis(30));

    let token = CancellationToken::new();
    let tracker = TaskTracker::new();
    let mut owners = Vec::new();
    for _ in 0..2 {
        // Its own store handle on the same file: as another vault instance would have.
        let db = open_db(dir.path());
        let (worker, _) = leased_vault(&db, &ca, &tracker).await;
        owners.push(worker.owner().to_string());
        tracker.spawn(worker.run(token.clone()));
    }
    assert_ne!(owners[0], owners[1]);

    eventually("every operation to complete", || async {
        let done = names.iter().all(|n| {
            fresh_operation(dir.path(), &key_of(n))
                .is_some_and(|o| o.status == OperationStatus::Completed)
        });
        done.then_some(())
    })
    .await;
    token.cancel();
    let submits = ca.calls().iter().filter(|c| *c == "submit").count();
    assert_eq!(submits, N, "one submission per operation");
    assert_eq!(ca.submissions(), N);
}
