//! The local CA's one error type.

/// Why the local CA could not load, issue or sign.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The caller's input cannot be used: a CSR that does not parse or whose signature does
    /// not verify, a key type the CA cannot certify, a name that is neither a DNS name nor an
    /// IP, or (for [`super::inspect`]) bytes that are not a DER certificate. A client mistake.
    #[error("{0}")]
    BadCsr(String),
    /// The CA's files in the data dir: unreadable, corrupt, or sealed with another master key.
    #[error("ACME local CA storage: {0}")]
    Storage(String),
    /// Signing or parsing failed for a reason the request did not cause.
    #[error("ACME local CA: {0}")]
    Crypto(String),
}

impl From<rcgen::Error> for CaError {
    fn from(e: rcgen::Error) -> Self {
        CaError::Crypto(e.to_string())
    }
}
