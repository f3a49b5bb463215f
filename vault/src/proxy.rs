//! The drop-in proxy (`--proxy-listen`): an HTTP/1.1 proxy that lets unmodified applications
//! reach vault by the real Azure host names through `HTTPS_PROXY`, with no DNS change.
//!
//! It accepts `CONNECT` only to vault's own hosts (as [`crate::hosts::classify`] reads them):
//! `NAME.vault.azure.net:443`, `login.microsoftonline.com:443` and `NAME.vault.localhost` on
//! any port. It answers `200 Connection established` and then serves the tunnel itself, with
//! vault's TLS configuration (the dev CA's certificate names those hosts) and the same HTTP
//! service as the main listener, through the one accept loop of [`shared::server`]; the Host
//! inside the tunnel picks the vault. Anything else (another destination, another method, a
//! malformed head) gets a 4xx with a one-line reason and is never forwarded anywhere.
//!
//! Per tunnel it costs one task and a small read buffer; TLS session tickets (see
//! [`crate::tls`]) spare clients that open a tunnel per request (the JavaScript SDK) the full
//! handshake.

use crate::hosts::{classify, split_host_port, HostKind};
use crate::http::service::VaultService;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info};

/// The most a request head (request line and headers) may take.
pub const MAX_HEAD: u64 = 8 * 1024;
/// How long a client may take to send its request head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a refused connection is read from before it is closed.
const LINGER: Duration = Duration::from_secs(1);
/// Read buffer per tunnel: the CONNECT head fits; TLS records after it are read through.
const BUFFER: usize = 1024;

/// Why a request is not tunnelled: the status and the one-line reason sent back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub reason: String,
}

fn refuse(status: u16, reason: impl Into<String>) -> Refusal {
    Refusal {
        status,
        reason: reason.into(),
    }
}

