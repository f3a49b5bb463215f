//! Completing the chain an ACME CA delivers. RFC 8555 §7.4.2 CAs (Let's Encrypt, Pebble) send
//! the leaf and intermediates but not the root, while vault merges chains that end at a root.
//! The root is taken from the trust anchors vault was given (`--provider-ca`: e.g. Pebble's
//! `/roots/0`, ca-sim's ACME root): the anchor whose subject is the last certificate's issuer
//! (the merge then checks every signature).

/// The anchors' certificates (DER) from PEM texts.
pub(crate) fn anchors(pems: &[String]) -> Vec<Vec<u8>> {
    pems.iter()
        .flat_map(|pem| crate::providers::convert::pem_certs(pem))
        .collect()
}

/// `chain` with the root appended when it stops below one and an anchor is its issuer.
pub(crate) fn complete(mut chain: Vec<Vec<u8>>, anchors: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let Some(last) = chain.last() else {
        return chain;
    };
    let Ok((_, last)) = x509_parser::parse_x509_certificate(last) else {
        return chain;
    };
    let issuer = last.tbs_certificate.issuer.as_raw();
    if issuer == last.tbs_certificate.subject.as_raw() {
        return chain;
    }
    let root = anchors.iter().find(|der| {
        x509_parser::parse_x509_certificate(der).is_ok_and(|(_, cert)| {
            cert.tbs_certificate.subject.as_raw() == issuer
                && cert.tbs_certificate.issuer.as_raw() == cert.tbs_certificate.subject.as_raw()
        })
    });
    if let Some(root) = root {
        chain.push(root.clone());
    }
    chain
}
