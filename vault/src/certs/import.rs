//! Import of a certificate with its private key (spec §4.4): detect the format from the
//! content (PEM text, base64 of PEM, base64 of PKCS#12), find the leaf by the key, order the
//! chain, derive the policy from the certificate and let the user's members override it.
//!
//! Decisions where Azure leaves room (documented in the README):
//! - PKCS#1 (`BEGIN RSA PRIVATE KEY`) and SEC1 PEM keys are refused with a 400, as Azure does.
//! - Encrypted PEM keys (`BEGIN ENCRYPTED PRIVATE KEY`) are refused with a 400; password
//!   protection is supported for PFX files.
//! - Expired certificates are refused with a 400.
//! - Without a `secret_props.contentType`, the secret keeps the form of the input (PEM in, PEM
//!   out; PFX in, PFX out).

use super::create::{check_name_free, new_version};
use super::names::{new_id, validate_name};
use super::policy;
use super::service::Service;
use crate::error::{Error, Result};
use crate::issuance::chain::{self, ChainCert};
use crate::model::{
    key_of, CertRecord, LifetimeMarker, MarkerAction, MarkerState, VersionRecord, ISSUER_UNKNOWN,
};
use crate::store::Change;
use shared::b64;
use shared::crypto::{self, CryptoError, KeySpec, PrivateKey};
use shared::models::{
    Action, ActionType, CertificateImportParameters, CertificatePolicy, ContentType,
    IssuerParameters, KeyProperties, KeyType, LifetimeAction, SecretProperties, Trigger,
    X509Properties,
};
use tracing::info;

/// What the uploaded content was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Pem,
    Pkcs12,
}

/// The decoded upload: key, certificates in file order, and the source format.
pub(crate) struct Material {
    pub(crate) key: PrivateKey,
    pub(crate) certs: Vec<Vec<u8>>,
    format: Format,
}

const SECONDS_PER_MONTH: f64 = 30.436_875 * 86_400.0;

/// Reads the upload. CPU-heavy for PFX (key derivation): callers run it on the blocking pool.
pub(crate) fn decode(value: &str, pwd: &str) -> Result<Material> {
    let trimmed = value.trim();
    let (bytes, looks_pem) = if trimmed.starts_with("-----BEGIN") {
        (trimmed.as_bytes().to_vec(), true)
    } else {
        let bytes = b64::decode_lenient(trimmed).map_err(|_| {
            Error::bad("The certificate value is neither PEM text nor base64 of a PEM or PFX file.")
        })?;
        let pem = bytes.trim_ascii_start().starts_with(b"-----BEGIN");
        (bytes, pem)
    };
    if looks_pem {
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::bad("The PEM content is not valid text."))?;
        let certs: Vec<Vec<u8>> = crypto::pem_blocks(&text)
            .into_iter()
            .filter(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| der)
            .collect();
        let key = PrivateKey::from_pem(&text).map_err(|e| match e {
            CryptoError::InvalidKey(m) if m.starts_with("No private key") => {
                Error::bad("This certificate needs to contain the private key: the PEM content has no PRIVATE KEY block.")
            }
            other => Error::bad(other.to_string()),
        })?;
        if certs.is_empty() {
            return Err(Error::bad("The PEM content has no CERTIFICATE block."));
        }
        return Ok(Material {
            key,
            certs,
            format: Format::Pem,
        });
    }
    let (key, certs) = crypto::pkcs12_parse(&bytes, pwd).map_err(|e| match e {
        CryptoError::WrongPassword => Error::bad(
            "The PFX could not be opened: the password is wrong (or the file is damaged).",
        ),
        other => Error::bad(format!(
            "The content is not a readable PFX/PKCS#12 file: {other}"
        )),
    })?;
    let key = key.ok_or_else(|| {
        Error::bad(
            "This certificate needs to contain the private key: the PFX holds certificates only.",
        )
    })?;
    if certs.is_empty() {
        return Err(Error::bad("The PFX holds no certificate."));
    }
    Ok(Material {
        key,
        certs,
        format: Format::Pkcs12,
    })
}

