//! The order state machine (RFC 8555 §7.4) behind the adapter's four calls:
//! - submit: newOrder for the operation's DNS names (and profile), then [`advance`] until the
//!   order is past `ready` (finalized) or [`SETTLE`] has passed; whatever happens after
//!   newOrder answered, the order id (its URL) is returned, so it is never lost;
//! - [`advance`] (poll): `pending` → answer each pending authorization's challenge (http-01
//!   or tls-alpn-01 through vault's responders, see [`choose`]; against an always-valid CA any
//!   answer does); `ready` →
//!   finalize with the operation's CSR; `valid` → download the chain; `invalid` → the CA's
//!   problem (the order's, else the failing challenge's);
//! - find: the account's orders list (§7.1.2.1), matched by identifiers; of the matches the
//!   best claim wins (issued with our CSR's key, then processing, then pending/ready), newest
//!   (latest `expires`, i.e. latest creation) first;
//! - cancel: deactivate the order's authorizations (§7.5.2), which turns the order invalid.

use super::chain::complete;
use super::pending::Pending;
use super::session::{location, Session};
use super::wire::{next_link, parse, Account, Authorization, Challenge, Order, OrdersPage};
use crate::providers::convert::pem_certs;
use crate::providers::types::{
    CancelOutcome, Credentials, OrderRequest, OrderStatus, ProviderError, Submitted,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long a submission waits for the authorizations to be validated so that it finalizes in
/// the same call (later polls finalize otherwise).
pub(crate) const SETTLE: Duration = Duration::from_secs(10);
/// Pages of an orders list read at most.
const MAX_PAGES: usize = 100;
const PEM_CHAIN: &str = "application/pem-certificate-chain";

/// The order's DNS identifiers: the SANs, plus the common name when it is a host name; lower
/// case, sorted, without duplicates.
pub(crate) fn identifiers(order: &OrderRequest) -> Result<Vec<String>, ProviderError> {
    let host = |n: &str| {
        !n.is_empty()
            && n.contains('.')
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*'))
    };
    let mut names: Vec<String> = order
        .dns_names
        .iter()
        .chain(order.common_name.iter())
        .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|n| host(n))
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        return Err(ProviderError::Config {
            message: "An ACME order needs at least one DNS name (subject CN or DNS SAN).".into(),
        });
    }
    Ok(names)
}

fn profile(credentials: &Credentials) -> Option<&str> {
    credentials
        .org_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

pub(crate) async fn submit(s: &Session, order: &OrderRequest) -> Result<Submitted, ProviderError> {
    let credentials = &order.credentials;
    let names = identifiers(order)?;
    let ids: Vec<Value> = names
        .iter()
        .map(|n| json!({"type": "dns", "value": n}))
        .collect();
    let mut payload = json!({"identifiers": ids});
    if let Some(profile) = profile(credentials) {
        payload["profile"] = json!(profile);
    }
    let what = "ACME newOrder";
    let new_order = s.client.directory().await?.new_order.clone();
    let answer = s
        .call(what, credentials, &new_order, Some(&payload), None)
        .await?;
    let order_url = location(what, &answer)?;
    s.remember(
        &order_url,
        Pending {
            reference: order.reference.clone(),
            csr_der: order.csr_der.clone(),
        },
    );
    let deadline = Instant::now() + SETTLE;
    let mut wait = Duration::from_millis(100);
    let status = loop {
        match advance(s, credentials, &order_url).await {
            Ok(OrderStatus::Pending { ca_status })
                if matches!(ca_status.as_str(), "pending" | "ready")
                    && Instant::now() < deadline =>
            {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(1));
            }
            Ok(status) => break status,
            // The order exists: the worker's polls carry on from here.
            Err(e) if e.is_retryable() => {
                break OrderStatus::Pending {
                    ca_status: format!("pending ({e})"),
                }
            }
            Err(e) => {
                s.forget(&order_url);
                break OrderStatus::Rejected {
                    message: e.to_string(),
                };
            }
        }
    };
    Ok(Submitted {
        order_id: order_url,
        status,
    })
}

