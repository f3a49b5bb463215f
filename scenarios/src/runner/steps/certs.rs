//! Steps on certificates and their versions, deleted certificates, lists and backups.

use super::send::{send, send_op};
use crate::case::step::{self, LifetimeActionSpec, ListOf};
use crate::client::Reply;
use crate::error::Error;
use crate::extca;
use crate::runner::env::Env;
use crate::runner::observed::Observed;
use crate::runner::state::{CaseState, Failure};
use crate::runner::wire::{enc, toml_to_json};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use shared::crypto::{self, PrivateKey};

/// `create`: `POST /certificates/{name}/create`; a 2xx answer is the pending operation.
pub(super) async fn create(env: &Env, s: &step::Create, obs: &mut Observed) -> Result<(), Failure> {
    let body = match &s.body {
        Some(b) => toml_to_json(b),
        None => create_body(s),
    };
    let path = format!("/certificates/{}/create", enc(&s.name));
    send_op(env, obs, Method::POST, &path, Some(&body)).await
}

/// The body of a `create` without a verbatim `body`: EC P-256 (RSA 2048 for `RSA` key types),
/// `CN={name}.example`, a PKCS#12 secret; partner issuers get `OV-SSL` unless `cty` says
/// otherwise.
fn create_body(s: &step::Create) -> Value {
    let issuer = s.issuer.as_deref().unwrap_or("Self");
    let kty = s.key_type.as_deref().unwrap_or("EC").to_string();
    let mut key_props = json!({ "kty": kty, "exportable": true, "reuse_key": false });
    if kty.starts_with("RSA") {
        key_props["key_size"] = json!(s.key_size.unwrap_or(2048));
    } else {
        key_props["crv"] = json!(s.curve.as_deref().unwrap_or("P-256"));
    }
    let mut x509 = json!({
        "subject": s.subject.clone().unwrap_or_else(|| format!("CN={}.example", s.name)),
    });
    if !s.dns_names.is_empty() {
        x509["sans"] = json!({ "dns_names": s.dns_names });
    }
    if let Some(m) = s.validity_months {
        x509["validity_months"] = json!(m);
    }
    let mut issuer_obj = json!({ "name": issuer });
    let partner = issuer != "Self" && issuer != "Unknown";
    if let Some(c) = s.cty.as_deref().or(partner.then_some("OV-SSL")) {
        issuer_obj["cty"] = json!(c);
    }
    let mut body = json!({
        "policy": {
            "key_props": key_props,
            "secret_props": {
                "contentType": s.content_type.as_deref().unwrap_or("application/x-pkcs12")
            },
            "x509_props": x509,
            "issuer": issuer_obj,
        }
    });
    if let Some(r) = s.reuse_key {
        body["policy"]["key_props"]["reuse_key"] = json!(r);
    }
    if !s.lifetime_actions.is_empty() {
        body["policy"]["lifetime_actions"] = lifetime_actions_json(&s.lifetime_actions);
    }
    if let Some(t) = &s.tags {
        body["tags"] = serde_json::to_value(t).unwrap_or(Value::Null);
    }
    body
}

/// A policy's `lifetime_actions` array.
fn lifetime_actions_json(actions: &[LifetimeActionSpec]) -> Value {
    actions
        .iter()
        .map(|a| {
            let mut trigger = json!({});
            if let Some(p) = a.lifetime_percentage {
                trigger["lifetime_percentage"] = json!(p);
            }
            if let Some(d) = a.days_before_expiry {
                trigger["days_before_expiry"] = json!(d);
            }
            json!({ "trigger": trigger, "action": { "action_type": a.action } })
        })
        .collect()
}

/// `import`: `POST /certificates/{name}/import` of a key and a certificate from the runner's
/// CA (PFX or PEM; without the key or expired when the step asks for a refusal).
pub(super) async fn import(env: &Env, s: &step::Import, obs: &mut Observed) -> Result<(), Failure> {
    let body = match &s.body {
        Some(b) => toml_to_json(b),
        None => {
            let spec = extca::key_spec(s.key_type.as_deref(), s.key_size, s.curve.as_deref())
                .map_err(Failure::new)?;
            let key = tokio::task::spawn_blocking(move || PrivateKey::generate(spec))
                .await
                .map_err(|e| Failure::new(e.to_string()))?
                .map_err(Error::from)?;
            let subject = s
                .subject
                .clone()
                .unwrap_or_else(|| format!("CN={}.example", s.name));
            let chain = env
                .external_ca
                .issue(&key, &subject, &s.dns_names, s.expired)
                .map_err(Error::from)?;
            let key = (!s.without_key).then_some(&key);
            if s.format.as_deref() == Some("pem") {
                json!({
                    "value": crypto::pem_bundle(key, &chain),
                    "policy": { "secret_props": { "contentType": "application/x-pem-file" } },
                })
            } else {
                let pfx = crypto::pkcs12_build(key, &chain).map_err(Error::from)?;
                json!({ "value": B64.encode(pfx) })
            }
        }
    };
    let path = format!("/certificates/{}/import", enc(&s.name));
    send(env, obs, Method::POST, &path, Some(&body)).await
}

