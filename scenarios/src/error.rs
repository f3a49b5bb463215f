//! The library's error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario file that does not parse or validate.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Case {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("two scenarios are named '{name}': {} and {}", first.display(), second.display())]
    DuplicateName {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Starting the in-process services failed.
    #[error("starting {service}: {message}")]
    Start {
        service: &'static str,
        message: String,
    },
    #[error("http client: {0}")]
    Client(String),
    #[error("crypto: {0}")]
    Crypto(#[from] shared::crypto::CryptoError),
}
