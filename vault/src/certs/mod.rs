//! The certificate service: every rule of the certificates API that changes or reads state
//! (spec §4): create, get, list, update, policy, soft delete / recover / purge, the pending
//! operation, the linked key and secret, contacts and issuers. Handlers in `http` call these
//! methods and only translate to and from the wire.
//!
//! Each read-modify-write of a name holds that name's lock (`issuance::locks`) and ends in one
//! atomic `Store::apply`, so nothing half-done is ever visible.

pub mod backup;
pub mod import;
pub mod issuers;
pub mod merge;
pub mod policy;

use crate::error::{Error, Result};
use crate::issuance::{profile, Issuance};
use crate::model::{
    key_of, CertRecord, Deletion, Ending, ListScope, OperationRecord, VersionRecord,
    ISSUER_UNKNOWN, NEVER,
};
use crate::store::{Change, Db};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use policy::IssuerKind;
use shared::clock::Clock;
use shared::crypto::{self, PrivateKey};
use shared::models::{
    CertificateCreateParameters, CertificatePolicy, CertificateUpdateParameters, Contacts,
    ContentType, OperationStatus,
};
use std::sync::Arc;
use std::time::Duration;
use tracing::info;

/// Soft-delete retention (spec §4.8: 90 days, `Recoverable+Purgeable`).
pub const RECOVERABLE_DAYS: i64 = 90;
const MAX_NAME_LEN: usize = 127;

/// Tunables of the service, resolved from `Config`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long self-signed issuance waits before completing (lets clients exercise polling).
    pub self_signed_delay: Duration,
}

#[derive(Clone)]
pub struct Service {
    db: Db,
    clock: Arc<dyn Clock>,
    issuance: Arc<Issuance>,
    settings: Settings,
}

/// Names are `^[0-9a-zA-Z-]+$`, 1 to 127 characters (spec §1.1).
pub fn validate_name(name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::bad(format!(
            "The {what} '{name}' is invalid: it must be 1 to {MAX_NAME_LEN} characters of \
             0-9, a-z, A-Z and '-'."
        )))
    }
}

/// A fresh version id: 32 lowercase hex characters.
pub fn new_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Internal("no randomness".into()))?;
    Ok(hex::encode(bytes))
}

