//! Request extractors: the request's authority ([`authority`]), the per-request context the
//! middleware prepared ([`Ctx`]: the vault the host named, the base URL for ids), decoded
//! query parameters, and [`JsonBody`], which turns every body problem into a Key Vault 400/413.

use crate::error::Error;
use crate::vaults::VaultInstance;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

/// Request bodies larger than this are refused with 413 (a PFX or a chain fits easily).
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The request's authority (`host[:port]`): the URI's (HTTP/2) or the Host header.
pub fn authority<B>(req: &axum::http::Request<B>) -> &str {
    req.uri()
        .authority()
        .map(|a| a.as_str())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
        })
        .unwrap_or("localhost")
}

/// Query parameters with percent-decoded names and values (spec §0: `api%2Dversion`): a view
/// over the raw query, decoded on lookup (requests carry one to four parameters and handlers
/// read fewer).
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryParams<'a>(&'a str);

impl<'a> QueryParams<'a> {
    pub fn new(raw: &'a str) -> Self {
        QueryParams(raw)
    }

    /// The first value of a parameter; names compare case-insensitively.
    pub fn get(&self, name: &str) -> Option<std::borrow::Cow<'a, str>> {
        self.0
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
            .find(|(k, _)| {
                percent_decode_str(k)
                    .decode_utf8_lossy()
                    .eq_ignore_ascii_case(name)
            })
            .map(|(_, v)| percent_decode_str(v).decode_utf8_lossy())
    }
}

/// What the middleware learned about the request, shared with the handler without copying
/// (handlers read it through `Deref`).
#[derive(Clone)]
pub struct Ctx(std::sync::Arc<CtxData>);

impl Ctx {
    pub fn new(data: CtxData) -> Self {
        Ctx(std::sync::Arc::new(data))
    }
}

impl std::ops::Deref for Ctx {
    type Target = CtxData;
    fn deref(&self) -> &CtxData {
        &self.0
    }
}

pub struct CtxData {
    /// The vault the request's host named: its service answers the request.
    pub vault: std::sync::Arc<VaultInstance>,
    /// `https://host[:port]` (or `--public-url`): prefix of every id.
    pub base: String,
    /// The request URI as received (its path is reused in `nextLink`).
    pub uri: axum::http::Uri,
    /// One of [`super::middleware::API_VERSIONS`].
    pub api_version: &'static str,
}

impl CtxData {
    /// The request path as received.
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    pub fn query(&self) -> QueryParams<'_> {
        QueryParams::new(self.uri.query().unwrap_or(""))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| Error::Internal("request context missing".into()))
    }
}

/// A JSON body. Empty bodies read as `{}` (some requests legitimately carry none); size, syntax
/// and type problems become Key Vault errors naming what is wrong.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge { limit: BODY_LIMIT }
            } else {
                Error::bad(format!("The request body could not be read: {rejection}"))
            }
        })?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(text)
            .map(JsonBody)
            .map_err(|e| Error::bad(format!("The request body is not valid: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_names_and_values_are_percent_decoded() {
        let q = QueryParams::new("api%2Dversion=7.5&%24skiptoken=ab%2Bc&maxresults=3&flag");
        assert_eq!(q.get("api-version").as_deref(), Some("7.5"));
        assert_eq!(q.get("$skiptoken").as_deref(), Some("ab+c"));
        assert_eq!(q.get("MAXRESULTS").as_deref(), Some("3"));
        assert_eq!(q.get("flag").as_deref(), Some(""));
        assert_eq!(q.get("missing"), None);
        // The first occurrence wins.
        let twice = QueryParams::new("api-version=7.4&api%2Dversion=7.5");
        assert_eq!(twice.get("api-version").as_deref(), Some("7.4"));
    }
}
