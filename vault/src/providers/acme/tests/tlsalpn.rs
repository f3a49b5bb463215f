//! tls-alpn-01 (RFC 8737): which challenge the adapter answers when the CA offers several,
//! and what the responder presents, read by a TLS client of this file (any certificate
//! accepted, its content checked with x509-parser): ALPN `acme-tls/1` negotiated, the name as
//! the one SAN, the critical id-pe-acmeIdentifier extension = SHA-256(key authorization); no
//! handshake without that ALPN or once the name is withdrawn. (The end-to-end test
//! `tests/tests/acme_provider.rs` has vault's gateway validate it for real.)

use super::super::tlsalpn01;
use super::harness::*;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::net::SocketAddr;
use std::sync::Arc;
use x509_parser::extensions::GeneralName;

/// Order 1 stays pending; its authorization offers dns-01, http-01 and tls-alpn-01; the
/// answers to the http-01 and tls-alpn-01 challenges are expected `http` / `alpn` times.
async fn mount_offering_all(ca: &Ca, http: u64, alpn: u64) {
    mount_new_order(ca).await;
    mount_order(ca, "/order/1", "pending").await;
    mount_authz_offering(ca, &["dns", "http", "alpn"]).await;
    for (p, times) in [("/chall/http", http), ("/chall/alpn", alpn)] {
        Mock::given(method("POST"))
            .and(path(p))
            .and(payload(|p| p == &json!({})))
            .respond_with(answer(200).set_body_json(json!({"status": "processing"})))
            .expect(times)
            .mount(&ca.server)
            .await;
    }
}

const NAME: &str = "www.example.com";

/// Accepts any certificate and signature: the test reads what is presented, nothing more
/// (rustls' own signature check would refuse the critical extension it does not know).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A handshake with `addr` for SNI `NAME` offering `alpn`: the negotiated protocol and the
/// certificate presented, or why there was none.
async fn handshake(addr: SocketAddr, alpn: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = connector
        .connect(ServerName::try_from(NAME).unwrap(), tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (_, session) = tls.get_ref();
    let protocol = session.alpn_protocol().unwrap_or_default().to_vec();
    let cert = session.peer_certificates().unwrap_or_default()[0].to_vec();
    Ok((protocol, cert))
}

/// The SANs and the acmeIdentifier extension (critical, value) of `der`.
fn inspect(der: &[u8]) -> (Vec<String>, Option<(bool, Vec<u8>)>) {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    let sans = cert
        .subject_alternative_name()
        .unwrap()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .map(|n| match n {
                    GeneralName::DNSName(d) => d.to_string(),
                    other => format!("{other:?}"),
                })
                .collect()
        })
        .unwrap_or_default();
    let acme_identifier = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.31")
        .map(|e| (e.critical, e.value.to_vec()));
    (sans, acme_identifier)
}

#[tokio::test]
async fn tls_alpn_01_is_answered_through_its_responder_when_http01_has_none() {
    let ca = setup().await;
    mount_offering_all(&ca, 0, 1).await;
    let (alpn, bound): (TlsAlpnCerts, SocketAddr) =
        tlsalpn01::serve("127.0.0.1:0".parse().unwrap()).unwrap();
    let acme = adapter_with(&ca.server.uri(), ca.dir.path(), None, Some(alpn.clone()));
    let order_url = ca.url("/order/1");
    let status = acme.poll(&creds(), &order_url).await.unwrap();
    assert_eq!(
        status,
        OrderStatus::Pending {
            ca_status: "pending".into()
        }
    );
    let account = acme.session.account(&creds()).await.unwrap();
    let key_authorization = account.key.key_authorization("tok-alpn");

    let (protocol, cert) = handshake(bound, b"acme-tls/1").await.unwrap();
    assert_eq!(protocol, b"acme-tls/1");
    let (sans, acme_identifier) = inspect(&cert);
    assert_eq!(sans, [NAME]);
    // The extension's value is the DER OCTET STRING of the SHA-256 hash (RFC 8737 §3).
    let mut expected = vec![0x04, 0x20];
    expected
        .extend_from_slice(digest::digest(&digest::SHA256, key_authorization.as_bytes()).as_ref());
    assert_eq!(acme_identifier, Some((true, expected)));
    // Only validators: a client offering another protocol gets no certificate.
    assert!(handshake(bound, b"http/1.1").await.is_err());
    // Once the order has left pending the certificate is withdrawn.
    acme.session.withdraw(&order_url);
    assert_eq!(alpn.get(NAME), None);
    assert!(handshake(bound, b"acme-tls/1").await.is_err());
}

#[tokio::test]
async fn http_01_is_preferred_when_both_responders_run() {
    let ca = setup().await;
    mount_offering_all(&ca, 1, 0).await;
    let (alpn, _) = tlsalpn01::serve("127.0.0.1:0".parse().unwrap()).unwrap();
    let acme = adapter_with(
        &ca.server.uri(),
        ca.dir.path(),
        Some(ca.tokens.clone()),
        Some(alpn.clone()),
    );
    acme.poll(&creds(), &ca.url("/order/1")).await.unwrap();
    assert!(ca.tokens.get("tok-http").is_some());
    assert_eq!(alpn.get(NAME), None);
}

#[tokio::test]
async fn without_responders_http_01_is_answered_as_before() {
    // An always-valid CA: no responder runs, the http-01 answer suffices.
    let ca = setup().await;
    mount_offering_all(&ca, 1, 0).await;
    let acme = adapter_with(&ca.server.uri(), ca.dir.path(), None, None);
    acme.poll(&creds(), &ca.url("/order/1")).await.unwrap();
}
