//! http-01 (RFC 8555 §8.3): `GET http://NAME:PORT/.well-known/acme-challenge/TOKEN` must
//! answer 2xx with the key authorization (surrounding whitespace ignored).
//!
//! Bounds: at most [`MAX_REDIRECTS`] redirects, each only to `http` on the http-01 port or
//! `https` on 443 (§8.3 allows 80 and 443; the http-01 port stands in for 80), to a name
//! (resolved by the address policy) or to the identifier's own IP, never to another IP
//! literal; a redirect to a URL already visited is reported as a loop. The body is read up
//! to [`MAX_BODY`] bytes. An `https` hop accepts any certificate (the key authorization
//! proves control, not the certificate, as Let's Encrypt does). The caller bounds the time.

use super::context::Context;
use super::failure::{chain, problem, quote};
use super::resolve::{PolicyResolver, ResolveFailure};
use crate::model::acme::{Identifier, IdentifierType, StoredProblem};
use shared::acme::problem::ErrorType;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use url::{Host, Url};

/// RFC 8555 §8.3 asks for redirects to be followed; Boulder stops after 10.
pub const MAX_REDIRECTS: usize = 10;
/// A key authorization is ~90 bytes; anything much larger is not one.
pub const MAX_BODY: usize = 8 * 1024;

/// The http-01 client (see `Context::http`). `timeout` is a backstop: the validator bounds
/// each attempt as a whole.
pub(super) fn client(
    addresses: Arc<super::resolve::Addresses>,
    timeout: Duration,
) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .dns_resolver(PolicyResolver(addresses))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(0)
        .http1_only()
        .tls_danger_accept_invalid_certs(true)
        .tls_danger_accept_invalid_hostnames(true)
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!(
            "keyvault-emulator-vault/",
            env!("CARGO_PKG_VERSION"),
            " (ACME validation)"
        ))
        .build()
        .map_err(|e| format!("cannot build the http-01 client: {}", chain(&e)))
}

pub(super) async fn validate(
    context: &Context,
    identifier: &Identifier,
    token: &str,
    key_authorization: &str,
) -> Result<(), StoredProblem> {
    let own_ip = own_ip(identifier)?;
    let mut url = first_url(context.http01_port, identifier, token)?;
    let mut visited: Vec<Url> = Vec::new();
    loop {
        let response = context
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| request_failure(&url, &e))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let Some(location) = location else {
                return Err(problem(
                    ErrorType::Unauthorized,
                    format!("GET {url} answered {status} without a usable Location header"),
                ));
            };
            let next = url.join(&location).map_err(|e| {
                problem(
                    ErrorType::Connection,
                    format!(
                        "GET {url} redirected to {}, not a URL: {e}",
                        quote(&location)
                    ),
                )
            })?;
            if visited.len() >= MAX_REDIRECTS {
                return Err(problem(
                    ErrorType::Connection,
                    format!(
                        "too many redirects: more than {MAX_REDIRECTS} starting at {}, the last \
                         from {url} to {next}",
                        visited.first().unwrap_or(&url)
                    ),
                ));
            }
            check_redirect(context, own_ip, &url, &next)?;
            visited.push(url);
            if visited.contains(&next) {
                return Err(problem(
                    ErrorType::Connection,
                    format!(
                        "redirect loop: {next} was already visited on the way from {}",
                        visited[0]
                    ),
                ));
            }
            url = next;
            continue;
        }
        if !status.is_success() {
            return Err(problem(
                ErrorType::Unauthorized,
                format!(
                    "GET {url} answered {status}; it must answer 200 with the key authorization \
                     for token {token}"
                ),
            ));
        }
        let body = read_capped(response, &url).await?;
        let text = String::from_utf8_lossy(&body);
        if text.trim() == key_authorization {
            return Ok(());
        }
        return Err(problem(
            ErrorType::IncorrectResponse,
            format!(
                "GET {url} returned {}; expected the key authorization {}",
                quote(text.trim()),
                quote(key_authorization)
            ),
        ));
    }
}

