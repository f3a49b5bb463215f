//! ACME replies: a handler returns a [`Reply`] (JSON, a PEM chain, DER, or nothing) or a
//! [`Problem`]; [`render`] turns either into the HTTP response with the headers every ACME
//! response carries (RFC 8555 §6.5, §7.1): a fresh `Replay-Nonce`, `Link: <directory>;
//! rel="index"`, `Cache-Control: no-store`, plus the reply's `Location`, other `Link`s and
//! `Retry-After`. Problems render through [`problem_response`], vault's one problem renderer
//! (the document itself is `shared::acme::problem`).

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;
use shared::acme::problem::{self, Problem};

/// What a handler answers.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// `Location` (new objects, an existing account).
    pub location: Option<String>,
    /// `Link: <url>;rel="rel"` headers besides the directory's `index`.
    pub links: Vec<(String, &'static str)>,
    /// `Retry-After` seconds (orders processing, challenges being validated).
    pub retry_after: Option<u64>,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn json(value: &Value) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: "application/json",
            // A `Value` always serializes.
            body: serde_json::to_vec(value).unwrap_or_default(),
            location: None,
            links: Vec::new(),
            retry_after: None,
        }
    }

    /// A body of another type (`application/pem-certificate-chain`, `application/pkix-crl`).
    pub fn bytes(content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            content_type,
            body,
            ..Reply::json(&Value::Null)
        }
    }

    /// No body (`new-nonce`).
    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            content_type: "",
            body: Vec::new(),
            ..Reply::json(&Value::Null)
        }
    }

    pub fn status(mut self, status: StatusCode) -> Reply {
        self.status = status;
        self
    }

    pub fn location(mut self, url: impl Into<String>) -> Reply {
        self.location = Some(url.into());
        self
    }

    pub fn link(mut self, url: impl Into<String>, rel: &'static str) -> Reply {
        self.links.push((url.into(), rel));
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Reply {
        self.retry_after = Some(secs);
        self
    }
}

/// The HTTP response for a handler's outcome, with a fresh `nonce` (none when the RNG
/// failed) and the directory's `index` link.
pub fn render(outcome: Result<Reply, Problem>, nonce: Option<&str>, directory: &str) -> Response {
    let mut response = match outcome {
        Ok(reply) => {
            let mut response = Response::new(Body::from(reply.body));
            *response.status_mut() = reply.status;
            let headers = response.headers_mut();
            if !reply.content_type.is_empty() {
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(reply.content_type),
                );
            }
            if let Some(location) = reply.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
                headers.insert(header::LOCATION, location);
            }
            for (url, rel) in &reply.links {
                append_link(headers, url, rel);
            }
            if let Some(secs) = reply.retry_after {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            if let Some(nonce) = nonce.and_then(|n| HeaderValue::from_str(n).ok()) {
                headers.insert("replay-nonce", nonce);
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(problem) => problem_response(problem, nonce),
    };
    append_link(response.headers_mut(), directory, "index");
    response
}

/// A problem as the HTTP response: `application/problem+json`, the problem's status,
/// `Replay-Nonce` when the caller has one, `Retry-After` when set, `Cache-Control: no-store`.
pub fn problem_response(problem: Problem, replay_nonce: Option<&str>) -> Response {
    let mut response = Response::new(Body::from(problem.to_json()));
    *response.status_mut() = problem.http_status();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(problem::CONTENT_TYPE),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(nonce) = replay_nonce.and_then(|n| HeaderValue::from_str(n).ok()) {
        headers.insert("replay-nonce", nonce);
    }
    if let Some(secs) = problem.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn append_link(headers: &mut HeaderMap, url: &str, rel: &str) {
    if let Ok(value) = HeaderValue::from_str(&format!("<{url}>;rel=\"{rel}\"")) {
        headers.append(header::LINK, value);
    }
}

pub use shared::acme::problem::{internal, malformed, not_found, unauthorized};

#[cfg(test)]
#[path = "tests_reply.rs"]
mod tests;
