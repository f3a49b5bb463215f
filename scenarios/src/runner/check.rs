//! Expectations: compares what a step observed with its `expect` table. The first mismatch is
//! the failure message.

use super::env::Env;
use super::observed::{acme_problem, op_summary, Observed, ACME_ERROR};
use crate::case::{Expect, NotificationCount, Step};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::Value;
use shared::crypto::{self, CertInfo, KeySpec};

/// `v` as JSON text, cut after 400 characters (for failure messages).
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 400 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(400).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

/// The first expectation of `step` that `obs` does not meet, as the failure message.
pub(crate) async fn check(env: &Env, step: &Step, obs: &Observed) -> Result<(), String> {
    let e = step.expect();
    if let Some(r) = &obs.reply {
        match e.status {
            Some(want) if want != r.status => {
                return Err(format!(
                    "expected HTTP {want}, got {} {}",
                    r.status,
                    short(&r.body)
                ))
            }
            None if !r.is_success() => {
                return Err(format!("HTTP {} {}", r.status, short(&r.body)));
            }
            _ => {}
        }
    } else if e.status.is_some() {
        return Err("the step made no request to check a status against".into());
    }

    let op = obs.op.as_ref();
    if let Some(want) = &e.op_status {
        let got = op
            .and_then(|o| o["status"].as_str())
            .unwrap_or("(no operation)");
        if !got.eq_ignore_ascii_case(want) {
            return Err(format!(
                "expected operation status '{want}', got {}",
                op.map(op_summary).unwrap_or_else(|| got.to_string())
            ));
        }
    }
    if let Some(want) = e.has_csr {
        let has = op
            .and_then(|o| o["csr"].as_str())
            .is_some_and(|c| !c.is_empty());
        if has != want {
            return Err(format!("expected has_csr = {want}, got {has}"));
        }
    }
    if let Some(p) = &e.status_details {
        let got = op.and_then(|o| o["status_details"].as_str()).unwrap_or("");
        if !p.0.is_match(got) {
            return Err(format!("status_details '{got}' does not match /{}/", p.0));
        }
    }

    // Error code and message: an ACME problem, else the response's error, else the
    // operation's.
    let problem = acme_problem(obs);
    let error = problem.or_else(|| {
        obs.reply
            .as_ref()
            .and_then(|r| r.body.get("error"))
            .filter(|e| !e.is_null())
            .or_else(|| op.and_then(|o| o.get("error")).filter(|e| !e.is_null()))
    });
    if let Some(want) = &e.error_code {
        let got = error
            .and_then(|x| x["code"].as_str())
            .unwrap_or("(no error)");
        if got != want {
            return Err(format!(
                "expected error code '{want}', got '{got}' {}",
                error.map(short).unwrap_or_default()
            ));
        }
    }
    if let Some(want) = &e.acme_problem {
        let got = problem
            .and_then(|p| p["type"].as_str())
            .unwrap_or("(no problem)");
        let name = got.strip_prefix(ACME_ERROR).unwrap_or(got);
        if want != got && want != name {
            return Err(format!(
                "expected ACME problem '{want}', got '{name}' {}",
                problem.map(short).unwrap_or_default()
            ));
        }
    }
    if let Some(p) = &e.error_message {
        let got = error
            .and_then(|x| x["message"].as_str().or_else(|| x["detail"].as_str()))
            .unwrap_or("");
        if !p.0.is_match(got) {
            return Err(format!("error message '{got}' does not match /{}/", p.0));
        }
    }

    for (pointer, want) in &e.json {
        let want = serde_json::to_value(want).unwrap_or(Value::Null);
        let body = obs.reply.as_ref().map(|r| &r.body).unwrap_or(&Value::Null);
        let got = body.pointer(pointer).cloned().unwrap_or(Value::Null);
        if got != want {
            return Err(format!("expected {pointer} = {want}, got {got}"));
        }
    }

    if let Some(list) = &obs.list {
        let names: Vec<&String> = list
            .iter()
            .filter(|n| e.prefix.as_ref().is_none_or(|p| n.starts_with(p.as_str())))
            .collect();
        if let Some(want) = e.count {
            if names.len() != want {
                return Err(format!(
                    "expected {want} items, got {}: {names:?}",
                    names.len()
                ));
            }
        }
        for c in &e.contains {
            if !list.contains(c) {
                return Err(format!("expected '{c}' in the list, got {list:?}"));
            }
        }
        for c in &e.not_contains {
            if list.contains(c) {
                return Err(format!("did not expect '{c}' in the list"));
            }
        }
    } else if e.count.is_some() || !e.contains.is_empty() || !e.not_contains.is_empty() {
        return Err("count / contains need a `list` step".into());
    }

    if e.ca_status.is_some() || e.distrusted.is_some() {
        let order = obs.ca_order.as_ref().ok_or(
            "ca_status / distrusted need a ca-sim order step (ca_order, ca_approve, ca_reject)",
        )?;
        if let Some(want) = &e.ca_status {
            let got = order["status"].as_str().unwrap_or("");
            if !got.eq_ignore_ascii_case(want) {
                return Err(format!(
                    "expected ca-sim order status '{want}', got '{got}'"
                ));
            }
        }
        if let Some(want) = e.distrusted {
            let got = order["distrusted"].as_bool().unwrap_or(false);
            if got != want {
                return Err(format!("expected distrusted = {want}, got {got}"));
            }
        }
    }

    if !e.notifications.is_empty() {
        let rows = obs
            .notifications
            .as_ref()
            .ok_or("notifications need a `notifications` step")?;
        check_notifications(&e.notifications, rows)?;
    }

    if e.window_start_days_min.is_some() || e.window_start_days_max.is_some() {
        let got = obs
            .window_start_days
            .ok_or("the step read no renewal window")?;
        if e.window_start_days_min.is_some_and(|min| got < min)
            || e.window_start_days_max.is_some_and(|max| got > max)
        {
            return Err(format!(
                "expected the renewal window to start {}..{} days after notBefore, it starts \
                 after {got:.2} days",
                e.window_start_days_min
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                e.window_start_days_max
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            ));
        }
    }

    if e.wants_cert() {
        check_cert(env, e, obs).await?;
    }

    if !e.ca_requests.is_empty() {
        let all = env.ca_sim.requests().await.map_err(|x| x.to_string())?;
        for c in &e.ca_requests {
            let n = all
                .iter()
                .filter(|r| {
                    c.dialect
                        .is_none_or(|d| r["dialect"].as_str() == Some(d.as_str()))
                })
                .filter(|r| {
                    c.operation
                        .as_ref()
                        .is_none_or(|o| r["operation"].as_str() == Some(o.as_str()))
                })
                .filter(|r| {
                    c.account
                        .as_ref()
                        .is_none_or(|a| r["account"].as_str() == Some(a.as_str()))
                })
                .filter(|r| c.faulted.is_none_or(|f| r["fault"].is_string() == f))
                .count();
            let what = format!(
                "ca-sim requests (dialect {}, operation {}{})",
                c.dialect.map(|d| d.to_string()).unwrap_or("any".into()),
                c.operation.as_deref().unwrap_or("any"),
                c.faulted
                    .map(|f| if f { ", faulted" } else { ", not faulted" })
                    .unwrap_or("")
            );
            if c.count.is_some_and(|want| n != want) {
                return Err(format!("expected {} {what}, got {n}", c.count.unwrap_or(0)));
            }
            if c.min.is_some_and(|m| n < m) {
                return Err(format!(
                    "expected at least {} {what}, got {n}",
                    c.min.unwrap_or(0)
                ));
            }
            if c.max.is_some_and(|m| n > m) {
                return Err(format!(
                    "expected at most {} {what}, got {n}",
                    c.max.unwrap_or(0)
                ));
            }
        }
    }
    Ok(())
}

