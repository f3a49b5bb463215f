//! What a fired fault rule does ([`FaultAction`]), when it strikes ([`FaultPhase`]) and the
//! operation names rules and the request history use ([`op`]). Orders keep the action that stuck to them at creation, so
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
    /// Finding orders after the fact: DigiCert's order list (`GET order/certificate`) and
    /// `status-changes`, WoSign `GET /api/v1/orders?clientOrderId=` (GlobalSign's lookup is
    /// `GetOrderByOrderID`, a poll).
    pub const LOOKUP: &str = "lookup";
    pub const OTHER: &str = "other";
    /// ACME (RFC 8555) endpoints, under the directory's names. Reject, cancel and the
    /// issuance outcomes strike at `finalize` (where ca-sim's order book gets the order).
    pub const NEW_NONCE: &str = "newNonce";
    pub const NEW_ACCOUNT: &str = "newAccount";
    pub const NEW_ORDER: &str = "newOrder";
    pub const CHALLENGE: &str = "challenge";
    pub const FINALIZE: &str = "finalize";
    pub const CERTIFICATE: &str = "certificate";
    pub const REVOKE_CERT: &str = "revokeCert";
}

/// When a rule strikes: `before` the operation acts (the CA did nothing; today's faults), or
/// `after` it acted (the order exists, the cancel or approve took effect) and only the answer
/// is lost. The second is the ambiguous failure a client must resolve by a lookup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultPhase {
    #[default]
    Before,
    After,
}

impl FaultPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Before => "before",
            Self::After => "after",
        }
    }
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
                matches!(operation, op::ORDER | op::POLL | op::FINALIZE)
            }
            Self::WrongKey => matches!(operation, op::ORDER | op::FINALIZE),
            Self::ChainWrongOrder | Self::ChainMissingIntermediate | Self::ChainCrlf => matches!(
                operation,
                op::ORDER | op::POLL | op::DOWNLOAD | op::FINALIZE | op::CERTIFICATE
            ),
            _ => true,
        }
    }

    /// Whether the action can strike `after` the act: only the ways an answer gets lost (a
    /// 5xx, a closed connection, a truncated body, an answer later than the client waits).
    /// The others describe what the CA decides, which it decides before acting.
    pub fn loses_answer(&self) -> bool {
        matches!(
            self,
            Self::ServerError { .. } | Self::Drop | Self::Malformed | Self::Delay { .. }
        )
    }

    /// The `kind` name, as written in rules.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::VendorError { .. } => "vendor_error",
            Self::RateLimit { .. } => "rate_limit",
            Self::ServerError { .. } => "server_error",
            Self::Delay { .. } => "delay",
            Self::Drop => "drop",
            Self::Reject { .. } => "reject",
            Self::Cancel { .. } => "cancel",
            Self::Malformed => "malformed",
            Self::ChainWrongOrder => "chain_wrong_order",
            Self::ChainMissingIntermediate => "chain_missing_intermediate",
            Self::ChainCrlf => "chain_crlf",
            Self::WrongKey => "wrong_key",
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
