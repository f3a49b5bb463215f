//! Accounts (RFC 8555 §7.3): `new-account` (create with `jwk`; an existing key answers 200
//! with its `Location`; `onlyReturnExisting`; terms of service; external account binding
//! §7.3.4), the account URL (POST-as-GET, contact update §7.3.2, deactivation §7.3.6) and key
//! rollover (`key-change`, §7.3.5). Every change is one `apply`, then the account cache.

use super::directory::TERMS;
use crate::acme::gateway::{random_id, KnownAccount};
use crate::acme::reply::{internal, malformed, unauthorized, Reply};
use crate::acme::request::{AcmeRequest, Cx, Signer};
use crate::acme::wire;
use crate::model::acme::{AccountRecord, AccountStatus};
use crate::store::Change;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use shared::acme::jwk::Jwk;
use shared::acme::jws::{Eab, Jws, KeyRef};
use shared::acme::problem::{ErrorType, Problem};
use std::sync::Arc;

/// At most this many contact URLs per account.
const MAX_CONTACTS: usize = 10;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewAccount {
    #[serde(default)]
    contact: Option<Vec<String>>,
    #[serde(default)]
    terms_of_service_agreed: Option<bool>,
    #[serde(default)]
    only_return_existing: Option<bool>,
    #[serde(default)]
    external_account_binding: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateAccount {
    #[serde(default)]
    contact: Option<Vec<String>>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyChange {
    account: String,
    old_key: Value,
}

/// `mailto:` URLs only (§7.3: `unsupportedContact`), each a plausible single address
/// (`invalidContact`).
fn check_contacts(contacts: &[String]) -> Result<(), Problem> {
    if contacts.len() > MAX_CONTACTS {
        return Err(Problem::new(
            ErrorType::InvalidContact,
            format!("An account may have at most {MAX_CONTACTS} contacts."),
        ));
    }
    for contact in contacts {
        let Some(address) = contact.strip_prefix("mailto:") else {
            return Err(Problem::new(
                ErrorType::UnsupportedContact,
                format!("The contact '{contact}' is not a mailto: URL."),
            ));
        };
        let plausible = address
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
            && address.matches('@').count() == 1
            && !address
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, ',' | '?' | '<' | '>'));
        if !plausible {
            return Err(Problem::new(
                ErrorType::InvalidContact,
                format!("The contact '{contact}' is not a single e-mail address."),
            ));
        }
    }
    Ok(())
}

fn account_reply(cx: &Cx, account: &AccountRecord, status: StatusCode) -> Reply {
    Reply::json(&wire::account(&cx.urls, account))
        .status(status)
        .location(cx.urls.account(&account.id))
}

/// `POST /acme/new-account`.
pub async fn new_account(cx: &Cx, req: AcmeRequest) -> Result<Reply, Problem> {
    let Signer::Key(jwk, jwk_value) = &req.signer else {
        return Err(malformed(
            "new-account must be signed with 'jwk' (the new account's key), not 'kid'.",
        ));
    };
    let payload: NewAccount = req.payload()?;
    let thumbprint = jwk.thumbprint();
    // One creation per key at a time: the thumbprint is unique in the store.
    let _lock = cx.vault.key_locks.lock(&thumbprint).await;
    let key = thumbprint.clone();
    let existing = cx
        .store(move |s| s.acme_account_by_thumbprint(&key))
        .await?;
    if let Some(existing) = existing {
        if existing.status != AccountStatus::Valid {
            return Err(unauthorized(format!(
                "The account of this key is {:?}.",
                existing.status
            )));
        }
        let reply = account_reply(cx, &existing, StatusCode::OK);
        cx.vault
            .cache_account(Arc::new(KnownAccount::new(existing).map_err(internal)?));
        return Ok(reply);
    }
    if payload.only_return_existing == Some(true) {
        return Err(Problem::new(
            ErrorType::AccountDoesNotExist,
            "No account exists with this key.",
        ));
    }
    if payload.terms_of_service_agreed != Some(true) {
        return Err(malformed(format!(
            "You must agree to the terms of service ({TERMS}): send termsOfServiceAgreed: true."
        )));
    }
    let contact = payload.contact.unwrap_or_default();
    check_contacts(&contact)?;
    let now = cx.now();
    let mut record = AccountRecord {
        id: random_id().map_err(internal)?,
        status: AccountStatus::Valid,
        jwk: jwk_value.clone(),
        thumbprint,
        contact,
        terms_of_service_agreed: true,
        eab_kid: None,
        created: now,
    };
    let mut changes = Vec::with_capacity(2);
    // EAB keys are bound one at a time, so one key can never bind two accounts.
    let _eab_lock;
    match payload.external_account_binding {
        Some(value) => {
            _eab_lock = cx.vault.eab_lock.lock().await;
            let eab = Eab::parse(&value)?;
            let kid = eab.kid.clone();
            let stored = cx.store(move |s| s.acme_eab(&kid)).await?;
            let Some(mut stored) = stored else {
                return Err(unauthorized(format!(
                    "The external account binding key id '{}' is unknown.",
                    eab.kid
                )));
            };
            if stored.account_id.is_some() {
                return Err(unauthorized(format!(
                    "The external account binding key '{}' is already bound to an account.",
                    eab.kid
                )));
            }
            eab.verify(&stored.hmac_key, &req.jws.header)?;
            stored.account_id = Some(record.id.clone());
            record.eab_kid = Some(stored.kid.clone());
            changes.push(Change::PutAcmeEab(stored));
        }
        None if cx.acme.settings.eab_required => {
            return Err(Problem::new(
                ErrorType::ExternalAccountRequired,
                "This server requires an external account binding (keys from /_admin/acme/eab).",
            ))
        }
        None => {}
    }
    changes.push(Change::PutAcmeAccount(record.clone()));
    cx.store(move |s| s.apply(changes)).await?;
    tracing::info!(vault = %cx.vault.name, acme.account = %record.id, "acme: account created");
    let reply = account_reply(cx, &record, StatusCode::CREATED);
    cx.vault.cache_account(Arc::new(KnownAccount {
        record,
        key: (**jwk).clone(),
    }));
    Ok(reply)
}