/// The policy a certificate implies (spec §4.4).
fn derived_policy(leaf: &ChainCert, key: &PrivateKey, format: Format) -> CertificatePolicy {
    let info = &leaf.info;
    let (kty, key_size, crv) = match key.spec() {
        KeySpec::Rsa { bits } => (KeyType::Rsa, bits, None),
        KeySpec::Ec { curve } => (KeyType::Ec, curve.bits(), Some(curve)),
    };
    let months = ((info.not_after - info.not_before) as f64 / SECONDS_PER_MONTH).round();
    let sans = (!info.sans.is_empty()).then(|| info.sans.clone());
    CertificatePolicy {
        key_props: Some(KeyProperties {
            exportable: Some(true),
            kty: Some(kty),
            key_size: Some(key_size),
            reuse_key: Some(false),
            crv,
        }),
        secret_props: Some(SecretProperties {
            content_type: Some(match format {
                Format::Pem => ContentType::Pem,
                Format::Pkcs12 => ContentType::Pkcs12,
            }),
        }),
        x509_props: Some(X509Properties {
            subject: Some(info.subject.clone()),
            sans,
            ekus: Some(info.ekus.clone()),
            key_usage: Some(info.key_usage.clone()),
            validity_months: Some(months.clamp(1.0, 1200.0) as u32),
        }),
        lifetime_actions: Some(vec![LifetimeAction {
            trigger: Some(Trigger {
                lifetime_percentage: Some(80),
                days_before_expiry: None,
            }),
            action: Some(Action {
                action_type: Some(ActionType::EmailContacts),
            }),
        }]),
        issuer: Some(IssuerParameters {
            name: Some(ISSUER_UNKNOWN.into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A user policy may not describe another key than the one in the file.
fn check_key_matches(p: &CertificatePolicy, key: &PrivateKey) -> Result<()> {
    let props = p.key_props.clone().unwrap_or_default();
    let kty = props.kty.unwrap_or(KeyType::Rsa);
    let matches = match key.spec() {
        KeySpec::Rsa { bits } => kty.is_rsa() && props.key_size.unwrap_or(bits) == bits,
        KeySpec::Ec { curve } => kty.is_ec() && props.crv.unwrap_or(curve) == curve,
    };
    if matches {
        Ok(())
    } else {
        let wanted = match (props.crv, props.key_size) {
            (Some(c), _) => format!("{kty} {c}"),
            (None, Some(s)) => format!("{kty} {s}"),
            (None, None) => kty.to_string(),
        };
        Err(Error::bad(format!(
            "The policy's key properties ({wanted}) contradict the key in the file ({}).",
            key.spec()
        )))
    }
}

impl Service {
    /// `POST /certificates/{name}/import`: a new completed version (spec §4.4).
    pub async fn import(
        &self,
        name: &str,
        params: CertificateImportParameters,
    ) -> Result<(CertRecord, VersionRecord)> {
        validate_name(name, "certificate name")?;
        if params.value.trim().is_empty() {
            return Err(Error::bad("The certificate value to import is empty."));
        }
        let value = params.value;
        let pwd = params.pwd.unwrap_or_default();
        let material = tokio::task::spawn_blocking(move || decode(&value, &pwd))
            .await
            .map_err(|e| Error::Internal(format!("import task: {e}")))??;
        let preserve = params.preserve_cert_order.unwrap_or(false);
        let certs = chain::parse_all(material.certs).map_err(Error::bad)?;
        let certs = chain::order(certs, material.key.spki_der(), preserve).ok_or_else(|| {
            Error::bad("The private key does not belong to any certificate in the content.")
        })?;
        let leaf_index = chain::leaf_index(&certs, material.key.spki_der())
            .ok_or_else(|| Error::Internal("leaf vanished".into()))?;
        let leaf = &certs[leaf_index];
        let now = self.now();
        if leaf.info.not_after < now {
            let expired = time::OffsetDateTime::from_unix_timestamp(leaf.info.not_after)
                .map(|t| t.date().to_string())
                .unwrap_or_default();
            return Err(Error::bad(format!(
                "The certificate expired on {expired}; expired certificates cannot be imported."
            )));
        }

        let derived = policy::complete(derived_policy(leaf, &material.key, material.format))?;
        let policy = match params.policy {
            Some(user) => policy::merge(&derived, user)?,
            None => derived,
        };
        check_key_matches(&policy, &material.key)?;

        let key = key_of(name);
        let _guard = self.issuance.locks.lock(&key).await;
        let k = key.clone();
        let (existing, op) = self
            .db
            .run(move |s| Ok((s.cert(&k)?, s.operation(&k)?)))
            .await?;
        check_name_free(name, existing.as_ref(), op.as_ref())?;

        let mut record = new_version(&key, &new_id()?, &policy, now, preserve);
        record.enabled = params.attributes.and_then(|a| a.enabled).unwrap_or(true);
        record.tags = params.tags;
        record.nbf = Some(leaf.info.not_before);
        record.exp = Some(leaf.info.not_after);
        record.chain = certs.into_iter().map(|c| c.der).collect();
        record.leaf_index = leaf_index;
        let cert = CertRecord::with_policy(existing.as_ref(), &key, name, policy, now);
        let changes = vec![
            Change::PutCert(cert.clone()),
            Change::PutVersion {
                version: record.clone(),
                private_key: Some(material.key),
            },
            // A finished operation is replaced, not kept (spec §4.1).
            Change::DeleteOperation { key: key.clone() },
            // "The first thing Key Vault does after an import is send an expiration notice":
            // queued with the version, sent by the lifetime scheduler.
            Change::PutLifetimeMarker(LifetimeMarker {
                key,
                version: record.version.clone(),
                action: MarkerAction::ImportNotice,
                state: MarkerState::Due,
                request_id: None,
                created: now,
                updated: now,
            }),
        ];
        self.db.run(move |s| s.apply(changes)).await?;
        self.issuance.wake_lifetime();
        self.issuance.timeline.record(
            &cert.key,
            None,
            crate::model::EventKind::Imported,
            serde_json::json!({ "version": record.version, "chain_length": record.chain.len() }),
        );
        info!(cert.name = %cert.name, version = %record.version, chain_len = record.chain.len(), "certificate imported");
        Ok((cert, record))
    }
}
