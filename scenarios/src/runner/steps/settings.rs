//! Steps on vault's issuers and certificate contacts.

use super::send::send;
use crate::case::step;
use crate::case::IssuerSpec;
use crate::runner::env::Env;
use crate::runner::observed::Observed;
use crate::runner::state::Failure;
use crate::runner::wire::{self, enc};
use reqwest::Method;
use serde_json::json;

/// The certificate contacts' path.
const CONTACTS: &str = "/certificates/contacts";

/// `set_issuer`: `PUT /certificates/issuers/{name}` (the same body as a `[[setup.issuers]]`).
pub(super) async fn set_issuer(
    env: &Env,
    s: &step::SetIssuer,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let spec = IssuerSpec {
        name: s.name.clone(),
        provider: s.provider.clone(),
        account_id: s.account_id.clone(),
        pwd: s.pwd.clone(),
        org_id: s.org_id.clone(),
        body: s.body.clone(),
    };
    obs.reply = Some(wire::set_issuer(env, &spec).await?);
    Ok(())
}

/// `get_issuer`: `GET /certificates/issuers/{name}`.
pub(super) async fn get_issuer(
    env: &Env,
    s: &step::GetIssuer,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let path = format!("/certificates/issuers/{}", enc(&s.name));
    send(env, obs, Method::GET, &path, None).await
}

/// `delete_issuer`: `DELETE /certificates/issuers/{name}`.
pub(super) async fn delete_issuer(
    env: &Env,
    s: &step::DeleteIssuer,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let path = format!("/certificates/issuers/{}", enc(&s.name));
    send(env, obs, Method::DELETE, &path, None).await
}

/// `set_contacts`: `PUT /certificates/contacts`.
pub(super) async fn set_contacts(
    env: &Env,
    s: &step::SetContacts,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let body = json!({ "contacts": s.contacts });
    send(env, obs, Method::PUT, CONTACTS, Some(&body)).await
}

/// `get_contacts`: `GET /certificates/contacts`.
pub(super) async fn get_contacts(env: &Env, obs: &mut Observed) -> Result<(), Failure> {
    send(env, obs, Method::GET, CONTACTS, None).await
}

/// `delete_contacts`: `DELETE /certificates/contacts`.
pub(super) async fn delete_contacts(env: &Env, obs: &mut Observed) -> Result<(), Failure> {
    send(env, obs, Method::DELETE, CONTACTS, None).await
}
