//! A read cache of name-level records and pending operations, kept in step with SQLite by the
//! store itself: every fill and every committed batch updates it while the connection lock is
//! held, so a reader never sees a value older than the last commit. It serves the polling hot
//! path (`GET …/pending`) from memory without a trip to a store thread.

use super::contract::Change;
use crate::model::{CertRecord, OperationRecord};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// `None` inside the map means "known absent". Records are shared (`Arc`) so a hit costs a
/// reference count, not a deep copy of the policy.
#[derive(Default)]
pub struct ReadCache {
    certs: RwLock<HashMap<String, Option<Arc<CertRecord>>>>,
    operations: RwLock<HashMap<String, Option<Arc<OperationRecord>>>>,
}

impl ReadCache {
    pub fn cert(&self, key: &str) -> Option<Option<Arc<CertRecord>>> {
        read(&self.certs).get(key).cloned()
    }

    pub fn operation(&self, key: &str) -> Option<Option<Arc<OperationRecord>>> {
        read(&self.operations).get(key).cloned()
    }

    pub fn fill_cert(&self, key: &str, value: Option<CertRecord>) {
        write(&self.certs).insert(key.to_string(), value.map(Arc::new));
    }

    pub fn fill_operation(&self, key: &str, value: Option<OperationRecord>) {
        write(&self.operations).insert(key.to_string(), value.map(Arc::new));
    }

    /// Mirrors a committed batch.
    pub fn applied(&self, changes: &[Change]) {
        for change in changes {
            match change {
                Change::PutCert(c) => self.fill_cert(&c.key, Some(c.clone())),
                Change::PutOperation(o) => self.fill_operation(&o.key, Some(o.clone())),
                Change::DeleteOperation { key } | Change::DetachOperation { key, .. } => {
                    self.fill_operation(key, None)
                }
                Change::PurgeCert { key } => {
                    self.fill_cert(key, None);
                    self.fill_operation(key, None);
                }
                _ => {}
            }
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // Values are replaced whole, so a panic elsewhere cannot leave one half-written.
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}
