//! Challenge validation (RFC 8555 §8): `always-valid` (Pebble's `PEBBLE_VA_ALWAYS_VALID`)
//! accepts every answered challenge; `real` fetches http-01 responses (§8.3) from the
//! identifier on `--acme-http01-port` and checks tls-alpn-01 (RFC 8737) certificates on
//! `--acme-tlsalpn01-port`, with `.localhost` names on loopback (RFC 6761), and asks
//! `--acme-dns-resolver` for dns-01 TXT records (§8.4; a plain DNS query over UDP, like
//! Pebble's `-dnsserver` pointed at challtestsrv).

use crate::config::AcmeValidation;
use rustls::pki_types::ServerName;
use shared::acme::problem::{ErrorType, Problem};
use shared::acme::tlsalpn::{self, ACME_TLS_ALPN};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use x509_parser::extensions::GeneralName;

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
    pub tlsalpn01_port: u16,
    /// The DNS server dns-01 asks (`None`: dns-01 needs `always-valid`).
    pub dns_resolver: Option<std::net::SocketAddr>,
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
        "tls-alpn-01" => match tokio::time::timeout(TIMEOUT, tlsalpn01(a)).await {
            Ok(r) => r,
            Err(_) => Err(Problem::new(
                ErrorType::Connection,
                format!("The tls-alpn-01 handshake with {} timed out.", a.name),
            )),
        },
        "dns-01" => match a.dns_resolver {
            Some(server) => match tokio::time::timeout(TIMEOUT, dns01(a, server)).await {
                Ok(r) => r,
                Err(_) => Err(Problem::new(
                    ErrorType::Dns,
                    format!("The DNS query to {server} timed out."),
                )),
            },
            None => Err(Problem::new(
                ErrorType::Dns,
                "ca-sim validates dns-01 with --acme-dns-resolver or --acme-validation always-valid.",
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

/// RFC 8737 §3: a TLS handshake with SNI = the name and ALPN `acme-tls/1`; the certificate
/// names exactly that dNSName and carries a critical acmeIdentifier extension holding the
/// SHA-256 of the key authorization.
async fn tlsalpn01(a: &Attempt<'_>) -> Result<(), Problem> {
    let tls_err = |detail: String| Problem::new(ErrorType::Tls, detail);
    let addr = format!("{}:{}", host(a.name), a.tlsalpn01_port);
    let config = tlsalpn::client_config().map_err(tls_err)?;
    let server_name = ServerName::try_from(a.name.to_string())
        .map_err(|_| tls_err(format!("'{}' is not a TLS server name.", a.name)))?;
    let tcp = TcpStream::connect(&addr).await.map_err(|e| {
        Problem::new(
            ErrorType::Connection,
            format!("Cannot connect to {addr} for tls-alpn-01: {e}."),
        )
    })?;
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(server_name, tcp)
        .await
        .map_err(|e| {
            tls_err(format!(
                "The tls-alpn-01 handshake with {addr} failed: {e}."
            ))
        })?;
    let (_, session) = stream.get_ref();
    if session.alpn_protocol() != Some(ACME_TLS_ALPN) {
        return Err(tls_err(format!("{addr} did not negotiate acme-tls/1.")));
    }
    let leaf = session
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or_else(|| tls_err(format!("{addr} sent no certificate.")))?;
    let unauthorized = |detail: String| Problem::new(ErrorType::Unauthorized, detail);
    let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|_| unauthorized("The tls-alpn-01 certificate cannot be parsed.".into()))?;
    let names: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .map(|n| match n {
                    GeneralName::DNSName(d) => d.to_ascii_lowercase(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .unwrap_or_default();
    if names != [a.name.to_ascii_lowercase()] {
        return Err(unauthorized(format!(
            "The tls-alpn-01 certificate names {names:?}, not exactly {}.",
            a.name
        )));
    }
    tlsalpn::check_acme_identifier(&cert, a.key_authorization).map_err(|detail| {
        Problem::new(
            ErrorType::IncorrectResponse,
            format!("The tls-alpn-01 certificate from {addr} {detail}."),
        )
    })?;
    Ok(())
}

/// dns-01 (§8.4): a TXT query for `_acme-challenge.{name}` to `server`; one record must be
/// base64url(SHA-256(key authorization)).
async fn dns01(a: &Attempt<'_>, server: std::net::SocketAddr) -> Result<(), Problem> {
    use base64::Engine;
    let dns = |detail: String| Problem::new(ErrorType::Dns, detail);
    let qname = format!("_acme-challenge.{}", a.name);
    let mut id = [0u8; 2];
    aws_lc_rs::rand::fill(&mut id).map_err(|_| dns("no random query id".into()))?;
    let query = dns_query(id, &qname);
    let bind = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = tokio::net::UdpSocket::bind(bind)
        .await
        .map_err(|e| dns(format!("DNS socket: {e}.")))?;
    socket
        .send_to(&query, server)
        .await
        .map_err(|e| dns(format!("DNS query to {server}: {e}.")))?;
    let mut buf = vec![0u8; 4096];
    let n = loop {
        let (n, from) = socket
            .recv_from(&mut buf)
            .await
            .map_err(|e| dns(format!("DNS answer from {server}: {e}.")))?;
        if from == server && n >= 2 && buf[..2] == id {
            break n;
        }
    };
    let records = txt_records(&buf[..n]).ok_or_else(|| {
        dns(format!(
            "The DNS answer from {server} for {qname} is unreadable."
        ))
    })?;
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, a.key_authorization.as_bytes());
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    if records.iter().any(|r| r == &expected) {
        return Ok(());
    }
    Err(Problem::new(
        ErrorType::Unauthorized,
        format!(
            "No TXT record of {qname} ({} found) is this key authorization's digest.",
            records.len()
        ),
    ))
}

/// A recursive-desired TXT query (RFC 1035 §4.1).
fn dns_query(id: [u8; 2], name: &str) -> Vec<u8> {
    let mut q = Vec::with_capacity(name.len() + 18);
    q.extend_from_slice(&id);
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        q.push(label.len().min(63) as u8);
        q.extend_from_slice(&label.as_bytes()[..label.len().min(63)]);
    }
    q.extend_from_slice(&[0, 0, 16, 0, 1]);
    q
}

/// Skips a (possibly compressed) domain name at `pos`; the position after it.
fn skip_name(msg: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = *msg.get(pos)? as usize;
        if len & 0xC0 == 0xC0 {
            return Some(pos + 2);
        }
        if len == 0 {
            return Some(pos + 1);
        }
        pos += len + 1;
    }
}

/// The TXT records of an answer (each record's strings joined), `None` if it is malformed or
/// an error answer.
fn txt_records(msg: &[u8]) -> Option<Vec<String>> {
    let u16_at = |p: usize| -> Option<usize> {
        Some(u16::from_be_bytes([*msg.get(p)?, *msg.get(p + 1)?]) as usize)
    };
    if msg.len() < 12 || msg[3] & 0x0F != 0 {
        return None;
    }
    let (qd, an) = (u16_at(4)?, u16_at(6)?);
    let mut pos = 12;
    for _ in 0..qd {
        pos = skip_name(msg, pos)? + 4;
    }
    let mut out = Vec::new();
    for _ in 0..an {
        pos = skip_name(msg, pos)?;
        let kind = u16_at(pos)?;
        let rdlen = u16_at(pos + 8)?;
        let rdata = msg.get(pos + 10..pos + 10 + rdlen)?;
        pos += 10 + rdlen;
        if kind != 16 {
            continue;
        }
        let mut text = Vec::new();
        let mut i = 0;
        while i < rdata.len() {
            let l = rdata[i] as usize;
            text.extend_from_slice(rdata.get(i + 1..i + 1 + l)?);
            i += 1 + l;
        }
        out.push(String::from_utf8_lossy(&text).into_owned());
    }
    Some(out)
}
