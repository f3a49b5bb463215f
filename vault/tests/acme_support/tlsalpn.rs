//! A tls-alpn-01 responder (RFC 8737): for each server name set, a self-signed certificate
//! with the identifier as its one SAN and the critical id-pe-acmeIdentifier extension over
//! the key authorization, chosen by SNI (for an IP identifier the reverse name, RFC 8738
//! §6); it answers only ALPN `acme-tls/1` unless started with other protocols. Variants of
//! the certificate ([`AlpnCertificate`]) let tests present wrong ones.

use aws_lc_rs::digest;
use rcgen::{CertificateParams, CustomExtension, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;
use vault::acme::validate::{reverse_name, ACME_TLS_ALPN};

/// The certificate to present for one identifier.
#[derive(Debug, Clone)]
pub struct AlpnCertificate {
    /// The SAN entries (DNS names, or IP addresses in text form).
    pub sans: Vec<String>,
    /// The key authorization the acmeIdentifier extension hashes; `None`: no extension.
    pub key_authorization: Option<String>,
    /// Whether the acmeIdentifier extension is marked critical (RFC 8737: it must be).
    pub critical: bool,
}

impl AlpnCertificate {
    /// The certificate RFC 8737 asks for.
    pub fn rfc8737(identifier: &str, key_authorization: &str) -> AlpnCertificate {
        AlpnCertificate {
            sans: vec![identifier.to_string()],
            key_authorization: Some(key_authorization.to_string()),
            critical: true,
        }
    }

    fn build(&self) -> Arc<CertifiedKey> {
        let key = KeyPair::generate().expect("generate a P-256 key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.subject_alt_names = self
            .sans
            .iter()
            .map(|san| match san.parse::<IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName(san.clone().try_into().expect("a DNS name")),
            })
            .collect();
        if let Some(key_authorization) = &self.key_authorization {
            let hash = digest::digest(&digest::SHA256, key_authorization.as_bytes());
            let mut extension = CustomExtension::new_acme_identifier(hash.as_ref());
            extension.set_criticality(self.critical);
            params.custom_extensions.push(extension);
        }
        let cert = params.self_signed(&key).expect("self-sign");
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let signing_key = provider
            .key_provider
            .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                key.serialize_der(),
            )))
            .expect("load the key");
        Arc::new(CertifiedKey::new(
            vec![CertificateDer::from(cert.der().to_vec())],
            signing_key,
        ))
    }
}

#[derive(Debug, Default)]
struct BySni(Mutex<HashMap<String, Arc<CertifiedKey>>>);

impl ResolvesServerCert for BySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name()?.to_ascii_lowercase();
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&name)
            .cloned()
    }
}

/// A TLS server on `127.0.0.1:0` answering tls-alpn-01 challenges.
pub struct TlsAlpnResponder {
    port: u16,
    certs: Arc<BySni>,
    task: JoinHandle<()>,
}

impl TlsAlpnResponder {
    /// A responder that speaks only `acme-tls/1`, as RFC 8737 §4 requires.
    pub async fn start() -> TlsAlpnResponder {
        Self::start_with_alpn(vec![ACME_TLS_ALPN.to_vec()]).await
    }

    /// A responder offering exactly `protocols` (empty: no ALPN at all).
    pub async fn start_with_alpn(protocols: Vec<Vec<u8>>) -> TlsAlpnResponder {
        let certs = Arc::new(BySni::default());
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_cert_resolver(certs.clone());
        config.alpn_protocols = protocols;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the tls-alpn-01 responder");
        let port = listener.local_addr().expect("local addr").port();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    // The validator only needs the handshake; it then closes.
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        let mut sink = [0u8; 64];
                        let _ = tokio::io::AsyncReadExt::read(&mut tls, &mut sink).await;
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        });
        TlsAlpnResponder { port, certs, task }
    }

    /// The port it listens on (give it as `--acme-tlsalpn01-port`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Present the RFC 8737 certificate for `identifier` (a DNS name or an IP address).
    pub fn set(&self, identifier: &str, key_authorization: &str) {
        self.set_certificate(
            identifier,
            AlpnCertificate::rfc8737(identifier, key_authorization),
        );
    }

    /// Present `certificate` when the client asks for `identifier` (its reverse name for an
    /// IP address).
    pub fn set_certificate(&self, identifier: &str, certificate: AlpnCertificate) {
        let sni = match identifier.parse::<IpAddr>() {
            Ok(ip) => reverse_name(ip),
            Err(_) => identifier.to_ascii_lowercase(),
        };
        self.certs
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(sni, certificate.build());
    }
}

impl Drop for TlsAlpnResponder {
    fn drop(&mut self) {
        self.task.abort();
    }
}
