//! The store threads under misuse: a panicking call fails alone and the threads serve on.

use super::threads;
use crate::store::{seal::Sealer, Db, SqliteStore, StoreError};
use std::sync::Arc;

#[tokio::test]
async fn a_panicking_call_fails_alone_and_the_threads_serve_on() {
    let dir = tempfile::tempdir().unwrap();
    let sealer = Sealer::load(dir.path(), None).unwrap();
    let db = Db::new(Arc::new(SqliteStore::open(dir.path(), sealer).unwrap()));
    // More panics than there are threads: a thread that died with its job would leave
    // none to serve the calls after them.
    for _ in 0..threads() * 2 {
        let failed = db
            .run(|_| -> crate::store::StoreResult<()> { panic!("a bug in a store call") })
            .await;
        assert!(matches!(failed, Err(StoreError::Corrupt(m)) if m.contains("panicked")));
    }
    let calls = (0..64).map(|n| {
        let db = db.clone();
        tokio::spawn(async move { db.run(move |s| Ok((n, s.timeline_max_seq()?))).await })
    });
    for (n, call) in calls.enumerate() {
        let (echo, seq) = call.await.unwrap().unwrap();
        assert_eq!((echo, seq), (n, 0));
    }
}
