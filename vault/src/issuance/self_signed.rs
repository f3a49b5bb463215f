//! Self-signed issuance (`issuer.name = "Self"`): generate the key (or reuse the one a renewal
//! stored), build the CSR and the certificate off the async threads, then complete the
//! version, all under the name lock and only if the operation is still the one worked on.

use super::profile;
use super::worker::Issuance;
use crate::model::{Ending, OperationRecord};
use crate::store::{Change, StoreError};
use shared::crypto::{self, PrivateKey};
use shared::models::OperationStatus;

impl Issuance {
    /// Key generation and signing run on the blocking pool, bounded by `crypto_permits`.
    pub(super) async fn issue_self_signed(
        &self,
        op: &OperationRecord,
    ) -> Result<(PrivateKey, Vec<u8>, Vec<u8>), String> {
        let spec = profile::key_spec(&op.policy).map_err(|e| e.to_string())?;
        let cert_profile = profile::cert_profile(&op.policy, self.clock.now());
        // A renewal with `reuse_key` stored the previous version's key on the pending version.
        let (key, version) = (op.key.clone(), op.version.clone());
        let reused = self
            .db
            .run(move |s| s.private_key(&key, &version))
            .await
            .map_err(|e| e.to_string())?;
        let _permit = self
            .crypto_permits
            .acquire()
            .await
            .map_err(|_| "shutting down".to_string())?;
        let metrics = self.metrics.clone();
        tokio::task::spawn_blocking(move || {
            let key = match reused {
                Some(key) => key,
                None => {
                    let started = std::time::Instant::now();
                    let key = PrivateKey::generate(spec).map_err(|e| e.to_string())?;
                    metrics.key_generation(&spec.to_string(), started.elapsed());
                    key
                }
            };
            let csr = crypto::build_csr(&key, &cert_profile).map_err(|e| e.to_string())?;
            let cert = crypto::self_signed(&key, &cert_profile).map_err(|e| e.to_string())?;
            Ok((key, cert, csr))
        })
        .await
        .map_err(|e| format!("issuance task failed: {e}"))?
    }

    /// Records the outcome if the operation is still the one we worked on and still in
    /// progress. Returns whether it was recorded.
    pub(super) async fn finish(
        &self,
        op: &OperationRecord,
        outcome: Result<(PrivateKey, Vec<u8>, Vec<u8>), String>,
    ) -> Result<bool, StoreError> {
        let _guard = self.locks.lock(&op.key).await;
        let key = op.key.clone();
        let version = op.version.clone();
        let (current, record) = self
            .db
            .run(move |s| Ok((s.operation(&key)?, s.version(&key, &version)?)))
            .await?;
        let (Some(mut current), Some(mut record)) = (current, record) else {
            return Ok(false);
        };
        if current.request_id != op.request_id || current.status != OperationStatus::InProgress {
            return Ok(false);
        }
        let now = self.clock.unix();
        current.updated = now;
        let mut changes = Vec::new();
        match outcome {
            Ok((private_key, cert_der, csr)) => {
                let info = crypto::parse_certificate(&cert_der)
                    .map_err(|e| StoreError::Corrupt(format!("issued certificate: {e}")))?;
                record.chain = vec![cert_der];
                record.nbf = Some(info.not_before);
                record.exp = Some(info.not_after);
                record.updated = now;
                current.csr = Some(csr);
                current.end(Ending::Completed);
                changes.push(Change::PutVersion {
                    version: record,
                    private_key: Some(private_key),
                });
            }
            Err(message) => current.end(Ending::Failed {
                code: "InternalError",
                message,
            }),
        }
        changes.push(Change::PutOperation(current));
        self.db.run(move |s| s.apply(changes)).await?;
        self.wake_lifetime();
        Ok(true)
    }
}
