//! Customer accounts at the simulated CAs: credentials, DigiCert organizations, and the timing
//! profile their orders follow.

use super::dialect::Dialect;
use super::timing::TimingProfile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A DigiCert organization of an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: u64,
    pub name: String,
    /// Validated organizations issue per the timing profile; others stay `pending` until an
    /// admin approves (or a fault rule rejects) the order.
    #[serde(default)]
    pub validated: bool,
}

/// A customer account at one of the simulated CAs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub dialect: Dialect,
    /// DigiCert account id, GlobalSign UserName, WoSign account id.
    pub id: String,
    /// DigiCert API key, GlobalSign Password, WoSign HMAC key.
    pub secret: String,
    /// DigiCert organizations.
    #[serde(default)]
    pub organizations: Vec<Organization>,
    /// WoSign: "OV" or "EV", decided by the account, not by the order.
    #[serde(default)]
    pub cert_type: Option<String>,
    /// Timing profile for this account's orders (default `fixed:2s`).
    #[serde(default)]
    pub profile: Option<String>,
    /// Per-product profile overrides (product id, e.g. `ssl_ev_basic`, `EV_SHA2`, `EV`).
    #[serde(default)]
    pub product_profiles: BTreeMap<String, String>,
    #[serde(default)]
    pub disabled: bool,
}

/// The timing profile of accounts that name none.
pub const DEFAULT_PROFILE: &str = "fixed:2s";

impl Account {
    /// The timing profile for `product`: per-product override, else the account's, else the
    /// default.
    pub fn profile_for(&self, product: &str) -> Result<TimingProfile, String> {
        let text = self
            .product_profiles
            .get(product)
            .or(self.profile.as_ref())
            .map(String::as_str)
            .unwrap_or(DEFAULT_PROFILE);
        TimingProfile::parse(text)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() || self.secret.is_empty() {
            return Err(format!("{} account needs an id and a secret", self.dialect));
        }
        self.profile_for("")
            .map_err(|e| format!("account {}: {e}", self.id))?;
        for (product, p) in &self.product_profiles {
            TimingProfile::parse(p)
                .map_err(|e| format!("account {} product {product}: {e}", self.id))?;
        }
        if let Some(t) = &self.cert_type {
            if t != "OV" && t != "EV" {
                return Err(format!("account {}: cert_type must be OV or EV", self.id));
            }
        }
        Ok(())
    }
}
