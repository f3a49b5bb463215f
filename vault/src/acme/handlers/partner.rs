//! Orders under a partner-CA profile (`acme::profiles`): fulfilled by the same durable
//! issuance worker, provider adapters, chain checks and exactly-once rules as a Key Vault
//! partnered operation, never by a second copy of them.
//!
//! - [`finalize`]: in ONE store batch, the order goes `processing` (with the client's CSR)
//!   and a pending operation keyed [`acme_operation_key`]`(order id)` is created for the
//!   profile's issuer (the CSR, a policy built from the order's identifiers, a fresh partner
//!   state); then the worker is woken. A crash on either side of that batch leaves either a
//!   `ready` order (finalize again) or an order the worker carries on: never a lost or a
//!   double order.
//! - [`settle`]: reading a `processing` partner order settles it from its operation. The
//!   worker completed it → the chain it checked and kept (`Store::acme_issued`, written in
//!   the completing transaction) becomes the order's certificate and the order `valid`; the
//!   operation failed → the order is `invalid` with an `unauthorized` problem carrying the
//!   CA's message (a CA's refusal is a policy decision about the request, not a server
//!   fault); still in progress → unchanged. Every client poll, the admin order list and a
//!   restart read orders through it, so nothing needs to run in the background for it.

use super::ari;
use crate::acme::ca;
use crate::acme::profiles;
use crate::acme::reply::internal;
use crate::acme::request::Cx;
use crate::model::acme::{
    acme_operation_key, AcmeCertRecord, Identifier, IdentifierType, OrderRecord, OrderStatus,
    StoredProblem,
};
use crate::model::OperationRecord;
use crate::store::{Change, Store, StoreError};
use shared::acme::problem::{ErrorType, Problem};
use shared::models::{
    CertificatePolicy, IssuerParameters, OperationStatus, SubjectAlternativeNames, X509Properties,
};
use tracing::info;

/// Validity asked of the partner CA (Key Vault's default for partnered policies).
const VALIDITY_MONTHS: u32 = 12;
/// The longest common name X.509 allows (RFC 5280 ub-common-name).
const CN_MAX: usize = 64;

/// Finalizes `order` (read as `ready` by the caller, its CSR checked against the order)
/// through the partner issuer its profile names: see the module doc. Returns the order as
/// stored (`processing`). Another finalize of the same order that got here first makes this
/// one `orderNotReady`.
pub async fn finalize(cx: &Cx, order: &OrderRecord, csr: Vec<u8>) -> Result<OrderRecord, Problem> {
    let issuer = order.profile.as_str();
    check_identifiers(&order.profile, &order.identifiers)?;
    let key = acme_operation_key(&order.id);
    let issuance = cx.vault.issuance.clone();
    // The order's lock, as for every read-modify-write of an order (`load`, `issue`).
    let _guard = cx.vault.locks.lock(&order.id).await;
    let now = cx.now();
    let now_ms = cx.acme.clock.unix_ms();
    let op = OperationRecord {
        key: key.clone(),
        // No Key Vault version: the chain goes to the order (`Change::PutAcmeIssued`).
        version: order.id.clone(),
        request_id: random_hex()?,
        issuer_name: issuer.to_string(),
        issuer_cty: None,
        cert_transparency: None,
        csr: Some(csr.clone()),
        status: OperationStatus::InProgress,
        status_details: Some(format!(
            "ACME order {} is being submitted to the partner CA.",
            order.id
        )),
        error: None,
        cancellation_requested: false,
        preserve_cert_order: false,
        policy: policy(order),
        created: now,
        updated: now,
        next_run_at: now_ms,
        provider: Some(crate::issuance::partner::initial_state(
            now,
            issuance.deadline(),
        )),
    };
    let order_id = order.id.clone();
    let written = cx
        .store(move |s| {
            // Re-read under the order's lock: only a `ready` order with no operation yet is
            // finalized, so a second finalize can never order twice.
            let Some(mut current) = s.acme_order(&order_id)? else {
                return Ok(Err(OrderStatus::Invalid));
            };
            if current.status != OrderStatus::Ready || s.operation(&key)?.is_some() {
                return Ok(Err(current.status));
            }
            current.csr = Some(csr);
            current.set_status(OrderStatus::Processing, now);
            s.apply(vec![
                Change::PutAcmeOrder(current.clone()),
                Change::PutOperation(op),
            ])?;
            Ok(Ok(current))
        })
        .await?;
    match written {
        Ok(order) => {
            info!(acme.order = %order.id, issuer, "acme order sent to the partner CA's worker");
            issuance.wake();
            Ok(order)
        }
        Err(status) => Err(Problem::new(
            ErrorType::OrderNotReady,
            format!(
                "The order is {}, not ready: it cannot be finalized (again).",
                status.as_str()
            ),
        )),
    }
}

/// Brings a `processing` partner order up to date with its operation (see the module doc);
/// any other order is returned as it is, without a store read.
pub async fn settle(cx: &Cx, order: OrderRecord) -> Result<OrderRecord, Problem> {
    if order.status != OrderStatus::Processing || profiles::local_validity(&order.profile).is_some()
    {
        return Ok(order);
    }
    let key = acme_operation_key(&order.id);
    let op = cx.vault.db.operation(&key).await.map_err(internal)?;
    let Some(op) = op else {
        // A local order being signed: not ours.
        return Ok(order);
    };
    if op.status == OperationStatus::InProgress {
        return Ok(order);
    }
    let _guard = cx.vault.locks.lock(&order.id).await;
    let now = cx.now();
    let order_id = order.id.clone();
    let settled = cx.store(move |s| settle_in(s, &order_id, &op, now)).await?;
    let settled = settled.map_err(internal)?;
    if settled.status != OrderStatus::Processing {
        info!(acme.order = %settled.id, status = settled.status.as_str(), "partner acme order settled");
        if settled.status == OrderStatus::Valid {
            // Chaos: the certificate counts against its registered domains' limit.
            cx.acme.chaos.record_issued(&settled.identifiers, now);
        }
    }
    Ok(settled)
}

