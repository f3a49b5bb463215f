//! `POST /certificates/{name}/create` (spec §4.1): a new pending version and its operation,
//! in one batch. Self-signed and platform-managed operations are left to the worker; `Unknown`
//! ones carry their CSR at once; partnered ones get their key and CSR here and their CA order
//! from the worker.

use super::names::{new_id, validate_name};
use super::policy::{self, IssuerKind};
use super::service::Service;
use crate::error::{Error, Result};
use crate::issuance::profile;
use crate::model::{
    key_of, CertRecord, Ending, EventKind, OperationRecord, VersionRecord, ISSUER_UNKNOWN, NEVER,
};
use crate::store::Change;
use shared::crypto::{self, PrivateKey};
use shared::models::{
    CertificateCreateParameters, CertificatePolicy, ContentType, OperationStatus,
};
use tracing::info;

impl Service {
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
        // A platform-managed certificate is issued by vault's platform CA whatever issuer the
        // policy names (docs/api-versions.md), so the issuer need not exist.
        let platform = policy.platform_managed.is_some();
        let mut issuer_provider = None;
        if let (IssuerKind::Named(issuer), false) = (&issuer_kind, platform) {
            let ik = key_of(issuer);
            match self.db.run(move |s| s.issuer(&ik)).await? {
                Some(record)
                    if record.bundle.attributes.as_ref().and_then(|a| a.enabled) == Some(false) =>
                {
                    return Err(issuer_disabled(issuer))
                }
                Some(record) => issuer_provider = record.bundle.provider,
                None => {
                    return Err(Error::bad(format!(
                        "The issuer '{issuer}' named in the policy does not exist in this vault."
                    )))
                }
            }
        }

        // For the timeline: the issuer's provider, and whether a key (reused or not) and CSR
        // are made here.
        let provider_name = issuer_provider.clone();
        let mut made_key = None;
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
            _ if platform => {
                // Like a self-signed one: the worker makes the key (or uses a renewal's) and
                // has the platform CA sign it.
                private_key = extra.reuse_key.take();
                op.status_details = Some("Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.".into());
                op.next_run_at =
                    self.clock.unix_ms() + self.settings.self_signed_delay.as_millis() as i64;
            }
            IssuerKind::SelfSigned => {
                // Kept on the pending version; the worker signs with it instead of a new key.
                private_key = extra.reuse_key.take();
                op.status_details = Some("Pending certificate created. Certificate request is in progress. This may take some time based on the issuer provider. Please check again later.".into());
                op.next_run_at =
                    self.clock.unix_ms() + self.settings.self_signed_delay.as_millis() as i64;
            }
            IssuerKind::Unknown => {
                // The 202 must already carry the CSR: Python never polls Unknown (spec §5.1).
                made_key = Some(extra.reuse_key.is_some());
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
                    made_key = Some(extra.reuse_key.is_some());
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
        self.issuance.note(
            &op,
            EventKind::Created,
            serde_json::json!({ "issuer": op.issuer_name, "provider": provider_name }),
        );
        if let Some(reused) = made_key {
            self.issuance.note_key(&op, reused, true);
        }
        // Failed at once (no endpoint for the issuer's provider).
        self.issuance.note_end(&op);
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
        .map_err(|e| match e {
            // Policy validation runs the builder's own name checks, so this is not expected;
            // if it happens it is still the client's policy, not a server fault.
            crypto::CryptoError::InvalidName(m) => Error::bad(m),
            e => Error::Internal(format!("key generation: {e}")),
        })
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

/// A create through a disabled issuer (README, "Rules where Azure leaves room"): 403 like the
/// use of a disabled key or secret (spec §4.6); operations already at the CA go on.
fn issuer_disabled(issuer: &str) -> Error {
    Error::Forbidden {
        message: format!(
            "Operation create is not allowed with the disabled issuer '{issuer}'. Enable it \
             (attributes.enabled = true) or name another issuer in the policy."
        ),
        inner: Some("IssuerDisabled"),
    }
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
