//! Accounts (RFC 8555 §7.3): newAccount (with external account binding, §7.3.4), the
//! account object (read, contact update, deactivation), its orders list (§7.1.2.1), which
//! clients use to find an order whose answer they lost, and key rollover (§7.3.5).

use super::objects::{random_id, Urls};
use super::vendor::{internal, json, malformed, not_found, unauthorized, Acme};
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::domain::acme::AcmeAccount;
use crate::domain::op;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json as j, Value};
use shared::acme::jwk::Jwk;
use shared::acme::jws::{Eab, Jws, KeyRef};
use shared::acme::problem::{ErrorType, Problem};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct NewAccountPayload {
    #[serde(default)]
    contact: Option<Vec<String>>,
    #[serde(default)]
    only_return_existing: bool,
    #[serde(default)]
    external_account_binding: Option<Value>,
}

/// `POST /acme/new-account` (signed with `jwk`).
pub struct NewAccount {
    payload: NewAccountPayload,
}

fn check_contacts(contact: &[String]) -> Result<(), Problem> {
    for c in contact {
        if !c.starts_with("mailto:") || c.len() <= "mailto:".len() {
            return Err(Problem::new(
                ErrorType::UnsupportedContact,
                format!("Only mailto: contacts are supported, not '{c}'."),
            ));
        }
    }
    Ok(())
}

impl Operation<Acme> for NewAccount {
    const NAME: &'static str = op::NEW_ACCOUNT;

    fn parse(call: &mut Call<Acme>) -> Result<Self, Problem> {
        Ok(Self {
            payload: call.req.payload()?,
        })
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        let urls = Urls(&app.base_url);
        let Some((jwk, jwk_value)) = call.req.jwk() else {
            return Err(malformed("newAccount must be signed with 'jwk', not 'kid'.").into());
        };
        let thumbprint = jwk.thumbprint();
        let jwk_value = jwk_value.clone();
        call.gate(None).await?;
        if let Some(existing) = app.acme.account_by_thumbprint(&thumbprint) {
            call.meta.account = Some(existing.id.clone());
            return Ok(json(
                &app,
                StatusCode::OK,
                &existing.to_json(&urls),
                Some(urls.account(&existing.id)),
            ));
        }
        if self.payload.only_return_existing {
            return Err(Problem::new(
                ErrorType::AccountDoesNotExist,
                "No account exists with this key.",
            )
            .into());
        }
        let contact = self.payload.contact.unwrap_or_default();
        check_contacts(&contact)?;
        let eab_kid = match &self.payload.external_account_binding {
            Some(binding) => {
                let eab = Eab::parse(binding).map_err(Problem::from)?;
                let key = app
                    .acme
                    .config
                    .eab_keys
                    .get(&eab.kid)
                    .and_then(|k| URL_SAFE_NO_PAD.decode(k.trim_end_matches('=')).ok())
                    .ok_or_else(|| {
                        unauthorized(format!("Unknown external account key id '{}'.", eab.kid))
                    })?;
                eab.verify(&key, &call.req.jws()?.header)
                    .map_err(Problem::from)?;
                Some(eab.kid)
            }
            None if app.acme.config.eab_required => {
                return Err(Problem::new(
                    ErrorType::ExternalAccountRequired,
                    "This CA requires an external account binding.",
                )
                .into())
            }
            None => None,
        };
        let account = AcmeAccount {
            id: random_id().map_err(internal)?,
            jwk: jwk_value,
            thumbprint,
            status: "valid".into(),
            contact,
            eab_kid,
            created_ms: app.clock.now_ms(),
        };
        app.acme.put_account(account.clone()).map_err(internal)?;
        call.meta.account = Some(account.id.clone());
        Ok(json(
            &app,
            StatusCode::CREATED,
            &account.to_json(&urls),
            Some(urls.account(&account.id)),
        ))
    }
}

#[derive(Deserialize, Default)]
struct AccountUpdate {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    contact: Option<Vec<String>>,
}

/// The account of `/acme/acct/{id}`, which must be the signer's.
fn own_account(call: &Call<Acme>) -> Result<AcmeAccount, Problem> {
    let id = call.req.inc.param("id");
    if id != call.account.id {
        return Err(unauthorized("An account can only be read by its own key."));
    }
    call.app
        .acme
        .account(id)
        .ok_or_else(|| not_found("account"))
}

