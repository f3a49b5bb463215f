//! tls-alpn-01 (RFC 8737) for the servers that validate it (vault's ACME gateway, ca-sim's
//! ACME dialect): the ALPN name and extension OID, the TLS client that completes a handshake
//! with a self-signed challenge certificate, and the check of its id-pe-acmeIdentifier
//! extension. Which names the certificate must carry is each server's own check.

use aws_lc_rs::digest;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, OnceLock};
use tokio_rustls::rustls;
use x509_parser::prelude::{FromDer, X509Certificate};

/// RFC 8737 §6.2.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";
/// RFC 8737 §6.1, id-pe-acmeIdentifier.
pub const ACME_IDENTIFIER_OID: &str = "1.3.6.1.5.5.7.1.31";

/// The TLS client of tls-alpn-01 validation, built once per process: it offers only ALPN
/// `acme-tls/1`, accepts the self-signed challenge certificate (its content is checked after
/// the handshake) and never resumes (a resumed session shows no certificate).
pub fn client_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("cannot build the tls-alpn-01 client: {e}"))?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
                .with_no_client_auth();
            config.alpn_protocols = vec![ACME_TLS_ALPN.to_vec()];
            config.resumption = rustls::client::Resumption::disabled();
            Ok(Arc::new(config))
        })
        .clone()
}

/// Checks that `cert` carries the critical id-pe-acmeIdentifier extension holding the DER
/// OCTET STRING of SHA-256(`key_authorization`). The error completes "The certificate …".
pub fn check_acme_identifier(
    cert: &X509Certificate<'_>,
    key_authorization: &str,
) -> Result<(), String> {
    let Some(extension) = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == ACME_IDENTIFIER_OID)
    else {
        return Err(format!(
            "has no id-pe-acmeIdentifier extension ({ACME_IDENTIFIER_OID})"
        ));
    };
    if !extension.critical {
        return Err(format!(
            "has the id-pe-acmeIdentifier extension ({ACME_IDENTIFIER_OID}) not marked critical \
             (RFC 8737 §3)"
        ));
    }
    let digest = digest::digest(&digest::SHA256, key_authorization.as_bytes());
    let mut expected = vec![0x04, 0x20];
    expected.extend_from_slice(digest.as_ref());
    if extension.value != expected.as_slice() {
        return Err(
            "has an id-pe-acmeIdentifier extension that is not the SHA-256 of this challenge's \
             key authorization"
                .to_string(),
        );
    }
    Ok(())
}

/// Accepts whatever certificate the server presents: a tls-alpn-01 certificate is
/// self-signed by design, and its content is checked afterwards. The handshake signature is
/// still verified against the certificate's key (so the server holds it), from the raw
/// SubjectPublicKeyInfo: webpki would refuse the certificate itself, since RFC 8737 makes
/// acmeIdentifier a critical extension it does not know.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl AnyCertificate {
    fn verify_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        tls13: bool,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        let (_, parsed) = X509Certificate::from_der(cert.as_ref()).map_err(|_| {
            rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding)
        })?;
        let spki = parsed.public_key();
        if tls13 {
            return rustls::crypto::verify_tls13_signature_with_raw_key(
                message,
                &SubjectPublicKeyInfoDer::from(spki.raw),
                dss,
                algorithms,
            );
        }
        // TLS 1.2: every algorithm mapped to the scheme is tried, as rustls does.
        let candidates = algorithms
            .mapping
            .iter()
            .find(|(scheme, _)| *scheme == dss.scheme)
            .map(|(_, candidates)| *candidates)
            .unwrap_or_default();
        let key = spki.subject_public_key.data.as_ref();
        if candidates
            .iter()
            .any(|alg| alg.verify_signature(key, message, dss.signature()).is_ok())
        {
            Ok(HandshakeSignatureValid::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::BadSignature,
            ))
        }
    }
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_signature(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verify_signature(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