/// Certificate fields: from the step's bundle when it has `cer`, else from a fresh GET.
async fn check_cert(env: &Env, e: &Expect, obs: &Observed) -> Result<(), String> {
    let from_reply = obs
        .reply
        .as_ref()
        .map(|r| &r.body)
        .filter(|b| b["cer"].is_string())
        .cloned();
    let bundle = match from_reply {
        Some(b) => b,
        None => {
            let name = obs
                .name
                .as_deref()
                .ok_or("certificate checks need a step with a certificate name")?;
            let r = env
                .vault
                .get(&format!("/certificates/{name}/"))
                .await
                .map_err(|x| x.to_string())?;
            if !r.is_success() {
                return Err(format!(
                    "GET certificate {name}: {} {}",
                    r.status,
                    short(&r.body)
                ));
            }
            r.body
        }
    };
    if let Some(want) = e.enabled {
        let got = bundle["attributes"]["enabled"].as_bool().unwrap_or(true);
        if got != want {
            return Err(format!("expected enabled = {want}, got {got}"));
        }
    }
    let cer = bundle["cer"]
        .as_str()
        .ok_or("the certificate has no `cer` (not issued)")?;
    let der = B64
        .decode(cer)
        .map_err(|x| format!("cer is not base64: {x}"))?;
    let info: CertInfo = crypto::parse_certificate(&der).map_err(|x| x.to_string())?;

    if let Some(want) = &e.subject {
        if &info.subject != want {
            return Err(format!("expected subject '{want}', got '{}'", info.subject));
        }
    }
    let issuer_cn = || {
        crypto::parse_dn(&info.issuer)
            .ok()
            .and_then(|dn| dn.values_of("2.5.4.3").next().map(str::to_string))
            .unwrap_or_default()
    };
    if let Some(want) = &e.issuer_cn {
        let cn = issuer_cn();
        if &cn != want {
            return Err(format!(
                "expected issuer CN '{want}', got '{cn}' ({})",
                info.issuer
            ));
        }
    }
    if let Some(p) = &e.issuer_cn_match {
        let cn = issuer_cn();
        if !p.0.is_match(&cn) {
            return Err(format!("issuer CN '{cn}' does not match /{}/", p.0));
        }
    }
    if let Some(want) = e.self_issued {
        if info.self_issued != want {
            return Err(format!(
                "expected self_issued = {want}, got {}",
                info.self_issued
            ));
        }
    }
    if let Some(want) = &e.dns_names {
        let mut got = info.sans.dns_names.clone().unwrap_or_default();
        let mut want = want.clone();
        got.sort();
        want.sort();
        if got != want {
            return Err(format!("expected DNS names {want:?}, got {got:?}"));
        }
    }
    let (kty, size, curve) = match info.key_spec {
        Some(KeySpec::Rsa { bits }) => ("RSA", Some(bits), None),
        Some(KeySpec::Ec { curve }) => ("EC", None, Some(curve.to_string())),
        None => ("?", None, None),
    };
    if let Some(want) = &e.key_type {
        if !want.to_ascii_uppercase().starts_with(kty) {
            return Err(format!("expected key type {want}, got {kty}"));
        }
    }
    if let Some(want) = e.key_size {
        if size != Some(want) {
            return Err(format!("expected key size {want}, got {size:?}"));
        }
    }
    if let Some(want) = &e.curve {
        if curve.as_deref() != Some(want.as_str()) {
            return Err(format!("expected curve {want}, got {curve:?}"));
        }
    }
    let days = (info.not_after - info.not_before) / 86_400;
    if let Some(min) = e.validity_days_min {
        if days < min {
            return Err(format!(
                "expected at least {min} days of validity, got {days}"
            ));
        }
    }
    if let Some(max) = e.validity_days_max {
        if days > max {
            return Err(format!(
                "expected at most {max} days of validity, got {days}"
            ));
        }
    }
    if let (Some(want), Some(chain)) = (e.chain_length, &obs.chain) {
        // An ACME download: the chain itself, not a Key Vault secret.
        if chain.len() != want {
            return Err(format!("expected a chain of {want}, got {}", chain.len()));
        }
    } else if e.chain_length.is_some() || e.content_type.is_some() {
        let sid = bundle["sid"]
            .as_str()
            .ok_or("the certificate has no `sid`")?;
        let r = env.vault.get(sid).await.map_err(|x| x.to_string())?;
        if !r.is_success() {
            return Err(format!("GET secret: {} {}", r.status, short(&r.body)));
        }
        let ct = r.body["contentType"].as_str().unwrap_or("").to_string();
        if let Some(want) = &e.content_type {
            if &ct != want {
                return Err(format!("expected secret content type '{want}', got '{ct}'"));
            }
        }
        if let Some(want) = e.chain_length {
            let value = r.body["value"].as_str().unwrap_or("");
            let n = if ct == "application/x-pem-file" {
                crypto::pem_blocks(value)
                    .iter()
                    .filter(|(label, _)| label == "CERTIFICATE")
                    .count()
            } else {
                let der = B64
                    .decode(value)
                    .map_err(|x| format!("secret is not base64: {x}"))?;
                crypto::pkcs12_parse(&der, "")
                    .map_err(|x| format!("secret PFX: {x}"))?
                    .1
                    .len()
            };
            if n != want {
                return Err(format!("expected a chain of {want}, got {n}"));
            }
        }
    }
    Ok(())
}

