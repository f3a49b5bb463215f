//! A stored certificate issuer (spec §3.8): the partner CA a policy can name.

use shared::models::IssuerBundle;

/// A stored issuer. `bundle.credentials.pwd` is kept (sealed at rest) but never echoed.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerRecord {
    pub key: String,
    pub name: String,
    pub bundle: IssuerBundle,
}
