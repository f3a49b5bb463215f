//! What every challenge check shares, built once by `Validator::new`: the address policy, the
//! HTTP client for http-01, the TLS client configuration for tls-alpn-01 and the ports.

use super::resolve::Addresses;
use std::sync::Arc;

pub(super) struct Context {
    /// Name → addresses (`--acme-host`, `.localhost`, DNS) and TXT lookups.
    pub addresses: Arc<Addresses>,
    /// http-01's client: no automatic redirects (each hop is checked), no proxy, no pooled
    /// connections, names resolved through `addresses` only.
    pub http: reqwest::Client,
    /// tls-alpn-01's client: ALPN `acme-tls/1` only, any certificate accepted (its content
    /// is what the check inspects), no session resumption.
    pub tls: Arc<rustls::ClientConfig>,
    /// `--acme-http01-port`.
    pub http01_port: u16,
    /// `--acme-tlsalpn01-port`.
    pub tlsalpn01_port: u16,
}
