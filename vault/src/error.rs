//! The one error type of the vault crate. Each variant says what went wrong in Key Vault's
//! terms; `http::error` renders it to the wire (status, code, message) in one function.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No usable bearer token (spec §6): 401 plus the challenge header.
    #[error("Request is missing a Bearer or PoP token.")]
    Unauthorized,
    /// A bearer token that is not acceptable (signature, audience, issuer, lifetime) or a
    /// missing/wrong admin token: 401 with the challenge; the message is Key Vault's (AKV…).
    #[error("{0}")]
    InvalidToken(String),
    /// Bad api-version, name, body, policy, paging parameter, base64 (spec §4.9).
    #[error("{0}")]
    BadParameter(String),
    /// A missing object; `code` is Key Vault's (CertificateNotFound, PendingCertificateNotFound, ...).
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// 409: `code` is "Conflict" or, for an operation in progress, Key Vault's "Forbidden" (sic).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        inner: Option<&'static str>,
    },
    /// 403: disabled key or secret, merge while a CA works, purge not allowed.
    #[error("{message}")]
    Forbidden {
        message: String,
        inner: Option<&'static str>,
    },
    #[error("The request body is larger than the limit of {limit} bytes.")]
    PayloadTooLarge { limit: usize },
    #[error("The requested resource was not found.")]
    RouteNotFound,
    #[error("The HTTP method is not allowed on this resource.")]
    MethodNotAllowed,
    /// Over the throttling emulation's budget: 429 with Retry-After.
    #[error("Request was not processed because too many requests were received. Reason: the vault's {class} budget for the current 10 second window is used up.")]
    Throttled {
        class: &'static str,
        retry_after: std::time::Duration,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Start-up configuration that cannot work (bad flag values, unreadable TLS files).
    #[error("configuration error: {0}")]
    Config(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A server-side fault that is not the client's doing.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn bad(message: impl Into<String>) -> Self {
        Error::BadParameter(message.into())
    }

    pub fn cert_not_found(name: &str) -> Self {
        Error::NotFound {
            code: "CertificateNotFound",
            message: format!(
                "A certificate with (name/id) {name} was not found in this key vault. If you \
                 recently deleted this certificate you may be able to recover it using the \
                 correct recovery command. For help resolving this issue, please see \
                 https://go.microsoft.com/fwlink/?linkid=2125182"
            ),
        }
    }

    pub fn version_not_found(name: &str, version: &str) -> Self {
        Error::NotFound {
            code: "CertificateNotFound",
            message: format!(
                "A certificate with (name/id) {name}/{version} was not found in this key vault."
            ),
        }
    }

    pub fn deleted_not_found(name: &str) -> Self {
        Error::NotFound {
            code: "CertificateNotFound",
            message: format!("Deleted Certificate not found: {name}"),
        }
    }

    pub fn pending_not_found() -> Self {
        Error::NotFound {
            code: "PendingCertificateNotFound",
            message: "Pending certificate not found".into(),
        }
    }

    pub fn deleted_but_recoverable(name: &str) -> Self {
        Error::Conflict {
            code: "Conflict",
            message: format!(
                "Certificate {name} is currently in a deleted but recoverable state, and its name \
                 cannot be reused; in this state, the certificate can only be recovered or purged."
            ),
            inner: Some("ObjectIsDeletedButRecoverable"),
        }
    }

    pub fn operation_in_progress() -> Self {
        Error::Conflict {
            code: "Forbidden",
            message: "A new key vault certificate can not be created or imported while a pending \
                      key vault certificate's status is inProgress."
                .into(),
            inner: None,
        }
    }
}
