//! Issuance by the local CA (profiles `local`, `shortlived`): a `processing` order (its CSR
//! persisted by finalize) is signed on the blocking pool and becomes `valid` with its
//! certificate in one `apply`; a CSR the CA refuses makes it `invalid` (`badCSR`). One task
//! per order ([`VaultAcme::signing`]); orders left `processing` by a restart are picked up at
//! start ([`recover`]) and whenever read (`load::settle`).

use crate::acme::ca::CaError;
use crate::acme::gateway::{random_id, Acme, VaultAcme};
use crate::model::acme::{AcmeCertRecord, OrderRecord, OrderStatus, StoredProblem};
use crate::store::Change;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Orders recovered per vault at start (more are picked up when read).
const RECOVER_BATCH: usize = 10_000;

/// The validity of a local-CA profile; `None` for any other (a partner issuer's).
pub fn local_validity(profile: &str) -> Option<Duration> {
    crate::acme::profiles::local_validity(profile)
}

/// Starts signing order `order_id` unless a task already does (`known`: the order as just
/// read or written, saving the task a store read); the handle resolves to the order as
/// written `valid` or `invalid` (`None` when it was not a processing local order).
pub fn spawn(
    acme: &Arc<Acme>,
    vault: &Arc<VaultAcme>,
    order_id: &str,
    known: Option<OrderRecord>,
) -> Option<JoinHandle<Option<OrderRecord>>> {
    let guard = vault.signing.start(order_id)?;
    let (acme, vault, id) = (acme.clone(), vault.clone(), order_id.to_string());
    Some(acme.tracker.clone().spawn(async move {
        let _guard = guard;
        match sign(&acme, &vault, &id, known).await {
            Ok(written) => written,
            Err(e) => {
                tracing::error!(vault = %vault.name, acme.order = %id, error = %e, "acme: signing failed");
                None
            }
        }
    }))
}

/// At start: resumes every local order a previous process left `processing`.
pub async fn recover(acme: Arc<Acme>, vault: Arc<VaultAcme>) {
    let found = vault
        .db
        .run(|s| s.acme_orders_in_status(OrderStatus::Processing, RECOVER_BATCH))
        .await;
    match found {
        Ok(orders) => {
            let local: Vec<&OrderRecord> = orders
                .iter()
                .filter(|o| local_validity(&o.profile).is_some())
                .collect();
            if !local.is_empty() {
                tracing::info!(vault = %vault.name, orders = local.len(), "acme: resuming local orders left processing");
            }
            for order in local {
                spawn(&acme, &vault, &order.id, Some(order.clone()));
            }
        }
        Err(e) => {
            tracing::error!(vault = %vault.name, error = %e, "acme: cannot list processing orders")
        }
    }
}

/// Signs one `processing` local order and writes the outcome.
async fn sign(
    acme: &Arc<Acme>,
    vault: &Arc<VaultAcme>,
    order_id: &str,
    known: Option<OrderRecord>,
) -> Result<Option<OrderRecord>, String> {
    let order = match known {
        Some(order) => Some(order),
        None => {
            let key = order_id.to_string();
            vault
                .db
                .run(move |s| s.acme_order(&key))
                .await
                .map_err(|e| e.to_string())?
        }
    };
    let Some(order) = order.filter(|o| o.status == OrderStatus::Processing) else {
        return Ok(None);
    };
    let (Some(validity), Some(csr)) = (local_validity(&order.profile), order.csr.clone()) else {
        return Ok(None);
    };
    // Chaos: a slow CA (`finalize_delay`); finalize answers `processing` meanwhile.
    let delay = acme.chaos.finalize_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let now = acme.now();
    let not_before = order.not_before.unwrap_or(now);
    let not_after = order
        .not_after
        .unwrap_or(not_before.saturating_add(validity.as_secs() as i64));
    let (ca, identifiers, crl_url) = (acme.ca.clone(), order.identifiers.clone(), vault.crl_url());
    let issued = tokio::task::spawn_blocking(move || {
        ca.issue(&csr, &identifiers, not_before, not_after, &crl_url)
    })
    .await
    .map_err(|e| format!("signing task: {e}"))?;
    let now = acme.now();
    let outcome = match issued {
        Ok(issued) => Ok(AcmeCertRecord {
            id: random_id()?,
            order_id: order.id.clone(),
            account_id: order.account_id.clone(),
            profile: order.profile.clone(),
            serial_hex: issued.serial_hex,
            ari_cert_id: issued.ari_cert_id,
            chain: issued.chain,
            not_before: issued.not_before,
            not_after: issued.not_after,
            revoked: None,
            renewal_window: None,
            replaced_by: None,
            created: now,
        }),
        Err(CaError::BadCsr(detail)) => Err(StoredProblem {
            kind: "badCSR".into(),
            detail: format!("The CSR cannot be certified: {detail}."),
            subproblems: Vec::new(),
        }),
        Err(e) => {
            tracing::error!(vault = %vault.name, acme.order = %order.id, error = %e, "acme: local CA failed");
            Err(StoredProblem {
                kind: "serverInternal".into(),
                detail: "The local CA could not sign the certificate; order again.".into(),
                subproblems: Vec::new(),
            })
        }
    };
    let issued_for = outcome.as_ref().ok().map(|_| order.identifiers.clone());
    let _lock = vault.locks.lock(order_id).await;
    let key = order_id.to_string();
    let written = vault
        .db
        .run(move |s| {
            // Re-read under the lock: only a still-processing order takes the outcome.
            let Some(mut current) = s.acme_order(&key)? else {
                return Ok(None);
            };
            if current.status != OrderStatus::Processing {
                return Ok(Some(current));
            }
            let mut changes = Vec::with_capacity(2);
            match outcome {
                Ok(cert) => {
                    current.cert_id = Some(cert.id.clone());
                    current.set_status(OrderStatus::Valid, now);
                    changes.push(Change::PutAcmeCert(cert));
                    // RFC 9773: the certificate this order renews is now replaced.
                    changes.extend(super::ari::replacement(s, &current)?);
                }
                Err(problem) => {
                    current.error = Some(problem);
                    current.set_status(OrderStatus::Invalid, now);
                }
            }
            changes.push(Change::PutAcmeOrder(current.clone()));
            s.apply(changes)?;
            Ok(Some(current))
        })
        .await
        .map_err(|e| e.to_string())?;
    // Chaos: the certificate counts against its registered domains' limit.
    if let Some(identifiers) = issued_for {
        acme.chaos.record_issued(&identifiers, now);
    }
    Ok(written)
}
