//! Challenge validation (RFC 8555 §8): `always-valid` (Pebble's `PEBBLE_VA_ALWAYS_VALID`)
//! accepts every answered challenge; `real` fetches http-01 responses (§8.3) from the
//! identifier on `--acme-http01-port`, with `.localhost` names on loopback (RFC 6761).
//! dns-01 and tls-alpn-01 are validated only under `always-valid` for now.

use crate::config::AcmeValidation;
use shared::acme::problem::{ErrorType, Problem};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one validation may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most bytes of an http-01 answer read (§8.3 bodies are tiny).
const MAX_RESPONSE: usize = 64 * 1024;

/// What a challenge is checked with.
pub struct Attempt<'a> {
    pub mode: AcmeValidation,
    pub kind: &'a str,
    /// The authorization's identifier (without a wildcard's `*.`).
    pub name: &'a str,
    pub token: &'a str,
    /// `token.thumbprint` (§8.1).
    pub key_authorization: &'a str,
    pub http01_port: u16,
}

/// Validates one challenge; the problem is the challenge's `error`.
pub async fn validate(a: &Attempt<'_>) -> Result<(), Problem> {
    if a.mode == AcmeValidation::AlwaysValid {
        return Ok(());
    }
    match a.kind {
        "http-01" => match tokio::time::timeout(TIMEOUT, http01(a)).await {
            Ok(r) => r,
            Err(_) => Err(Problem::new(
                ErrorType::Connection,
                format!("Fetching the http-01 response from {} timed out.", a.name),
            )),
        },
        other => Err(Problem::new(
            ErrorType::Unauthorized,
            format!("ca-sim validates {other} only with --acme-validation always-valid."),
        )),
    }
}

/// The host to connect to: `.localhost` names (and `localhost`) are loopback.
fn host(name: &str) -> String {
    if name == "localhost" || name.ends_with(".localhost") {
        "127.0.0.1".into()
    } else {
        name.to_string()
    }
}

async fn http01(a: &Attempt<'_>) -> Result<(), Problem> {
    let conn = |detail: String| Problem::new(ErrorType::Connection, detail);
    let addr = format!("{}:{}", host(a.name), a.http01_port);
    let mut stream = TcpStream::connect(&addr)
        .await
        .map_err(|e| conn(format!("Cannot connect to {addr} for http-01: {e}.")))?;
    let request = format!(
        "GET /.well-known/acme-challenge/{} HTTP/1.0\r\nHost: {}\r\nUser-Agent: ca-sim\r\nAccept: */*\r\n\r\n",
        a.token, a.name
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| conn(format!("Writing to {addr}: {e}.")))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| conn(format!("Reading from {addr}: {e}.")))?;
        if n == 0 || buf.len() >= MAX_RESPONSE {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    if status != "200" {
        return Err(Problem::new(
            ErrorType::Unauthorized,
            format!("The http-01 response from {addr} has status '{status}', not 200."),
        ));
    }
    if body.trim() != a.key_authorization {
        return Err(Problem::new(
            ErrorType::IncorrectResponse,
            format!(
                "The http-01 response from {addr} is not the key authorization of token {}.",
                a.token
            ),
        ));
    }
    Ok(())
}