/// Decides on a request line: `Ok(destination)` when it is a CONNECT to one of vault's hosts.
pub fn admit(request_line: &str) -> Result<String, Refusal> {
    let mut parts = request_line.split_ascii_whitespace();
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(refuse(400, "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(refuse(400, "only HTTP/1.x requests are understood"));
    }
    if method != "CONNECT" {
        return Err(refuse(
            403,
            format!(
                "this proxy only tunnels CONNECT to vault's own hosts; {method} is not forwarded"
            ),
        ));
    }
    let (host, port) = split_host_port(target);
    let Some(port) = port else {
        return Err(refuse(400, format!("CONNECT {target}: host:port expected")));
    };
    let allowed = match classify(target) {
        HostKind::Vault { local: true, .. } => true,
        HostKind::Vault { local: false, .. } | HostKind::Login => port == 443,
        HostKind::Default => false,
    };
    if !allowed {
        return Err(refuse(
            403,
            format!(
                "{host}:{port} is not served here (only *.vault.azure.net:443, \
                 login.microsoftonline.com:443 and *.vault.localhost); nothing is forwarded"
            ),
        ));
    }
    Ok(format!("{host}:{port}"))
}

/// Starts the proxy on `listener`; it stops when `shutdown` is cancelled, after its tunnels'
/// in-flight requests (within the accept loop's grace period).
pub fn spawn(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    service: VaultService,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    // A client still sending its head when shutdown starts is dropped, not waited for.
    let stopping = shutdown.clone();
    shared::server::spawn_accept_loop_with(
        "vault proxy",
        listener,
        acceptor,
        move |kill: &CancellationToken| service.for_connection(kill),
        move |tcp, peer| {
            let stopping = stopping.clone();
            async move {
                tokio::select! {
                    _ = stopping.cancelled() => None,
                    head = tokio::time::timeout(HEAD_TIMEOUT, open_tunnel(tcp, peer)) => {
                        head.unwrap_or_else(|_| {
                            debug!(%peer, "proxy request head timed out");
                            None
                        })
                    }
                }
            }
        },
        TaskTracker::new(),
        shutdown,
    )
}

/// Reads the CONNECT head and answers it: the stream to run TLS on (bytes the client sent
/// after the head stay in its buffer), or `None` after a refusal or a broken connection.
async fn open_tunnel(tcp: TcpStream, peer: SocketAddr) -> Option<BufReader<TcpStream>> {
    let mut reader = BufReader::with_capacity(BUFFER, tcp);
    let mut head = Vec::with_capacity(256);
    let mut request_line = None;
    loop {
        let start = head.len();
        let budget = MAX_HEAD.saturating_sub(start as u64);
        let n = (&mut reader)
            .take(budget)
            .read_until(b'\n', &mut head)
            .await
            .ok()?;
        if n == 0 || !head.ends_with(b"\n") {
            if n == 0 && head.is_empty() {
                return None; // connected and left
            }
            let reason = if head.len() as u64 >= MAX_HEAD {
                "request head too large"
            } else {
                "request head incomplete"
            };
            reply_refusal(reader, peer, &refuse(400, reason), None).await;
            return None;
        }
        let line = String::from_utf8_lossy(&head[start..]);
        let line = line.trim_end_matches(['\r', '\n']);
        match request_line {
            None => request_line = Some(line.to_string()),
            // The headers (Host, Proxy-Authorization, …) change nothing: skip them.
            Some(_) if line.is_empty() => break,
            Some(_) => {}
        }
    }
    let request_line = request_line.unwrap_or_default();
    match admit(&request_line) {
        Ok(destination) => {
            let answer = b"HTTP/1.1 200 Connection established\r\n\r\n";
            reader.get_mut().write_all(answer).await.ok()?;
            debug!(%peer, %destination, "tunnel open");
            Some(reader)
        }
        Err(refusal) => {
            reply_refusal(reader, peer, &refusal, Some(&request_line)).await;
            None
        }
    }
}

async fn reply_refusal(
    mut reader: BufReader<TcpStream>,
    peer: SocketAddr,
    refusal: &Refusal,
    request_line: Option<&str>,
) {
    let line = request_line.unwrap_or("");
    info!(
        %peer,
        destination = line.split_ascii_whitespace().nth(1).unwrap_or(""),
        request = line,
        status = refusal.status,
        reason = %refusal.reason,
        "proxy refused a request"
    );
    let title = if refusal.status == 403 {
        "Forbidden"
    } else {
        "Bad Request"
    };
    let body = format!("{}\n", refusal.reason);
    let response = format!(
        "HTTP/1.1 {} {title}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        refusal.status,
        body.len()
    );
    let tcp = reader.get_mut();
    let _ = tcp.write_all(response.as_bytes()).await;
    let _ = tcp.shutdown().await;
    // Lingering close: closing with unread input would reset the connection and could discard
    // the answer at the client, so read (a bounded amount of) what it still sends first.
    let _ = tokio::time::timeout(
        LINGER,
        tokio::io::copy(&mut reader.take(MAX_HEAD * 8), &mut tokio::io::sink()),
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connects_to_vaults_own_hosts_are_admitted() {
        for ok in [
            "CONNECT myvault.vault.azure.net:443 HTTP/1.1",
            "CONNECT MyVault.Vault.Azure.Net:443 HTTP/1.1",
            "CONNECT login.microsoftonline.com:443 HTTP/1.1",
            "CONNECT web.vault.localhost:8443 HTTP/1.1",
            "CONNECT web.vault.localhost:443 HTTP/1.0",
        ] {
            assert!(admit(ok).is_ok(), "{ok}");
        }
        for (line, status) in [
            ("CONNECT example.com:443 HTTP/1.1", 403),
            (
                "CONNECT evil.vault.azure.net.attacker.com:443 HTTP/1.1",
                403,
            ),
            ("CONNECT myvault.vault.azure.net:8443 HTTP/1.1", 403),
            ("CONNECT login.microsoftonline.com:80 HTTP/1.1", 403),
            ("CONNECT vault.azure.net:443 HTTP/1.1", 403),
            ("CONNECT a.b.vault.azure.net:443 HTTP/1.1", 403),
            ("CONNECT 127.0.0.1:443 HTTP/1.1", 403),
            ("GET http://example.com/ HTTP/1.1", 403),
            ("CONNECT myvault.vault.azure.net HTTP/1.1", 400),
            ("CONNECT", 400),
            ("CONNECT x.vault.azure.net:443 SPDY/3", 400),
        ] {
            let refusal = admit(line).unwrap_err();
            assert_eq!(refusal.status, status, "{line}: {refusal:?}");
            assert!(!refusal.reason.contains('\n'), "{line}");
        }
    }
}
