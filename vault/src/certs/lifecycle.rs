//! Changes to an existing name (spec §4.5, §4.6, §4.8): update a version, patch the policy,
//! soft delete, recover, purge.

use super::names::validate_name;
use super::operation::forget_operation;
use super::policy;
use super::service::Service;
use crate::error::Result;
use crate::model::{key_of, CertRecord, Deletion, VersionRecord};
use crate::store::Change;
use shared::models::{CertificatePolicy, CertificateUpdateParameters};
use tracing::info;

/// Soft-delete retention (spec §4.8: 90 days, `Recoverable+Purgeable`).
pub const RECOVERABLE_DAYS: i64 = 90;

impl Service {
    /// `PATCH /certificates/{name}/{version}` (spec §4.6).
    pub async fn update(
        &self,
        name: &str,
        version: Option<&str>,
        params: CertificateUpdateParameters,
    ) -> Result<(CertRecord, VersionRecord)> {
        validate_name(name, "certificate name")?;
        let _guard = self.issuance.locks.lock(&key_of(name)).await;
        let (mut cert, mut record) = self.version_or_latest(name, version).await?;
        let now = self.now();
        let mut changes = Vec::new();
        if let Some(patch) = params.policy {
            cert.policy = policy::merge(&cert.policy, patch)?;
            cert.policy_updated = now;
            changes.push(Change::PutCert(cert.clone()));
        }
        if let Some(enabled) = params.attributes.and_then(|a| a.enabled) {
            record.enabled = enabled;
        }
        if let Some(tags) = params.tags {
            record.tags = Some(tags);
        }
        record.updated = now;
        changes.push(Change::PutVersion {
            version: record.clone(),
            private_key: None,
        });
        self.db.run(move |s| s.apply(changes)).await?;
        Ok((cert, record))
    }

    /// `PATCH /certificates/{name}/policy`: member-wise merge (spec §4.5).
    pub async fn update_policy(&self, name: &str, patch: CertificatePolicy) -> Result<CertRecord> {
        validate_name(name, "certificate name")?;
        let _guard = self.issuance.locks.lock(&key_of(name)).await;
        let mut cert = self.active(name).await?;
        cert.policy = policy::merge(&cert.policy, patch)?;
        cert.policy_updated = self.now();
        let change = Change::PutCert(cert.clone());
        self.db.run(move |s| s.apply(vec![change])).await?;
        Ok(cert)
    }

    /// Soft delete (spec §4.8): all versions, key and secret become deleted; the pending
    /// operation is dropped, and a partnered one still in progress is cancelled at the CA
    /// (a durable intent, see `operation::forget_operation`).
    pub async fn delete(&self, name: &str) -> Result<(CertRecord, VersionRecord)> {
        validate_name(name, "certificate name")?;
        let _guard = self.issuance.locks.lock(&key_of(name)).await;
        let mut cert = self.active(name).await?;
        let latest = self.latest_of(&cert).await?;
        let now = self.now();
        cert.deleted = Some(Deletion {
            deleted_date: now,
            scheduled_purge_date: now + RECOVERABLE_DAYS * 86_400,
        });
        let mut changes = vec![Change::PutCert(cert.clone())];
        let op = self.db.operation(&cert.key).await?;
        let cancel_at_ca = op.as_ref().is_some_and(|o| o.provider.is_some());
        changes.push(match &op {
            Some(op) => forget_operation(op, self.clock.unix_ms()),
            None => Change::DeleteOperation {
                key: cert.key.clone(),
            },
        });
        self.db.run(move |s| s.apply(changes)).await?;
        if cancel_at_ca {
            self.issuance.wake();
        }
        info!(cert.name = %cert.name, "certificate soft-deleted");
        Ok((cert, latest))
    }

    pub async fn deleted(&self, name: &str) -> Result<(CertRecord, VersionRecord)> {
        let cert = self.deleted_record(name).await?;
        let latest = self.latest_of(&cert).await?;
        Ok((cert, latest))
    }

    pub async fn recover(&self, name: &str) -> Result<(CertRecord, VersionRecord)> {
        validate_name(name, "certificate name")?;
        let _guard = self.issuance.locks.lock(&key_of(name)).await;
        let mut cert = self.deleted_record(name).await?;
        cert.deleted = None;
        let latest = self.latest_of(&cert).await?;
        let change = Change::PutCert(cert.clone());
        self.db.run(move |s| s.apply(vec![change])).await?;
        info!(cert.name = %cert.name, "certificate recovered");
        Ok((cert, latest))
    }

    pub async fn purge(&self, name: &str) -> Result<()> {
        validate_name(name, "certificate name")?;
        let _guard = self.issuance.locks.lock(&key_of(name)).await;
        let cert = self.deleted_record(name).await?;
        let change = Change::PurgeCert { key: cert.key };
        self.db.run(move |s| s.apply(vec![change])).await?;
        info!(cert.name = %name, "certificate purged");
        Ok(())
    }
}
