//! tls-alpn-01 (RFC 8737): a TLS handshake with the name (or, for an IP identifier, the IP
//! with its reverse name as SNI, RFC 8738 §6) on the tls-alpn-01 port offering only ALPN
//! `acme-tls/1` must negotiate `acme-tls/1` and present a certificate with exactly one SAN,
//! the identifier, and the critical id-pe-acmeIdentifier extension (1.3.6.1.5.5.7.1.31)
//! holding the DER OCTET STRING of SHA-256(key authorization).
//!
//! Failures: no usable address is `dns`, no TCP connection is `connection`, a failed
//! handshake or another ALPN is `tls`, a certificate that does not prove the key
//! authorization is `incorrectResponse`. The caller bounds the time.

use super::context::Context;
use super::failure::{chain, problem, quote};
use super::resolve::{connectable, list};
use crate::model::acme::{Identifier, IdentifierType, StoredProblem};
use rustls::pki_types::ServerName;
use shared::acme::problem::ErrorType;
use shared::acme::tlsalpn::{check_acme_identifier, ACME_TLS_ALPN};
use std::net::{IpAddr, SocketAddr};
use tokio::net::TcpStream;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

pub(super) async fn validate(
    context: &Context,
    identifier: &Identifier,
    key_authorization: &str,
) -> Result<(), StoredProblem> {
    let (ips, sni) = match identifier.kind {
        IdentifierType::Dns => (
            context.addresses.lookup_ip(&identifier.value).await?,
            identifier.value.clone(),
        ),
        IdentifierType::Ip => {
            let ip: IpAddr = identifier.value.parse().map_err(|_| {
                problem(
                    ErrorType::Malformed,
                    format!("{} is not an IP address", quote(&identifier.value)),
                )
            })?;
            if !connectable(ip) {
                return Err(problem(
                    ErrorType::Connection,
                    format!("{ip} is not an address a server can answer on"),
                ));
            }
            (vec![ip], reverse_name(ip))
        }
    };
    let server_name = ServerName::try_from(sni.clone()).map_err(|_| {
        problem(
            ErrorType::Malformed,
            format!("{} cannot be sent as a TLS server name", quote(&sni)),
        )
    })?;
    let (stream, peer) = connect(&ips, context.tlsalpn01_port, identifier).await?;
    let connector = tokio_rustls::TlsConnector::from(context.tls.clone());
    let tls = connector.connect(server_name, stream).await.map_err(|e| {
        problem(
            ErrorType::Tls,
            format!(
                "TLS handshake with {peer} (SNI {sni}) failed: {}{}",
                chain(&e),
                handshake_hint(&e)
            ),
        )
    })?;
    let (_, session) = tls.get_ref();
    if session.alpn_protocol() != Some(ACME_TLS_ALPN) {
        let got = session
            .alpn_protocol()
            .map(|p| quote(&String::from_utf8_lossy(p)))
            .unwrap_or_else(|| "no protocol".to_string());
        return Err(problem(
            ErrorType::Tls,
            format!("{peer} (SNI {sni}) negotiated ALPN {got}, not acme-tls/1 (RFC 8737 §3)"),
        ));
    }
    let Some(leaf) = session.peer_certificates().and_then(|c| c.first()) else {
        return Err(problem(
            ErrorType::Tls,
            format!("{peer} (SNI {sni}) presented no certificate"),
        ));
    };
    check_certificate(leaf.as_ref(), identifier, key_authorization).map_err(|why| {
        problem(
            ErrorType::IncorrectResponse,
            format!("the certificate {peer} presented for {sni} {why}"),
        )
    })
}

/// What to fix when the server refused the handshake for want of a common ALPN protocol.
fn handshake_hint(error: &std::io::Error) -> &'static str {
    let refused_alpn = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                rustls::Error::AlertReceived(rustls::AlertDescription::NoApplicationProtocol)
                    | rustls::Error::NoApplicationProtocol
            )
        });
    if refused_alpn {
        " (the server must offer ALPN acme-tls/1)"
    } else {
        ""
    }
}

/// The first address that accepts a TCP connection.
async fn connect(
    ips: &[IpAddr],
    port: u16,
    identifier: &Identifier,
) -> Result<(TcpStream, SocketAddr), StoredProblem> {
    let mut failures = Vec::new();
    for ip in ips {
        let addr = SocketAddr::new(*ip, port);
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok((stream, addr)),
            Err(e) => failures.push(format!("{addr}: {e}")),
        }
    }
    Err(problem(
        ErrorType::Connection,
        format!(
            "cannot connect to {} for {}: {}; is a TLS server answering acme-tls/1 on port \
             {port}?",
            list(ips),
            identifier.value,
            failures.join("; ")
        ),
    ))
}

/// Why the certificate does not prove the key authorization (the text completes "the
/// certificate … presented for NAME …").
fn check_certificate(
    der: &[u8],
    identifier: &Identifier,
    key_authorization: &str,
) -> Result<(), String> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| format!("is not valid X.509: {e}"))?;
    let sans = cert
        .subject_alternative_name()
        .map_err(|e| format!("has an unreadable subjectAltName: {e}"))?
        .map(|ext| ext.value.general_names.clone())
        .unwrap_or_default();
    let [only] = sans.as_slice() else {
        return Err(format!(
            "has {} subjectAltName entries; RFC 8737 §3 requires exactly one, {}",
            sans.len(),
            identifier.value
        ));
    };
    if !names_identifier(only, identifier) {
        return Err(format!(
            "names {}, not {}",
            general_name(only),
            identifier.value
        ));
    }
    check_acme_identifier(&cert, key_authorization)
}

fn names_identifier(name: &GeneralName<'_>, identifier: &Identifier) -> bool {
    match (name, identifier.kind) {
        (GeneralName::DNSName(dns), IdentifierType::Dns) => dns
            .trim_end_matches('.')
            .eq_ignore_ascii_case(&identifier.value),
        (GeneralName::IPAddress(bytes), IdentifierType::Ip) => {
            match identifier.value.parse::<IpAddr>() {
                Ok(IpAddr::V4(v4)) => *bytes == v4.octets().as_slice(),
                Ok(IpAddr::V6(v6)) => *bytes == v6.octets().as_slice(),
                Err(_) => false,
            }
        }
        _ => false,
    }
}

fn general_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(bytes) => match <[u8; 4]>::try_from(*bytes) {
            Ok(v4) => format!("IP:{}", IpAddr::from(v4)),
            Err(_) => match <[u8; 16]>::try_from(*bytes) {
                Ok(v6) => format!("IP:{}", IpAddr::from(v6)),
                Err(_) => "an IP entry of the wrong length".to_string(),
            },
        },
        other => other.to_string(),
    }
}

/// RFC 8738 §6: the SNI for an IP identifier is its reverse-mapping name
/// (`4.3.2.1.in-addr.arpa`, nibbles under `ip6.arpa`).
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut name = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            name.push_str("ip6.arpa");
            name
        }
    }
}