/// `get`: `GET /certificates/{name}/{version}` (latest by default).
pub(super) async fn get(env: &Env, s: &step::Get, obs: &mut Observed) -> Result<(), Failure> {
    let path = match &s.version {
        Some(ver) => format!("/certificates/{}/{}", enc(&s.name), enc(ver)),
        None => format!("/certificates/{}/", enc(&s.name)),
    };
    send(env, obs, Method::GET, &path, None).await
}

/// `update`: `PATCH /certificates/{name}` with `enabled` and `tags`.
pub(super) async fn update(env: &Env, s: &step::Update, obs: &mut Observed) -> Result<(), Failure> {
    let mut body = json!({});
    if let Some(e) = s.enabled {
        body["attributes"] = json!({ "enabled": e });
    }
    if let Some(t) = &s.tags {
        body["tags"] = serde_json::to_value(t).unwrap_or(Value::Null);
    }
    let path = format!("/certificates/{}", enc(&s.name));
    send(env, obs, Method::PATCH, &path, Some(&body)).await
}

/// `delete`: `DELETE /certificates/{name}` (soft delete).
pub(super) async fn delete(env: &Env, s: &step::Delete, obs: &mut Observed) -> Result<(), Failure> {
    let path = format!("/certificates/{}", enc(&s.name));
    send(env, obs, Method::DELETE, &path, None).await
}

/// `get_deleted`: `GET /deletedcertificates/{name}`.
pub(super) async fn get_deleted(
    env: &Env,
    s: &step::GetDeleted,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let path = format!("/deletedcertificates/{}", enc(&s.name));
    send(env, obs, Method::GET, &path, None).await
}

/// `recover`: `POST /deletedcertificates/{name}/recover`.
pub(super) async fn recover(
    env: &Env,
    s: &step::Recover,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let path = format!("/deletedcertificates/{}/recover", enc(&s.name));
    send(env, obs, Method::POST, &path, None).await
}

/// `purge`: `DELETE /deletedcertificates/{name}`.
pub(super) async fn purge(env: &Env, s: &step::Purge, obs: &mut Observed) -> Result<(), Failure> {
    let path = format!("/deletedcertificates/{}", enc(&s.name));
    send(env, obs, Method::DELETE, &path, None).await
}

/// `list`: every page of certificates, one certificate's versions, deleted certificates or
/// issuers.
pub(super) async fn list(env: &Env, s: &step::List, obs: &mut Observed) -> Result<(), Failure> {
    let path = match s.of {
        ListOf::Certificates => "/certificates".to_string(),
        ListOf::Deleted => "/deletedcertificates".to_string(),
        ListOf::Issuers => "/certificates/issuers".to_string(),
        ListOf::Versions => {
            format!(
                "/certificates/{}/versions",
                enc(s.name.as_deref().unwrap_or(""))
            )
        }
    };
    let (reply, names) = list_all(env, &path).await?;
    obs.list = Some(names);
    obs.reply = Some(reply);
    Ok(())
}

/// Follows `nextLink` and collects the last path segment of each item's id (the version for
/// version lists).
async fn list_all(env: &Env, path: &str) -> Result<(Reply, Vec<String>), Failure> {
    let mut names = Vec::new();
    let mut next = Some(path.to_string());
    let mut last = None;
    let mut pages = 0;
    while let Some(p) = next.take() {
        let r = env.vault.get(&p).await?;
        if !r.is_success() {
            return Ok((r, names));
        }
        for item in r.body["value"].as_array().into_iter().flatten() {
            if let Some(id) = item["id"].as_str() {
                let segs: Vec<&str> = id.trim_end_matches('/').split('/').collect();
                if let Some(n) = segs.last() {
                    names.push(n.to_string());
                }
            }
        }
        next = r.body["nextLink"].as_str().map(str::to_string);
        last = Some(r);
        pages += 1;
        if pages > 1000 {
            return Err(Failure::new("more than 1000 pages"));
        }
    }
    Ok((
        last.unwrap_or(Reply {
            status: 200,
            body: Value::Null,
        }),
        names,
    ))
}

/// `backup`: `POST /certificates/{name}/backup`; the blob is kept under `save_as`.
pub(super) async fn backup(
    env: &Env,
    s: &step::Backup,
    state: &mut CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let r = env
        .vault
        .send(
            Method::POST,
            &format!("/certificates/{}/backup", enc(&s.name)),
            None,
            true,
        )
        .await?;
    if let Some(blob) = r.body["value"].as_str() {
        state.backups.insert(s.save_as.clone(), blob.to_string());
    }
    obs.reply = Some(r);
    Ok(())
}

/// `restore`: `POST /certificates/restore` with a blob an earlier `backup` saved.
pub(super) async fn restore(
    env: &Env,
    s: &step::Restore,
    state: &mut CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let blob = state
        .backups
        .get(&s.from)
        .ok_or_else(|| Failure::new(format!("no backup saved as '{}'", s.from)))?;
    let body = json!({ "value": blob });
    send(env, obs, Method::POST, "/certificates/restore", Some(&body)).await
}
