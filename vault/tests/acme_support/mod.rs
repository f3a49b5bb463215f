//! What the ACME test files share, in one place:
//!
//! - [`Server`] (`server.rs`): an in-process vault on port 0 with the ACME gateway
//!   (`always-valid` unless a test asks otherwise), a reqwest client that trusts its TLS CA, and
//!   an `instant-acme` account builder pointed at it;
//! - `raw.rs`: a hand-made client ([`raw::Raw`]) for the requests `instant-acme` will not send;
//! - `client.rs`: `instant-acme` accounts, one call that orders and downloads a certificate,
//!   the RFC 9773 certID of a certificate, and reading problems;
//! - test responders for challenge validation: an http-01 web server ([`Http01Responder`]), a
//!   tls-alpn-01 server ([`TlsAlpnResponder`], RFC 8737) and a small authoritative DNS server
//!   ([`DnsServer`], UDP and TCP). Each binds `127.0.0.1:0` when started and says where it
//!   listens; each stops when dropped.
//!
//! Validation connects to the configured ports, so a test points the gateway at them:
//! `--acme-http01-port` = [`Http01Responder::port`], `--acme-tlsalpn01-port` =
//! [`TlsAlpnResponder::port`], `--acme-dns-resolver` = [`DnsServer::addr`] (see
//! [`acme_config`]).

// Each test module uses only part of this module.
#![allow(dead_code)]

mod client;
mod dns;
mod http01;
pub mod raw;
mod server;
mod tlsalpn;

pub use client::{
    account, cert_id, csr, issue, pem_chain, problem_type, ready_http01, retries, try_account,
    try_issue, unix, Options,
};
pub use dns::DnsServer;
pub use http01::{Http01Answer, Http01Responder};
pub use server::Server;
pub use tlsalpn::{AlpnCertificate, TlsAlpnResponder};

use std::net::{IpAddr, SocketAddr};
use vault::config::{AcmeConfig, AcmeValidation};

/// Validation settings that send every challenge type to the given responders (any may be
/// absent: its port is then one nothing listens on), with `hosts` as `--acme-host` entries.
pub fn acme_config(
    http01: Option<&Http01Responder>,
    tls_alpn: Option<&TlsAlpnResponder>,
    dns: Option<&DnsServer>,
    hosts: &[(&str, IpAddr)],
) -> AcmeConfig {
    AcmeConfig {
        http01_port: http01.map_or_else(closed_port, Http01Responder::port),
        tlsalpn01_port: tls_alpn.map_or_else(closed_port, TlsAlpnResponder::port),
        dns_resolver: dns.map(DnsServer::addr),
        hosts: hosts
            .iter()
            .map(|(name, ip)| (name.to_string(), *ip))
            .collect(),
        validation: AcmeValidation::Real,
        ..AcmeConfig::default()
    }
}

/// A loopback TCP port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    port
}

/// `127.0.0.1`.
pub fn loopback() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

/// `127.0.0.1:port`.
pub fn loopback_addr(port: u16) -> SocketAddr {
    SocketAddr::new(loopback(), port)
}