/// [`settle`]'s read-decide-write on the blocking pool, the order re-read under its lock so
/// a settled order is never settled again (a revocation in between is kept).
fn settle_in(
    s: &dyn Store,
    order_id: &str,
    op: &OperationRecord,
    now: i64,
) -> Result<Result<OrderRecord, String>, StoreError> {
    let Some(mut order) = s.acme_order(order_id)? else {
        return Ok(Err(format!("order {order_id} vanished while settling")));
    };
    if order.status != OrderStatus::Processing {
        return Ok(Ok(order));
    }
    let mut changes = Vec::new();
    match op.status {
        OperationStatus::InProgress => return Ok(Ok(order)),
        OperationStatus::Completed => {
            let Some(chain) = s.acme_issued(order_id)? else {
                return Ok(Err(format!(
                    "order {order_id}: the operation completed without a recorded chain"
                )));
            };
            let cert = match cert_record(&order, chain, now) {
                Ok(cert) => cert,
                Err(e) => return Ok(Err(format!("order {order_id}: {e}"))),
            };
            order.cert_id = Some(cert.id.clone());
            order.set_status(OrderStatus::Valid, now);
            changes.extend(ari::replacement(s, &order)?);
            changes.push(Change::PutAcmeCert(cert));
        }
        OperationStatus::Failed | OperationStatus::Cancelled => {
            let message = op
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .or_else(|| op.status_details.clone())
                .unwrap_or_else(|| "no reason given".into());
            order.error = Some(StoredProblem {
                kind: "unauthorized".into(),
                detail: format!(
                    "the partner CA {} refused the order: {message}",
                    op.issuer_name
                ),
                subproblems: Vec::new(),
            });
            order.set_status(OrderStatus::Invalid, now);
        }
    }
    changes.push(Change::PutAcmeOrder(order.clone()));
    s.apply(changes)?;
    Ok(Ok(order))
}

/// The record of the certificate a partner CA issued for `order` (`chain` leaf first, as the
/// worker checked it): its id is the order's, so settling twice writes the same record.
fn cert_record(
    order: &OrderRecord,
    chain: Vec<Vec<u8>>,
    now: i64,
) -> Result<AcmeCertRecord, String> {
    let leaf = chain.first().ok_or("the chain is empty")?;
    let info = shared::crypto::parse_certificate(leaf).map_err(|e| e.to_string())?;
    Ok(AcmeCertRecord {
        id: order.id.clone(),
        order_id: order.id.clone(),
        account_id: order.account_id.clone(),
        profile: order.profile.clone(),
        serial_hex: ca::serial_hex(leaf).map_err(|e| e.to_string())?,
        ari_cert_id: ca::ari_cert_id(leaf).map_err(|e| e.to_string())?,
        not_before: info.not_before,
        not_after: info.not_after,
        chain,
        revoked: None,
        renewal_window: None,
        replaced_by: None,
        created: now,
    })
}

/// Partner CAs are asked for DNS names only (the adapters' order carries DNS names), so an
/// order under partner profile `profile` with an IP identifier is `rejectedIdentifier`.
pub fn check_identifiers(profile: &str, identifiers: &[Identifier]) -> Result<(), Problem> {
    match identifiers.iter().find(|i| i.kind == IdentifierType::Ip) {
        Some(ip) => Err(Problem::new(
            ErrorType::RejectedIdentifier,
            format!(
                "The profile '{profile}' is a partner CA, which issues for DNS names only; {} is \
                 an IP address (the 'local' profile issues for IP addresses).",
                ip.value
            ),
        )),
        None => Ok(()),
    }
}

/// The policy the operation carries: what the adapters send the CA besides the CSR (common
/// name, DNS names, validity) and what the chain check requires of the issued leaf.
fn policy(order: &OrderRecord) -> CertificatePolicy {
    let dns: Vec<String> = order
        .identifiers
        .iter()
        .filter(|i| i.kind == IdentifierType::Dns)
        .map(|i| i.value.clone())
        .collect();
    let subject = dns
        .iter()
        .find(|d| d.len() <= CN_MAX)
        .map(|cn| format!("CN={cn}"))
        .unwrap_or_default();
    CertificatePolicy {
        x509_props: Some(X509Properties {
            subject: Some(subject),
            sans: Some(SubjectAlternativeNames {
                dns_names: Some(dns),
                ..Default::default()
            }),
            validity_months: Some(VALIDITY_MONTHS),
            ..Default::default()
        }),
        issuer: Some(IssuerParameters {
            name: Some(order.profile.clone()),
            cty: None,
            cert_transparency: None,
        }),
        ..Default::default()
    }
}

/// 128 random bits as hex: the operation's request id (the handle the CA knows it by).
fn random_hex() -> Result<String, Problem> {
    crate::acme::gateway::random_bytes(16)
        .map(hex::encode)
        .map_err(internal)
}
