//! Steps that speak ACME to vault's gateway through a real ACME client (`instant-acme`,
//! trusting vault's TLS CA), one function per kind of `case/step/acme.rs`.
//!
//! What a step saw is recorded like a Key Vault reply, so the usual expectations apply: 200
//! and the ACME object as JSON (`status`, `profile`, `error`, …) when the call succeeded; the
//! problem document with its status when the server answered an RFC 8555 problem
//! (`acme_problem` names its type). A failure of the client itself (no connection, a body
//! that is not ACME) fails the step.

use super::send::send;
use crate::case::step;
use crate::client::Reply;
use crate::extca;
use crate::runner::env::Env;
use crate::runner::observed::Observed;
use crate::runner::state::{
    AcmeAccountEntry, AcmeCertEntry, AcmeOrderEntry, AcmeState, CaseState, Failure,
};
use crate::runner::wire::{toml_to_json, POLL_EVERY};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use instant_acme::{
    Account, AccountBuilder, AuthorizationStatus, CertificateIdentifier, ChallengeType,
    ExternalAccountKey, Identifier, Key, NewAccount, NewOrder, OrderState, OrderStatus, Problem,
    RevocationReason, RevocationRequest,
};
use reqwest::Method;
use serde_json::{json, Value};
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::SubjectAlternativeNames;
use std::borrow::Cow;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How long `acme_challenge` and `acme_finalize` wait for the order by default.
const ORDER_WAIT: Duration = Duration::from_secs(30);
/// The longest common name X.509 allows (RFC 5280 ub-common-name).
const CN_MAX: usize = 64;

/// `acme_account`: a new account, or the account of a key (`existing`).
pub(super) async fn account(
    env: &Env,
    s: &step::AcmeAccount,
    state: &mut CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let directory = env.acme.directory(s.directory_profile.as_deref());
    let created = if s.existing {
        let key = match state.acme.accounts.get(&s.account) {
            Some(known) => {
                let pkcs8 = known.credentials.private_key().clone_key();
                (
                    Key::from_pkcs8_der(pkcs8.clone_key()).map_err(client)?,
                    pkcs8,
                )
            }
            // A key vault has never seen.
            None => Key::generate_pkcs8().map_err(client)?,
        };
        builder(env)?
            .from_key((key.0, key.1.into()), directory)
            .await
    } else {
        let eab = external_account_key(env, s).await?;
        let contact: Vec<&str> = s.contact.iter().map(String::as_str).collect();
        let new = NewAccount {
            contact: &contact,
            terms_of_service_agreed: true,
            only_return_existing: false,
        };
        builder(env)?.create(&new, directory, eab.as_ref()).await
    };
    let (account, credentials) = match created {
        Ok(created) => created,
        Err(e) => return seen(obs, e),
    };
    let profiles: serde_json::Map<String, Value> = account
        .profiles()
        .map(|p| (p.name.to_string(), json!(p.description)))
        .collect();
    obs.reply = Some(ok(json!({ "id": account.id(), "profiles": profiles })));
    state.acme.accounts.insert(
        s.account.clone(),
        AcmeAccountEntry {
            account,
            credentials,
        },
    );
    Ok(())
}

/// An `instant-acme` account builder whose client trusts vault's TLS CA.
fn builder(env: &Env) -> Result<AccountBuilder, Failure> {
    Account::builder_with_root(&env.acme.ca_path).map_err(client)
}

/// The external account binding the step asks for: a fresh key from vault's admin API
/// (`eab = true`), the step's own (`eab_kid` + `eab_key`), or none.
async fn external_account_key(
    env: &Env,
    s: &step::AcmeAccount,
) -> Result<Option<ExternalAccountKey>, Failure> {
    let (kid, key) = match (&s.eab_kid, &s.eab_key) {
        (Some(kid), Some(key)) => (kid.clone(), key.clone()),
        _ if s.eab => {
            let r = env
                .vault
                .send(Method::POST, "/_admin/acme/eab", None, true)
                .await?;
            let field = |name: &str| r.body[name].as_str().map(str::to_string);
            match (r.is_success(), field("kid"), field("hmac_key")) {
                (true, Some(kid), Some(key)) => (kid, key),
                _ => {
                    return Err(Failure {
                        message: format!("POST /_admin/acme/eab: {} {}", r.status, r.body),
                        status: Some(r.status),
                    })
                }
            }
        }
        _ => return Ok(None),
    };
    let key = shared::b64::decode_lenient(&key)
        .map_err(|e| Failure::new(format!("the EAB key is not base64url: {e}")))?;
    Ok(Some(ExternalAccountKey::new(kid, &key)))
}

