//! Merge (spec §4.2): complete a pending operation with a chain the user's own CA signed. The
//! leaf must carry the pending key; the chain is stored leaf first unless the operation asked
//! to preserve the order. Only an `inProgress` operation takes a merge; a partnered one never
//! does (its CA issues the certificate), so a cancelled or failed operation keeps its status.
//!
//! `x5c` items may be DER, PEM text, or PKCS#12 blobs holding certificates only, in any order
//! and mixed: Acmebot's older releases send each chain certificate as its own
//! `X509Certificate2.Export(Pfx)` blob (no key, no password), possibly reversed, and Azure
//! accepts that (acme-gateway spec §4, "Key Vault users"). The Python SDK's own merge sample
//! sends the base64 of the PEM *body* (base64 of base64-DER text, `"TUlJQ3lq…"`), which Azure
//! takes too: such an item is decoded twice.

use super::names::validate_name;
use super::policy;
use super::service::Service;
use crate::error::{Error, Result};
use crate::issuance::chain;
use crate::model::{key_of, CertRecord, Ending, VersionRecord};
use crate::store::Change;
use shared::b64;
use shared::crypto::{self, CryptoError};
use shared::models::{CertificateMergeParameters, OperationStatus};
use tracing::info;

const BAD_X5C: &str = "Property x5c has invalid value X5C must has at least one valid item";

/// Each `x5c` item is base64 DER, base64 of PEM text holding one or more certificates, or base64
/// of a PKCS#12 (PFX) with one or more certificates and no key, readable without a password,
/// or base64 of a PEM body without its armour (base64 of base64 DER). The certificates come
/// out in the order given; the caller finds the leaf by its key.
fn decode_x5c(items: &[String]) -> Result<Vec<Vec<u8>>> {
    if items.is_empty() {
        return Err(Error::bad(BAD_X5C));
    }
    let mut ders = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let trimmed = item.trim();
        let bytes = if trimmed.starts_with("-----BEGIN") {
            trimmed.as_bytes().to_vec()
        } else {
            b64::decode_lenient(trimmed).map_err(|_| Error::bad(BAD_X5C))?
        };
        if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            let text = String::from_utf8_lossy(&bytes);
            let blocks: Vec<Vec<u8>> = crypto::pem_blocks(&text)
                .into_iter()
                .filter(|(label, _)| label == "CERTIFICATE")
                .map(|(_, der)| der)
                .collect();
            if blocks.is_empty() {
                return Err(Error::bad(BAD_X5C));
            }
            ders.extend(blocks);
        } else if crypto::looks_like_pkcs12(&bytes) {
            ders.extend(pfx_certificates(i + 1, &bytes)?);
        } else if let Some(der) = pem_body(&bytes) {
            ders.push(der);
        } else {
            ders.push(bytes);
        }
    }
    Ok(ders)
}

/// The DER inside `bytes` when they are base64 text of a DER SEQUENCE (a PEM body without its
/// BEGIN/END lines, line breaks allowed). DER itself starts with 0x30, never a base64 letter,
/// so a real DER item never takes this path.
fn pem_body(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let compact: String = text.split_ascii_whitespace().collect();
    if compact.is_empty() || bytes.first() == Some(&0x30) {
        return None;
    }
    let der = b64::decode_lenient(&compact).ok()?;
    (der.first() == Some(&0x30)).then_some(der)
}

/// The certificates of the PFX that is `x5c` item number `n`. A PFX with a private key is
/// refused: the key of a merged certificate is always the one vault made for the pending
/// operation, and a key sent alongside would only leak it.
fn pfx_certificates(n: usize, der: &[u8]) -> Result<Vec<Vec<u8>>> {
    let read = crypto::pkcs12_certificates(der, "").map_err(|e| match e {
        CryptoError::WrongPassword => Error::bad(format!(
            "{BAD_X5C}: item #{n} is a password-protected PKCS#12 (PFX); merge reads PFX items \
             that have no password (export the certificates without one, or send them as DER)."
        )),
        e => Error::bad(format!(
            "{BAD_X5C}: item #{n} is a PKCS#12 (PFX) that cannot be read: {e}"
        )),
    })?;
    if read.private_keys > 0 {
        return Err(Error::bad(format!(
            "{BAD_X5C}: item #{n} is a PKCS#12 (PFX) that holds a private key; merge takes \
             certificates only (the pending certificate's key stays the one this vault made)."
        )));
    }
    if read.certs.is_empty() {
        return Err(Error::bad(format!(
            "{BAD_X5C}: item #{n} is a PKCS#12 (PFX) without certificates."
        )));
    }
    Ok(read.certs)
}

