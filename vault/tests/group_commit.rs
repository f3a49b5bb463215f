//! Group commit (`store::sqlite::group`): concurrent `apply` batches share commits, every batch
//! is still all-or-nothing (a failing batch is rolled back alone, the others of its group
//! commit), and everything acknowledged is there after the store is reopened.

use crate::common;

use common::open_db;
use std::collections::HashSet;
use vault::model::acme::{AccountRecord, AccountStatus};
use vault::store::Change;

fn account(id: &str, thumbprint: &str) -> AccountRecord {
    AccountRecord {
        id: id.into(),
        status: AccountStatus::Valid,
        jwk: serde_json::json!({"kty": "EC"}),
        thumbprint: thumbprint.into(),
        contact: Vec::new(),
        terms_of_service_agreed: true,
        eab_kid: None,
        created: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_commit_and_a_failing_one_is_rolled_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_db(dir.path());
    db.run(|s| s.apply(vec![Change::PutAcmeAccount(account("taken", "tp-taken"))]))
        .await
        .unwrap();

    // 64 batches at once, each two rows; every 8th reuses a registered thumbprint in its
    // second row (UNIQUE), so its whole batch must fail and its first row must not exist.
    let mut tasks = Vec::new();
    for i in 0..64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let second = if i % 8 == 0 {
                account(&format!("b{i}"), "tp-taken")
            } else {
                account(&format!("b{i}"), &format!("tp-b{i}"))
            };
            let batch = vec![
                Change::PutAcmeAccount(account(&format!("a{i}"), &format!("tp-a{i}"))),
                Change::PutAcmeAccount(second),
            ];
            (i, db.run(move |s| s.apply(batch)).await)
        }));
    }
    let mut failed = HashSet::new();
    for task in tasks {
        let (i, result) = task.await.unwrap();
        if result.is_err() {
            failed.insert(i);
        }
    }
    let expected: HashSet<i32> = (0..64).filter(|i| i % 8 == 0).collect();
    assert_eq!(failed, expected, "exactly the conflicting batches fail");
    drop(db);

    // Reopened: every acknowledged batch is whole, every failed one left nothing.
    let db = open_db(dir.path());
    for i in 0..64 {
        let (a, b) = db
            .run(move |s| {
                Ok((
                    s.acme_account(&format!("a{i}"))?,
                    s.acme_account(&format!("b{i}"))?,
                ))
            })
            .await
            .unwrap();
        if expected.contains(&i) {
            assert!(a.is_none() && b.is_none(), "batch {i} left a row behind");
        } else {
            assert_eq!(a.unwrap().thumbprint, format!("tp-a{i}"));
            assert_eq!(b.unwrap().thumbprint, format!("tp-b{i}"));
        }
    }
    let taken = db
        .run(|s| s.acme_account_by_thumbprint("tp-taken"))
        .await
        .unwrap();
    assert_eq!(taken.unwrap().id, "taken");
}
