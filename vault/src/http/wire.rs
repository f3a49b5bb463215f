//! Records → wire models (spec §3): ids built from the request's base URL, integer timestamps,
//! standard padded base64 for `cer`/`csr`, base64url `x5t`, and the attribute sets each shape
//! carries (list items omit the recovery members, §3.4).

use crate::certs::RECOVERABLE_DAYS;
use crate::model::{CertRecord, IssuerRecord, OperationRecord, VersionRecord};
use shared::b64;
use shared::crypto::x5t;
use shared::models::{
    Attributes, CertificateBundle, CertificateItem, CertificateOperation, CertificatePolicy,
    Contacts, IssuerBundle, IssuerItem, IssuerParameters, OperationStatus, RecoveryLevel,
};

pub fn cert_id(base: &str, name: &str, version: &str) -> String {
    format!("{base}/certificates/{name}/{version}")
}

fn version_attributes(v: &VersionRecord, with_recovery: bool) -> Attributes {
    Attributes {
        // A version that never completed reads as disabled (spec §4.1, inferred).
        enabled: Some(v.enabled && v.is_complete()),
        nbf: v.nbf,
        exp: v.exp,
        created: Some(v.created),
        updated: Some(v.updated),
        recoverable_days: with_recovery.then_some(RECOVERABLE_DAYS),
        recovery_level: with_recovery.then_some(RecoveryLevel::RecoverablePurgeable),
    }
}

pub fn policy(base: &str, cert: &CertRecord) -> CertificatePolicy {
    let mut p = cert.policy.clone();
    p.id = Some(format!("{base}/certificates/{}/policy", cert.name));
    p.attributes = Some(Attributes {
        enabled: Some(true),
        created: Some(cert.policy_created),
        updated: Some(cert.policy_updated),
        ..Default::default()
    });
    p
}

pub fn bundle(base: &str, cert: &CertRecord, v: &VersionRecord) -> CertificateBundle {
    let leaf = v.leaf();
    CertificateBundle {
        id: cert_id(base, &cert.name, &v.version),
        kid: format!("{base}/keys/{}/{}", cert.name, v.version),
        sid: format!("{base}/secrets/{}/{}", cert.name, v.version),
        x5t: leaf.map(x5t),
        cer: leaf.map(b64::std_encode),
        content_type: Some(v.content_type),
        attributes: version_attributes(v, true),
        tags: v.tags.clone(),
        policy: Some(policy(base, cert)),
        preserve_cert_order: Some(v.preserve_cert_order),
        ..Default::default()
    }
}

pub fn deleted_bundle(base: &str, cert: &CertRecord, v: &VersionRecord) -> CertificateBundle {
    let mut b = bundle(base, cert, v);
    if let Some(d) = cert.deleted {
        b.recovery_id = Some(format!("{base}/deletedcertificates/{}", cert.name));
        b.deleted_date = Some(d.deleted_date);
        b.scheduled_purge_date = Some(d.scheduled_purge_date);
    }
    b
}

/// A list item: `GET /certificates` ids carry no version, `/versions` ids do (spec §3.4).
pub fn item(base: &str, cert: &CertRecord, v: &VersionRecord, versioned: bool) -> CertificateItem {
    let id = if versioned {
        cert_id(base, &cert.name, &v.version)
    } else {
        format!("{base}/certificates/{}", cert.name)
    };
    let mut item = CertificateItem {
        id,
        x5t: v.leaf().map(x5t),
        attributes: version_attributes(v, false),
        tags: v.tags.clone(),
        ..Default::default()
    };
    if let Some(d) = cert.deleted {
        item.recovery_id = Some(format!("{base}/deletedcertificates/{}", cert.name));
        item.deleted_date = Some(d.deleted_date);
        item.scheduled_purge_date = Some(d.scheduled_purge_date);
    }
    item
}

pub fn operation(base: &str, cert: &CertRecord, op: &OperationRecord) -> CertificateOperation {
    let completed = op.status == OperationStatus::Completed;
    CertificateOperation {
        id: format!("{base}/certificates/{}/pending", cert.name),
        issuer: Some(IssuerParameters {
            name: Some(op.issuer_name.clone()),
            cty: op.issuer_cty.clone(),
            cert_transparency: op.cert_transparency,
        }),
        csr: op.csr.as_deref().map(b64::std_encode),
        cancellation_requested: op.cancellation_requested,
        status: Some(op.status),
        status_details: if completed {
            None
        } else {
            op.status_details.clone()
        },
        error: op.error.clone(),
        target: completed.then(|| format!("{base}/certificates/{}", cert.name)),
        request_id: Some(op.request_id.clone()),
        preserve_cert_order: Some(op.preserve_cert_order),
    }
}

/// The issuer as returned to clients: never with `credentials.pwd` (spec §4.7).
pub fn issuer(base: &str, rec: &IssuerRecord) -> IssuerBundle {
    let mut b = rec.bundle.clone();
    b.id = Some(format!("{base}/certificates/issuers/{}", rec.name));
    if let Some(c) = b.credentials.as_mut() {
        c.pwd = None;
    }
    b
}

pub fn issuer_item(base: &str, rec: &IssuerRecord) -> IssuerItem {
    IssuerItem {
        id: format!("{base}/certificates/issuers/{}", rec.name),
        provider: rec.bundle.provider.clone().unwrap_or_default(),
    }
}

pub fn contacts(base: &str, c: &Contacts) -> Contacts {
    Contacts {
        id: Some(format!("{base}/certificates/contacts")),
        contacts: c.contacts.clone(),
    }
}

/// Attributes of the linked key or secret: the certificate's, mirrored (spec §4.3).
pub fn linked_attributes(v: &VersionRecord) -> Attributes {
    version_attributes(v, true)
}
