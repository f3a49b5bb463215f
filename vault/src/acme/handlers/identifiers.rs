//! Identifiers of new orders and pre-authorizations (RFC 8555 §7.1.3, §7.4.1; RFC 8738 `ip`):
//! normalised (DNS names lower case without a trailing dot, IPs in canonical text), deduped,
//! checked (a wildcard `*.` only as the whole first label, LDH labels, A-labels only), and the
//! authorization each needs with the challenges it offers (a wildcard: dns-01 only; an IP:
//! http-01 and tls-alpn-01).

use crate::acme::gateway::random_b64;
use crate::acme::reply::{internal, malformed};
use crate::acme::wire::identifier_type;
use crate::model::acme::{
    ChallengeRecord, ChallengeStatus, ChallengeType, Identifier, IdentifierType,
};
use serde::Deserialize;
use shared::acme::problem::{self, ErrorType, Problem, Subproblem};
use std::net::IpAddr;

/// At most this many identifiers per order (Let's Encrypt's limit).
pub const MAX_IDENTIFIERS: usize = 100;

/// An identifier as a client sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct WireIdentifier {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// Why one identifier was refused: its subproblem.
fn refuse(id: &WireIdentifier, kind: ErrorType, detail: String) -> Subproblem {
    Subproblem {
        kind,
        detail,
        identifier: Some(problem::Identifier {
            kind: id.kind.clone(),
            value: id.value.clone(),
        }),
    }
}

/// One DNS name, normalised; `allow_wildcard` admits `*.` as the whole first label.
fn dns_name(value: &str, allow_wildcard: bool) -> Result<String, String> {
    if !value.is_ascii() {
        return Err("a DNS name must be ASCII (send the A-label, xn--…)".into());
    }
    let name = value.trim_end_matches('.').to_ascii_lowercase();
    let base = match name.strip_prefix("*.") {
        Some(_) if !allow_wildcard => {
            return Err("a wildcard cannot be pre-authorized (RFC 8555 §7.4.1)".into())
        }
        Some(base) => base,
        None => name.as_str(),
    };
    if base.contains('*') {
        return Err("a wildcard is only allowed as the whole first label ('*.')".into());
    }
    if base.is_empty() || name.len() > 253 {
        return Err("a DNS name must have 1 to 253 characters".into());
    }
    for label in base.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("each label of a DNS name must have 1 to 63 characters".into());
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err("a DNS label may only hold letters, digits and '-'".into());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a DNS label must not start or end with '-'".into());
        }
    }
    if base
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("a DNS name cannot end in a numeric label (use an 'ip' identifier)".into());
    }
    Ok(name)
}

/// One identifier, normalised, or its subproblem.
fn one(id: &WireIdentifier, allow_wildcard: bool) -> Result<Identifier, Subproblem> {
    match id.kind.as_str() {
        "dns" => dns_name(&id.value, allow_wildcard)
            .map(Identifier::dns)
            .map_err(|d| refuse(id, ErrorType::RejectedIdentifier, d)),
        "ip" => id
            .value
            .parse::<IpAddr>()
            .map(|ip| Identifier::ip(ip.to_string()))
            .map_err(|_| {
                refuse(
                    id,
                    ErrorType::RejectedIdentifier,
                    "not an IPv4 or IPv6 address in text form (RFC 8738)".into(),
                )
            }),
        other => Err(refuse(
            id,
            ErrorType::UnsupportedIdentifier,
            format!("identifier type '{other}' is not supported (only 'dns' and 'ip')"),
        )),
    }
}

/// The order's identifiers, normalised and deduped in the client's order; every refused one
/// is a subproblem of one problem (its type: theirs if they agree, else `compound`).
pub fn normalise(
    list: &[WireIdentifier],
    allow_wildcard: bool,
) -> Result<Vec<Identifier>, Problem> {
    if list.is_empty() {
        return Err(malformed("An order needs at least one identifier."));
    }
    if list.len() > MAX_IDENTIFIERS {
        return Err(Problem::new(
            ErrorType::RejectedIdentifier,
            format!("An order may name at most {MAX_IDENTIFIERS} identifiers."),
        ));
    }
    let mut out: Vec<Identifier> = Vec::with_capacity(list.len());
    let mut refused = Vec::new();
    for id in list {
        match one(id, allow_wildcard) {
            Ok(n) if !out.contains(&n) => out.push(n),
            Ok(_) => {}
            Err(sub) => refused.push(sub),
        }
    }
    if refused.is_empty() {
        return Ok(out);
    }
    let kind = if refused.iter().all(|s| s.kind == refused[0].kind) {
        refused[0].kind
    } else {
        ErrorType::Compound
    };
    let detail = match refused.as_slice() {
        [only] => format!(
            "Cannot issue for {} '{}': {}.",
            only.identifier.as_ref().map_or("", |i| i.kind.as_str()),
            only.identifier.as_ref().map_or("", |i| i.value.as_str()),
            only.detail
        ),
        many => format!(
            "Cannot issue for {} of the identifiers; see subproblems.",
            many.len()
        ),
    };
    let mut problem = Problem::new(kind, detail).with_subproblems(refused);
    // The client's identifiers are wrong: 400 also for `compound` (403 in the type table).
    problem.status = 400;
    Err(problem)
}

/// What an order identifier needs authorized: the base identifier and whether it is for a
/// wildcard (`*.example.com` → `example.com`, wildcard).
pub fn authz_target(id: &Identifier) -> (Identifier, bool) {
    match id.value.strip_prefix("*.") {
        Some(base) if id.kind == IdentifierType::Dns => (Identifier::dns(base.to_string()), true),
        _ => (id.clone(), false),
    }
}

/// The challenges a new authorization offers, each with a fresh 256-bit token.
pub fn challenges(target: &Identifier, wildcard: bool) -> Result<Vec<ChallengeRecord>, Problem> {
    let kinds: &[ChallengeType] = match (target.kind, wildcard) {
        (IdentifierType::Dns, true) => &[ChallengeType::Dns01],
        (IdentifierType::Dns, false) => &[
            ChallengeType::Http01,
            ChallengeType::Dns01,
            ChallengeType::TlsAlpn01,
        ],
        (IdentifierType::Ip, _) => &[ChallengeType::Http01, ChallengeType::TlsAlpn01],
    };
    kinds
        .iter()
        .map(|kind| {
            Ok(ChallengeRecord {
                id: kind.as_str().replace('-', ""),
                kind: *kind,
                token: random_b64(32).map_err(internal)?,
                status: ChallengeStatus::Pending,
                validated: None,
                error: None,
            })
        })
        .collect()
}

/// `dns:example.com` for logs and details.
pub fn describe(id: &Identifier) -> String {
    format!("{}:{}", identifier_type(id.kind), id.value)
}