/// Reads account `id` under its lock, lets `change` modify it, writes it and caches it.
async fn update(
    cx: &Cx,
    id: &str,
    change: impl FnOnce(&mut AccountRecord) -> Result<(), Problem>,
) -> Result<AccountRecord, Problem> {
    let _lock = cx.vault.locks.lock(id).await;
    let key = id.to_string();
    let Some(mut record) = cx.store(move |s| s.acme_account(&key)).await? else {
        return Err(Problem::new(
            ErrorType::AccountDoesNotExist,
            "No such account.",
        ));
    };
    change(&mut record)?;
    let write = record.clone();
    cx.store(move |s| s.apply(vec![Change::PutAcmeAccount(write)]))
        .await?;
    cx.vault.cache_account(Arc::new(
        KnownAccount::new(record.clone()).map_err(internal)?,
    ));
    Ok(record)
}

/// `POST /acme/acct/{id}`: POST-as-GET reads the account; `contact` replaces the contacts;
/// `status: "deactivated"` deactivates it for good.
pub async fn account(cx: &Cx, req: AcmeRequest, id: &str) -> Result<Reply, Problem> {
    let signer = req.account()?;
    if signer.record.id != id {
        return Err(unauthorized("The request is signed by another account."));
    }
    if req.is_post_as_get() {
        return Ok(account_reply(cx, &signer.record, StatusCode::OK));
    }
    let payload: UpdateAccount = req.payload()?;
    if let Some(contact) = &payload.contact {
        check_contacts(contact)?;
    }
    let deactivate = match payload.status.as_deref() {
        None => false,
        Some("deactivated") => true,
        Some(other) => {
            return Err(malformed(format!(
                "An account's status can only be set to 'deactivated', not '{other}'."
            )))
        }
    };
    let record = update(cx, id, |a| {
        if let Some(contact) = payload.contact {
            a.contact = contact;
        }
        if deactivate {
            a.status = AccountStatus::Deactivated;
        }
        Ok(())
    })
    .await?;
    if deactivate {
        tracing::info!(vault = %cx.vault.name, acme.account = %id, "acme: account deactivated");
    }
    Ok(account_reply(cx, &record, StatusCode::OK))
}

/// `POST /acme/key-change` (RFC 8555 §7.3.5): the payload is a JWS signed by the new key
/// over `{account, oldKey}`; a new key another account already has is 409 with its
/// `Location`.
pub async fn key_change(cx: &Cx, req: AcmeRequest) -> Result<Reply, Problem> {
    let signer = req.account()?.clone();
    let outer: Value = req.payload()?;
    let inner = Jws::parse_key_change(&outer)?;
    if inner.header.url != req.jws.header.url {
        return Err(malformed(
            "The inner JWS 'url' must be the outer request's (the key-change URL).",
        ));
    }
    let KeyRef::Jwk(new_key, new_value) = &inner.header.key else {
        return Err(malformed("The inner JWS must carry the new key as 'jwk'."));
    };
    inner.verify_with(new_key)?;
    let change: KeyChange = serde_json::from_slice(&inner.payload)
        .map_err(|e| malformed(format!("The key-change payload is not valid: {e}.")))?;
    let account_url = cx.urls.account(&signer.record.id);
    if change.account != account_url {
        return Err(unauthorized(
            "The key-change 'account' is not the account that signed the request.",
        ));
    }
    let old = Jwk::from_value(&change.old_key)?;
    if !old.same_key(&signer.key) {
        return Err(unauthorized(
            "The key-change 'oldKey' is not the account's current key.",
        ));
    }
    let thumbprint = new_key.thumbprint();
    // Under the new key's lock, like new-account: the thumbprint is unique.
    let _lock = cx.vault.key_locks.lock(&thumbprint).await;
    let key = thumbprint.clone();
    let holder = cx
        .store(move |s| s.acme_account_by_thumbprint(&key))
        .await?;
    if let Some(holder) = holder {
        let problem = malformed("The new key is already the key of an account.");
        let mut conflict = Reply::bytes(
            "application/problem+json",
            serde_json::to_vec(&Problem {
                status: StatusCode::CONFLICT.as_u16(),
                ..problem
            })
            .unwrap_or_default(),
        )
        .status(StatusCode::CONFLICT)
        .location(cx.urls.account(&holder.id));
        conflict.content_type = "application/problem+json";
        return Ok(conflict);
    }
    let (new_value, id) = (new_value.clone(), signer.record.id.clone());
    let record = update(cx, &id, |a| {
        if a.status != AccountStatus::Valid {
            return Err(unauthorized("The account is no longer valid."));
        }
        a.jwk = new_value;
        a.thumbprint = thumbprint;
        Ok(())
    })
    .await?;
    tracing::info!(vault = %cx.vault.name, acme.account = %id, "acme: account key rolled over");
    Ok(account_reply(cx, &record, StatusCode::OK))
}
