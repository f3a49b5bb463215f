//! The ACME endpoints chaos can strike, named as the directory names them (`newOrder`,
//! `finalize`, ...), so a chaos document reads like the directory it perturbs.

/// One ACME endpoint of a vault's gateway (the admin paths are never perturbed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /acme/directory` (also `/acme/{profile}/directory`).
    Directory,
    /// `HEAD|GET /acme/new-nonce`.
    NewNonce,
    /// `POST /acme/new-account`.
    NewAccount,
    /// `POST /acme/acct/{id}` (update, deactivate, POST-as-GET).
    Account,
    /// `POST /acme/acct/{id}/orders`.
    Orders,
    /// `POST /acme/key-change`.
    KeyChange,
    /// `POST /acme/new-order` (also `/acme/{profile}/new-order`).
    NewOrder,
    /// `POST /acme/order/{id}`.
    Order,
    /// `POST /acme/order/{id}/finalize`.
    Finalize,
    /// `POST /acme/new-authz`.
    NewAuthz,
    /// `POST /acme/authz/{id}`.
    Authz,
    /// `POST /acme/chall/{authz_id}/{chall_id}`.
    Challenge,
    /// `POST /acme/cert/{id}[/{n}]`.
    Certificate,
    /// `POST /acme/revoke-cert`.
    RevokeCert,
    /// `GET /acme/renewal-info/{certID}`.
    RenewalInfo,
    /// `GET /acme/crl`.
    Crl,
}

impl Endpoint {
    /// Every endpoint; an endpoint's position here is its index ([`Endpoint::index`]).
    pub const ALL: [Endpoint; 16] = [
        Self::Directory,
        Self::NewNonce,
        Self::NewAccount,
        Self::Account,
        Self::Orders,
        Self::KeyChange,
        Self::NewOrder,
        Self::Order,
        Self::Finalize,
        Self::NewAuthz,
        Self::Authz,
        Self::Challenge,
        Self::Certificate,
        Self::RevokeCert,
        Self::RenewalInfo,
        Self::Crl,
    ];

    /// The name in a chaos document: the directory's key where the directory has one, else
    /// the object's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Directory => "directory",
            Self::NewNonce => "newNonce",
            Self::NewAccount => "newAccount",
            Self::Account => "account",
            Self::Orders => "orders",
            Self::KeyChange => "keyChange",
            Self::NewOrder => "newOrder",
            Self::Order => "order",
            Self::Finalize => "finalize",
            Self::NewAuthz => "newAuthz",
            Self::Authz => "authz",
            Self::Challenge => "challenge",
            Self::Certificate => "certificate",
            Self::RevokeCert => "revokeCert",
            Self::RenewalInfo => "renewalInfo",
            Self::Crl => "crl",
        }
    }

    pub fn from_name(name: &str) -> Option<Endpoint> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The endpoint of a route template of the route table (`acme::routes::endpoint`:
    /// `new-order`, `challenge`, ...); `None` for paths that are no endpoint.
    pub fn from_template(template: &str) -> Option<Endpoint> {
        Some(match template {
            "directory" | "profile-directory" => Self::Directory,
            "new-nonce" => Self::NewNonce,
            "new-account" => Self::NewAccount,
            "acct" => Self::Account,
            "orders" => Self::Orders,
            "key-change" => Self::KeyChange,
            "new-order" => Self::NewOrder,
            "order" => Self::Order,
            "finalize" => Self::Finalize,
            "new-authz" => Self::NewAuthz,
            "authz" => Self::Authz,
            "challenge" => Self::Challenge,
            "cert" => Self::Certificate,
            "revoke-cert" => Self::RevokeCert,
            "renewal-info" => Self::RenewalInfo,
            "crl" => Self::Crl,
            _ => return None,
        })
    }

    /// Position in [`Endpoint::ALL`], for per-endpoint tables.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether requests to it are JWS POSTs carrying a nonce (RFC 8555 §6.5): only those can
    /// be answered `badNonce`.
    pub fn carries_nonce(self) -> bool {
        !matches!(
            self,
            Self::Directory | Self::NewNonce | Self::RenewalInfo | Self::Crl
        )
    }
}