/// For an IP identifier, the IP (the one literal a redirect may name).
fn own_ip(identifier: &Identifier) -> Result<Option<IpAddr>, StoredProblem> {
    match identifier.kind {
        IdentifierType::Dns => Ok(None),
        IdentifierType::Ip => identifier.value.parse().map(Some).map_err(|_| {
            problem(
                ErrorType::Malformed,
                format!("{} is not an IP address", quote(&identifier.value)),
            )
        }),
    }
}

fn first_url(port: u16, identifier: &Identifier, token: &str) -> Result<Url, StoredProblem> {
    if token.is_empty()
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(problem(
            ErrorType::Malformed,
            format!("token {} is not base64url", quote(token)),
        ));
    }
    let host = match identifier.kind {
        IdentifierType::Ip => match identifier.value.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => format!("[{v6}]"),
            Ok(ip) => ip.to_string(),
            Err(_) => {
                return Err(problem(
                    ErrorType::Malformed,
                    format!("{} is not an IP address", quote(&identifier.value)),
                ))
            }
        },
        IdentifierType::Dns => identifier.value.clone(),
    };
    let text = format!("http://{host}:{port}/.well-known/acme-challenge/{token}");
    Url::parse(&text).map_err(|e| {
        problem(
            ErrorType::Malformed,
            format!(
                "cannot build the http-01 URL for {}: {e}",
                quote(&identifier.value)
            ),
        )
    })
}

/// RFC 8555 §8.3 redirect rules, plus the address policy for IP literals.
fn check_redirect(
    context: &Context,
    own_ip: Option<IpAddr>,
    from: &Url,
    to: &Url,
) -> Result<(), StoredProblem> {
    let refuse = |why: String| {
        Err(problem(
            ErrorType::Connection,
            format!("GET {from} redirected to {to}, which is not followed: {why}"),
        ))
    };
    let allowed_port = match to.scheme() {
        "http" => context.http01_port,
        "https" => 443,
        other => return refuse(format!("scheme {other} (only http and https are followed)")),
    };
    let port = to.port_or_known_default().unwrap_or(0);
    if port != allowed_port {
        return refuse(format!(
            "port {port} ({} redirects may only go to port {allowed_port})",
            to.scheme()
        ));
    }
    match to.host() {
        Some(Host::Domain(_)) => Ok(()),
        Some(Host::Ipv4(ip)) if own_ip == Some(IpAddr::V4(ip)) => Ok(()),
        Some(Host::Ipv6(ip)) if own_ip == Some(IpAddr::V6(ip)) => Ok(()),
        Some(Host::Ipv4(_)) | Some(Host::Ipv6(_)) => refuse(
            "redirects may name a host, or the identifier's own address, never another IP \
             address"
                .to_string(),
        ),
        None => refuse("it has no host".to_string()),
    }
}

async fn read_capped(mut response: reqwest::Response, url: &Url) -> Result<Vec<u8>, StoredProblem> {
    let too_large = || {
        problem(
            ErrorType::IncorrectResponse,
            format!(
                "GET {url} returned a body over {MAX_BODY} bytes; it must be just the key \
                 authorization"
            ),
        )
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        problem(
            ErrorType::Connection,
            format!("reading the body of {url} failed: {}", chain(&e)),
        )
    })? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A request that got no response: the policy's `dns` problem if the name did not resolve,
/// `tls` if an https hop's handshake failed, else `connection`.
fn request_failure(url: &Url, error: &reqwest::Error) -> StoredProblem {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut tls = false;
    while let Some(e) = source {
        if let Some(failure) = e.downcast_ref::<ResolveFailure>() {
            return failure.0.clone();
        }
        tls |= e.downcast_ref::<rustls::Error>().is_some();
        source = e.source();
    }
    if tls {
        return problem(
            ErrorType::Tls,
            format!("TLS handshake for {url} failed: {}", chain(error)),
        );
    }
    if error.is_timeout() {
        return problem(ErrorType::Connection, format!("GET {url} timed out"));
    }
    let port = url.port_or_known_default().unwrap_or(0);
    // reqwest's own message repeats the URL; its causes say what happened.
    let cause = std::error::Error::source(error).map_or_else(|| error.to_string(), chain);
    problem(
        ErrorType::Connection,
        format!("GET {url} failed: {cause}; is a web server answering http-01 on port {port}?"),
    )
}
