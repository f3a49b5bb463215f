//! The tls-alpn-01 responder vault runs for its ACME provider issuers (RFC 8737): a TLS
//! listener (`--acme-client-tlsalpn01-listen`) that speaks only ALPN `acme-tls/1` and, for
//! the server name a validator asks for (SNI), presents a self-signed certificate whose one
//! SAN is that name and which carries the critical id-pe-acmeIdentifier extension =
//! SHA-256(key authorization). One listener serves every ACME provider; the adapters publish
//! a name's certificate when they answer its challenge and withdraw it once the order has
//! left `pending`.

use rcgen::{CertificateParams, CustomExtension, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::{CancellationToken, DropGuard};

/// The ALPN protocol of RFC 8737 §6.2.
const ACME_TLS_1: &[u8] = b"acme-tls/1";
/// A validator that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Certificates by lower-case server name.
#[derive(Debug, Default)]
struct BySni(Mutex<HashMap<String, Arc<CertifiedKey>>>);

impl ResolvesServerCert for BySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // Only a validator: a client that does not offer `acme-tls/1` gets no certificate.
        let mut alpn = hello.alpn()?;
        if !alpn.any(|p| p == ACME_TLS_1) {
            return None;
        }
        let name = hello.server_name()?.to_ascii_lowercase();
        self.0.lock().ok()?.get(&name).cloned()
    }
}

/// The names being solved and their certificates. Clones share them; when the last clone of a
/// serving set is dropped the responder stops and frees its port.
#[derive(Clone, Default)]
pub struct TlsAlpnCerts {
    certs: Arc<BySni>,
    _stop: Option<Arc<DropGuard>>,
}

impl TlsAlpnCerts {
    /// Presents the RFC 8737 certificate for `name` from now on.
    pub(crate) fn publish(&self, name: &str, key_authorization: &str) -> Result<(), String> {
        let certified = certificate(name, key_authorization)?;
        if let Ok(mut map) = self.certs.0.lock() {
            map.insert(name.to_ascii_lowercase(), certified);
        }
        Ok(())
    }

    pub(crate) fn withdraw(&self, name: &str) {
        if let Ok(mut map) = self.certs.0.lock() {
            map.remove(&name.to_ascii_lowercase());
        }
    }

    #[cfg(test)]
    pub(crate) fn get(&self, name: &str) -> Option<Vec<u8>> {
        let map = self.certs.0.lock().ok()?;
        Some(map.get(name)?.cert.first()?.to_vec())
    }
}

/// A self-signed certificate (fresh P-256 key) for `name` proving `key_authorization`.
fn certificate(name: &str, key_authorization: &str) -> Result<Arc<CertifiedKey>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("tls-alpn-01 certificate for {name}: {e}");
    let key = KeyPair::generate().map_err(|e| fail(&e))?;
    let mut params = CertificateParams::new(vec![name.to_string()]).map_err(|e| fail(&e))?;
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key_authorization.as_bytes());
    let mut extension = CustomExtension::new_acme_identifier(hash.as_ref());
    extension.set_criticality(true);
    params.custom_extensions.push(extension);
    let cert = params.self_signed(&key).map_err(|e| fail(&e))?;
    let signing_key = rustls::crypto::aws_lc_rs::default_provider()
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            key.serialize_der(),
        )))
        .map_err(|e| fail(&e))?;
    Ok(Arc::new(CertifiedKey::new(
        vec![CertificateDer::from(cert.der().to_vec())],
        signing_key,
    )))
}

/// Binds `addr` now (so a taken port stops the start with a clear error) and serves on the
/// current runtime until the returned set's last clone is dropped. Returns it and the bound
/// address.
pub fn serve(addr: std::net::SocketAddr) -> Result<(TlsAlpnCerts, std::net::SocketAddr), String> {
    let fail = |e: &dyn std::fmt::Display| format!("--acme-client-tlsalpn01-listen {addr}: {e}");
    let listener = std::net::TcpListener::bind(addr).map_err(|e| fail(&e))?;
    listener.set_nonblocking(true).map_err(|e| fail(&e))?;
    let bound = listener.local_addr().map_err(|e| fail(&e))?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| fail(&e))?;
    let certs = Arc::new(BySni::default());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(&e))?
        .with_no_client_auth()
        .with_cert_resolver(certs.clone());
    config.alpn_protocols = vec![ACME_TLS_1.to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let stop = CancellationToken::new();
    let stopped = stop.clone();
    tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let (stream, _) = tokio::select! {
                _ = stopped.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::debug!(error = %e, "tls-alpn-01 responder: accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let acceptor = acceptor.clone();
            connections.spawn(async move {
                // The validator only needs the handshake; it closes the connection then (read
                // until it does, so nothing it still reads is cut short).
                let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        let mut sink = [0u8; 64];
                        let _ = tokio::io::AsyncReadExt::read(&mut tls, &mut sink).await;
                    }
                })
                .await;
            });
            while connections.try_join_next().is_some() {}
        }
    });
    tracing::info!(%bound, "ACME client tls-alpn-01 responder listening");
    let set = TlsAlpnCerts {
        certs,
        _stop: Some(Arc::new(stop.drop_guard())),
    };
    Ok((set, bound))
}
