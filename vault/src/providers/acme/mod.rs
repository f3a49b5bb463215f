//! The ACME provider adapter (vault's extension, issue 16): an issuer whose provider is `ACME`
//! or `ACME-<label>` orders its certificates from any RFC 8555 CA (ca-sim's ACME dialect,
//! Pebble, vault's own ACME gateway, a public CA) whose directory URL
//! `--provider-endpoint ACME=URL` names. Written from RFC 8555 alone: it shares no wire types
//! with vault's ACME server or ca-sim's dialect, so each checks the other.
//!
//! The issuer object carries what the CA needs (docs/acme.md "vault as an ACME client"):
//! `credentials.account_id` / `credentials.pwd` = the EAB key id and base64url HMAC key
//! (optional, §7.3.4), `org_details.id` = the ACME profile to order (optional).
//!
//! Layout (imports point down this list, never up):
//! - this file: the [`Acme`] adapter, its [`CaProvider`] calls and construction;
//! - `orders.rs`: the order state machine (submit, advance, find, cancel);
//! - `session.rs`: the issuers' accounts, requests signed as them, what the process remembers
//!   between calls (CSRs to finalize, published challenge answers);
//! - `client.rs`: directory, nonces (badNonce retried) and signed POSTs;
//! - `chain.rs`: the root appended to a chain the CA delivers without it;
//! - `keys.rs`: the account keys, sealed on disk so accounts survive a restart;
//! - `pending.rs`: the CSRs of orders not finalized yet, on disk for after a restart;
//! - `http01.rs`: the http-01 responder (`--acme-client-http01-listen`);
//! - `tlsalpn01.rs`: the tls-alpn-01 responder (`--acme-client-tlsalpn01-listen`);
//! - `jws.rs`: JWS signing, JWK thumbprint, external account binding;
//! - `wire.rs`: RFC 8555's objects and problem documents, and their error classes;
//! - `tests/`: the adapter against a wiremock ACME CA.

mod chain;
mod client;
pub mod http01;
mod jws;
mod keys;
mod orders;
mod pending;
mod session;
pub mod tlsalpn01;
mod wire;

#[cfg(test)]
mod tests;

use super::types::{
    CaProvider, CancelOutcome, Credentials, OrderRequest, OrderStatus, ProviderError, Submitted,
};
use client::Client;
use http01::Http01Tokens;
use keys::KeyStore;
use session::Session;
use shared::models::ProviderKind;
use std::path::PathBuf;
use tlsalpn01::TlsAlpnCerts;
use url::Url;

/// What the ACME adapters need besides their directory URL.
#[derive(Debug, Clone, Default)]
pub struct AcmeClientSettings {
    /// The vault's data dir: the account keys live in `acme-client/` there.
    pub data_dir: PathBuf,
    /// `VAULT_MASTER_KEY`, if configured (else the data dir's `master.key`).
    pub master_key: Option<String>,
    /// `--acme-client-http01-listen`.
    pub http01_listen: Option<std::net::SocketAddr>,
    /// `--acme-client-tlsalpn01-listen`.
    pub tlsalpn01_listen: Option<std::net::SocketAddr>,
    /// The `--provider-ca` PEM texts: the roots that complete a chain delivered without one
    /// (`providers::from_config` fills them in).
    pub anchors: Vec<String>,
}

pub struct Acme {
    kind: ProviderKind,
    session: Session,
}

impl Acme {
    /// `directory` is the CA's directory URL; `tokens` / `alpn` the http-01 / tls-alpn-01
    /// responders' answer sets, for those that run.
    pub fn new(
        kind: ProviderKind,
        directory: Url,
        http: reqwest::Client,
        settings: &AcmeClientSettings,
        tokens: Option<Http01Tokens>,
        alpn: Option<TlsAlpnCerts>,
    ) -> Result<Self, String> {
        let keys = KeyStore::open(&settings.data_dir, settings.master_key.as_deref())?;
        let client = Client::new(directory, http);
        Ok(Acme {
            session: Session::new(
                kind.to_string(),
                client,
                keys,
                pending::PendingStore::new(&settings.data_dir),
                tokens,
                alpn,
                chain::anchors(&settings.anchors),
            ),
            kind,
        })
    }
}

#[async_trait::async_trait]
impl CaProvider for Acme {
    fn kind(&self) -> ProviderKind {
        self.kind.clone()
    }

    async fn submit(&self, order: &OrderRequest) -> Result<Submitted, ProviderError> {
        orders::submit(&self.session, order).await
    }

    async fn find(&self, order: &OrderRequest) -> Result<Option<String>, ProviderError> {
        orders::find(&self.session, order).await
    }

    async fn poll(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<OrderStatus, ProviderError> {
        orders::advance(&self.session, credentials, order_id).await
    }

    async fn cancel(
        &self,
        credentials: &Credentials,
        order_id: &str,
    ) -> Result<CancelOutcome, ProviderError> {
        orders::cancel(&self.session, credentials, order_id).await
    }
}
