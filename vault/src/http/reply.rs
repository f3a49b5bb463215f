//! The JSON reply helpers every handler (and the error renderer) shares: Key Vault's content
//! type on a body serialised once.

use crate::error::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// A JSON response with Key Vault's content type (`application/json; charset=utf-8`).
pub fn reply<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => reply_json_bytes(status, bytes.into()),
        Err(e) => Error::Internal(format!("serialising a response: {e}")).into_response(),
    }
}

/// A response whose JSON body is already rendered.
pub fn reply_json_bytes(status: StatusCode, body: axum::body::Bytes) -> Response {
    let mut resp = Response::new(axum::body::Body::from(body));
    *resp.status_mut() = status;
    // Room for every header a Key Vault reply gets (content type, request id, service
    // version, poll headers, location) without growing the map.
    let headers = resp.headers_mut();
    headers.reserve(8);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}
