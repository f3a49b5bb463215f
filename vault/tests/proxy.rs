//! The drop-in proxy (`--proxy-listen`): an HTTPS client configured with the proxy and the dev
//! CA as its only root reaches vault by the real Azure host names; every other destination
//! and method is refused with a one-line reason and never forwarded; tunnels are cheap (TLS
//! sessions resume) so a client that opens one per request keeps up.

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
use tokio_rustls::rustls::{self, HandshakeKind};
use tokio_rustls::TlsConnector;
use tokio_util::sync::CancellationToken;

async fn start(dir: &std::path::Path) -> (vault::Handle, CancellationToken) {
    start_with(vault::Config::new(dir)).await
}

async fn start_with(mut config: vault::Config) -> (vault::Handle, CancellationToken) {
    config.proxy_listen = Some("127.0.0.1:0".parse().unwrap());
    common::serve(config).await.unwrap()
}

fn proxy_of(handle: &vault::Handle) -> SocketAddr {
    handle.proxy_addr.expect("the proxy runs")
}

/// reqwest as an SDK uses it: `HTTPS_PROXY` and the dev CA as the only trusted root.
fn sdk_client(handle: &vault::Handle) -> reqwest::Client {
    common::trusting(handle)
        .proxy(reqwest::Proxy::https(format!("http://{}", proxy_of(handle))).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn sdk_hosts_are_served_through_the_proxy_with_the_dev_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, token) = start(dir.path()).await;
    let client = sdk_client(&handle);

    let url = "https://myvault.vault.azure.net/certificates?api-version=7.5";
    let challenge = common::challenge(&client, url).await;
    assert!(
        challenge.contains("resource=\"https://vault.azure.net\""),
        "{challenge}"
    );

    // Entra's host is vault's too: the TLS handshake succeeds against the dev CA alone and
    // vault (not the proxy, which answers only text/plain refusals) answers.
    let resp = client
        .get("https://login.microsoftonline.com/common/discovery/instance?api-version=1.1")
        .send()
        .await
        .unwrap();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(ctype.starts_with("application/json"), "{ctype}");

    // *.vault.localhost on any port is tunnelled too.
    let url = "https://web.vault.localhost:8443/certificates?api-version=7.5";
    let challenge = common::challenge(&client, url).await;
    assert!(
        challenge.contains("resource=\"https://vault.localhost:8443\""),
        "{challenge}"
    );

    token.cancel();
    handle.stopped().await;
}

#[tokio::test]
async fn entras_endpoints_answer_through_the_proxy_in_entra_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = vault::Config::new(dir.path());
    config.auth = vault::config::AuthMode::Entra;
    let (handle, token) = start_with(config).await;
    let client = sdk_client(&handle);
    let resp = client
        .get("https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let doc: serde_json::Value = resp.json().await.unwrap();
    let endpoint = doc["token_endpoint"].as_str().unwrap_or_default();
    assert_eq!(
        endpoint, "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        "{doc}"
    );
    token.cancel();
    handle.stopped().await;
}

/// Sends `head` to the proxy and returns (status, content type, body).
async fn raw(proxy: SocketAddr, head: &str) -> (u16, String, String) {
    let mut tcp = TcpStream::connect(proxy).await.unwrap();
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
        .await
        .expect("the proxy closes after refusing")
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let ctype = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Type: "))
        .unwrap_or("")
        .to_string();
    (status, ctype, body.to_string())
}

#[tokio::test]
async fn other_destinations_and_methods_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, token) = start(dir.path()).await;
    let proxy = proxy_of(&handle);
    for (head, status) in [
        (
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
            403,
        ),
        (
            "CONNECT evil.vault.azure.net.attacker.com:443 HTTP/1.1\r\n\r\n",
            403,
        ),
        ("CONNECT myvault.vault.azure.net:8443 HTTP/1.1\r\n\r\n", 403),
        ("CONNECT 127.0.0.1:443 HTTP/1.1\r\n\r\n", 403),
        (
            "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
            403,
        ),
        ("CONNECT myvault.vault.azure.net HTTP/1.1\r\n\r\n", 400),
    ] {
        let (got, ctype, body) = raw(proxy, head).await;
        assert_eq!(got, status, "{head:?}: {body}");
        assert!(ctype.starts_with("text/plain"), "{head:?}: {ctype}");
        assert!(
            body.ends_with('\n') && body.trim().len() > 10 && !body.trim().contains('\n'),
            "{head:?}: one-line reason expected, got {body:?}"
        );
    }
    let (_, _, body) = raw(proxy, "CONNECT example.com:443 HTTP/1.1\r\n\r\n").await;
    assert!(body.contains("example.com:443"), "{body}");

    // A head without an end, larger than the limit, is cut off with a 400.
    let huge = format!(
        "CONNECT myvault.vault.azure.net:443 HTTP/1.1\r\nX-Pad: {}\r\n",
        "a".repeat(10_000)
    );
    let (got, _, body) = raw(proxy, &huge).await;
    assert_eq!(got, 400, "{body}");

    token.cancel();
    handle.stopped().await;
}

fn tls_client(ca_pem: &str) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// One tunnel, one request, as the JavaScript SDK does it; returns the status line and how
/// the TLS handshake went.
async fn one_request_per_tunnel(
    proxy: SocketAddr,
    connector: &TlsConnector,
) -> (String, Option<HandshakeKind>) {
    let host = "myvault.vault.azure.net";
    let mut tcp = TcpStream::connect(proxy).await.unwrap();
    tcp.write_all(format!("CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n").as_bytes())
        .await
        .unwrap();
    // The proxy's answer is exactly this; nothing of TLS comes before the client speaks.
    let expected = b"HTTP/1.1 200 Connection established\r\n\r\n";
    let mut answer = vec![0u8; expected.len()];
    tcp.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer, expected);
    let name = ServerName::try_from(host).unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(
        format!(
            "GET /certificates?api-version=7.5 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    // The server may close without close_notify once the response is out; what was read counts.
    let _ = tls.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out);
    let kind = tls.get_ref().1.handshake_kind();
    (text.lines().next().unwrap_or("").to_string(), kind)
}

#[tokio::test]
async fn many_sequential_tunnels_resume_tls_and_finish_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, token) = start(dir.path()).await;
    let proxy = proxy_of(&handle);
    let connector = tls_client(&handle.ca_pem);

    let (status, kind) = one_request_per_tunnel(proxy, &connector).await;
    assert_eq!(status, "HTTP/1.1 401 Unauthorized");
    assert_eq!(kind, Some(HandshakeKind::Full));

    let started = Instant::now();
    let mut resumed = 0;
    for _ in 0..200 {
        let (status, kind) = one_request_per_tunnel(proxy, &connector).await;
        assert_eq!(status, "HTTP/1.1 401 Unauthorized");
        if kind == Some(HandshakeKind::Resumed) {
            resumed += 1;
        }
    }
    let took = started.elapsed();
    eprintln!("200 tunnels in {took:?}, {resumed} resumed");
    assert_eq!(resumed, 200, "every later tunnel resumes the TLS session");
    assert!(took < Duration::from_secs(30), "200 tunnels took {took:?}");

    // reqwest without connection reuse opens a tunnel per request as well.
    let client = common::trusting(&handle)
        .proxy(reqwest::Proxy::https(format!("http://{proxy}")).unwrap())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    for _ in 0..20 {
        let resp = client
            .get("https://other.vault.azure.net/certificates?api-version=7.5")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }

    token.cancel();
    handle.stopped().await;
}
