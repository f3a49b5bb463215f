//! Partner CA adapters: one [`CaProvider`] per vendor dialect (DigiCert CertCentral REST,
//! GlobalSign GCC SOAP, WoSign HMAC JSON, and vault's extension: any RFC 8555 ACME CA), each
//! written from the vendor's own wire shapes (partner-dialects.md, RFC 8555) and sharing no
//! types with ca-sim. The issuance worker drives them; an
//! adapter only translates one call into the vendor's request and the vendor's answer back into
//! [`OrderStatus`] or a classified [`ProviderError`].
//!
//! Layout (imports point down this list, never up):
//! - this file: the set of configured adapters ([`Providers`]), built by [`from_config`], and
//!   the re-exports the rest of vault uses;
//! - `digicert/`, `globalsign/`, `wosign/`, `acme/`: one adapter each (`mod.rs` makes the calls, the
//!   sibling files hold the vendor's wire format, `tests` run it against wiremock);
//! - `http.rs`: the shared HTTP client, URL joining and the classification of transport
//!   failures and statuses;
//! - `convert.rs`: conversions more than one dialect uses (years, lenient ids, PEM chains);
//! - `types.rs`: the [`CaProvider`] contract, its inputs, answers and errors;
//! - `test_support.rs` (tests only): CSRs, chains and orders for the adapters' tests.

pub mod acme;
mod convert;
pub mod digicert;
pub mod globalsign;
pub mod http;
#[cfg(test)]
pub(crate) mod test_support;
mod types;
pub mod wosign;

pub use types::{
    CaProvider, CancelOutcome, CertType, Credentials, OrderRequest, OrderStatus, ProviderError,
    Submitted,
};

use shared::models::ProviderKind;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The configured adapters, by provider.
#[derive(Clone, Default)]
pub struct Providers {
    by_kind: HashMap<ProviderKind, Arc<dyn CaProvider>>,
}

impl Providers {
    pub fn insert(&mut self, provider: Arc<dyn CaProvider>) {
        self.by_kind.insert(provider.kind(), provider);
    }

    pub fn get(&self, kind: ProviderKind) -> Option<Arc<dyn CaProvider>> {
        self.by_kind.get(&kind).cloned()
    }

    pub fn is_empty(&self) -> bool {
        self.by_kind.is_empty()
    }
}

/// Builds the adapters for the configured endpoints, sharing one HTTP client that trusts the
/// system roots plus `extra_ca` PEM files. ACME adapters also get `acme` (their account keys'
/// place, the http-01 and tls-alpn-01 responders, started here when an ACME CA is configured).
pub fn from_config(
    endpoints: &[(ProviderKind, url::Url)],
    extra_ca: &[std::path::PathBuf],
    timeout: Duration,
    acme: &acme::AcmeClientSettings,
) -> Result<Providers, String> {
    let mut providers = Providers::default();
    if endpoints.is_empty() {
        return Ok(providers);
    }
    let pems = extra_ca
        .iter()
        .map(|p| {
            std::fs::read_to_string(p).map_err(|e| format!("--provider-ca {}: {e}", p.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let client = http::client(&pems, timeout)?;
    let any_acme = endpoints
        .iter()
        .any(|(k, _)| matches!(k, ProviderKind::Acme(_)));
    let tokens = match acme.http01_listen {
        Some(addr) if any_acme => Some(acme::http01::serve(addr)?.0),
        _ => None,
    };
    let alpn = match acme.tlsalpn01_listen {
        Some(addr) if any_acme => Some(acme::tlsalpn01::serve(addr)?.0),
        _ => None,
    };
    for (kind, url) in endpoints {
        let adapter: Arc<dyn CaProvider> = match kind {
            ProviderKind::DigiCert => {
                Arc::new(digicert::DigiCert::new(url.clone(), client.clone()))
            }
            ProviderKind::GlobalSign => {
                Arc::new(globalsign::GlobalSign::new(url.clone(), client.clone()))
            }
            ProviderKind::WoSign => Arc::new(wosign::WoSign::new(url.clone(), client.clone())),
            ProviderKind::Acme(_) => {
                let settings = acme::AcmeClientSettings {
                    anchors: pems.clone(),
                    ..acme.clone()
                };
                Arc::new(acme::Acme::new(
                    kind.clone(),
                    url.clone(),
                    client.clone(),
                    &settings,
                    tokens.clone(),
                    alpn.clone(),
                )?)
            }
        };
        providers.insert(adapter);
    }
    Ok(providers)
}
