//! An order as the CA keeps it, dialect-neutral: its status, certificate, revoke request and
//! timeline. Each dialect maps [`OrderStatus`] to its own vocabulary; only the order book
//! (`crate::orders`) changes an order.

use super::dialect::Dialect;
use super::fault::FaultAction;
use super::timing::TimingProfile;
use serde::{Deserialize, Serialize};

/// Where an order is in its life: `pending` → `issued` → `revoked`, or `pending` →
/// `rejected` | `canceled`; `needs_approval` waits for an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    NeedsApproval,
    Issued,
    Rejected,
    Canceled,
    Revoked,
}

impl OrderStatus {
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::NeedsApproval)
    }
}

/// The certificate of an issued order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedCert {
    pub serial_hex: String,
    pub pem: String,
    /// Intermediates, issuing CA first (PEM).
    pub intermediates: Vec<String>,
    pub root: String,
    pub ca_id: String,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
    pub thumbprint: String,
    pub subject: String,
    #[serde(default)]
    pub revoked_ms: Option<i64>,
    #[serde(default)]
    pub revocation_reason: Option<String>,
}

/// A pending revocation request (DigiCert's revoke without `skip_approval`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevokeRequest {
    pub status: String,
    pub created_ms: i64,
    pub reason: String,
    pub comments: String,
}

/// One step of an order's timeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    pub at: String,
    pub at_ms: i64,
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
    /// Real (wall-clock) unix milliseconds of the event, for measurements (e.g. real latency
    /// under `--time-scale`). Lookups never read it: the CA's dates are `at_ms`, its own clock.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub wall_ms: Option<i64>,
}

/// One order, as stored and as `/admin/orders/{id}` shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Order {
    pub id: String,
    pub seq: u64,
    pub dialect: Dialect,
    pub account: String,
    /// Vendor product id (`ssl_basic`, `OV_SHA2`, `OV`).
    pub product: String,
    /// `OV` or `EV`.
    pub validation: String,
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub organization_id: Option<u64>,
    pub organization_name: Option<String>,
    pub country: Option<String>,
    pub csr_pem: String,
    pub validity_days: u32,
    pub status: OrderStatus,
    pub status_reason: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Simulated time at which the worker issues it (`None`: waits for an admin).
    pub due_ms: Option<i64>,
    pub profile: String,
    /// Organization not validated: waits for an admin approve.
    pub awaiting_validation: bool,
    /// A fault outcome that stuck to the order at creation.
    pub outcome: Option<FaultAction>,
    pub outcome_rule: Option<String>,
    pub cert: Option<IssuedCert>,
    pub revoke_request: Option<RevokeRequest>,
    /// WoSign: chains to a root distrusted for notBefore after 2016-10-21.
    pub distrusted: bool,
    /// Vendor-specific request details echoed back (contacts, organization info, ...).
    #[serde(default)]
    pub extra: serde_json::Value,
    pub timeline: Vec<Event>,
}

/// What a dialect hands to the order book to create an order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub dialect: Dialect,
    pub account: String,
    pub product: String,
    pub validation: String,
    pub common_name: String,
    pub dns_names: Vec<String>,
    pub organization_id: Option<u64>,
    pub organization_name: Option<String>,
    pub country: Option<String>,
    pub csr_pem: String,
    pub validity_days: u32,
    pub profile: TimingProfile,
    pub awaiting_validation: bool,
    pub outcome: Option<(String, FaultAction)>,
    pub extra: serde_json::Value,
}

/// Public TLS validity cap (CA/B Forum, 2020).
pub const MAX_VALIDITY_DAYS: u32 = 397;