async fn read_order(
    s: &Session,
    credentials: &Credentials,
    order_url: &str,
) -> Result<Order, ProviderError> {
    let what = "ACME order status";
    let answer = s.call(what, credentials, order_url, None, None).await?;
    parse(what, &answer)
}

async fn read_authz(
    s: &Session,
    credentials: &Credentials,
    url: &str,
) -> Result<Authorization, ProviderError> {
    let what = "ACME authorization";
    let answer = s.call(what, credentials, url, None, None).await?;
    parse(what, &answer)
}

/// One step of the order towards its certificate (see the module doc).
pub(crate) async fn advance(
    s: &Session,
    credentials: &Credentials,
    order_url: &str,
) -> Result<OrderStatus, ProviderError> {
    let order = read_order(s, credentials, order_url).await?;
    match order.status.as_str() {
        "pending" => {
            solve(s, credentials, order_url, &order).await?;
            Ok(OrderStatus::Pending {
                ca_status: "pending".into(),
            })
        }
        "ready" => finalize(s, credentials, order_url, &order).await,
        _ => status_of(s, credentials, order_url, &order).await,
    }
}

/// Answers one challenge of each pending authorization that has none under way.
async fn solve(
    s: &Session,
    credentials: &Credentials,
    order_url: &str,
    order: &Order,
) -> Result<(), ProviderError> {
    for authz_url in &order.authorizations {
        let authz = read_authz(s, credentials, authz_url).await?;
        if authz.status != "pending" {
            continue;
        }
        let under_way = authz
            .challenges
            .iter()
            .any(|c| c.status == "processing" || c.status == "valid");
        if under_way {
            continue;
        }
        let Some(challenge) = choose(s, &authz) else {
            continue;
        };
        if challenge.status != "pending" {
            continue;
        }
        let account = s.account(credentials).await?;
        let key_authorization = account.key.key_authorization(&challenge.token);
        match challenge.kind.as_str() {
            "http-01" => {
                s.publish(order_url, &challenge.token, key_authorization);
            }
            "tls-alpn-01" => {
                if let Some(id) = &authz.identifier {
                    s.publish_alpn(order_url, &id.value, &key_authorization)?;
                }
            }
            _ => {}
        }
        s.call(
            "ACME challenge response",
            credentials,
            &challenge.url,
            Some(&json!({})),
            None,
        )
        .await?;
    }
    Ok(())
}

/// The challenge to answer (docs/acme.md "vault as an ACME client"): http-01 when vault runs
/// its http-01 responder and the CA offers it, else tls-alpn-01 when vault runs that responder
/// and the CA offers it for a DNS name; otherwise (a CA that validates nothing,
/// always-valid, accepts the answer to any challenge) http-01 if offered, else the first.
fn choose<'a>(s: &Session, authz: &'a Authorization) -> Option<&'a Challenge> {
    let offered = |kind: &str| authz.challenges.iter().find(|c| c.kind == kind);
    let dns = authz.identifier.as_ref().is_some_and(|i| i.kind == "dns");
    s.tokens
        .as_ref()
        .and_then(|_| offered("http-01"))
        .or_else(|| {
            s.alpn
                .as_ref()
                .filter(|_| dns)
                .and_then(|_| offered("tls-alpn-01"))
        })
        .or_else(|| offered("http-01"))
        .or_else(|| authz.challenges.first())
}

