//! Backup and restore (spec §4.8). A backup holds every version with its key, the policy, tags
//! and attributes, serialised as JSON and sealed with the vault's master key (AES-256-GCM):
//! it restores only into a vault holding the same key, and any alteration is detected.

use super::names::validate_name;
use super::service::Service;
use crate::error::{Error, Result};
use crate::model::{key_of, CertRecord, VersionRecord};
use crate::store::Change;
use serde::{Deserialize, Serialize};
use shared::b64;
use shared::crypto::PrivateKey;
use shared::models::{CertificatePolicy, ContentType, KeyOperation, Tags};
use tracing::info;

/// Azure's limit on the versions one backup may hold.
pub const MAX_BACKUP_VERSIONS: usize = 500;
const BLOB_CONTEXT: &str = "certificate-backup-v1";
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Blob {
    format: u32,
    name: String,
    policy: CertificatePolicy,
    policy_created: i64,
    policy_updated: i64,
    versions: Vec<BlobVersion>,
}

#[derive(Serialize, Deserialize)]
struct BlobVersion {
    version: String,
    created: i64,
    updated: i64,
    enabled: bool,
    nbf: Option<i64>,
    exp: Option<i64>,
    tags: Option<Tags>,
    /// Standard base64 DER, leaf first.
    chain: Vec<String>,
    #[serde(default)]
    leaf_index: usize,
    /// Standard base64 PKCS#8.
    private_key: Option<String>,
    content_type: ContentType,
    exportable: bool,
    kty: String,
    key_ops: Vec<KeyOperation>,
    preserve_cert_order: bool,
}

fn malformed() -> Error {
    Error::bad(
        "The backup blob is malformed, was altered, or was made by a vault with another master key.",
    )
}

impl Service {
    /// `POST /certificates/{name}/backup` → base64url blob.
    pub async fn backup(&self, name: &str) -> Result<String> {
        let cert = self.active(name).await?;
        let k = cert.key.clone();
        let versions = self
            .db
            .run(move |s| s.versions(&k, 0, MAX_BACKUP_VERSIONS + 1))
            .await?;
        if versions.len() > MAX_BACKUP_VERSIONS {
            return Err(Error::bad(format!(
                "The certificate has more than {MAX_BACKUP_VERSIONS} versions; a backup can hold at most {MAX_BACKUP_VERSIONS}."
            )));
        }
        let mut out = Vec::with_capacity(versions.len());
        for v in versions {
            let (k, ver) = (v.key.clone(), v.version.clone());
            let private_key = self.db.run(move |s| s.private_key(&k, &ver)).await?;
            out.push(BlobVersion {
                private_key: private_key.map(|pk| b64::std_encode(pk.pkcs8_der())),
                chain: v.chain.iter().map(|c| b64::std_encode(c)).collect(),
                leaf_index: v.leaf_index,
                version: v.version,
                created: v.created,
                updated: v.updated,
                enabled: v.enabled,
                nbf: v.nbf,
                exp: v.exp,
                tags: v.tags,
                content_type: v.content_type,
                exportable: v.exportable,
                kty: v.kty,
                key_ops: v.key_ops,
                preserve_cert_order: v.preserve_cert_order,
            });
        }
        let blob = Blob {
            format: FORMAT,
            name: cert.name.clone(),
            policy: cert.policy,
            policy_created: cert.policy_created,
            policy_updated: cert.policy_updated,
            versions: out,
        };
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(&blob).map_err(|e| Error::Internal(e.to_string()))?,
        );
        let sealed = self
            .db
            .run(move |s| s.seal_blob(BLOB_CONTEXT, &plain))
            .await?;
        info!(cert.name = %cert.name, "certificate backed up");
        Ok(b64::url_encode(&sealed))
    }

    /// `POST /certificates/restore`: recreates the certificate; 409 if the name is taken.
    pub async fn restore(&self, value: &str) -> Result<(CertRecord, VersionRecord)> {
        let sealed = b64::decode_lenient(value).map_err(|_| malformed())?;
        let plain = self
            .db
            .run(move |s| s.open_blob(BLOB_CONTEXT, &sealed))
            .await
            .map_err(|_| malformed())?;
        let plain = zeroize::Zeroizing::new(plain);
        let blob: Blob = serde_json::from_slice(&plain).map_err(|_| malformed())?;
        if blob.format != FORMAT || blob.versions.is_empty() {
            return Err(malformed());
        }
        validate_name(&blob.name, "certificate name")?;
        let key = key_of(&blob.name);
        let mut changes = Vec::new();
        for v in blob.versions {
            let chain = v
                .chain
                .iter()
                .map(|c| b64::decode_lenient(c))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|_| malformed())?;
            let private_key = match v.private_key {
                Some(k) => {
                    let der =
                        zeroize::Zeroizing::new(b64::decode_lenient(&k).map_err(|_| malformed())?);
                    Some(PrivateKey::from_pkcs8_der(&der).map_err(|_| malformed())?)
                }
                None => None,
            };
            changes.push(Change::PutVersion {
                version: VersionRecord {
                    key: key.clone(),
                    version: v.version,
                    seq: 0,
                    created: v.created,
                    updated: v.updated,
                    enabled: v.enabled,
                    nbf: v.nbf,
                    exp: v.exp,
                    tags: v.tags,
                    chain,
                    leaf_index: v.leaf_index,
                    content_type: v.content_type,
                    exportable: v.exportable,
                    kty: v.kty,
                    key_ops: v.key_ops,
                    preserve_cert_order: v.preserve_cert_order,
                },
                private_key,
            });
        }
        let cert = CertRecord {
            key: key.clone(),
            name: blob.name.clone(),
            policy: blob.policy,
            policy_created: blob.policy_created,
            policy_updated: blob.policy_updated,
            deleted: None,
        };
        changes.insert(0, Change::PutCert(cert.clone()));

        let _guard = self.issuance.locks.lock(&key).await;
        let k = key.clone();
        if let Some(existing) = self.db.run(move |s| s.cert(&k)).await? {
            return Err(if existing.deleted.is_some() {
                Error::deleted_but_recoverable(&existing.name)
            } else {
                Error::Conflict {
                    code: "Conflict",
                    message: format!(
                        "Certificate {} already exists; restore needs a name that is not in use.",
                        existing.name
                    ),
                    inner: None,
                }
            });
        }
        self.db.run(move |s| s.apply(changes)).await?;
        info!(cert.name = %cert.name, "certificate restored");
        let latest = self.latest_of(&cert).await?;
        Ok((cert, latest))
    }
}
