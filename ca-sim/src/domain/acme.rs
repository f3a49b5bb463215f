//! The ACME objects ca-sim keeps (RFC 8555 §7.1): accounts, orders, authorizations and their
//! challenges, as stored (JSON in the store's `acme_objects`); the ACME dialect
//! (`dialects::acme::objects`) renders them on the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::acme::problem::Problem;

/// An identifier (`{"type":"dns","value":"example.org"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// An ACME account (§7.1.2).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AcmeAccount {
    pub id: String,
    /// The account key as the client sent it (a JWK object).
    pub jwk: Value,
    /// RFC 7638 thumbprint of the key: finds the account of a key (onlyReturnExisting).
    pub thumbprint: String,
    /// `valid`, `deactivated` or `revoked`.
    pub status: String,
    #[serde(default)]
    pub contact: Vec<String>,
    /// The EAB key id the account was bound with.
    #[serde(default)]
    pub eab_kid: Option<String>,
    pub created_ms: i64,
}

/// An ACME order (§7.1.3). After finalize its issuance is the order book's order of the same
/// id, whose status the wire status follows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AcmeOrder {
    pub id: String,
    pub account: String,
    /// `pending`, `ready`, `invalid` before finalize; after it the book decides.
    pub status: String,
    pub identifiers: Vec<Identifier>,
    pub authzs: Vec<String>,
    pub expires_ms: i64,
    #[serde(default)]
    pub profile: Option<String>,
    /// ARI (RFC 9773): the certificate id this order replaces.
    #[serde(default)]
    pub replaces: Option<String>,
    /// Set at finalize: the order book has an order of this id.
    #[serde(default)]
    pub finalized: bool,
    #[serde(default)]
    pub error: Option<Problem>,
    pub created_ms: i64,
}

/// A challenge of an authorization (§7.1.5).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Challenge {
    /// `http-01`, `dns-01`, `tls-alpn-01`.
    pub kind: String,
    pub token: String,
    /// `pending`, `processing`, `valid`, `invalid`.
    pub status: String,
    #[serde(default)]
    pub validated: Option<String>,
    #[serde(default)]
    pub error: Option<Problem>,
}

/// An authorization (§7.1.4).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Authz {
    pub id: String,
    pub account: String,
    pub order: String,
    pub identifier: Identifier,
    #[serde(default)]
    pub wildcard: bool,
    /// `pending`, `valid`, `invalid`, `deactivated`, `expired`, `revoked`.
    pub status: String,
    pub expires_ms: i64,
    pub challenges: Vec<Challenge>,
}

/// An alternate chain (Pebble's `PEBBLE_ALTERNATE_ROOTS`): another root, and the issuing
/// intermediate cross-signed by it (same subject and key), as PEM.
#[derive(Debug, Clone)]
pub struct Alternate {
    pub root_pem: String,
    pub root_key_pem: String,
    pub intermediate_pem: String,
    /// The issuing intermediate's key (the cross-signed certificate shares it).
    pub intermediate_key_pem: String,
}
