//! The [`Service`] handle every certificate rule is a method of (the rules live in the sibling
//! files by resource), and the lookups they start from: an active or a soft-deleted name, and
//! its latest version.

use super::names::validate_name;
use crate::error::{Error, Result};
use crate::issuance::Issuance;
use crate::model::{key_of, CertRecord, VersionRecord};
use crate::store::Db;
use shared::clock::Clock;
use std::sync::Arc;
use std::time::Duration;

/// Tunables of the service, resolved from `Config`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long self-signed issuance waits before completing (lets clients exercise polling).
    pub self_signed_delay: Duration,
}

#[derive(Clone)]
pub struct Service {
    pub(super) db: Db,
    pub(super) clock: Arc<dyn Clock>,
    /// The per-name locks, the partner adapters and the worker's wake.
    pub(super) issuance: Arc<Issuance>,
    pub(super) settings: Settings,
}

impl Service {
    pub fn new(db: Db, clock: Arc<dyn Clock>, issuance: Arc<Issuance>, settings: Settings) -> Self {
        Self {
            db,
            clock,
            issuance,
            settings,
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.unix()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.unix_ms()
    }

    /// Operations per status and the worker's due queue (for `/metrics`).
    pub async fn operation_stats(&self, now_ms: i64) -> Result<(Vec<(String, i64)>, i64)> {
        Ok(self.db.run(move |s| s.operation_stats(now_ms)).await?)
    }

    /// An active (not soft-deleted) certificate, or 404.
    pub(crate) async fn active(&self, name: &str) -> Result<CertRecord> {
        validate_name(name, "certificate name")?;
        match self.db.cert(&key_of(name)).await? {
            Some(c) if c.deleted.is_none() => Ok(c),
            _ => Err(Error::cert_not_found(name)),
        }
    }

    pub(super) async fn deleted_record(&self, name: &str) -> Result<CertRecord> {
        validate_name(name, "certificate name")?;
        match self.db.cert(&key_of(name)).await? {
            Some(c) if c.deleted.is_some() => Ok(c),
            _ => Err(Error::deleted_not_found(name)),
        }
    }

    pub(crate) async fn latest_of(&self, cert: &CertRecord) -> Result<VersionRecord> {
        let key = cert.key.clone();
        self.db
            .run(move |s| s.latest_version(&key))
            .await?
            .ok_or_else(|| Error::cert_not_found(&cert.name))
    }
}
