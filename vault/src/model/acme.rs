//! The ACME gateway's records (RFC 8555 §7.1): accounts, orders, authorizations with their
//! challenges, issued certificates and EAB keys, as `store` persists them (one vault's
//! objects live in that vault's database) and `acme` serves them. Statuses are enums whose
//! serde names are the RFC's wire values.
//!
//! The one place an order's status changes is [`OrderRecord::set_status`] (the gateway and
//! the store's completion of a partnered order both go through it); an authorization's is
//! [`AuthzRecord::set_status`].

use serde::{Deserialize, Serialize};

/// The key prefix of the pending operation that carries a partnered ACME order through the
/// issuance worker (`+acme.ORDER_ID`). No certificate name can start with `+`, so it never
/// shadows a name, and the worker's completion recognises it ([`acme_order_of`]).
pub const ACME_OPERATION_PREFIX: &str = "+acme.";

/// The operation key of a partnered ACME order.
pub fn acme_operation_key(order_id: &str) -> String {
    format!("{ACME_OPERATION_PREFIX}{order_id}")
}

/// The ACME order an operation key belongs to, if it is one.
pub fn acme_order_of(operation_key: &str) -> Option<&str> {
    operation_key.strip_prefix(ACME_OPERATION_PREFIX)
}

/// RFC 8555 §7.1.6 account status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    Valid,
    Deactivated,
    Revoked,
}

/// RFC 8555 §7.1.6 order status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Ready,
    Processing,
    Valid,
    Invalid,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Ready => "ready",
            OrderStatus::Processing => "processing",
            OrderStatus::Valid => "valid",
            OrderStatus::Invalid => "invalid",
        }
    }
}

/// RFC 8555 §7.1.6 authorization status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthzStatus {
    Pending,
    Valid,
    Invalid,
    Deactivated,
    Expired,
    Revoked,
}

impl AuthzStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthzStatus::Pending => "pending",
            AuthzStatus::Valid => "valid",
            AuthzStatus::Invalid => "invalid",
            AuthzStatus::Deactivated => "deactivated",
            AuthzStatus::Expired => "expired",
            AuthzStatus::Revoked => "revoked",
        }
    }
}

/// RFC 8555 §7.1.6 challenge status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeStatus {
    Pending,
    Processing,
    Valid,
    Invalid,
}

/// The challenge types the gateway validates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChallengeType {
    #[serde(rename = "http-01")]
    Http01,
    #[serde(rename = "dns-01")]
    Dns01,
    /// RFC 8737.
    #[serde(rename = "tls-alpn-01")]
    TlsAlpn01,
}

impl ChallengeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeType::Http01 => "http-01",
            ChallengeType::Dns01 => "dns-01",
            ChallengeType::TlsAlpn01 => "tls-alpn-01",
        }
    }
}

/// RFC 8555 §9.7.7 identifier types (`ip`: RFC 8738).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentifierType {
    Dns,
    Ip,
}

/// An identifier as on the wire: `{"type":"dns","value":"example.com"}`. `value` is stored
/// normalised (DNS names lower case without a trailing dot, IPs in canonical text form).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identifier {
    #[serde(rename = "type")]
    pub kind: IdentifierType,
    pub value: String,
}

/// A problem document kept on an object (order `error`, challenge `error`): the RFC 8555
/// type's short name (`"connection"`, `"rejectedIdentifier"`, ...), the detail, and any
/// subproblems already in wire form. `shared::acme::problem` turns it back into a `Problem`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredProblem {
    pub kind: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subproblems: Vec<serde_json::Value>,
}

/// An ACME account (RFC 8555 §7.1.2). Its URL is `…/acme/acct/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub id: String,
    pub status: AccountStatus,
    /// The account's public key as the client sent it (a JWK object).
    pub jwk: serde_json::Value,
    /// RFC 7638 thumbprint of `jwk` (base64url): the lookup key for `onlyReturnExisting`
    /// and for a new account with a key already registered.
    pub thumbprint: String,
    /// `mailto:` URLs.
    pub contact: Vec<String>,
    pub terms_of_service_agreed: bool,
    /// The EAB key id this account was bound with, if any.
    pub eab_kid: Option<String>,
    /// Unix seconds (vault clock).
    pub created: i64,
}

