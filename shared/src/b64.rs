//! Base64 as Key Vault uses it (spec §1.3): `cer`, `csr` and `x5c` go out as standard padded
//! base64, `x5t` and backup blobs as base64url without padding; input is decoded leniently
//! (either alphabet, padding optional, surrounding whitespace ignored).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

/// Standard alphabet with padding: `cer`, `csr`, `x5c`, PFX secret values.
pub fn std_encode(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// URL-safe alphabet without padding: `x5t`, JWK members, backup blobs, sign results.
pub fn url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes either alphabet, with or without padding, ignoring ASCII whitespace.
pub fn decode_lenient(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && *c != '=')
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(cleaned.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_decoding_accepts_both_alphabets_and_padding() {
        let bytes = [0xfbu8, 0xff, 0xfe, 0x01];
        assert_eq!(decode_lenient(&std_encode(&bytes)).unwrap(), bytes);
        assert_eq!(decode_lenient(&url_encode(&bytes)).unwrap(), bytes);
        assert_eq!(decode_lenient(" +//+AQ==\n").unwrap(), bytes);
        assert!(decode_lenient("not base64!").is_err());
    }

    #[test]
    fn encoders_use_the_wire_alphabets() {
        let bytes = [0xfbu8, 0xff, 0xfe];
        assert_eq!(std_encode(&bytes), "+//+");
        assert_eq!(url_encode(&bytes), "-__-");
        assert_eq!(std_encode(&[1u8]), "AQ==");
        assert_eq!(url_encode(&[1u8]), "AQ");
    }
}