/// Which linked object a key/secret request is for (their errors differ, spec §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    Key,
    Secret,
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

    async fn deleted_record(&self, name: &str) -> Result<CertRecord> {
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

    /// `POST /certificates/{name}/create` (spec §4.1).
    pub async fn create(
        &self,
        name: &str,
        params: CertificateCreateParameters,
    ) -> Result<(CertRecord, OperationRecord)> {
        validate_name(name, "certificate name")?;
        let _guard = self.issuance.locks.lock(&key_of(name)).await;
        self.create_locked(name, params, CreateExtra::default())
            .await
    }

    /// The body of [`Service::create`], for a caller that already holds the name's lock (an
    /// AutoRenew renewal passes the key to reuse and the writes that commit with the operation).
    pub(crate) async fn create_locked(
        &self,
        name: &str,
        params: CertificateCreateParameters,
        mut extra: CreateExtra,
    ) -> Result<(CertRecord, OperationRecord)> {
        let key = key_of(name);
        let given = params.policy.map(policy::complete).transpose()?;
        let k = key.clone();
        let (existing, op) = self
            .db
            .run(move |s| Ok((s.cert(&k)?, s.operation(&k)?)))
            .await?;
        check_name_free(name, existing.as_ref(), op.as_ref())?;
        let policy = match (given, &existing) {
            (Some(p), _) => p,
            (None, Some(c)) => c.policy.clone(),
            (None, None) => {
                return Err(Error::bad(
                    "A policy is required to create a certificate for the first time.",
                ))
            }
        };
        let issuer_kind = policy::issuer_kind(&policy);
        let mut issuer_provider = None;
        if let IssuerKind::Named(issuer) = &issuer_kind {
            let ik = key_of(issuer);
            match self.db.run(move |s| s.issuer(&ik)).await? {
                Some(record) => issuer_provider = record.bundle.provider,
                None => {
                    return Err(Error::bad(format!(
                        "The issuer '{issuer}' named in the policy does not exist in this vault."
                    )))
                }
            }
        }

        let now = self.now();
        let version = new_id()?;
        let preserve = params.preserve_cert_order.unwrap_or(false);
        let mut record = new_version(&key, &version, &policy, now, preserve);
        record.enabled = params.attributes.and_then(|a| a.enabled).unwrap_or(true);
        record.tags = params.tags;
        let issuer = policy.issuer.clone().unwrap_or_default();
        let mut op = OperationRecord {
            key: key.clone(),
            version,
            request_id: new_id()?,
            issuer_name: issuer.name.clone().unwrap_or_else(|| ISSUER_UNKNOWN.into()),
            issuer_cty: issuer.cty.clone(),
            cert_transparency: issuer.cert_transparency,
            csr: None,
            status: OperationStatus::InProgress,
            status_details: None,
            error: None,
            cancellation_requested: false,
            preserve_cert_order: preserve,
            policy: policy.clone(),
            created: now,
            updated: now,
            next_run_at: NEVER,
            provider: None,
        };
        let mut private_key = None;
        match &issuer_kind {
            IssuerKind::SelfSigned => {
                // Kept on the pending version; the worker signs with it instead of a new key.
                private_key = extra.reuse_key.take();
                op.status_details = Some("Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.".into());
                op.next_run_at =
                    self.clock.unix_ms() + self.settings.self_signed_delay.as_millis() as i64;
            }
            IssuerKind::Unknown => {
                // The 202 must already carry the CSR: Python never polls Unknown (spec §5.1).
                let (pk, csr) = self.key_and_csr(&policy, extra.reuse_key.take()).await?;
                private_key = Some(pk);
                op.csr = Some(csr);
                op.status_details = Some(
                    "Pending certificate created. Please Perform Merge to complete the request."
                        .into(),
                );
            }
            IssuerKind::Named(issuer) => {
                let provider = issuer_provider.unwrap_or_default();
                let adapter = provider
                    .parse::<shared::models::ProviderKind>()
                    .ok()
                    .and_then(|k| self.issuance.providers.get(k));
                if adapter.is_some() {
                    // The key and CSR are made now; the worker submits the CSR to the CA.
                    let (pk, csr) = self.key_and_csr(&policy, extra.reuse_key.take()).await?;
                    private_key = Some(pk);
                    op.csr = Some(csr);
                    op.status_details = Some("Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.".into());
                    op.provider = Some(crate::issuance::partner::initial_state(
                        now,
                        self.issuance.deadline(),
                    ));
                    op.next_run_at = self.clock.unix_ms();
                } else {
                    op.end(Ending::Failed {
                        code: "Certificate issuer error",
                        message: crate::issuance::partner::no_endpoint_message(issuer, &provider),
                    });
                }
            }
        }
        let cert = CertRecord::with_policy(existing.as_ref(), &key, name, policy, now);
        let mut changes = vec![
            Change::PutCert(cert.clone()),
            Change::PutVersion {
                version: record,
                private_key,
            },
            Change::PutOperation(op.clone()),
        ];
        if let Some(more) = extra.changes.take() {
            changes.extend(more(&op));
        }
        self.db.run(move |s| s.apply(changes)).await?;
        info!(cert.name = %cert.name, op.request_id = %op.request_id, issuer = %op.issuer_name, "certificate operation created");
        self.issuance.wake();
        Ok((cert, op))
    }

    /// A key (fresh, or `reuse` when given) and a CSR for `policy`, made on the blocking pool.
    async fn key_and_csr(
        &self,
        policy: &CertificatePolicy,
        reuse: Option<PrivateKey>,
    ) -> Result<(PrivateKey, Vec<u8>)> {
        let spec = profile::key_spec(policy)?;
        let cert_profile = profile::cert_profile(policy, self.clock.now());
        let metrics = self.issuance.metrics.clone();
        tokio::task::spawn_blocking(move || {
            let pk = match reuse {
                Some(pk) => pk,
                None => {
                    let started = std::time::Instant::now();
                    let pk = PrivateKey::generate(spec)?;
                    metrics.key_generation(&spec.to_string(), started.elapsed());
                    pk
                }
            };
            let csr = crypto::build_csr(&pk, &cert_profile)?;
            Ok::<_, crypto::CryptoError>((pk, csr))
        })
        .await
        .map_err(|e| Error::Internal(format!("key generation task: {e}")))?
        .map_err(|e| Error::Internal(format!("key generation: {e}")))
    }

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

    pub async fn policy(&self, name: &str) -> Result<CertRecord> {
        self.active(name).await
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
    /// operation is dropped.
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
        let changes = vec![
            Change::PutCert(cert.clone()),
            Change::DeleteOperation {
                key: cert.key.clone(),
            },
        ];
        self.db.run(move |s| s.apply(changes)).await?;
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

    /// The pending operation for `GET …/pending`, the polling hot path: shared records from
    /// the store's cache, no copies.
    pub async fn poll_operation(
        &self,
        name: &str,
    ) -> Result<(Arc<CertRecord>, Arc<OperationRecord>)> {
        validate_name(name, "certificate name").map_err(|_| Error::pending_not_found())?;
        let key = key_of(name);
        let cert = match self.db.cert_shared(&key).await? {
            Some(c) if c.deleted.is_none() => c,
            _ => return Err(Error::pending_not_found()),
        };
        let op = self
            .db
            .operation_shared(&key)
            .await?
            .ok_or_else(Error::pending_not_found)?;
        Ok((cert, op))
    }

    pub async fn operation(&self, name: &str) -> Result<(CertRecord, OperationRecord)> {
        let cert = self
            .active(name)
            .await
            .map_err(|_| Error::pending_not_found())?;
        let op = self
            .db
            .operation(&cert.key)
            .await?
            .ok_or_else(Error::pending_not_found)?;
        Ok((cert, op))
    }

    /// `PATCH …/pending {"cancellation_requested": true}` (spec §4.1): only while in progress.
    /// Self-signed and Unknown operations have no CA to ask, so they flip to `cancelled` at once.
    pub async fn cancel_operation(
        &self,
        name: &str,
        cancellation_requested: bool,
    ) -> Result<(CertRecord, OperationRecord)> {
        validate_name(name, "certificate name")?;
        let _guard = self.issuance.locks.lock(&key_of(name)).await;
        let (cert, mut op) = self.operation(name).await?;
        if !cancellation_requested {
            return Ok((cert, op));
        }
        if op.status != OperationStatus::InProgress {
            return Err(Error::bad(format!(
                "The operation cannot be cancelled because its status is {}; only an \
                 operation that is inProgress can be cancelled.",
                op.status
            )));
        }
        op.cancellation_requested = true;
        op.updated = self.now();
        if op.provider.is_some() {
            // A CA is involved: the worker forwards the cancellation and records its answer.
            op.status_details =
                Some("Cancellation requested; asking the CA to cancel the order.".into());
            op.next_run_at = self.clock.unix_ms();
        } else {
            op.end(Ending::Cancelled {
                message: "The certificate request was cancelled.".into(),
            });
        }
        let change = Change::PutOperation(op.clone());
        self.db.run(move |s| s.apply(vec![change])).await?;
        self.issuance.wake();
        info!(cert.name = %cert.name, "certificate operation cancellation requested");
        Ok((cert, op))
    }

    /// `DELETE …/pending`: vault stops tracking the operation; the pending version stays.
    pub async fn delete_operation(&self, name: &str) -> Result<(CertRecord, OperationRecord)> {
        validate_name(name, "certificate name")?;
        let _guard = self.issuance.locks.lock(&key_of(name)).await;
        let (cert, op) = self.operation(name).await?;
        let change = Change::DeleteOperation {
            key: cert.key.clone(),
        };
        self.db.run(move |s| s.apply(vec![change])).await?;
        if op.status == OperationStatus::InProgress {
            // Vault stops tracking; the CA's order is cancelled where possible.
            self.issuance.cancel_untracked(op.clone());
        }
        Ok((cert, op))
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

    pub async fn contacts(&self) -> Result<Contacts> {
        self.db
            .run(|s| s.contacts())
            .await?
            .ok_or_else(contacts_not_found)
    }

    pub async fn set_contacts(&self, contacts: Contacts) -> Result<Contacts> {
        let list = contacts
            .contacts
            .ok_or_else(|| Error::bad("The request must carry a 'contacts' list."))?;
        for c in &list {
            let email = c.email.as_deref().unwrap_or("");
            if !email.contains('@') {
                return Err(Error::bad(format!(
                    "Each contact needs a valid email address; got '{email}'."
                )));
            }
        }
        let stored = Contacts {
            id: None,
            contacts: Some(list),
        };
        let change = Change::PutContacts(stored.clone());
        self.db.run(move |s| s.apply(vec![change])).await?;
        Ok(stored)
    }

    pub async fn delete_contacts(&self) -> Result<Contacts> {
        let existing = self.contacts().await?;
        self.db
            .run(|s| s.apply(vec![Change::DeleteContacts]))
            .await?;
        Ok(existing)
    }
}

/// Extra inputs of [`Service::create_locked`] beyond the create parameters.
#[derive(Default)]
pub(crate) struct CreateExtra {
    /// Issue with this key instead of a new one (AutoRenew with `reuse_key`).
    pub reuse_key: Option<PrivateKey>,
    /// More writes for the same transaction as the new operation, given that operation.
    #[allow(clippy::type_complexity)]
    pub changes: Option<Box<dyn FnOnce(&OperationRecord) -> Vec<Change> + Send>>,
}

pub(crate) fn check_name_free(
    name: &str,
    existing: Option<&CertRecord>,
    op: Option<&OperationRecord>,
) -> Result<()> {
    if existing.is_some_and(|c| c.deleted.is_some()) {
        return Err(Error::deleted_but_recoverable(name));
    }
    if op.is_some_and(|o| o.status == OperationStatus::InProgress) {
        return Err(Error::operation_in_progress());
    }
    Ok(())
}

/// A pending version record for a new operation.
pub(crate) fn new_version(
    key: &str,
    version: &str,
    policy: &CertificatePolicy,
    now: i64,
    preserve_cert_order: bool,
) -> VersionRecord {
    VersionRecord {
        key: key.to_string(),
        version: version.to_string(),
        seq: 0,
        created: now,
        updated: now,
        enabled: true,
        nbf: None,
        exp: None,
        tags: None,
        chain: Vec::new(),
        leaf_index: 0,
        content_type: policy
            .secret_props
            .as_ref()
            .and_then(|s| s.content_type)
            .unwrap_or(ContentType::Pkcs12),
        exportable: profile::exportable(policy),
        kty: profile::kty(policy).as_str().to_string(),
        key_ops: profile::key_ops(policy),
        preserve_cert_order,
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

fn contacts_not_found() -> Error {
    Error::NotFound {
        code: "ContactsNotFound",
        message: "Contacts not found: no certificate contacts are set in this vault.".into(),
    }
}