/// `acme_order`: a new order for the step's identifiers, under its profile, replacing a
/// downloaded certificate when it says so.
pub(super) async fn order(
    s: &step::AcmeOrder,
    state: &mut CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let acme = &mut state.acme;
    let identifiers: Vec<Identifier> = s.identifiers.iter().map(|i| identifier(i)).collect();
    let mut new = NewOrder::new(&identifiers);
    if let Some(p) = &s.profile {
        new = new.profile(p);
    }
    if let Some(name) = &s.replaces {
        new = new.replaces(cert_identifier(leaf(acme, name)?)?);
    }
    let account = &account_entry(acme, &s.account)?.account;
    let order = match account.new_order(&new).await {
        Ok(order) => order,
        Err(e) => return seen(obs, e),
    };
    let mut entry = AcmeOrderEntry {
        order,
        account: s.account.clone(),
        identifiers: s.identifiers.clone(),
    };
    obs.reply = Some(ok(order_json(&mut entry)));
    acme.orders.insert(s.order.clone(), entry);
    Ok(())
}

/// An identifier as written: an IP address, else a DNS name (`*.` wildcards included).
fn identifier(text: &str) -> Identifier {
    match text.parse::<IpAddr>() {
        Ok(ip) => Identifier::Ip(ip),
        Err(_) => Identifier::Dns(text.to_string()),
    }
}

/// RFC 9773 §4.1 certID of a DER certificate, as `instant-acme` sends it in `replaces`.
fn cert_identifier(leaf: &[u8]) -> Result<CertificateIdentifier<'static>, Failure> {
    let id = vault::acme::ca::ari_cert_id(leaf).map_err(|e| Failure::new(e.to_string()))?;
    let (aki, serial) = id
        .split_once('.')
        .ok_or_else(|| Failure::new(format!("certID '{id}' has no '.'")))?;
    Ok(CertificateIdentifier {
        authority_key_identifier: Cow::Owned(aki.to_string()),
        serial: Cow::Owned(serial.to_string()),
    })
}

