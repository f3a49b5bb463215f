//! What a fired fault rule does ([`FaultAction`]) and the operation names rules and the
//! request history use ([`op`]). Orders keep the action that stuck to them at creation, so
//! these are domain types; the rule engine lives in `crate::faults`.

use serde::{Deserialize, Serialize};

/// Operation names shared by all dialects, used in rules and in the request history.
pub mod op {
    pub const ORDER: &str = "order";
    pub const POLL: &str = "poll";
    pub const DOWNLOAD: &str = "download";
    pub const CANCEL: &str = "cancel";
    pub const REVOKE: &str = "revoke";
    pub const APPROVE: &str = "approve";
    pub const USER: &str = "user";
    /// Finding orders after the fact: DigiCert `status-changes`, WoSign
    /// `GET /api/v1/orders?clientOrderId=` (GlobalSign's lookup is `GetOrderByOrderID`, a poll).
    pub const LOOKUP: &str = "lookup";
    pub const OTHER: &str = "other";
}

/// What a fired rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// The vendor's own error body and status (DigiCert `errors[]` + status, GlobalSign
    /// `SuccessCode -1` + code, WoSign non-zero `code` in a 200).
    VendorError {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
        /// HTTP status (DigiCert only; GlobalSign and WoSign errors travel in a 200).
        #[serde(default)]
        status: Option<u16>,
    },
    /// 429, with `Retry-After: N` when `retry_after` is set.
    RateLimit {
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// A 5xx (default 500).
    ServerError {
        #[serde(default)]
        status: Option<u16>,
    },
    /// Answer normally after `ms` real milliseconds.
    Delay { ms: u64 },
    /// Close the connection without a response.
    Drop,
    /// The order is rejected CA-side (DigiCert `rejected`, GlobalSign 10, WoSign `REJECTED`).
    Reject {
        #[serde(default)]
        reason: Option<String>,
    },
    /// The order is cancelled CA-side (DigiCert `canceled`, GlobalSign 3, WoSign `CANCELLED`).
    Cancel {
        #[serde(default)]
        reason: Option<String>,
    },
    /// A truncated body with the success status.
    Malformed,
    /// Chain served root first.
    ChainWrongOrder,
    /// Chain served without its intermediate(s).
    ChainMissingIntermediate,
    /// PEM served with CRLF line ends.
    ChainCrlf,
    /// The issued certificate is for a different key than the CSR's.
    WrongKey,
}

impl FaultAction {
    /// Whether the action means anything for `operation`. Rules whose action does not apply
    /// are skipped without counting the request.
    pub fn applies_to(&self, operation: &str) -> bool {
        match self {
            Self::Reject { .. } | Self::Cancel { .. } => {
                operation == op::ORDER || operation == op::POLL
            }
            Self::WrongKey => operation == op::ORDER,
            Self::ChainWrongOrder | Self::ChainMissingIntermediate | Self::ChainCrlf => {
                matches!(operation, op::ORDER | op::POLL | op::DOWNLOAD)
            }
            _ => true,
        }
    }

    /// Actions that stick to an order when they fire on its creation.
    pub fn is_order_outcome(&self) -> bool {
        matches!(
            self,
            Self::Reject { .. }
                | Self::Cancel { .. }
                | Self::WrongKey
                | Self::ChainWrongOrder
                | Self::ChainMissingIntermediate
                | Self::ChainCrlf
        )
    }
}