/// `POST /acme/acct/{id}`: read (POST-as-GET), update contacts, or deactivate (§7.3.2, §7.3.6).
pub struct AccountOp;

impl Operation<Acme> for AccountOp {
    const NAME: &'static str = op::USER;

    fn parse(_call: &mut Call<Acme>) -> Result<Self, Problem> {
        Ok(Self)
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        let mut account = own_account(call)?;
        call.gate(None).await?;
        if !call.req.jws()?.payload.is_empty() {
            let update: AccountUpdate = call.req.payload()?;
            if let Some(contact) = update.contact {
                check_contacts(&contact)?;
                account.contact = contact;
            }
            match update.status.as_deref() {
                None => {}
                Some("deactivated") => account.status = "deactivated".into(),
                Some(other) => {
                    return Err(malformed(format!("An account cannot be set to '{other}'.")).into())
                }
            }
            app.acme.put_account(account.clone()).map_err(internal)?;
        }
        let urls = Urls(&app.base_url);
        Ok(json(&app, StatusCode::OK, &account.to_json(&urls), None))
    }
}

/// `POST /acme/acct/{id}/orders`: the account's orders (§7.1.2.1), oldest first.
pub struct OrdersList;

impl Operation<Acme> for OrdersList {
    const NAME: &'static str = op::LOOKUP;

    fn parse(call: &mut Call<Acme>) -> Result<Self, Problem> {
        call.req.post_as_get()?;
        Ok(Self)
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        let account = own_account(call)?;
        call.gate(None).await?;
        let urls = Urls(&app.base_url);
        let orders: Vec<String> = app
            .acme
            .orders_of(&account.id)
            .iter()
            .map(|o| urls.order(&o.id))
            .collect();
        Ok(json(&app, StatusCode::OK, &j!({ "orders": orders }), None))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyChangePayload {
    account: String,
    old_key: Value,
}

/// `POST /acme/key-change` (§7.3.5): signed by the account's current key, carrying a JWS
/// signed by the new key over `{account, oldKey}`. A key another account holds is 409 with
/// that account's `Location`.
pub struct KeyChange;

impl Operation<Acme> for KeyChange {
    const NAME: &'static str = op::USER;

    fn parse(_call: &mut Call<Acme>) -> Result<Self, Problem> {
        Ok(Self)
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        let urls = Urls(&app.base_url);
        let mut account = app
            .acme
            .account(&call.account.id)
            .ok_or_else(|| malformed("A key change must be signed with 'kid'."))?;
        let outer: Value = call.req.payload()?;
        let inner = Jws::parse_key_change(&outer).map_err(Problem::from)?;
        if inner.header.url != call.req.jws()?.header.url {
            return Err(malformed("The inner JWS 'url' must be the key-change URL.").into());
        }
        let KeyRef::Jwk(new_key, new_value) = &inner.header.key else {
            return Err(malformed("The inner JWS must carry the new key as 'jwk'.").into());
        };
        inner.verify_with(new_key).map_err(Problem::from)?;
        let change: KeyChangePayload = serde_json::from_slice(&inner.payload)
            .map_err(|e| malformed(format!("The key-change payload is not valid: {e}.")))?;
        if change.account != urls.account(&account.id) {
            return Err(
                unauthorized("'account' is not the account that signed the request.").into(),
            );
        }
        let current = Jwk::from_value(&account.jwk).map_err(Problem::from)?;
        let old = Jwk::from_value(&change.old_key).map_err(Problem::from)?;
        if !old.same_key(&current) {
            return Err(unauthorized("'oldKey' is not the account's current key.").into());
        }
        call.gate(None).await?;
        let thumbprint = new_key.thumbprint();
        if let Some(holder) = app.acme.account_by_thumbprint(&thumbprint) {
            let mut p = malformed("Another account already uses the new key.");
            p.status = StatusCode::CONFLICT.as_u16();
            let mut r = super::vendor::problem_response(&app, p);
            if let Ok(v) = axum::http::HeaderValue::from_str(&urls.account(&holder.id)) {
                r.headers_mut().insert(axum::http::header::LOCATION, v);
            }
            return Ok(r);
        }
        account.jwk = new_value.clone();
        account.thumbprint = thumbprint;
        app.acme.put_account(account.clone()).map_err(internal)?;
        Ok(json(&app, StatusCode::OK, &account.to_json(&urls), None))
    }
}
