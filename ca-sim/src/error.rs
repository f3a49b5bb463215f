//! The one error type of the crate. Dialect handlers never return it to clients as is: each
//! dialect renders failures in its vendor's own error shape; this type covers start-up,
//! storage and internal failures.

/// Errors from ca-sim.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid configuration: start-up stops with this message.
    #[error("configuration: {0}")]
    Config(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("crypto: {0}")]
    Crypto(#[from] shared::crypto::CryptoError),
    #[error("certificate building: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// Something that should not happen.
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
