//! The `[setup]` table: state put in place before a scenario's first step (ca-sim accounts and
//! faults, vault issuers, contacts and clocks).

use serde::Deserialize;
use shared::duration::Dur;

/// State put in place before the first step.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// ca-sim accounts to add or replace (`PUT /admin/accounts`), e.g. with a timing profile.
    #[serde(default)]
    pub accounts: Vec<ca_sim::config::Account>,
    /// ca-sim fault rules that replace all rules for the scenario (`PUT /admin/faults`); cleared
    /// afterwards.
    #[serde(default)]
    pub faults: Vec<ca_sim::faults::FaultRule>,
    /// Vault issuers (`PUT /certificates/issuers/{name}`).
    #[serde(default)]
    pub issuers: Vec<IssuerSpec>,
    /// Vault certificate contacts (`PUT /certificates/contacts`).
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Set vault's clock offset from the system clock, in seconds (`PUT /_admin/clock`).
    #[serde(default)]
    pub vault_clock_offset: Option<i64>,
    /// Move ca-sim's simulated clock forward (`POST /admin/clock`).
    #[serde(default)]
    pub ca_clock_advance: Option<Dur>,
}

/// A vault issuer. Credentials default to ca-sim's built-in account of the provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerSpec {
    pub name: String,
    /// `DigiCert`, `GlobalSign`, `WoSign`, or `ACME` (vault's ACME client, pointed at
    /// ca-sim's ACME dialect by the started services).
    pub provider: String,
    /// For `ACME`: the EAB key id (sent only together with `pwd`).
    #[serde(default)]
    pub account_id: Option<String>,
    /// For `ACME`: the EAB HMAC key, base64url.
    #[serde(default)]
    pub pwd: Option<String>,
    /// DigiCert organization id (default `100001`, the validated one); for `ACME`, the ACME
    /// profile (`manual`: ca-sim holds the order for its admin).
    #[serde(default)]
    pub org_id: Option<String>,
    /// Send this JSON body verbatim instead of building one.
    #[serde(default)]
    pub body: Option<toml::Value>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}
