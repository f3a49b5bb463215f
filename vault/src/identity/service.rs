//! The token service's state and the verification every Key Vault request goes through.

use crate::access::Caller;
use crate::error::Error;

pub struct Identity {}

impl Identity {
    /// Verifies a bearer token (signature, issuer, lifetime, and `aud` one of `audiences`).
    /// `Err` is the 401 to send (Key Vault's AKV… message).
    pub fn verify(&self, _token: &str, _audiences: &[&str]) -> Result<Caller, Error> {
        Err(Error::InvalidToken(
            "AKV10000: Request is missing a Bearer or PoP token.".into(),
        ))
    }
}