async fn finalize(
    s: &Session,
    credentials: &Credentials,
    order_url: &str,
    order: &Order,
) -> Result<OrderStatus, ProviderError> {
    s.withdraw(order_url);
    let Some(pending) = s.pending(order_url) else {
        return Ok(OrderStatus::Rejected {
            message: format!(
                "The ACME order {order_url} is ready, but vault holds no CSR for it (its file in \
                 acme-client/pending/ is gone); create the certificate again."
            ),
        });
    };
    let what = "ACME finalize";
    let csr = shared::b64::url_encode(&pending.csr_der);
    let answer = match s
        .call(
            what,
            credentials,
            &order.finalize,
            Some(&json!({"csr": csr})),
            None,
        )
        .await
    {
        Ok(answer) => answer,
        // Another step finalized it meanwhile: read it again next time.
        Err(ProviderError::Refused { message }) if message.contains("orderNotReady") => {
            return Ok(OrderStatus::Pending {
                ca_status: "processing".into(),
            })
        }
        Err(ProviderError::Refused { message }) => {
            s.forget(order_url);
            return Ok(OrderStatus::Rejected { message });
        }
        Err(e) => return Err(e),
    };
    let after: Order = parse(what, &answer)?;
    s.forget(order_url);
    status_of(s, credentials, order_url, &after).await
}

async fn status_of(
    s: &Session,
    credentials: &Credentials,
    order_url: &str,
    order: &Order,
) -> Result<OrderStatus, ProviderError> {
    match order.status.as_str() {
        "valid" => {
            let Some(cert_url) = &order.certificate else {
                return Err(ProviderError::unreadable(format!(
                    "The ACME order {order_url} is valid but names no certificate"
                )));
            };
            let chain = complete(download(s, credentials, cert_url).await?, &s.anchors);
            s.forget(order_url);
            Ok(OrderStatus::Issued { chain })
        }
        "invalid" => {
            s.forget(order_url);
            let message = match &order.error {
                Some(problem) => problem.message(),
                None => failed_challenge(s, credentials, order)
                    .await
                    .unwrap_or_else(|| "the CA gave no reason".into()),
            };
            Ok(OrderStatus::Rejected {
                message: format!("The ACME CA declared the order invalid: {message}"),
            })
        }
        other => Ok(OrderStatus::Pending {
            ca_status: other.to_string(),
        }),
    }
}

/// The error of the first failed challenge (why an order without an error turned invalid).
async fn failed_challenge(s: &Session, credentials: &Credentials, order: &Order) -> Option<String> {
    for url in &order.authorizations {
        let Ok(authz) = read_authz(s, credentials, url).await else {
            continue;
        };
        if let Some(problem) = authz.challenges.iter().find_map(|c| c.error.as_ref()) {
            return Some(problem.message());
        }
        if authz.status == "deactivated" {
            return Some("an authorization was deactivated".into());
        }
    }
    None
}

async fn download(
    s: &Session,
    credentials: &Credentials,
    cert_url: &str,
) -> Result<Vec<Vec<u8>>, ProviderError> {
    let what = "ACME certificate download";
    let answer = s
        .call(what, credentials, cert_url, None, Some(PEM_CHAIN))
        .await?;
    let chain = pem_certs(&answer.text());
    if chain.is_empty() {
        return Err(ProviderError::unreadable(format!(
            "{what}: no certificate in the answer"
        )));
    }
    Ok(chain)
}

