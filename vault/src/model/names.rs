//! How names are keyed: certificate and issuer names compare case-insensitively (spec §1.1),
//! and two issuer names are reserved by Key Vault itself.

/// The issuer name of self-signed certificates (spec §4.1).
pub const ISSUER_SELF: &str = "Self";
/// The issuer name of certificates completed by a merge (spec §4.1).
pub const ISSUER_UNKNOWN: &str = "Unknown";

/// The lowercased storage key of a name (names compare case-insensitively, spec §1.1).
pub fn key_of(name: &str) -> String {
    name.to_ascii_lowercase()
}
