//! A case's setup and teardown: the state put in place before its first step, and the global
//! state (faults, vault's clock, contacts, the ACME chaos document) read before and put back
//! after.

use super::env::Env;
use super::wire::{enc, notifications_path, set_issuer};
use crate::case::Case;
use crate::error::Error;
use reqwest::Method;
use serde_json::{json, Value};

/// The ACME gateway's chaos document (vault's admin API).
const ACME_CHAOS: &str = "/_admin/acme/chaos";

/// Puts the case's setup in place: ca-sim accounts, request history, faults; vault issuers,
/// contacts, clock; and removes leftovers of the case's certificate names (delete + purge), so
/// a case can run again against the same services.
pub(crate) async fn setup(env: &Env, case: &Case) -> Result<(), Error> {
    let s = &case.setup;
    for account in &s.accounts {
        let body = serde_json::to_value(account).map_err(|e| Error::Client(e.to_string()))?;
        env.ca_sim
            .call(Method::PUT, "/accounts", Some(&body))
            .await?;
    }
    if case.counts_requests() {
        env.ca_sim.call(Method::DELETE, "/requests", None).await?;
    }
    if !s.faults.is_empty() {
        let body = serde_json::to_value(&s.faults).map_err(|e| Error::Client(e.to_string()))?;
        env.ca_sim.call(Method::PUT, "/faults", Some(&body)).await?;
    }
    if let Some(offset) = s.vault_clock_offset {
        let r = env
            .vault
            .send(
                Method::PUT,
                "/_admin/clock",
                Some(&json!({ "offset_seconds": offset })),
                true,
            )
            .await?;
        if !r.is_success() {
            return Err(Error::Client(format!(
                "vault clock: {} {}",
                r.status, r.body
            )));
        }
    }
    if let Some(d) = s.ca_clock_advance {
        env.ca_sim
            .call(
                Method::POST,
                "/clock",
                Some(&json!({ "advance_seconds": d.0.as_secs_f64() })),
            )
            .await?;
    }
    let mut names: Vec<&str> = case
        .steps
        .iter()
        .filter_map(|s| s.get_ref().cert_name())
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        let _ = env
            .vault
            .send(
                Method::DELETE,
                &format!("/certificates/{}", enc(name)),
                None,
                true,
            )
            .await?;
        let _ = env
            .vault
            .send(
                Method::DELETE,
                &format!("/deletedcertificates/{}", enc(name)),
                None,
                true,
            )
            .await?;
    }
    for issuer in &s.issuers {
        let r = set_issuer(env, issuer).await?;
        if !r.is_success() {
            return Err(Error::Client(format!(
                "issuer {}: {} {}",
                issuer.name, r.status, r.body
            )));
        }
    }
    if !s.contacts.is_empty() {
        let body = json!({ "contacts": s.contacts });
        let r = env
            .vault
            .send(Method::PUT, "/certificates/contacts", Some(&body), true)
            .await?;
        if !r.is_success() {
            return Err(Error::Client(format!("contacts: {} {}", r.status, r.body)));
        }
    }
    Ok(())
}

/// Global vault state as it was before a case that changes it.
#[derive(Debug, Default)]
pub(crate) struct Saved {
    /// Vault's clock offset in seconds (`None`: unknown, reset to 0).
    clock_offset: Option<i64>,
    /// The certificate contacts: `Some(None)` when none were set; `None`: unknown, left alone.
    contacts: Option<Option<Value>>,
    /// The ACME gateway's chaos document (`None`: unknown, `{}` is put instead).
    acme_chaos: Option<Value>,
}

/// Reads what the case will change globally (vault's clock offset, the contacts), so that
/// [`teardown`] can put it back. Failures are warnings: teardown then falls back to defaults.
pub(crate) async fn snapshot(env: &Env, case: &Case) -> Saved {
    let mut saved = Saved::default();
    if case.moves_vault_clock() {
        match env.vault.get("/_admin/clock").await {
            Ok(r) if r.is_success() => saved.clock_offset = r.body["offset_seconds"].as_i64(),
            Ok(r) => eprintln!(
                "warning: {}: vault clock: {} {}",
                case.name, r.status, r.body
            ),
            Err(e) => eprintln!("warning: {}: vault clock: {e}", case.name),
        }
    }
    if case.touches_acme_chaos() {
        match env.vault.get(ACME_CHAOS).await {
            Ok(r) if r.is_success() => saved.acme_chaos = Some(r.body),
            Ok(r) => eprintln!(
                "warning: {}: acme chaos: {} {}",
                case.name, r.status, r.body
            ),
            Err(e) => eprintln!("warning: {}: acme chaos: {e}", case.name),
        }
    }
    if case.changes_contacts() {
        match env.vault.get("/certificates/contacts").await {
            Ok(r) if r.is_success() => saved.contacts = Some(Some(r.body["contacts"].clone())),
            Ok(r) if r.status == 404 => saved.contacts = Some(None),
            Ok(r) => eprintln!("warning: {}: contacts: {} {}", case.name, r.status, r.body),
            Err(e) => eprintln!("warning: {}: contacts: {e}", case.name),
        }
    }
    saved
}

/// Undoes global changes: fault rules are cleared; vault's clock offset, the contacts and the
/// ACME chaos document are put back as they were before the case.
pub(crate) async fn teardown(env: &Env, case: &Case, saved: &Saved) -> Result<(), Error> {
    if case.touches_faults() {
        env.ca_sim.call(Method::DELETE, "/faults", None).await?;
    }
    if case.moves_vault_clock() {
        let offset = saved.clock_offset.unwrap_or(0);
        let r = env
            .vault
            .send(
                Method::PUT,
                "/_admin/clock",
                Some(&json!({ "offset_seconds": offset })),
                true,
            )
            .await?;
        if !r.is_success() {
            return Err(Error::Client(format!(
                "vault clock: {} {}",
                r.status, r.body
            )));
        }
    }
    if case.touches_acme_chaos() {
        let doc = saved.acme_chaos.clone().unwrap_or_else(|| json!({}));
        let r = env
            .vault
            .send(Method::PUT, ACME_CHAOS, Some(&doc), true)
            .await?;
        if !r.is_success() {
            return Err(Error::Client(format!(
                "acme chaos: {} {}",
                r.status, r.body
            )));
        }
    }
    match &saved.contacts {
        Some(Some(contacts)) => {
            env.vault
                .send(
                    Method::PUT,
                    "/certificates/contacts",
                    Some(&json!({ "contacts": contacts })),
                    true,
                )
                .await?;
        }
        Some(None) => {
            // 404 when the case already deleted them.
            env.vault
                .send(Method::DELETE, "/certificates/contacts", None, true)
                .await?;
        }
        None => {}
    }
    Ok(())
}

/// The highest outbox row id so far (0 when empty).
pub(crate) async fn last_notification_id(env: &Env) -> Result<u64, Error> {
    let r = env.vault.get(&notifications_path(None)).await?;
    if !r.is_success() {
        return Err(Error::Client(format!(
            "vault notifications: {} {}",
            r.status, r.body
        )));
    }
    Ok(r.body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_u64())
        .max()
        .unwrap_or(0))
}
