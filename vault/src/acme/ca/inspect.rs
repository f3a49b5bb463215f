//! What the gateway reads back from any DER certificate, the local CA's or a partner CA's:
//! the serial as stored (`AcmeCertRecord.serial_hex`) and the RFC 9773 §4.1 certID.

use super::error::CaError;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

/// RFC 9773 certID of a DER certificate: base64url(AKI keyIdentifier) "." base64url(serial
/// DER content bytes), both unpadded. The serial's content bytes are kept as encoded (a
/// leading zero octet included), as §4.1 says.
pub fn ari_cert_id(leaf_der: &[u8]) -> Result<String, CaError> {
    let cert = parse(leaf_der)?;
    let key_id = cert
        .extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref(),
            _ => None,
        })
        .ok_or_else(|| CaError::BadCsr("the certificate has no authority key identifier".into()))?;
    Ok(format!(
        "{}.{}",
        shared::b64::url_encode(key_id.0),
        shared::b64::url_encode(cert.tbs_certificate.raw_serial())
    ))
}

/// Lower-case hex of a DER certificate's serial number, leading zero octets removed (what
/// `openssl x509 -serial` prints, in lower case; `shared::crypto`'s reading of it).
pub fn serial_hex(leaf_der: &[u8]) -> Result<String, CaError> {
    shared::crypto::parse_certificate(leaf_der)
        .map(|info| info.serial_hex.to_ascii_lowercase())
        .map_err(|e| CaError::BadCsr(format!("not a usable certificate: {e}")))
}

/// The subjectKeyIdentifier of a CA certificate (what its leaves' AKI carry).
pub(super) fn subject_key_id(ca_der: &[u8]) -> Result<Vec<u8>, CaError> {
    let cert = parse(ca_der)?;
    cert.extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(ski) => Some(ski.0.to_vec()),
            _ => None,
        })
        .ok_or_else(|| CaError::Crypto("the CA certificate has no subject key identifier".into()))
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, CaError> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(CaError::BadCsr(
            "trailing bytes after the certificate".into(),
        )),
        Err(e) => Err(CaError::BadCsr(format!("not a DER certificate: {e}"))),
    }
}
