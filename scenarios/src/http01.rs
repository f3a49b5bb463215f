//! The runner's http-01 responder (RFC 8555 §8.3): plain HTTP/1.1 on loopback answering
//! `GET /.well-known/acme-challenge/{token}` with the key authorization an `acme_challenge`
//! step registered, and 404 for anything else. [`crate::services`] starts one and points the
//! vault it starts at it (`--acme-http01-port`), so vault run with `--acme-validation real`
//! validates the runner's http-01 answers for names that resolve to loopback (`*.localhost`).
//!
//! One request per connection (`Connection: close`): a validation is one GET.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// The path prefix of http-01 (RFC 8555 §8.3).
const PREFIX: &str = "/.well-known/acme-challenge/";
/// A request head larger than this is not a validation request.
const HEAD_LIMIT: usize = 8 * 1024;
/// A connection that sends no complete head within this is closed.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A running responder; clones share the tokens.
#[derive(Debug, Clone)]
pub struct Http01 {
    port: u16,
    tokens: Arc<Mutex<HashMap<String, String>>>,
}

impl Http01 {
    /// Binds `127.0.0.1:0` and serves until `shutdown`.
    pub async fn start(shutdown: CancellationToken) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let responder = Self {
            port,
            tokens: Arc::default(),
        };
        let serving = responder.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    a = listener.accept() => a,
                };
                if let Ok((stream, _)) = accepted {
                    let r = serving.clone();
                    tokio::spawn(async move { r.serve(stream).await });
                }
            }
        });
        Ok(responder)
    }

    /// The port vault's http-01 validation must connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Answers `token` with `key_authorization` from now on.
    pub fn insert(&self, token: &str, key_authorization: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.to_string(), key_authorization.to_string());
    }

    /// The key authorization for a request line's target, if it asks for a known token.
    fn answer(&self, head: &str) -> Option<String> {
        let mut words = head.lines().next()?.split_whitespace();
        let (method, target) = (words.next()?, words.next()?);
        let token = target.strip_prefix(PREFIX)?;
        if method != "GET" {
            return None;
        }
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned()
    }

    async fn serve(&self, mut stream: TcpStream) {
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        let read = tokio::time::timeout(READ_TIMEOUT, async {
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < HEAD_LIMIT {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            true
        })
        .await;
        if !matches!(read, Ok(true)) {
            return;
        }
        let reply = match self.answer(&String::from_utf8_lossy(&head)) {
            Some(body) => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            ),
            None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                .to_string(),
        };
        let _ = stream.write_all(reply.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(port: u16, path: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: a.localhost:{port}\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn answers_registered_tokens_only() {
        let stop = CancellationToken::new();
        let r = Http01::start(stop.clone()).await.unwrap();
        r.insert("tok", "tok.thumb");
        let ok = get(r.port(), "/.well-known/acme-challenge/tok").await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        assert!(ok.ends_with("\r\n\r\ntok.thumb"), "{ok}");
        let missing = get(r.port(), "/.well-known/acme-challenge/other").await;
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        let elsewhere = get(r.port(), "/tok").await;
        assert!(elsewhere.starts_with("HTTP/1.1 404"), "{elsewhere}");
        stop.cancel();
    }
}