/// An order (RFC 8555 §7.1.3). Its URL is `…/acme/order/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub id: String,
    pub account_id: String,
    /// Changed only through [`OrderRecord::set_status`].
    pub status: OrderStatus,
    pub identifiers: Vec<Identifier>,
    /// The profile the order is fulfilled under: `local`, `shortlived`, or an issuer's name
    /// (a partner CA through the provider adapters).
    pub profile: String,
    /// Authorization ids, in identifier order.
    pub authz_ids: Vec<String>,
    /// Requested validity (unix seconds), if the client asked.
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
    /// Unix seconds after which a pending/ready order is no longer usable.
    pub expires: i64,
    /// The finalize CSR (DER), kept while processing (and after, for the record).
    pub csr: Option<Vec<u8>>,
    /// The issued certificate's id once `valid` (URL `…/acme/cert/{id}`).
    pub cert_id: Option<String>,
    /// Why the order is `invalid`.
    pub error: Option<StoredProblem>,
    /// RFC 9773 `replaces`: the ARI certID of the certificate this order renews.
    pub replaces: Option<String>,
    pub created: i64,
    pub updated: i64,
}

impl OrderRecord {
    /// The one place an order's status changes; stamps `updated`.
    pub fn set_status(&mut self, status: OrderStatus, now: i64) {
        self.status = status;
        self.updated = now;
    }
}

/// A challenge inside its authorization. Its URL is `…/acme/chall/{authz_id}/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChallengeRecord {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: ChallengeType,
    /// base64url, at least 128 bits of entropy (RFC 8555 §8.1).
    pub token: String,
    pub status: ChallengeStatus,
    /// Unix seconds when it became valid.
    pub validated: Option<i64>,
    pub error: Option<StoredProblem>,
}

/// An authorization (RFC 8555 §7.1.4). Its URL is `…/acme/authz/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthzRecord {
    pub id: String,
    pub account_id: String,
    /// For a wildcard order the identifier is the base name and `wildcard` is true.
    pub identifier: Identifier,
    pub wildcard: bool,
    /// Changed only through [`AuthzRecord::set_status`].
    pub status: AuthzStatus,
    pub expires: i64,
    pub challenges: Vec<ChallengeRecord>,
    pub created: i64,
    pub updated: i64,
    /// The order this authorization was created for (none for a pre-authorization): its
    /// status is brought up to date in the same write that validates the authorization.
    #[serde(default)]
    pub order_id: Option<String>,
}

impl AuthzRecord {
    /// The one place an authorization's status changes; stamps `updated`.
    pub fn set_status(&mut self, status: AuthzStatus, now: i64) {
        self.status = status;
        self.updated = now;
    }
}

/// Why and when a certificate was revoked (RFC 5280 reason code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revocation {
    pub reason: u8,
    /// Unix seconds.
    pub at: i64,
}

/// A certificate the gateway issued. Its URL is `…/acme/cert/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcmeCertRecord {
    pub id: String,
    pub order_id: String,
    pub account_id: String,
    /// The profile (issuer) that issued it.
    pub profile: String,
    /// The leaf's serial number, lower-case hex without leading zeros stripped (as in DER).
    pub serial_hex: String,
    /// RFC 9773 certID: base64url(AKI keyIdentifier) "." base64url(serial DER content).
    pub ari_cert_id: String,
    /// Leaf first, then the issuing chain (the default chain; alternates are served from the
    /// CA that issued it).
    pub chain: Vec<Vec<u8>>,
    pub not_before: i64,
    pub not_after: i64,
    pub revoked: Option<Revocation>,
    /// An ARI window set by the admin (`/_admin/acme/renewal-info`), unix seconds; `None` =
    /// derived from validity.
    pub renewal_window: Option<(i64, i64)>,
    /// The order that replaced this certificate (`replaces`), once one did.
    pub replaced_by: Option<String>,
    pub created: i64,
}

/// An external account binding key (RFC 8555 §7.3.4), created through `/_admin/acme/eab`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EabKeyRecord {
    pub kid: String,
    /// The raw HMAC key (sealed at rest by the store).
    pub hmac_key: Vec<u8>,
    /// The account it was bound to (an EAB key binds one account).
    pub account_id: Option<String>,
    pub created: i64,
}

impl Identifier {
    /// A DNS name identifier.
    pub fn dns(value: impl Into<String>) -> Self {
        Identifier {
            kind: IdentifierType::Dns,
            value: value.into(),
        }
    }

    /// An IP address identifier (the address's text).
    pub fn ip(value: impl Into<String>) -> Self {
        Identifier {
            kind: IdentifierType::Ip,
            value: value.into(),
        }
    }

    /// The key authorizations are reused under: `dns:example.com`, `dns:*.example.com` for a
    /// wildcard authorization, `ip:192.0.2.1`.
    pub fn reuse_key(&self, wildcard: bool) -> String {
        let kind = match self.kind {
            IdentifierType::Dns => "dns",
            IdentifierType::Ip => "ip",
        };
        let star = if wildcard { "*." } else { "" };
        format!("{kind}:{star}{}", self.value)
    }
}