impl Service {
    /// `POST /certificates/{name}/pending/merge` → the completed version (201).
    pub async fn merge(
        &self,
        name: &str,
        params: CertificateMergeParameters,
    ) -> Result<(CertRecord, VersionRecord)> {
        validate_name(name, "certificate name")?;
        // PFX items cost key derivations (thousands of hashes each): off the async threads,
        // as import decodes its PFX.
        let items = params.x5c;
        let ders = tokio::task::spawn_blocking(move || decode_x5c(&items))
            .await
            .map_err(|e| Error::Internal(format!("merge task: {e}")))??;
        let certs = chain::parse_all(ders).map_err(|e| Error::bad(format!("{BAD_X5C}: {e}")))?;

        let key = key_of(name);
        let _guard = self.issuance.locks.lock(&key).await;
        let (cert, mut op) = self.operation(name).await?;
        match op.status {
            OperationStatus::InProgress => {}
            // Nothing is pending any more (unchanged from before the rule below).
            OperationStatus::Completed => return Err(Error::pending_not_found()),
            // Only an operation still waiting for its certificate can take one; a cancelled
            // or failed one stays as it ended (the same 400 as a cancel that is too late).
            status => {
                return Err(Error::bad(format!(
                    "The operation cannot be merged because its status is {status}; only an \
                     operation that is inProgress can be merged."
                )))
            }
        }
        if op.policy.platform_managed.is_some() {
            return Err(Error::Forbidden {
                message: "Merge is forbidden on a platform-managed pending object: the platform CA issues it.".into(),
                inner: None,
            });
        }
        if let policy::IssuerKind::Named(issuer) = policy::issuer_kind(&op.policy) {
            return Err(Error::Forbidden {
                message: format!(
                    "Merge is forbidden on pending object created with issuer : {issuer} while it is in progess."
                ),
                inner: None,
            });
        }
        let (k, v) = (key.clone(), op.version.clone());
        let (record, pending_key) = self
            .db
            .run(move |s| Ok((s.version(&k, &v)?, s.private_key(&k, &v)?)))
            .await?;
        let (Some(mut record), Some(pending_key)) = (record, pending_key) else {
            return Err(Error::bad(
                "The pending certificate has no key to merge with (its issuance never started).",
            ));
        };
        let ordered = chain::order(certs, pending_key.spki_der(), op.preserve_cert_order)
            .ok_or_else(|| {
                Error::bad(
                    "Public key from x509 certificate and key of this instance doesn't match",
                )
            })?;
        let leaf_index = chain::leaf_index(&ordered, pending_key.spki_der())
            .ok_or_else(|| Error::Internal("leaf vanished".into()))?;
        let leaf = &ordered[leaf_index];
        let now = self.now();
        record.nbf = Some(leaf.info.not_before);
        record.exp = Some(leaf.info.not_after);
        record.chain = ordered.into_iter().map(|c| c.der).collect();
        record.leaf_index = leaf_index;
        record.updated = now;
        if let Some(enabled) = params.attributes.and_then(|a| a.enabled) {
            record.enabled = enabled;
        }
        if let Some(tags) = params.tags {
            record.tags = Some(tags);
        }
        op.updated = now;
        self.issuance.note(
            &op,
            crate::model::EventKind::MergeRequested,
            serde_json::json!({ "chain_length": record.chain.len() }),
        );
        op.end(Ending::Completed);
        let changes = vec![
            Change::PutVersion {
                version: record.clone(),
                private_key: None,
            },
            Change::PutOperation(op.clone()),
        ];
        self.db.run(move |s| s.apply(changes)).await?;
        self.issuance.note_end(&op);
        info!(cert.name = %cert.name, version = %record.version, chain_len = record.chain.len(), "pending certificate merged");
        Ok((cert, record))
    }
}