/// Outbox rows against `notifications` expectations.
fn check_notifications(wanted: &[NotificationCount], rows: &[Value]) -> Result<(), String> {
    let text = |row: &Value, field: &str| row[field].as_str().unwrap_or("").to_string();
    for w in wanted {
        let n = rows
            .iter()
            .filter(|r| w.kind.as_ref().is_none_or(|k| &text(r, "kind") == k))
            .filter(|r| {
                w.recipient
                    .as_ref()
                    .is_none_or(|x| text(r, "recipient").eq_ignore_ascii_case(x))
            })
            .filter(|r| {
                w.certificate
                    .as_ref()
                    .is_none_or(|c| text(r, "certificate").eq_ignore_ascii_case(c))
            })
            .filter(|r| w.status.as_ref().is_none_or(|x| &text(r, "status") == x))
            .filter(|r| {
                w.subject
                    .as_ref()
                    .is_none_or(|p| p.0.is_match(&text(r, "subject")))
            })
            .filter(|r| {
                w.body
                    .as_ref()
                    .is_none_or(|p| p.0.is_match(&text(r, "body")))
            })
            .count();
        let mut what = Vec::new();
        for (label, value) in [
            ("kind", &w.kind),
            ("recipient", &w.recipient),
            ("certificate", &w.certificate),
            ("status", &w.status),
        ] {
            if let Some(v) = value {
                what.push(format!("{label} {v}"));
            }
        }
        if let Some(p) = &w.subject {
            what.push(format!("subject /{}/", p.0));
        }
        if let Some(p) = &w.body {
            what.push(format!("body /{}/", p.0));
        }
        let what = if what.is_empty() {
            "notifications".to_string()
        } else {
            format!("notifications ({})", what.join(", "))
        };
        let seen = || {
            let list: Vec<String> = rows
                .iter()
                .map(|r| {
                    format!(
                        "{} {} to {} [{}]",
                        text(r, "kind"),
                        text(r, "certificate"),
                        r["recipient"].as_str().unwrap_or("-"),
                        text(r, "status")
                    )
                })
                .collect();
            if list.is_empty() {
                "the outbox has no rows from this scenario".to_string()
            } else {
                format!("seen: {}", list.join("; "))
            }
        };
        let fail = match (w.count, w.min, w.max) {
            (Some(c), _, _) if n != c => Some(format!("expected {c} {what}, got {n}")),
            (_, Some(m), _) if n < m => Some(format!("expected at least {m} {what}, got {n}")),
            (_, _, Some(m)) if n > m => Some(format!("expected at most {m} {what}, got {n}")),
            (None, None, None) if n == 0 => Some(format!("expected {what}, got none")),
            _ => None,
        };
        if let Some(f) = fail {
            return Err(format!("{f}; {}", seen()));
        }
    }
    Ok(())
}
