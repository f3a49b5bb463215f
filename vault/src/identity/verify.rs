//! Key Vault's side of `--auth entra`: every request's bearer token is checked here (JWT
//! structure, RS256, the known key id, the signature, issuer and tenant, audience, lifetime)
//! and refused with Key Vault's 401 texts (AKV10000, AKV10022, AKV10032 and AKV10046 are
//! Key Vault's own; the signature and lifetime texts are ours, the real ones being unpublished). Verified tokens are cached ([`super::cache`]), so
//! the steady state costs one hash lookup. Lifetimes are checked against real time, not
//! vault's shiftable clock: the SDKs' token caches use real time too.

use super::cache::Verified;
use super::jwt::{self, AccessClaims, Header};
use super::service::{issuer, tenant_of, Identity};
use crate::access::Caller;
use crate::error::Error;

/// Clock skew allowed on `nbf` and `exp` (Microsoft's token validation default).
pub const CLOCK_SKEW_SECS: i64 = 300;

/// Seconds since the Unix epoch, real time.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Identity {
    /// Verifies a bearer token: structure, RS256 with this service's key, `iss` and `tid` of
    /// the tenant, `aud` one of `audiences`, `nbf`/`exp`. `Err` is the 401 to send (Key
    /// Vault's message).
    pub fn verify(&self, token: &str, audiences: &[&str]) -> Result<Caller, Error> {
        let now = unix_now();
        if let Some(hit) = self.cache.with(token, |v| check_live(v, audiences, now)) {
            return hit;
        }
        let verified = self.verify_uncached(token, audiences, now)?;
        let caller = verified.caller.clone();
        self.cache.insert(token, verified, now);
        Ok(caller)
    }

    fn verify_uncached(
        &self,
        token: &str,
        audiences: &[&str],
        now: i64,
    ) -> Result<Verified, Error> {
        let parts = jwt::split(token).ok_or_else(malformed)?;
        let header: Header = jwt::decode_segment(parts.header).ok_or_else(malformed)?;
        if header.alg != "RS256" || header.kid.as_deref() != Some(self.key.kid.as_str()) {
            return Err(Error::InvalidToken(format!(
                "AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '{}'.",
                parts.header
            )));
        }
        if !self.key.verifies(parts.signed.as_bytes(), &parts.signature) {
            return Err(Error::InvalidToken(
                "Token signature validation failed: the signature does not verify with the signing key.".into(),
            ));
        }
        let claims: AccessClaims = jwt::decode_segment(parts.payload).ok_or_else(malformed)?;
        let doc = self.access.doc();
        let tenant = tenant_of(&doc);
        let expected_iss = issuer(tenant);
        if claims.iss != expected_iss || !claims.tid.eq_ignore_ascii_case(tenant) {
            let found = if claims.iss != expected_iss {
                claims.iss.clone()
            } else {
                issuer(&claims.tid)
            };
            return Err(Error::InvalidToken(format!(
                "AKV10032: Invalid issuer. Expected one of {expected_iss}, found {found}."
            )));
        }
        let verified = Verified {
            caller: Caller {
                appid: claims.appid,
                oid: claims.oid,
                tid: claims.tid,
            },
            aud: claims.aud,
            exp: claims.exp,
        };
        if claims.nbf > now + CLOCK_SKEW_SECS {
            return Err(Error::InvalidToken(format!(
                "The token is not yet valid. Not before: '{}', current time: '{}'.",
                utc(claims.nbf),
                utc(now)
            )));
        }
        check_live(&verified, audiences, now)?;
        Ok(verified)
    }
}

/// What a cached token still has to pass: expiry and audience.
fn check_live(v: &Verified, audiences: &[&str], now: i64) -> Result<Caller, Error> {
    if v.exp + CLOCK_SKEW_SECS < now {
        return Err(Error::InvalidToken(format!(
            "The token is expired. Expiry: '{}', current time: '{}'.",
            utc(v.exp),
            utc(now)
        )));
    }
    if !audiences.iter().any(|a| *a == v.aud) {
        return Err(Error::InvalidToken(format!(
            "AKV10022: Invalid audience. Expected {}, found: {}.",
            audiences.first().copied().unwrap_or_default(),
            v.aud
        )));
    }
    Ok(v.caller.clone())
}

fn malformed() -> Error {
    Error::InvalidToken("AKV10000: Request is missing a Bearer or PoP token.".into())
}

/// `M/D/YYYY h:mm:ss AM` UTC, the way Key Vault's messages print times.
fn utc(secs: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs) else {
        return secs.to_string();
    };
    let (hour, meridiem) = match t.hour() {
        0 => (12, "AM"),
        h @ 1..=11 => (h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{}/{}/{} {}:{:02}:{:02} {}",
        u8::from(t.month()),
        t.day(),
        t.year(),
        hour,
        t.minute(),
        t.second(),
        meridiem
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_token_is_still_checked_for_expiry_and_audience() {
        let aud = ["https://127.0.0.1:8443", "https://vault.azure.net"];
        assert!(check_live(&Verified::sample(1000), &aud, 1000 + CLOCK_SKEW_SECS).is_ok());
        let expired =
            check_live(&Verified::sample(1000), &aud, 1001 + CLOCK_SKEW_SECS).unwrap_err();
        assert!(
            expired.to_string().starts_with("The token is expired."),
            "{expired}"
        );
        let wrong =
            check_live(&Verified::sample(1000), &["https://vault.localhost:1"], 0).unwrap_err();
        assert_eq!(
            wrong.to_string(),
            "AKV10022: Invalid audience. Expected https://vault.localhost:1, found: https://vault.azure.net."
        );
        assert_eq!(utc(0), "1/1/1970 12:00:00 AM");
        assert_eq!(utc(13 * 3600 + 5), "1/1/1970 1:00:05 PM");
    }
}