/// `acme_challenge`: answers a challenge of every pending authorization, then waits until the
/// order leaves `pending`.
pub(super) async fn challenge(
    env: &Env,
    s: &step::AcmeChallenge,
    state: &mut CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let entry = order_entry(&mut state.acme, &s.order)?;
    let wanted = s.challenge_type.as_deref().unwrap_or("any");
    {
        let mut authorizations = entry.order.authorizations();
        while let Some(authz) = authorizations.next().await {
            let mut authz = match authz {
                Ok(a) => a,
                Err(e) => return seen(obs, e),
            };
            if authz.status != AuthorizationStatus::Pending {
                continue;
            }
            let offered: Vec<ChallengeType> =
                authz.challenges.iter().map(|c| c.r#type.clone()).collect();
            let kind = pick(&offered, wanted).ok_or_else(|| {
                Failure::new(format!(
                    "the authorization for {} offers no {wanted} challenge ({})",
                    authz.identifier(),
                    offered
                        .iter()
                        .map(challenge_name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let mut ch = authz
                .challenge(kind)
                .ok_or_else(|| Failure::new("the challenge vanished"))?;
            // http-01 is answered for real; the other types count only against
            // `always-valid` (the runner has no DNS server or TLS-ALPN responder).
            if ch.r#type == ChallengeType::Http01 {
                if let Some(responder) = &env.acme.http01 {
                    responder.insert(&ch.token, ch.key_authorization().as_str());
                }
            }
            if let Err(e) = ch.set_ready().await {
                return seen(obs, e);
            }
        }
    }
    let want = s.status.as_deref().unwrap_or("ready");
    let deadline = s.deadline.map(|d| d.0).unwrap_or(ORDER_WAIT);
    let settled = |s: OrderStatus| s != OrderStatus::Pending;
    wait_for(entry, want, settled, deadline, obs, |_, _| {}).await
}

/// The challenge type to answer: `wanted`, or for `any` http-01 when offered, else the first.
fn pick(offered: &[ChallengeType], wanted: &str) -> Option<ChallengeType> {
    if wanted == "any" {
        return offered
            .iter()
            .find(|t| **t == ChallengeType::Http01)
            .or(offered.first())
            .cloned();
    }
    offered
        .iter()
        .find(|t| challenge_name(t) == wanted)
        .cloned()
}

fn challenge_name(t: &ChallengeType) -> String {
    match t {
        ChallengeType::Http01 => "http-01".into(),
        ChallengeType::Dns01 => "dns-01".into(),
        ChallengeType::TlsAlpn01 => "tls-alpn-01".into(),
        ChallengeType::DeviceAttest01 => "device-attest-01".into(),
        ChallengeType::Unknown(other) => other.clone(),
        _ => format!("{t:?}"),
    }
}

/// `acme_finalize`: a CSR from a key the runner makes, then waits until the order leaves
/// `processing` (unless the step wants `processing`).
pub(super) async fn finalize(
    s: &step::AcmeFinalize,
    state: &mut CaseState,
    obs: &mut Observed,
    on_poll: impl Fn(Duration, &str),
) -> Result<(), Failure> {
    let entry = order_entry(&mut state.acme, &s.order)?;
    let spec = extca::key_spec(s.key_type.as_deref(), s.key_size, s.curve.as_deref())
        .map_err(Failure::new)?;
    let names = s
        .csr_names
        .clone()
        .unwrap_or_else(|| entry.identifiers.clone());
    let csr = tokio::task::spawn_blocking(move || csr_for(spec, &names))
        .await
        .map_err(|e| Failure::new(e.to_string()))?
        .map_err(|e| Failure::new(format!("CSR: {e}")))?;
    if let Err(e) = entry.order.finalize_csr(&csr).await {
        return seen(obs, e);
    }
    let want = s.status.as_deref().unwrap_or("valid");
    if want == "processing" {
        obs.reply = Some(ok(order_json(entry)));
        return Ok(());
    }
    let deadline = s.deadline.map(|d| d.0).unwrap_or(ORDER_WAIT);
    let settled = |s: OrderStatus| s != OrderStatus::Processing;
    wait_for(entry, want, settled, deadline, obs, on_poll).await
}

/// `acme_poll`: reads the order until it has the step's status or is `valid` or `invalid`.
pub(super) async fn poll(
    s: &step::AcmePoll,
    state: &mut CaseState,
    obs: &mut Observed,
    on_poll: impl Fn(Duration, &str),
) -> Result<(), Failure> {
    let entry = order_entry(&mut state.acme, &s.order)?;
    if let Err(e) = entry.order.refresh().await {
        return seen(obs, e);
    }
    let want = s.status.as_deref().unwrap_or("valid");
    let deadline = s.deadline.map(|d| d.0).unwrap_or(ORDER_WAIT);
    let settled = |s: OrderStatus| {
        status_name(s) == want || matches!(s, OrderStatus::Valid | OrderStatus::Invalid)
    };
    wait_for(entry, want, settled, deadline, obs, on_poll).await
}

/// A PKCS#10 request for `names` (IP addresses as IP SANs, the first DNS name that fits also
/// as CN, like certbot) signed by a fresh key of `spec`.
fn csr_for(spec: KeySpec, names: &[String]) -> Result<Vec<u8>, crypto::CryptoError> {
    let key = PrivateKey::generate(spec)?;
    let (ips, dns): (Vec<String>, Vec<String>) = names
        .iter()
        .cloned()
        .partition(|n| n.parse::<IpAddr>().is_ok());
    let subject = dns
        .iter()
        .find(|d| d.len() <= CN_MAX)
        .map(|d| format!("CN={d}"))
        .unwrap_or_default();
    let now = time::OffsetDateTime::now_utc();
    let profile = CertProfile {
        subject,
        sans: SubjectAlternativeNames {
            dns_names: (!dns.is_empty()).then_some(dns),
            ip_addresses: (!ips.is_empty()).then_some(ips),
            ..Default::default()
        },
        ekus: Vec::new(),
        key_usage: Vec::new(),
        not_before: now,
        not_after: now,
        is_ca: false,
        path_len: None,
    };
    crypto::build_csr(&key, &profile)
}

/// Refreshes the order until `settled` holds for its status (every [`POLL_EVERY`], at most
/// `deadline`), then records it; the step fails when it settled in another status than
/// `want`.
async fn wait_for(
    entry: &mut AcmeOrderEntry,
    want: &str,
    settled: impl Fn(OrderStatus) -> bool,
    deadline: Duration,
    obs: &mut Observed,
    on_poll: impl Fn(Duration, &str),
) -> Result<(), Failure> {
    let started = Instant::now();
    loop {
        let now = entry.order.state().status;
        if settled(now) {
            break;
        }
        on_poll(started.elapsed(), status_name(now));
        if started.elapsed() >= deadline {
            obs.reply = Some(ok(order_json(entry)));
            return Err(Failure {
                message: format!(
                    "waited {:.1}s for the order to be '{want}'; still {}",
                    deadline.as_secs_f64(),
                    order_summary(entry.order.state())
                ),
                status: Some(200),
            });
        }
        tokio::time::sleep(POLL_EVERY).await;
        if let Err(e) = entry.order.refresh().await {
            return seen(obs, e);
        }
    }
    obs.reply = Some(ok(order_json(entry)));
    let state = entry.order.state();
    if status_name(state.status) != want {
        return Err(Failure {
            message: format!(
                "waited for '{want}', the order ended {}",
                order_summary(state)
            ),
            status: Some(200),
        });
    }
    Ok(())
}

/// `acme_download`: the valid order's certificate chain, kept under `save_as`.
pub(super) async fn download(
    s: &step::AcmeDownload,
    state: &mut CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let entry = order_entry(&mut state.acme, &s.order)?;
    if entry.order.state().status == OrderStatus::Invalid {
        // The client refuses this itself: there is no certificate to ask the server for.
        return Err(Failure::new(format!(
            "the order is {}: it has no certificate",
            order_summary(entry.order.state())
        )));
    }
    let pem = match entry.order.certificate().await {
        Ok(Some(pem)) => pem,
        Ok(None) => return Err(Failure::new("the order is still processing")),
        Err(e) => return seen(obs, e),
    };
    let chain: Vec<Vec<u8>> = crypto::pem_blocks(&pem)
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect();
    let leaf = chain
        .first()
        .ok_or_else(|| Failure::new("the download holds no certificate"))?;
    obs.reply = Some(ok(json!({
        "cer": B64.encode(leaf),
        "certificates": chain.len(),
    })));
    obs.chain = Some(chain.clone());
    let account = entry.account.clone();
    let name = s.save_as.clone().unwrap_or_else(|| s.order.clone());
    state
        .acme
        .certs
        .insert(name, AcmeCertEntry { chain, account });
    Ok(())
}

/// `acme_revoke`: revokes a downloaded certificate, signed by the account that ordered it
/// (or the step's).
pub(super) async fn revoke(
    s: &step::AcmeRevoke,
    state: &CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let acme = &state.acme;
    let cert = cert_entry(acme, &s.cert)?;
    let account = &account_entry(acme, s.account.as_deref().unwrap_or(&cert.account))?.account;
    let reason = s
        .reason_code()
        .map_err(Failure::new)?
        .map(revocation_reason)
        .transpose()?;
    let der = leaf(acme, &s.cert)?.to_vec().into();
    let request = RevocationRequest {
        certificate: &der,
        reason,
    };
    match account.revoke(&request).await {
        Ok(()) => {
            obs.reply = Some(ok(json!({ "revoked": s.cert })));
            Ok(())
        }
        Err(e) => seen(obs, e),
    }
}

fn revocation_reason(code: u8) -> Result<RevocationReason, Failure> {
    Ok(match code {
        0 => RevocationReason::Unspecified,
        1 => RevocationReason::KeyCompromise,
        2 => RevocationReason::CaCompromise,
        3 => RevocationReason::AffiliationChanged,
        4 => RevocationReason::Superseded,
        5 => RevocationReason::CessationOfOperation,
        6 => RevocationReason::CertificateHold,
        8 => RevocationReason::RemoveFromCrl,
        9 => RevocationReason::PrivilegeWithdrawn,
        10 => RevocationReason::AaCompromise,
        other => return Err(Failure::new(format!("no revocation reason {other}"))),
    })
}

/// `acme_renewal_info`: `GET /acme/renewal-info/{certID}` (unauthenticated, RFC 9773 §4.2);
/// the window's start is recorded in days after the certificate's notBefore.
pub(super) async fn renewal_info(
    env: &Env,
    s: &step::AcmeRenewalInfo,
    state: &CaseState,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let leaf = leaf(&state.acme, &s.cert)?;
    let id = vault::acme::ca::ari_cert_id(leaf).map_err(|e| Failure::new(e.to_string()))?;
    let r = env
        .vault
        .send(
            Method::GET,
            &format!("{}/renewal-info/{id}", env.acme.root),
            None,
            false,
        )
        .await?;
    if let Some(start) = r.body["suggestedWindow"]["start"].as_str() {
        let start = vault::acme::wire::parse_rfc3339(start)
            .ok_or_else(|| Failure::new(format!("window start '{start}' is not RFC 3339")))?;
        let info = crypto::parse_certificate(leaf).map_err(|e| Failure::new(e.to_string()))?;
        obs.window_start_days = Some((start - info.not_before) as f64 / 86_400.0);
    }
    obs.reply = Some(r);
    Ok(())
}

/// `acme_chaos`: `PUT /_admin/acme/chaos` with the step's document.
pub(super) async fn chaos(
    env: &Env,
    s: &step::AcmeChaos,
    obs: &mut Observed,
) -> Result<(), Failure> {
    let body = toml_to_json(&toml::Value::Table(s.chaos.clone()));
    send(env, obs, Method::PUT, "/_admin/acme/chaos", Some(&body)).await
}

fn account_entry<'a>(acme: &'a AcmeState, name: &str) -> Result<&'a AcmeAccountEntry, Failure> {
    acme.accounts.get(name).ok_or_else(|| {
        Failure::new(format!(
            "no ACME account '{name}' in this scenario (an acme_account step makes one)"
        ))
    })
}

fn order_entry<'a>(acme: &'a mut AcmeState, name: &str) -> Result<&'a mut AcmeOrderEntry, Failure> {
    acme.orders.get_mut(name).ok_or_else(|| {
        Failure::new(format!(
            "no ACME order '{name}' in this scenario (an acme_order step places one)"
        ))
    })
}

fn cert_entry<'a>(acme: &'a AcmeState, name: &str) -> Result<&'a AcmeCertEntry, Failure> {
    acme.certs.get(name).ok_or_else(|| {
        Failure::new(format!(
            "no ACME certificate '{name}' in this scenario (an acme_download step saves one)"
        ))
    })
}