/// The order an unanswered newOrder may have created (see the module doc).
pub(crate) async fn find(
    s: &Session,
    order: &OrderRequest,
) -> Result<Option<String>, ProviderError> {
    let credentials = &order.credentials;
    let names = identifiers(order)?;
    let account = s.account(credentials).await?;
    let what = "ACME account (orders list)";
    let answer = s.call(what, credentials, &account.url, None, None).await?;
    let details: Account = parse(what, &answer)?;
    let Some(mut next) = details.orders else {
        // Without a list the order cannot be found; ordering again is still safe for the
        // certificate: an order vault never finalizes issues nothing and expires.
        tracing::warn!(provider = %s.provider, "the ACME CA lists no orders; ordering again");
        return Ok(None);
    };
    let ours = csr_key(&order.csr_der);
    // (rank, expires, url) of the best match so far.
    let mut best: Option<(u8, String, String)> = None;
    for _ in 0..MAX_PAGES {
        let what = "ACME orders list";
        let answer = s.call(what, credentials, &next, None, None).await?;
        let page: OrdersPage = parse(what, &answer)?;
        for url in page.orders {
            if s.claimed_by_other(&url, &order.reference) {
                continue;
            }
            let candidate = match read_order(s, credentials, &url).await {
                Ok(o) => o,
                Err(ProviderError::Refused { .. }) => continue,
                Err(e) => return Err(e),
            };
            let mut theirs: Vec<String> = candidate
                .identifiers
                .iter()
                .filter(|i| i.kind == "dns")
                .map(|i| i.value.to_ascii_lowercase())
                .collect();
            theirs.sort();
            theirs.dedup();
            if theirs != names {
                continue;
            }
            let rank = match candidate.status.as_str() {
                "valid" => {
                    let Some(cert_url) = &candidate.certificate else {
                        continue;
                    };
                    let chain = download(s, credentials, cert_url).await?;
                    let leaf_key = chain.first().and_then(|c| cert_key(c));
                    if leaf_key.is_none() || leaf_key != ours {
                        continue;
                    }
                    3
                }
                "processing" => 2,
                "pending" | "ready" => 1,
                _ => continue,
            };
            let expires = candidate.expires.clone().unwrap_or_default();
            if best
                .as_ref()
                .is_none_or(|(r, e, _)| (rank, &expires) > (*r, e))
            {
                best = Some((rank, expires, url));
            }
        }
        match next_link(&answer) {
            Some(url) => next = url,
            None => break,
        }
    }
    let Some((rank, _, url)) = best else {
        return Ok(None);
    };
    if rank == 1 {
        s.remember(
            &url,
            Pending {
                reference: order.reference.clone(),
                csr_der: order.csr_der.clone(),
            },
        );
    }
    Ok(Some(url))
}

/// The SubjectPublicKeyInfo of a CSR / a certificate, to tell whether a certificate was
/// issued for our key.
fn csr_key(der: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::prelude::FromDer;
    let (_, csr) =
        x509_parser::certification_request::X509CertificationRequest::from_der(der).ok()?;
    Some(csr.certification_request_info.subject_pki.raw.to_vec())
}

fn cert_key(der: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.tbs_certificate.subject_pki.raw.to_vec())
}

pub(crate) async fn cancel(
    s: &Session,
    credentials: &Credentials,
    order_url: &str,
) -> Result<CancelOutcome, ProviderError> {
    let order = read_order(s, credentials, order_url).await?;
    match order.status.as_str() {
        "valid" => return Ok(CancelOutcome::AlreadyIssued),
        "invalid" => {
            s.forget(order_url);
            return Ok(match failed_challenge(s, credentials, &order).await {
                Some(m) if m.contains("deactivated") => CancelOutcome::Cancelled,
                reason => CancelOutcome::AlreadyFinal(format!(
                    "The ACME order is invalid: {}",
                    order
                        .error
                        .as_ref()
                        .map(|p| p.message())
                        .or(reason)
                        .unwrap_or_else(|| "no reason given".into())
                )),
            });
        }
        "processing" => {
            // Deactivating now would not stop the issuance under way; ask again shortly.
            return Err(ProviderError::Ambiguous {
                message: "The ACME order is being finalized; it cannot be cancelled now.".into(),
                retry_after: Some(Duration::from_secs(1)),
            });
        }
        _ => {}
    }
    // Stop finalizing it ourselves first, whatever the CA answers below.
    s.forget(order_url);
    for url in &order.authorizations {
        let authz = read_authz(s, credentials, url).await?;
        if authz.status != "pending" && authz.status != "valid" {
            continue;
        }
        let what = "ACME authorization deactivation";
        match s
            .call(
                what,
                credentials,
                url,
                Some(&json!({"status": "deactivated"})),
                None,
            )
            .await
        {
            Ok(_) | Err(ProviderError::Refused { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(CancelOutcome::Cancelled)
}
