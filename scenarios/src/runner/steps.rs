//! What each step kind does on the wire, plus a case's setup and teardown.

use super::check::{self, Observed};
use super::{CaseState, Env, Failure, Observer};
use crate::case::{Case, IssuerSpec, LifetimeActionSpec, ListOf, Signer, Step};
use crate::client::Reply;
use crate::error::Error;
use crate::extca::{self, ExternalCa};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use shared::crypto::{self, PrivateKey};
use std::time::{Duration, Instant};

/// How often `poll_until` asks.
const POLL_EVERY: Duration = Duration::from_millis(100);
/// How long ca-sim admin steps wait for vault to have placed the order.
const ORDER_WAIT: Duration = Duration::from_secs(15);
/// How long `notifications` waits for its expectations by default.
const NOTIFICATION_WAIT: Duration = Duration::from_secs(20);

fn enc(name: &str) -> String {
    // Certificate names are [0-9a-zA-Z-]; anything else is sent as is so vault can refuse it.
    name.replace('/', "%2F").replace(' ', "%20")
}

fn toml_to_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

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

/// Undoes global changes: fault rules are cleared; vault's clock offset and the contacts are
/// put back as they were before the case.
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

/// The outbox path, for one certificate or all.
fn notifications_path(name: Option<&str>) -> String {
    match name {
        Some(n) => format!("/_admin/notifications?certificate={}", enc(n)),
        None => "/_admin/notifications".to_string(),
    }
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

/// Default credentials of ca-sim's built-in account per provider.
fn builtin_credentials(provider: &str) -> (&'static str, &'static str) {
    match provider {
        "GlobalSign" => ("PAR_SIM_API", "sim-gs-pass"),
        "WoSign" => ("ws-sim-001", "sim-ws-key"),
        _ => ("sim-dc-account", "sim-dc-key"),
    }
}

/// The body of `PUT /certificates/issuers/{name}`.
pub fn issuer_body(spec: &IssuerSpec) -> Value {
    if let Some(b) = &spec.body {
        return toml_to_json(b);
    }
    let (id, pwd) = builtin_credentials(&spec.provider);
    let mut body = json!({
        "provider": spec.provider,
        "credentials": {
            "account_id": spec.account_id.as_deref().unwrap_or(id),
            "pwd": spec.pwd.as_deref().unwrap_or(pwd),
        },
    });
    match spec.provider.as_str() {
        "DigiCert" => {
            body["org_details"] = json!({ "id": spec.org_id.as_deref().unwrap_or("100001") });
        }
        "GlobalSign" => {
            body["org_details"] = json!({ "admin_details": [{
                "first_name": "Ada", "last_name": "Admin",
                "email": "admin@contoso.example", "phone": "5555550100"
            }]});
        }
        _ => {}
    }
    body
}

async fn set_issuer(env: &Env, spec: &IssuerSpec) -> Result<Reply, Error> {
    env.vault
        .send(
            Method::PUT,
            &format!("/certificates/issuers/{}", enc(&spec.name)),
            Some(&issuer_body(spec)),
            true,
        )
        .await
}

/// Runs one step and checks its expectations. `Ok` carries the HTTP status seen.
pub(crate) async fn run_step(
    env: &Env,
    case: &Case,
    index: usize,
    step: &Step,
    state: &mut CaseState,
    observer: &dyn Observer,
) -> Result<(Option<u16>, Option<String>), Failure> {
    // `notifications` reads the outbox again until its expectations hold (mail is recorded
    // by vault's background scheduler, a moment after what caused it).
    let wait = match step {
        Step::Notifications { wait, .. } => wait.map(|d| d.0).unwrap_or(NOTIFICATION_WAIT),
        _ => Duration::ZERO,
    };
    let started = Instant::now();
    loop {
        let observed = perform(env, case, index, step, state, observer).await?;
        let status = observed.reply.as_ref().map(|r| r.status);
        match check::check(env, step, &observed).await {
            Ok(()) => return Ok((status, check::error_seen(&observed))),
            Err(message) if started.elapsed() >= wait => {
                let message = if wait.is_zero() {
                    message
                } else {
                    format!("after {:.1}s: {message}", wait.as_secs_f64())
                };
                return Err(Failure { message, status });
            }
            Err(_) => tokio::time::sleep(POLL_EVERY).await,
        }
    }
}

async fn perform(
    env: &Env,
    case: &Case,
    index: usize,
    step: &Step,
    state: &mut CaseState,
    observer: &dyn Observer,
) -> Result<Observed, Failure> {
    let v = &env.vault;
    let mut obs = Observed {
        name: step.cert_name().map(str::to_string),
        ..Default::default()
    };
    match step {
        Step::Create {
            name,
            issuer,
            subject,
            dns_names,
            key_type,
            key_size,
            curve,
            validity_months,
            cty,
            content_type,
            reuse_key,
            lifetime_actions,
            tags,
            body,
            ..
        } => {
            let body = match body {
                Some(b) => toml_to_json(b),
                None => {
                    let mut body = create_body(
                        name,
                        issuer.as_deref().unwrap_or("Self"),
                        subject.as_deref(),
                        dns_names,
                        key_type.as_deref(),
                        *key_size,
                        curve.as_deref(),
                        *validity_months,
                        cty.as_deref(),
                        content_type.as_deref(),
                    );
                    if let Some(r) = reuse_key {
                        body["policy"]["key_props"]["reuse_key"] = json!(r);
                    }
                    if !lifetime_actions.is_empty() {
                        body["policy"]["lifetime_actions"] =
                            lifetime_actions_json(lifetime_actions);
                    }
                    if let Some(t) = tags {
                        body["tags"] = serde_json::to_value(t).unwrap_or(Value::Null);
                    }
                    body
                }
            };
            let r = v
                .send(
                    Method::POST,
                    &format!("/certificates/{}/create", enc(name)),
                    Some(&body),
                    true,
                )
                .await?;
            obs.op = r.is_success().then(|| r.body.clone());
            obs.reply = Some(r);
        }
        Step::Import {
            name,
            format,
            subject,
            dns_names,
            key_type,
            key_size,
            curve,
            without_key,
            expired,
            body,
            ..
        } => {
            let body = match body {
                Some(b) => toml_to_json(b),
                None => {
                    let spec = extca::key_spec(key_type.as_deref(), *key_size, curve.as_deref())
                        .map_err(Failure::new)?;
                    let key = tokio::task::spawn_blocking(move || PrivateKey::generate(spec))
                        .await
                        .map_err(|e| Failure::new(e.to_string()))?
                        .map_err(Error::from)?;
                    let subject = subject
                        .clone()
                        .unwrap_or_else(|| format!("CN={name}.example"));
                    let chain = env
                        .external_ca
                        .issue(&key, &subject, dns_names, *expired)
                        .map_err(Error::from)?;
                    let key = (!*without_key).then_some(&key);
                    if format.as_deref() == Some("pem") {
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
            let r = v
                .send(
                    Method::POST,
                    &format!("/certificates/{}/import", enc(name)),
                    Some(&body),
                    true,
                )
                .await?;
            obs.reply = Some(r);
        }
        Step::Merge {
            name, signer, body, ..
        } => {
            let body = match body {
                Some(b) => toml_to_json(b),
                None => merge_body(env, name, *signer).await?,
            };
            let r = v
                .send(
                    Method::POST,
                    &format!("/certificates/{}/pending/merge", enc(name)),
                    Some(&body),
                    true,
                )
                .await?;
            obs.reply = Some(r);
        }
        Step::Cancel { name, .. } => {
            let r = v
                .send(
                    Method::PATCH,
                    &format!("/certificates/{}/pending", enc(name)),
                    Some(&json!({ "cancellation_requested": true })),
                    true,
                )
                .await?;
            obs.op = r.is_success().then(|| r.body.clone());
            obs.reply = Some(r);
        }
        Step::DeletePending { name, .. } => {
            let r = v
                .send(
                    Method::DELETE,
                    &format!("/certificates/{}/pending", enc(name)),
                    None,
                    true,
                )
                .await?;
            obs.op = r.is_success().then(|| r.body.clone());
            obs.reply = Some(r);
        }
        Step::GetPending { name, .. } => {
            let r = v
                .get(&format!("/certificates/{}/pending", enc(name)))
                .await?;
            obs.op = r.is_success().then(|| r.body.clone());
            obs.reply = Some(r);
        }
        Step::Get { name, version, .. } => {
            let path = match version {
                Some(ver) => format!("/certificates/{}/{}", enc(name), enc(ver)),
                None => format!("/certificates/{}/", enc(name)),
            };
            obs.reply = Some(v.get(&path).await?);
        }
        Step::PollUntil {
            name,
            status,
            deadline,
            expected,
            ..
        } => {
            let want = status.as_deref().unwrap_or("completed");
            let deadline = deadline.map(|d| d.0).unwrap_or(Duration::from_secs(30));
            let started = Instant::now();
            loop {
                let r = v
                    .get(&format!("/certificates/{}/pending", enc(name)))
                    .await?;
                if !r.is_success() {
                    obs.reply = Some(r);
                    break;
                }
                let now = r.body["status"].as_str().unwrap_or("").to_string();
                observer.polling(case, index, started.elapsed(), expected.map(|d| d.0), &now);
                let terminal = matches!(now.as_str(), "completed" | "failed" | "cancelled");
                obs.op = Some(r.body.clone());
                obs.reply = Some(r);
                if now.eq_ignore_ascii_case(want) {
                    break;
                }
                if terminal {
                    let op = obs.op.as_ref().map(op_summary).unwrap_or_default();
                    return Err(Failure {
                        message: format!("waited for '{want}', the operation ended {op}"),
                        status: Some(200),
                    });
                }
                if started.elapsed() >= deadline {
                    let op = obs.op.as_ref().map(op_summary).unwrap_or_default();
                    return Err(Failure {
                        message: format!(
                            "waited {:.1}s for '{want}'; still {op}",
                            deadline.as_secs_f64()
                        ),
                        status: Some(200),
                    });
                }
                tokio::time::sleep(POLL_EVERY).await;
            }
        }
        Step::Update {
            name,
            enabled,
            tags,
            ..
        } => {
            let mut body = json!({});
            if let Some(e) = enabled {
                body["attributes"] = json!({ "enabled": e });
            }
            if let Some(t) = tags {
                body["tags"] = serde_json::to_value(t).unwrap_or(Value::Null);
            }
            obs.reply = Some(
                v.send(
                    Method::PATCH,
                    &format!("/certificates/{}", enc(name)),
                    Some(&body),
                    true,
                )
                .await?,
            );
        }
        Step::Delete { name, .. } => {
            obs.reply = Some(
                v.send(
                    Method::DELETE,
                    &format!("/certificates/{}", enc(name)),
                    None,
                    true,
                )
                .await?,
            );
        }
        Step::GetDeleted { name, .. } => {
            obs.reply = Some(
                v.get(&format!("/deletedcertificates/{}", enc(name)))
                    .await?,
            );
        }
        Step::Recover { name, .. } => {
            obs.reply = Some(
                v.send(
                    Method::POST,
                    &format!("/deletedcertificates/{}/recover", enc(name)),
                    None,
                    true,
                )
                .await?,
            );
        }
        Step::Purge { name, .. } => {
            obs.reply = Some(
                v.send(
                    Method::DELETE,
                    &format!("/deletedcertificates/{}", enc(name)),
                    None,
                    true,
                )
                .await?,
            );
        }
        Step::List { of, name, .. } => {
            let path = match of {
                ListOf::Certificates => "/certificates".to_string(),
                ListOf::Deleted => "/deletedcertificates".to_string(),
                ListOf::Issuers => "/certificates/issuers".to_string(),
                ListOf::Versions => {
                    format!(
                        "/certificates/{}/versions",
                        enc(name.as_deref().unwrap_or(""))
                    )
                }
            };
            let (reply, names) = list_all(env, &path).await?;
            obs.list = Some(names);
            obs.reply = Some(reply);
        }
        Step::Backup { name, save_as, .. } => {
            let r = v
                .send(
                    Method::POST,
                    &format!("/certificates/{}/backup", enc(name)),
                    None,
                    true,
                )
                .await?;
            if let Some(blob) = r.body["value"].as_str() {
                state.backups.insert(save_as.clone(), blob.to_string());
            }
            obs.reply = Some(r);
        }
        Step::Restore { from, .. } => {
            let blob = state
                .backups
                .get(from)
                .ok_or_else(|| Failure::new(format!("no backup saved as '{from}'")))?;
            obs.reply = Some(
                v.send(
                    Method::POST,
                    "/certificates/restore",
                    Some(&json!({ "value": blob })),
                    true,
                )
                .await?,
            );
        }
        Step::SetIssuer {
            name,
            provider,
            account_id,
            pwd,
            org_id,
            body,
            ..
        } => {
            let spec = IssuerSpec {
                name: name.clone(),
                provider: provider.clone(),
                account_id: account_id.clone(),
                pwd: pwd.clone(),
                org_id: org_id.clone(),
                body: body.clone(),
            };
            obs.reply = Some(set_issuer(env, &spec).await?);
        }
        Step::GetIssuer { name, .. } => {
            obs.reply = Some(
                v.get(&format!("/certificates/issuers/{}", enc(name)))
                    .await?,
            );
        }
        Step::DeleteIssuer { name, .. } => {
            obs.reply = Some(
                v.send(
                    Method::DELETE,
                    &format!("/certificates/issuers/{}", enc(name)),
                    None,
                    true,
                )
                .await?,
            );
        }
        Step::SetContacts { contacts, .. } => {
            obs.reply = Some(
                v.send(
                    Method::PUT,
                    "/certificates/contacts",
                    Some(&json!({ "contacts": contacts })),
                    true,
                )
                .await?,
            );
        }
        Step::GetContacts { .. } => {
            obs.reply = Some(v.get("/certificates/contacts").await?);
        }
        Step::DeleteContacts { .. } => {
            obs.reply = Some(
                v.send(Method::DELETE, "/certificates/contacts", None, true)
                    .await?,
            );
        }
        Step::Request {
            method,
            path,
            body,
            anonymous,
            ..
        } => {
            let method = Method::from_bytes(method.to_uppercase().as_bytes())
                .map_err(|e| Failure::new(e.to_string()))?;
            let body = body.as_ref().map(toml_to_json);
            let r = v.send(method, path, body.as_ref(), !*anonymous).await?;
            if r.body.get("status").is_some() && r.body.get("csr").is_some() {
                obs.op = Some(r.body.clone());
            }
            obs.reply = Some(r);
        }
        Step::AdvanceClock {
            seconds, ca_sim, ..
        } => {
            if let Some(d) = ca_sim {
                let r = env
                    .ca_sim
                    .send(
                        Method::POST,
                        "/clock",
                        Some(&json!({ "advance_seconds": d.0.as_secs_f64() })),
                    )
                    .await?;
                obs.reply = Some(r);
            }
            if let Some(s) = seconds {
                let r = v
                    .send(
                        Method::POST,
                        "/_admin/clock/advance",
                        Some(&json!({ "seconds": s })),
                        true,
                    )
                    .await?;
                obs.reply = Some(r);
            }
        }
        Step::CaApprove {
            common_name, wait, ..
        }
        | Step::CaReject {
            common_name, wait, ..
        } => {
            let wait = wait.map(|d| d.0).unwrap_or(ORDER_WAIT);
            let order = wait_for_order(env, common_name, state.orders_before, wait).await?;
            let id = order["id"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| order["id"].to_string());
            let (action, body) = match step {
                Step::CaReject { reason, .. } => (
                    "reject",
                    json!({ "reason": reason.as_deref().unwrap_or("Rejected by the scenario") }),
                ),
                _ => ("approve", json!({})),
            };
            let r = env
                .ca_sim
                .send(Method::POST, &format!("/orders/{id}/{action}"), Some(&body))
                .await?;
            obs.ca_order = Some(r.body.clone());
            obs.reply = Some(r);
        }
        Step::CaOrder { common_name, .. } => {
            let order = wait_for_order(env, common_name, state.orders_before, ORDER_WAIT).await?;
            obs.ca_order = Some(order.clone());
            obs.reply = Some(Reply {
                status: 200,
                body: order,
            });
        }
        Step::SetFaults { rules, .. } => {
            let body = serde_json::to_value(rules).map_err(|e| Failure::new(e.to_string()))?;
            obs.reply = Some(env.ca_sim.send(Method::PUT, "/faults", Some(&body)).await?);
        }
        Step::Notifications { name, .. } => {
            let r = v.get(&notifications_path(name.as_deref())).await?;
            if r.is_success() {
                obs.notifications = Some(
                    r.body["value"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|n| n["id"].as_u64().unwrap_or(0) > state.notifications_before)
                        .cloned()
                        .collect(),
                );
            }
            obs.reply = Some(r);
        }
        Step::Sleep { duration, .. } => {
            tokio::time::sleep(duration.0).await;
        }
    }
    Ok(obs)
}

/// `status` plus the error, for messages.
pub(crate) fn op_summary(op: &Value) -> String {
    let status = op["status"].as_str().unwrap_or("?");
    match op.get("error").filter(|e| !e.is_null()) {
        Some(e) => format!(
            "'{status}' ({}: {})",
            e["code"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or("")
        ),
        None => format!("'{status}'"),
    }
}

#[allow(clippy::too_many_arguments)]
fn create_body(
    name: &str,
    issuer: &str,
    subject: Option<&str>,
    dns_names: &[String],
    key_type: Option<&str>,
    key_size: Option<u32>,
    curve: Option<&str>,
    validity_months: Option<u32>,
    cty: Option<&str>,
    content_type: Option<&str>,
) -> Value {
    let kty = key_type.unwrap_or("EC").to_string();
    let mut key_props = json!({ "kty": kty, "exportable": true, "reuse_key": false });
    if kty.starts_with("RSA") {
        key_props["key_size"] = json!(key_size.unwrap_or(2048));
    } else {
        key_props["crv"] = json!(curve.unwrap_or("P-256"));
    }
    let mut x509 = json!({
        "subject": subject.map(str::to_string).unwrap_or_else(|| format!("CN={name}.example")),
    });
    if !dns_names.is_empty() {
        x509["sans"] = json!({ "dns_names": dns_names });
    }
    if let Some(m) = validity_months {
        x509["validity_months"] = json!(m);
    }
    let mut issuer_obj = json!({ "name": issuer });
    let partner = issuer != "Self" && issuer != "Unknown";
    if let Some(c) = cty.or(partner.then_some("OV-SSL")) {
        issuer_obj["cty"] = json!(c);
    }
    json!({
        "policy": {
            "key_props": key_props,
            "secret_props": { "contentType": content_type.unwrap_or("application/x-pkcs12") },
            "x509_props": x509,
            "issuer": issuer_obj,
        }
    })
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

/// Signs the pending CSR with the runner's CA (or certifies another key with `wrong_key`).
async fn merge_body(env: &Env, name: &str, signer: Signer) -> Result<Value, Failure> {
    let r = env
        .vault
        .get(&format!("/certificates/{}/pending", enc(name)))
        .await?;
    let csr = r.body["csr"]
        .as_str()
        .and_then(|c| B64.decode(c.trim()).ok());
    let ca: &ExternalCa = &env.external_ca;
    let chain = match (csr, signer) {
        (Some(csr), Signer::ExternalCa) => ca.sign_csr(&csr).map_err(Error::from)?,
        (csr, _) => {
            // A different key: the merge must be refused (or there is no pending CSR at all).
            let subject = csr
                .and_then(|c| crypto::parse_csr(&c).ok())
                .map(|i| i.subject)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| format!("CN={name}.example"));
            let key = PrivateKey::generate(crypto::KeySpec::Ec {
                curve: shared::models::CurveName::P256,
            })
            .map_err(Error::from)?;
            ca.issue(&key, &subject, &[], false).map_err(Error::from)?
        }
    };
    Ok(json!({ "x5c": chain.iter().map(|c| B64.encode(c)).collect::<Vec<_>>() }))
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

/// The newest ca-sim order for `common_name`, waiting until vault has placed it.
async fn wait_for_order(
    env: &Env,
    common_name: &str,
    after: u64,
    wait: Duration,
) -> Result<Value, Failure> {
    let started = Instant::now();
    loop {
        if let Some(o) = env.ca_sim.order_for(common_name, after).await? {
            return Ok(o);
        }
        if started.elapsed() >= wait {
            return Err(Failure::new(format!(
                "ca-sim has no order for '{common_name}' after {:.1}s",
                wait.as_secs_f64()
            )));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
