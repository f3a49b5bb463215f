//! The async handle the layers above hold ([`Db`]): store calls block (SQLite), so they run on
//! the blocking pool, except cached reads that need no I/O (the polling path).

use super::contract::{Store, StoreError, StoreResult};
use crate::model::{CertRecord, OperationRecord};

/// A shared store handle. SQLite calls block, so [`Db::run`] moves them to the blocking pool.
#[derive(Clone)]
pub struct Db(pub std::sync::Arc<dyn Store>);

impl Db {
    /// [`Store::cert`], from the cache when possible (no blocking-pool hop).
    pub async fn cert(&self, key: &str) -> StoreResult<Option<CertRecord>> {
        Ok(self.cert_shared(key).await?.map(|c| (*c).clone()))
    }

    /// [`Store::operation`], from the cache when possible.
    pub async fn operation(&self, key: &str) -> StoreResult<Option<OperationRecord>> {
        Ok(self.operation_shared(key).await?.map(|o| (*o).clone()))
    }

    /// Like [`Db::cert`] without copying a cached record (the polling path).
    pub async fn cert_shared(&self, key: &str) -> StoreResult<Option<std::sync::Arc<CertRecord>>> {
        if let Some(hit) = self.0.peek_cert(key) {
            return Ok(hit);
        }
        let key = key.to_string();
        Ok(self
            .run(move |s| s.cert(&key))
            .await?
            .map(std::sync::Arc::new))
    }

    /// Like [`Db::operation`] without copying a cached record (the polling path).
    pub async fn operation_shared(
        &self,
        key: &str,
    ) -> StoreResult<Option<std::sync::Arc<OperationRecord>>> {
        if let Some(hit) = self.0.peek_operation(key) {
            return Ok(hit);
        }
        let key = key.to_string();
        Ok(self
            .run(move |s| s.operation(&key))
            .await?
            .map(std::sync::Arc::new))
    }

    pub async fn run<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn Store) -> StoreResult<R> + Send + 'static,
    {
        let store = self.0.clone();
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| StoreError::Corrupt(format!("store task failed: {e}")))?
    }
}
