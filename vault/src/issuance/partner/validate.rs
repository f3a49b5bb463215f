//! The check a CA's chain must pass before it completes a version (design: vault validates
//! before it completes): the leaf is for the pending key (from the CSR), the chain links by
//! signature up to a self-signed root, and the names are those requested.

use crate::issuance::chain;
use crate::model::OperationRecord;
use shared::crypto;

/// Leaf key = pending key (from the CSR), the chain links by signature up to a self-signed
/// root, and the names are those requested.
pub(super) fn validate_chain(
    op: &OperationRecord,
    chain_der: Vec<Vec<u8>>,
) -> Result<ValidChain, String> {
    if chain_der.is_empty() {
        return Err("the chain is empty".into());
    }
    let csr = crypto::parse_csr(op.csr.as_deref().unwrap_or_default())
        .map_err(|e| format!("the pending request is unreadable: {e}"))?;
    let certs = chain::parse_all(chain_der)?;
    let ordered = chain::order(certs, &csr.spki_der, false)
        .ok_or("the certificate is for a different key than the one vault generated")?;
    for pair in ordered.windows(2) {
        crypto::verify_certificate_signature(&pair[0].der, &pair[1].der).map_err(|e| {
            format!(
                "'{}' is not signed by '{}': {e}",
                pair[0].info.subject, pair[1].info.subject
            )
        })?;
    }
    let top = ordered.last().ok_or("the chain is empty")?;
    if !top.info.self_issued {
        return Err(format!(
            "the chain ends at '{}', which is not a root (missing intermediate or root?)",
            top.info.subject
        ));
    }
    crypto::verify_certificate_signature(&top.der, &top.der)
        .map_err(|e| format!("the root '{}' is not self-signed: {e}", top.info.subject))?;
    let leaf = &ordered[0];
    let issued = leaf.info.sans.dns_names.clone().unwrap_or_default();
    let x509 = op.policy.x509_props.clone().unwrap_or_default();
    for wanted in x509.sans.and_then(|s| s.dns_names).unwrap_or_default() {
        if !issued.iter().any(|d| d.eq_ignore_ascii_case(&wanted)) {
            return Err(format!(
                "the certificate lacks the requested name '{wanted}'"
            ));
        }
    }
    let (nbf, exp) = (leaf.info.not_before, leaf.info.not_after);
    let chain = ordered.into_iter().map(|c| c.der).collect();
    Ok(ValidChain { chain, nbf, exp })
}

/// A chain that passed [`validate_chain`], leaf first.
pub(super) struct ValidChain {
    pub chain: Vec<Vec<u8>>,
    pub nbf: i64,
    pub exp: i64,
}
