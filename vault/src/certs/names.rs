//! The name rules (spec §1.1) and fresh ids.

use crate::error::{Error, Result};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

const MAX_NAME_LEN: usize = 127;

/// Names are `^[0-9a-zA-Z-]+$`, 1 to 127 characters (spec §1.1).
pub fn validate_name(name: &str, what: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::bad(format!(
            "The {what} '{name}' is invalid: it must be 1 to {MAX_NAME_LEN} characters of \
             0-9, a-z, A-Z and '-'."
        )))
    }
}

/// A fresh version id: 32 lowercase hex characters.
pub fn new_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Internal("no randomness".into()))?;
    Ok(hex::encode(bytes))
}
