//! The per-request access decision and its 403 bodies.
//!
//! Scaffold: [`Access::check`] allows everything until the access work fills it in.

use super::caller::Caller;
use super::doc::AccessDoc;
use crate::error::Error;
use axum::http::Method;
use std::sync::{Arc, RwLock};

/// The current access document, swappable at runtime (admin API, SIGHUP).
pub struct Access {
    doc: RwLock<Arc<AccessDoc>>,
}

impl Access {
    pub fn new(doc: AccessDoc) -> Self {
        Self {
            doc: RwLock::new(Arc::new(doc)),
        }
    }

    /// The document in force.
    pub fn doc(&self) -> Arc<AccessDoc> {
        match self.doc.read() {
            Ok(doc) => doc.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the document in force.
    pub fn replace(&self, doc: AccessDoc) {
        let mut slot = match self.doc.write() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = Arc::new(doc);
    }

    /// May `caller` make this request (`method`, `path` under the vault) in vault `vault`?
    /// `Err` is the 403 to send.
    pub fn check(
        &self,
        _vault: &str,
        _caller: &Caller,
        _method: &Method,
        _path: &str,
    ) -> Result<(), Error> {
        Ok(())
    }
}
