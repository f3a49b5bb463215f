//! Reads (spec §1.2, §4.3): a version or the latest, lists of names and of versions, and the
//! linked key or secret of a version.

use super::names::validate_name;
use super::service::Service;
use crate::error::{Error, Result};
use crate::model::{CertRecord, ListScope, VersionRecord};
use shared::crypto::PrivateKey;

/// Which linked object a key/secret request is for (their errors differ, spec §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    Key,
    Secret,
}

impl Service {
    /// Latest version (newest completed, else the pending one).
    pub async fn latest(&self, name: &str) -> Result<(CertRecord, VersionRecord)> {
        let cert = self.active(name).await?;
        let version = self.latest_of(&cert).await?;
        Ok((cert, version))
    }

    pub async fn version(&self, name: &str, version: &str) -> Result<(CertRecord, VersionRecord)> {
        let cert = self.active(name).await?;
        let (k, v) = (cert.key.clone(), version.to_ascii_lowercase());
        let record = self
            .db
            .run(move |s| s.version(&k, &v))
            .await?
            .ok_or_else(|| Error::version_not_found(name, version))?;
        Ok((cert, record))
    }

    /// A version given as a path segment, where empty means latest (spec §1.2).
    pub async fn version_or_latest(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<(CertRecord, VersionRecord)> {
        match version.filter(|v| !v.is_empty()) {
            Some(v) => self.version(name, v).await,
            None => self.latest(name).await,
        }
    }

    pub async fn list(
        &self,
        scope: ListScope,
        include_pending: bool,
        after: Option<String>,
        limit: usize,
    ) -> Result<Vec<(CertRecord, VersionRecord)>> {
        Ok(self
            .db
            .run(move |s| s.list_certs(scope, include_pending, after.as_deref(), limit))
            .await?)
    }

    pub async fn versions(
        &self,
        name: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(CertRecord, Vec<VersionRecord>)> {
        let cert = self.active(name).await?;
        let k = cert.key.clone();
        let versions = self.db.run(move |s| s.versions(&k, offset, limit)).await?;
        Ok((cert, versions))
    }

    pub async fn policy(&self, name: &str) -> Result<CertRecord> {
        self.active(name).await
    }

    /// The linked key or secret of a version (spec §4.3): the version must be complete and,
    /// for use, enabled.
    pub async fn linked(
        &self,
        what: Linked,
        name: &str,
        version: Option<&str>,
    ) -> Result<(CertRecord, VersionRecord, Option<PrivateKey>)> {
        let not_found = || linked_not_found(what, name);
        validate_name(
            name,
            if what == Linked::Key {
                "key name"
            } else {
                "secret name"
            },
        )?;
        let (cert, record) = self
            .version_or_latest(name, version)
            .await
            .map_err(|_| not_found())?;
        if !record.is_complete() {
            return Err(not_found());
        }
        if !record.enabled {
            let (kind, inner) = match what {
                Linked::Key => ("key", "KeyDisabled"),
                Linked::Secret => ("secret", "SecretDisabled"),
            };
            return Err(Error::Forbidden {
                message: format!("Operation get is not allowed on a disabled {kind}."),
                inner: Some(inner),
            });
        }
        let (k, v) = (record.key.clone(), record.version.clone());
        let private_key = self.db.run(move |s| s.private_key(&k, &v)).await?;
        Ok((cert, record, private_key))
    }
}

fn linked_not_found(what: Linked, name: &str) -> Error {
    match what {
        Linked::Key => Error::NotFound {
            code: "KeyNotFound",
            message: format!("A key with (name/id) {name} was not found in this key vault."),
        },
        Linked::Secret => Error::NotFound {
            code: "SecretNotFound",
            message: format!("A secret with (name/id) {name} was not found in this key vault."),
        },
    }
}