/// The leaf of a downloaded certificate.
fn leaf<'a>(acme: &'a AcmeState, name: &str) -> Result<&'a [u8], Failure> {
    cert_entry(acme, name)?
        .chain
        .first()
        .map(Vec::as_slice)
        .ok_or_else(|| Failure::new(format!("the ACME certificate '{name}' has no leaf")))
}

/// A successful ACME exchange as a reply.
fn ok(body: Value) -> Reply {
    Reply { status: 200, body }
}

/// An `instant-acme` error: a problem the server answered is what the step saw (its reply);
/// anything else fails the step. A problem without a status (an object's own `error`, which
/// the client raises as an error) reads as status 0: not a success, so only a step that
/// expects it passes.
fn seen(obs: &mut Observed, e: instant_acme::Error) -> Result<(), Failure> {
    match e {
        instant_acme::Error::Api(p) => {
            obs.reply = Some(Reply {
                status: p.status.unwrap_or(0),
                body: problem_json(&p),
            });
            Ok(())
        }
        other => Err(client(other)),
    }
}

fn client(e: instant_acme::Error) -> Failure {
    Failure::new(format!("ACME client: {e}"))
}

/// A problem document as JSON (RFC 8555 §6.7).
fn problem_json(p: &Problem) -> Value {
    let subproblems: Vec<Value> = p
        .subproblems
        .iter()
        .map(|s| {
            json!({
                "type": s.r#type,
                "detail": s.detail,
                "identifier": s.identifier.as_ref().map(|i| i.authorized(false).to_string()),
            })
        })
        .collect();
    json!({
        "type": p.r#type,
        "detail": p.detail,
        "status": p.status,
        "subproblems": subproblems,
    })
}

/// The order as the step saw it: its status, profile, certificate URL, `replaces` and error,
/// with the identifiers the scenario asked for.
fn order_json(entry: &mut AcmeOrderEntry) -> Value {
    let url = entry.order.url().to_string();
    let state = entry.order.state();
    json!({
        "url": url,
        "status": status_name(state.status),
        "identifiers": entry.identifiers,
        "profile": state.profile,
        "certificate": state.certificate,
        "replaces": state.replaces.as_ref().map(|r| format!("{}.{}", r.authority_key_identifier, r.serial)),
        "error": state.error.as_ref().map(problem_json),
    })
}

/// `'status'`, with the order's problem when it has one (for failure messages).
fn order_summary(state: &OrderState) -> String {
    let status = status_name(state.status);
    match &state.error {
        Some(p) => format!(
            "'{status}' ({}: {})",
            p.r#type.as_deref().unwrap_or(""),
            p.detail.as_deref().unwrap_or("")
        ),
        None => format!("'{status}'"),
    }
}

fn status_name(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Pending => "pending",
        OrderStatus::Ready => "ready",
        OrderStatus::Processing => "processing",
        OrderStatus::Valid => "valid",
        OrderStatus::Invalid => "invalid",
    }
}
