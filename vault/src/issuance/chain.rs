//! Certificate chains brought by users (import, merge): parse every certificate, find the leaf
//! by its public key, and order the chain leaf first, each certificate followed by its issuer
//! (spec §4.2: normalised unless `preserveCertOrder`).

use shared::crypto::{self, CertInfo};

/// A parsed certificate with its DER.
#[derive(Debug, Clone)]
pub struct ChainCert {
    pub der: Vec<u8>,
    pub info: CertInfo,
}

/// Parses every certificate; the error names the first one that is not a certificate.
pub fn parse_all(ders: Vec<Vec<u8>>) -> Result<Vec<ChainCert>, String> {
    ders.into_iter()
        .enumerate()
        .map(|(i, der)| match crypto::parse_certificate(&der) {
            Ok(info) => Ok(ChainCert { der, info }),
            Err(e) => Err(format!("certificate #{} cannot be parsed: {e}", i + 1)),
        })
        .collect()
}

/// The position of the certificate carrying `key_spki`.
pub fn leaf_index(certs: &[ChainCert], key_spki: &[u8]) -> Option<usize> {
    certs.iter().position(|c| c.info.spki_der == key_spki)
}

/// Orders `certs` leaf first. The leaf is the certificate whose public key is `key_spki`;
/// `None` when no certificate carries that key. With `preserve`, the given order is kept.
pub fn order(certs: Vec<ChainCert>, key_spki: &[u8], preserve: bool) -> Option<Vec<ChainCert>> {
    let leaf_index = leaf_index(&certs, key_spki)?;
    if preserve {
        return Some(certs);
    }
    let mut rest = certs;
    let mut ordered = vec![rest.remove(leaf_index)];
    while let Some(current) = ordered.last() {
        if current.info.self_issued {
            break;
        }
        let issuer = current.info.issuer.clone();
        match rest.iter().position(|c| c.info.subject == issuer) {
            Some(i) => ordered.push(rest.remove(i)),
            None => break,
        }
    }
    // Certificates that are not on the leaf's path keep their relative order at the end.
    ordered.extend(rest);
    Some(ordered)
}
