//! Reading a CSR as the vendors' clients send it: PEM, or bare base64 DER (every dialect takes
//! both).

use shared::crypto;

/// The DER of a CSR given as PEM (`CERTIFICATE REQUEST` block) or as bare base64.
pub fn csr_der(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    if let Some((_, der)) = crypto::pem_blocks(text)
        .into_iter()
        .find(|(l, _)| l.contains("CERTIFICATE REQUEST"))
    {
        return Some(der);
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}
