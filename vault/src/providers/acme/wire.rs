//! RFC 8555's JSON as the client reads it: the order (§7.1.3), authorization (§7.1.4),
//! challenge (§8) and problem document (§6.7, RFC 7807), and how an error answer is classified
//! into a [`ProviderError`] (which says whether the CA may have acted):
//!
//! | answer | class |
//! |---|---|
//! | `badNonce` | retried by the client with the fresh nonce, never surfaced unless it persists (then `NotSent`: the CA refused the request before acting) |
//! | `rateLimited` (429) | `Throttled`: RFC 8555 §6.6 says the request was refused (Retry-After, else 10 s) |
//! | `accountDoesNotExist` | `NotSent` (the CA did nothing; the account is made again) |
//! | `unauthorized`, `externalAccountRequired`, a 401/403 without a problem | `Credentials` |
//! | `serverInternal`, 5xx, a 429 that is not `rateLimited` | `Ambiguous` |
//! | any other 4xx problem | `Refused`, with the CA's `type: detail` |

use crate::providers::http::{self, Answer};
use crate::providers::types::ProviderError;
use serde::Deserialize;
use std::time::Duration;

const URN: &str = "urn:ietf:params:acme:error:";

/// A problem document; `kind` is the ACME error name without its URN prefix.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct Problem {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub subproblems: Vec<Problem>,
}

impl Problem {
    pub(crate) fn name(&self) -> &str {
        self.kind.strip_prefix(URN).unwrap_or(&self.kind)
    }

    /// `type: detail`, with the subproblems' details (they name the failing identifiers).
    pub(crate) fn message(&self) -> String {
        let mut out = format!("{}: {}", self.name(), self.detail);
        for sub in &self.subproblems {
            out.push_str(&format!("; {}: {}", sub.name(), sub.detail));
        }
        out
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Identifier {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Order {
    pub status: String,
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub identifiers: Vec<Identifier>,
    #[serde(default)]
    pub authorizations: Vec<String>,
    #[serde(default)]
    pub finalize: String,
    #[serde(default)]
    pub certificate: Option<String>,
    #[serde(default)]
    pub error: Option<Problem>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Authorization {
    pub status: String,
    /// What the authorization is for (its DNS name: the tls-alpn-01 certificate's SNI).
    #[serde(default)]
    pub identifier: Option<Identifier>,
    #[serde(default)]
    pub challenges: Vec<Challenge>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Challenge {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub error: Option<Problem>,
}

/// The account object's link to its orders list (§7.1.2).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Account {
    #[serde(default)]
    pub orders: Option<String>,
}

/// One page of the orders list (§7.1.2.1).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct OrdersPage {
    #[serde(default)]
    pub orders: Vec<String>,
}

/// The body as `T`, an unreadable body being `Ambiguous` (the CA answered; what it did is
/// unknown).
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    what: &str,
    answer: &Answer,
) -> Result<T, ProviderError> {
    serde_json::from_slice(&answer.body).map_err(|e| {
        ProviderError::unreadable(format!("{what}: unreadable answer from the ACME CA: {e}"))
    })
}

/// The problem document of an error answer, if it carries one.
pub(crate) fn problem(answer: &Answer) -> Option<Problem> {
    serde_json::from_slice::<Problem>(&answer.body)
        .ok()
        .filter(|p| !p.kind.is_empty())
}

/// Classifies a non-success answer (table above).
pub(crate) fn error_from(what: &str, answer: &Answer) -> ProviderError {
    let Some(problem) = problem(answer) else {
        return http::status_error(what, answer, answer.text().trim());
    };
    let message = problem.message();
    match problem.name() {
        "rateLimited" => http::throttled(what, answer, &message, Duration::from_secs(10)),
        "badNonce" | "accountDoesNotExist" => ProviderError::NotSent {
            message: format!("{what}: {message}"),
        },
        "unauthorized" | "externalAccountRequired" => ProviderError::Credentials {
            message: format!("{what}: {message}"),
        },
        "serverInternal" => ProviderError::Ambiguous {
            message: format!("{what}: {message}"),
            retry_after: http::retry_after(&answer.headers),
        },
        // A 5xx or an undocumented 429 may have followed the act, whatever the type says.
        _ if answer.status.is_server_error() || answer.status.as_u16() == 429 => {
            http::status_error(what, answer, &message)
        }
        // The type, not the status, says what went wrong: a 403 `rejectedIdentifier` or
        // `caa` is a refusal of this request, not bad credentials.
        _ => ProviderError::Refused {
            message: format!("{what}: {message}"),
        },
    }
}

/// The `Link: <url>;rel="next"` target of a paged answer (RFC 8288), if any.
pub(crate) fn next_link(answer: &Answer) -> Option<String> {
    answer
        .headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.split_once(';')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            });
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            is_next.then(|| target.to_string())
        })
}
