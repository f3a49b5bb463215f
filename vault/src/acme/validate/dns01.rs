//! dns-01 (RFC 8555 §8.4): a TXT record at `_acme-challenge.NAME` must be
//! base64url(SHA-256(key authorization)). A wildcard authorization (`*.NAME`) is stored for
//! the base name, so the same record is checked. IP identifiers cannot use dns-01
//! (RFC 8738 §7).

use super::context::Context;
use super::failure::{problem, quote};
use crate::model::acme::{Identifier, IdentifierType, StoredProblem};
use aws_lc_rs::digest;
use shared::acme::problem::ErrorType;

pub(super) async fn validate(
    context: &Context,
    identifier: &Identifier,
    key_authorization: &str,
) -> Result<(), StoredProblem> {
    if identifier.kind == IdentifierType::Ip {
        return Err(problem(
            ErrorType::Malformed,
            format!(
                "dns-01 cannot validate the IP address {} (RFC 8738 §7); use http-01 or \
                 tls-alpn-01",
                identifier.value
            ),
        ));
    }
    let name = format!("_acme-challenge.{}", identifier.value.trim_end_matches('.'));
    let expected = txt_value(key_authorization);
    let found = context.addresses.lookup_txt(&name).await?;
    if found.is_empty() {
        return Err(problem(
            ErrorType::Dns,
            format!("no TXT record at {name}; it must hold {expected}"),
        ));
    }
    if found.iter().any(|value| value.trim() == expected) {
        return Ok(());
    }
    let shown: Vec<String> = found.iter().take(5).map(|v| quote(v)).collect();
    Err(problem(
        ErrorType::IncorrectResponse,
        format!(
            "the TXT records at {name} are [{}]; none is {expected} (base64url of the SHA-256 \
             of the key authorization)",
            shown.join(", ")
        ),
    ))
}

/// The TXT value for a key authorization (RFC 8555 §8.4).
pub fn txt_value(key_authorization: &str) -> String {
    shared::b64::url_encode(digest::digest(&digest::SHA256, key_authorization.as_bytes()).as_ref())
}
