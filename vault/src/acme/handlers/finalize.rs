//! Finalize (RFC 8555 §7.4): the order must be `ready` (else `orderNotReady`); the CSR's
//! names (SANs, and the CN if present) must be exactly the order's identifiers (else
//! `badCSR`) and its key acceptable (else `badPublicKey`). A local-CA order is then written
//! `processing` with the CSR (one `apply`) and signed in the background (`issue`); finalize
//! waits briefly and answers `valid` when the signature is done, else `processing` with
//! `Retry-After`. A partner-CA order goes to its issuer through the issuance worker.

use super::{issue, load, orders::order_reply};
use crate::acme::reply::{malformed, Reply};
use crate::acme::request::{AcmeRequest, Cx};
use crate::model::acme::{Identifier, OrderRecord, OrderStatus};
use crate::store::Change;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use shared::acme::problem::{ErrorType, Problem};
use shared::crypto::KeySpec;
use shared::models::CurveName;
use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;
use x509_parser::prelude::FromDer;

/// How long finalize waits for the local CA before answering `processing`.
const SIGN_WAIT: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
struct Finalize {
    csr: String,
}

fn bad_csr(detail: impl Into<String>) -> Problem {
    Problem::new(ErrorType::BadCsr, detail)
}

fn not_ready(order: &OrderRecord) -> Problem {
    Problem::new(
        ErrorType::OrderNotReady,
        format!(
            "The order is {}, not ready: it can be finalized only once all its authorizations are valid, and only once.",
            order.status.as_str()
        ),
    )
}

/// The CSR's requested names as `dns:`/`ip:` identifiers, normalised like the order's.
fn csr_names(der: &[u8]) -> Result<(HashSet<Identifier>, KeySpec), Problem> {
    let info = shared::crypto::parse_csr(der).map_err(|e| {
        bad_csr(format!(
            "The CSR is not a valid, signed PKCS#10 request: {e}."
        ))
    })?;
    let sans = &info.sans;
    if sans.emails.is_some() || sans.upns.is_some() || sans.uris.is_some() {
        return Err(bad_csr(
            "The CSR may only request DNS names and IP addresses.",
        ));
    }
    let mut names = HashSet::new();
    for dns in sans.dns_names.iter().flatten() {
        names.insert(Identifier::dns(
            dns.trim_end_matches('.').to_ascii_lowercase(),
        ));
    }
    for ip in sans.ip_addresses.iter().flatten() {
        let parsed: IpAddr = ip
            .parse()
            .map_err(|_| bad_csr(format!("The CSR's IP address '{ip}' is not valid.")))?;
        names.insert(Identifier::ip(parsed.to_string()));
    }
    // The CN, when present, must be one of the names (RFC 8555 §7.4).
    let (_, csr) = x509_parser::certification_request::X509CertificationRequest::from_der(der)
        .map_err(|_| bad_csr("The CSR does not parse."))?;
    for cn in csr.certification_request_info.subject.iter_common_name() {
        let text = cn
            .as_str()
            .map_err(|_| bad_csr("The CSR's common name is not a string."))?;
        let value = text.trim_end_matches('.').to_ascii_lowercase();
        let as_ip = value
            .parse::<IpAddr>()
            .ok()
            .map(|ip| Identifier::ip(ip.to_string()));
        let as_dns = Identifier::dns(value);
        if !names.contains(&as_dns) && !as_ip.is_some_and(|ip| names.contains(&ip)) {
            names.insert(as_dns);
        }
    }
    let key = info
        .key_spec
        .ok_or_else(|| bad_public_key("The CSR's key type is not supported (RSA or EC only)."))?;
    Ok((names, key))
}

fn bad_public_key(detail: &str) -> Problem {
    Problem::new(ErrorType::BadPublicKey, detail)
}

/// RSA 2048–8192 bits, EC P-256/P-384/P-521.
fn check_key(key: &KeySpec) -> Result<(), Problem> {
    match key {
        KeySpec::Rsa { bits } if (2048..=8192).contains(bits) => Ok(()),
        KeySpec::Rsa { bits } => Err(bad_public_key(&format!(
            "An RSA key of {bits} bits is not accepted (2048 to 8192)."
        ))),
        KeySpec::Ec {
            curve: CurveName::P256 | CurveName::P384 | CurveName::P521,
        } => Ok(()),
        KeySpec::Ec { curve } => Err(bad_public_key(&format!(
            "The curve {curve} is not accepted (P-256, P-384, P-521)."
        ))),
    }
}

/// RFC 8555 §7.4: the CSR names exactly the order's identifiers.
fn check_names(order: &OrderRecord, names: &HashSet<Identifier>) -> Result<(), Problem> {
    let wanted: HashSet<Identifier> = order.identifiers.iter().cloned().collect();
    if &wanted == names {
        return Ok(());
    }
    let list = |set: &HashSet<Identifier>| {
        let mut values: Vec<&str> = set.iter().map(|i| i.value.as_str()).collect();
        values.sort_unstable();
        values.join(", ")
    };
    Err(bad_csr(format!(
        "The CSR names [{}] but the order is for [{}]: they must be the same.",
        list(names),
        list(&wanted)
    )))
}

/// `POST /acme/order/{id}/finalize`.
pub async fn finalize(cx: &Cx, req: AcmeRequest, id: &str) -> Result<Reply, Problem> {
    let account = req.account()?.clone();
    let payload: Finalize = req.payload()?;
    let order = load::order(cx, id, &account.record.id).await?;
    if order.status != OrderStatus::Ready {
        return Err(not_ready(&order));
    }
    let der = URL_SAFE_NO_PAD
        .decode(payload.csr.trim_end_matches('='))
        .map_err(|_| malformed("The 'csr' is not base64url."))?;
    let (names, key) = csr_names(&der)?;
    check_key(&key)?;
    check_names(&order, &names)?;
    if !load::is_local(&order.profile) {
        // Partner profiles go through the issuance worker (`handlers::partner`).
        let processing = super::partner::finalize(cx, &order, der).await?;
        return Ok(order_reply(cx, &processing).location(cx.urls.order(id)));
    }
    let now = cx.now();
    let written = {
        let _lock = cx.vault.locks.lock(id).await;
        let key = id.to_string();
        cx.store(move |s| {
            // Re-read under the lock: only a ready order is finalized, once.
            let Some(mut current) = s.acme_order(&key)? else {
                return Ok(Err(order));
            };
            if current.status != OrderStatus::Ready {
                return Ok(Err(current));
            }
            current.csr = Some(der);
            current.set_status(OrderStatus::Processing, now);
            s.apply(vec![Change::PutAcmeOrder(current.clone())])?;
            Ok(Ok(current))
        })
        .await?
    };
    let processing = written.map_err(|o| not_ready(&o))?;
    let signed = match issue::spawn(&cx.acme, &cx.vault, id, Some(processing.clone())) {
        // The task goes on if the wait ends first; the client then polls the order.
        Some(task) => match tokio::time::timeout(SIGN_WAIT, task).await {
            Ok(Ok(written)) => written,
            _ => None,
        },
        None => None,
    };
    let latest = signed.unwrap_or(processing);
    Ok(order_reply(cx, &latest).location(cx.urls.order(id)))
}
