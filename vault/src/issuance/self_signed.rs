//! Self-signed issuance (`issuer.name = "Self"`): generate the key (or reuse the one a renewal
//! stored), build the CSR and the certificate off the async threads, then complete the
//! version through the worker's fenced write (only while it holds the operation's lease).

use super::profile;
use super::worker::Issuance;
use crate::model::{Ending, OperationRecord};
use crate::store::{Change, StoreError};
use shared::crypto::{self, CertProfile, PrivateKey};

/// An issued certificate: its key, the chain (leaf first) and the CSR kept on the operation.
pub(super) type Issued = (PrivateKey, Vec<Vec<u8>>, Vec<u8>);

impl Issuance {
    /// Key generation and signing run on the blocking pool, bounded by `crypto_permits`.
    pub(super) async fn issue_self_signed(
        &self,
        op: &OperationRecord,
    ) -> Result<(PrivateKey, Vec<u8>, Vec<u8>), String> {
        let cert_profile = profile::cert_profile(&op.policy, self.clock.now());
        self.key_and_sign(op, cert_profile, |key, profile| {
            crypto::self_signed(key, profile).map_err(|e| e.to_string())
        })
        .await
    }

    /// The key (the one a renewal with `reuse_key` stored on the pending version, else a new
    /// one), the CSR and what `sign` makes of them, on the blocking pool under a crypto
    /// permit. Returns `(key, signed, csr)` and notes the key on the timeline.
    pub(super) async fn key_and_sign<T: Send + 'static>(
        &self,
        op: &OperationRecord,
        cert_profile: CertProfile,
        sign: impl FnOnce(&PrivateKey, &CertProfile) -> Result<T, String> + Send + 'static,
    ) -> Result<(PrivateKey, T, Vec<u8>), String> {
        let spec = profile::key_spec(&op.policy).map_err(|e| e.to_string())?;
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
        let was_reused = reused.is_some();
        let made = tokio::task::spawn_blocking(move || {
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
            let signed = sign(&key, &cert_profile)?;
            Ok((key, signed, csr))
        })
        .await
        .map_err(|e| format!("issuance task failed: {e}"))?;
        if made.is_ok() {
            self.note_key(op, was_reused, true);
        }
        made
    }

    /// Records the outcome (key, chain leaf first, CSR) through the fenced write: only if the operation is still in
    /// progress and this worker still holds its lease. Returns whether it was recorded.
    pub(super) async fn finish(
        &self,
        op: &OperationRecord,
        outcome: Result<Issued, String>,
    ) -> Result<bool, StoreError> {
        // Parsed before the write: the write itself runs under the store's lock.
        let outcome = match outcome {
            Ok((private_key, chain, csr)) => {
                let leaf = chain
                    .first()
                    .ok_or_else(|| StoreError::Corrupt("issued chain is empty".into()))?;
                let info = crypto::parse_certificate(leaf)
                    .map_err(|e| StoreError::Corrupt(format!("issued certificate: {e}")))?;
                Ok((private_key, chain, csr, info.not_before, info.not_after))
            }
            Err(message) => Err(message),
        };
        let now = self.clock.unix();
        let recorded = self
            .write_leased(op, move |mut current, record| {
                let mut record = record?;
                current.updated = now;
                let mut changes = Vec::new();
                match outcome {
                    Ok((private_key, chain, csr, nbf, exp)) => {
                        record.chain = chain;
                        record.nbf = Some(nbf);
                        record.exp = Some(exp);
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
                Some(changes)
            })
            .await?;
        if recorded {
            self.wake_lifetime();
        }
        Ok(recorded)
    }
}
