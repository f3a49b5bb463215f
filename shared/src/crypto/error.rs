//! [`CryptoError`], the one error type of the crypto module. Its own file so that every crypto
//! file can return it without importing `crypto/mod.rs`, which re-exports them all.

/// Errors from the crypto module. The messages are meant for users: the vault puts them into
/// 400 responses as they are.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// A valid request for something this emulator does not do (P-256K, Ed25519, ...).
    #[error("{0}")]
    Unsupported(String),
    /// A key that cannot be read or does not fit the operation.
    #[error("{0}")]
    InvalidKey(String),
    #[error("{0}")]
    InvalidCertificate(String),
    #[error("{0}")]
    InvalidCsr(String),
    /// A distinguished name, SAN or EKU text that cannot be encoded.
    #[error("{0}")]
    InvalidName(String),
    #[error("{0}")]
    Pkcs12(String),
    #[error("The PKCS#12 (PFX) password is incorrect.")]
    WrongPassword,
    /// Something that should not happen (a failed signature with a valid key, ...).
    #[error("internal crypto error: {0}")]
    Internal(String),
}
