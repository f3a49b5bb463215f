//! ACME through a real client (`instant-acme`, written from RFC 8555 by others): accounts,
//! orders answered to `ready`, and issuance, shared by the test files that order through
//! ca-sim's ACME dialect, and the challenge responders real validation talks to.

use super::{Sim, DEADLINE};
use ca_sim::config::{AcmeValidation, Config};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, Order, OrderStatus, RetryPolicy,
};
use shared::crypto::{self, PrivateKey};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Config tweak: every challenge validates without a responder.
pub fn always_valid(c: &mut Config) {
    c.acme.validation = AcmeValidation::AlwaysValid;
}

/// A new account at `sim`.
pub async fn account(sim: &Sim) -> (Account, AccountCredentials) {
    Account::builder_with_root(&sim.handle.ca_path)
        .expect("client trusting ca-sim's TLS CA")
        .create(
            &NewAccount {
                contact: &["mailto:acme@example.com"],
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            format!("{}/acme/directory", sim.url),
            None,
        )
        .await
        .expect("new account")
}

/// The client's polling: every 20 ms up to [`DEADLINE`].
pub fn retry() -> RetryPolicy {
    RetryPolicy::new()
        .initial_delay(Duration::from_millis(20))
        .timeout(DEADLINE)
}

/// A new order for the DNS `names`.
pub async fn new_order(account: &Account, names: &[&str]) -> Order {
    let ids: Vec<Identifier> = names
        .iter()
        .map(|n| Identifier::Dns(n.to_string()))
        .collect();
    account
        .new_order(&NewOrder::new(&ids))
        .await
        .expect("new order")
}

/// A new order for `names`, every authorization answered with `kind`.
pub async fn ready_order(account: &Account, names: &[&str], kind: ChallengeType) -> Order {
    let mut order = new_order(account, names).await;
    let mut authzs = order.authorizations();
    while let Some(a) = authzs.next().await {
        let mut a = a.expect("authorization");
        assert_eq!(a.status, AuthorizationStatus::Pending);
        let mut ch = a.challenge(kind.clone()).expect("challenge offered");
        ch.set_ready().await.expect("challenge answered");
    }
    assert_eq!(
        order.poll_ready(&retry()).await.expect("ready"),
        OrderStatus::Ready
    );
    order
}

/// A CSR (DER) for `names` (first is the CN) and its key.
pub fn csr(names: &[&str]) -> (PrivateKey, Vec<u8>) {
    let (key, pem) = super::csr(names[0], names);
    (key, crypto::pem_blocks(&pem).remove(0).1)
}

/// Orders `names` (http-01), finalizes and waits for the certificate: the order, the CSR's
/// key and the PEM chain.
pub async fn issue(account: &Account, names: &[&str]) -> (Order, PrivateKey, String) {
    let mut order = ready_order(account, names, ChallengeType::Http01).await;
    let (key, der) = csr(names);
    order.finalize_csr(&der).await.expect("finalize");
    let pem = order.poll_certificate(&retry()).await.expect("certificate");
    (order, key, pem)
}

/// The ACME root (`/admin/acme/root.pem`, Pebble's management path).
pub async fn root_pem(sim: &Sim) -> String {
    let r = sim.get("/admin/acme/root.pem").await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// An http-01 responder on loopback: every request gets the text in the returned cell. Its
/// port is for `acme.http01_port`.
pub async fn http01_responder() -> (u16, Arc<Mutex<String>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let answer = Arc::new(Mutex::new(String::new()));
    let served = answer.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf).await;
            let body = served.lock().unwrap().clone();
            let _ = s
                .write_all(
                    format!(
                        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                )
                .await;
        }
    });
    (port, answer)
}

/// A DNS server on loopback answering every query with one TXT record, the text in the
/// returned cell. Its address is for `acme.dns_resolver`.
pub async fn dns01_responder() -> (SocketAddr, Arc<Mutex<String>>) {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let server = socket.local_addr().unwrap();
    let record = Arc::new(Mutex::new(String::new()));
    let served = record.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let txt = served.lock().unwrap().clone().into_bytes();
            // The query's header and question, flagged as an answer with one TXT record
            // pointing back at the question's name (0xC00C).
            let mut rsp = buf[..n].to_vec();
            rsp[2] = 0x81;
            rsp[3] = 0x80;
            rsp[6..8].copy_from_slice(&1u16.to_be_bytes());
            rsp.extend_from_slice(&[0xC0, 0x0C, 0, 16, 0, 1, 0, 0, 0, 60]);
            rsp.extend_from_slice(&((txt.len() + 1) as u16).to_be_bytes());
            rsp.push(txt.len() as u8);
            rsp.extend_from_slice(&txt);
            let _ = socket.send_to(&rsp, from).await;
        }
    });
    (server, record)
}

/// Serves tls-alpn-01 (RFC 8737) on `listener`: `acme-tls/1` with a self-signed certificate
/// for `name` carrying the key authorization's `digest` in the acmeIdentifier extension.
pub fn tlsalpn01_responder(listener: tokio::net::TcpListener, name: &str, digest: &[u8]) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let cert = params.self_signed(&key).unwrap();
    // Served through a resolver: `with_single_cert` would refuse the critical acmeIdentifier.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let signing = provider
        .key_provider
        .load_private_key(rustls::pki_types::PrivateKeyDer::Pkcs8(
            key.serialize_der().into(),
        ))
        .unwrap();
    let certified = Arc::new(rustls::sign::CertifiedKey::new(
        vec![cert.der().clone()],
        signing,
    ));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Fixed(certified)));
    config.alpn_protocols = vec![b"acme-tls/1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
}

/// Serves one certificate whatever the client asks for.
#[derive(Debug)]
struct Fixed(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for Fixed {
    fn resolve(
        &self,
        _hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}
