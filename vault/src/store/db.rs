//! The async handle the layers above hold ([`Db`]): store calls block (SQLite), so they run on
//! the store's own threads ([`super::pool`]), except cached reads that need no I/O (the
//! polling path).

use std::sync::Arc;

use super::contract::{Store, StoreError, StoreResult};
use super::pool;
use crate::model::{CertRecord, OperationRecord};

/// A shared store handle. SQLite calls block, so [`Db::run`] moves them to the store threads.
#[derive(Clone)]
pub struct Db(Arc<dyn Store>);

impl Db {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self(store)
    }

    /// The store itself, for synchronous callers already off the async workers.
    pub fn store(&self) -> &dyn Store {
        self.0.as_ref()
    }

    /// [`Store::cert`], from the cache when possible (no hop to a store thread).
    pub async fn cert(&self, key: &str) -> StoreResult<Option<CertRecord>> {
        Ok(self.cert_shared(key).await?.map(|c| (*c).clone()))
    }

    /// [`Store::operation`], from the cache when possible.
    pub async fn operation(&self, key: &str) -> StoreResult<Option<OperationRecord>> {
        Ok(self.operation_shared(key).await?.map(|o| (*o).clone()))
    }

    /// Like [`Db::cert`] without copying a cached record (the polling path).
    pub async fn cert_shared(&self, key: &str) -> StoreResult<Option<Arc<CertRecord>>> {
        if let Some(hit) = self.0.peek_cert(key) {
            return Ok(hit);
        }
        let key = key.to_string();
        Ok(self.run(move |s| s.cert(&key)).await?.map(Arc::new))
    }

    /// Like [`Db::operation`] without copying a cached record (the polling path).
    pub async fn operation_shared(&self, key: &str) -> StoreResult<Option<Arc<OperationRecord>>> {
        if let Some(hit) = self.0.peek_operation(key) {
            return Ok(hit);
        }
        let key = key.to_string();
        Ok(self.run(move |s| s.operation(&key)).await?.map(Arc::new))
    }

    /// Runs `f` on a store thread and waits for its result without blocking the caller's
    /// async worker.
    pub async fn run<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> StoreResult<R> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let store = self.0.clone();
        pool::submit(Box::new(move || {
            let result = f(store.as_ref());
            // The store is released before the caller resumes, as when the call returns.
            drop(store);
            let _ = tx.send(result);
        }));
        rx.await
            .map_err(|_| StoreError::Corrupt("store call failed (it panicked)".into()))?
    }
}
