//! A case's setup and teardown: the state put in place before its first step, and the global
//! state (faults, vault's clock, contacts, the ACME chaos document) read before and put back
//! after.

use super::env::Env;
use super::wire::{enc, notifications_path, set_issuer};
use crate::case::Case;
use crate::client::Reply;
use crate::error::Error;
use reqwest::Method;
use serde_json::{json, Value};

/// The ACME gateway's chaos document (vault's admin API).
const ACME_CHAOS: &str = "/_admin/acme/chaos";
/// Vault's clock offset (its admin API).
const CLOCK: &str = "/_admin/clock";
/// The certificate contacts.
const CONTACTS: &str = "/certificates/contacts";

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
        set_vault_clock(env, offset).await?;
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
        // Delete, then purge; either may answer 404.
        for collection in ["certificates", "deletedcertificates"] {
            let path = format!("/{collection}/{}", enc(name));
            env.vault.send(Method::DELETE, &path, None, true).await?;
        }
    }
    for issuer in &s.issuers {
        succeeded(
            &format!("issuer {}", issuer.name),
            set_issuer(env, issuer).await?,
        )?;
    }
    if !s.contacts.is_empty() {
        let body = json!({ "contacts": s.contacts });
        put(env, "contacts", CONTACTS, &body).await?;
    }
    Ok(())
}

/// A vault reply that must be a success: any other answer is an error naming `what`.
fn succeeded(what: &str, r: Reply) -> Result<Reply, Error> {
    if !r.is_success() {
        return Err(Error::Client(format!("{what}: {} {}", r.status, r.body)));
    }
    Ok(r)
}

/// `PUT path` with `body` on vault; any answer but a success is an error naming `what`.
async fn put(env: &Env, what: &str, path: &str, body: &Value) -> Result<(), Error> {
    let r = env.vault.send(Method::PUT, path, Some(body), true).await?;
    succeeded(what, r)?;
    Ok(())
}

/// `PUT /_admin/clock`: vault's clock offset from the system clock, in seconds.
async fn set_vault_clock(env: &Env, offset: i64) -> Result<(), Error> {
    put(
        env,
        "vault clock",
        CLOCK,
        &json!({ "offset_seconds": offset }),
    )
    .await
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
        if let Some(r) = read_saved(env, case, "vault clock", CLOCK, None).await {
            saved.clock_offset = r.body["offset_seconds"].as_i64();
        }
    }
    if case.touches_acme_chaos() {
        saved.acme_chaos = read_saved(env, case, "acme chaos", ACME_CHAOS, None)
            .await
            .map(|r| r.body);
    }
    if case.changes_contacts() {
        // 404: no contacts were set.
        saved.contacts = read_saved(env, case, "contacts", CONTACTS, Some(404))
            .await
            .map(|r| r.is_success().then(|| r.body["contacts"].clone()));
    }
    saved
}

/// Reads vault's `path` for [`snapshot`]: the reply when it is a success (or has the status
/// `also`); otherwise a warning naming `what`, and `None`.
async fn read_saved(
    env: &Env,
    case: &Case,
    what: &str,
    path: &str,
    also: Option<u16>,
) -> Option<Reply> {
    match env.vault.get(path).await {
        Ok(r) if r.is_success() || Some(r.status) == also => Some(r),
        Ok(r) => {
            eprintln!("warning: {}: {what}: {} {}", case.name, r.status, r.body);
            None
        }
        Err(e) => {
            eprintln!("warning: {}: {what}: {e}", case.name);
            None
        }
    }
}

/// Undoes global changes: fault rules are cleared; vault's clock offset, the contacts and the
/// ACME chaos document are put back as they were before the case.
pub(crate) async fn teardown(env: &Env, case: &Case, saved: &Saved) -> Result<(), Error> {
    if case.touches_faults() {
        env.ca_sim.call(Method::DELETE, "/faults", None).await?;
    }
    if case.moves_vault_clock() {
        set_vault_clock(env, saved.clock_offset.unwrap_or(0)).await?;
    }
    if case.touches_acme_chaos() {
        let doc = saved.acme_chaos.clone().unwrap_or_else(|| json!({}));
        put(env, "acme chaos", ACME_CHAOS, &doc).await?;
    }
    match &saved.contacts {
        Some(Some(contacts)) => {
            let body = json!({ "contacts": contacts });
            env.vault
                .send(Method::PUT, CONTACTS, Some(&body), true)
                .await?;
        }
        Some(None) => {
            // 404 when the case already deleted them.
            env.vault.send(Method::DELETE, CONTACTS, None, true).await?;
        }
        None => {}
    }
    Ok(())
}

/// The highest outbox row id so far (0 when empty).
pub(crate) async fn last_notification_id(env: &Env) -> Result<u64, Error> {
    let r = succeeded(
        "vault notifications",
        env.vault.get(&notifications_path(None)).await?,
    )?;
    Ok(r.body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_u64())
        .max()
        .unwrap_or(0))
}
