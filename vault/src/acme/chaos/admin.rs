//! `GET|PUT /_admin/acme/chaos`: the chaos document in force, and replacing it at runtime.
//! Both answer the effective document (the seed drawn when the document named none, each
//! limit's count and window written out); a document that does not validate is a 400
//! `malformed` problem naming the field, and changes nothing.

use super::doc::ChaosDoc;
use super::engine::Chaos;
use crate::acme::problem::{ErrorType, Problem};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// `GET /_admin/acme/chaos`.
pub fn get(chaos: &Chaos) -> Response {
    json(&chaos.document())
}

/// `PUT /_admin/acme/chaos` with a whole document (`{}` switches everything off).
pub fn put(chaos: &Chaos, body: &[u8]) -> Response {
    match ChaosDoc::parse(body) {
        Ok(doc) => json(&chaos.put(&doc)),
        Err(detail) => Problem::new(ErrorType::Malformed, detail).into_response(None),
    }
}

fn json(doc: &ChaosDoc) -> Response {
    match serde_json::to_vec(doc) {
        Ok(body) => {
            let mut response = (StatusCode::OK, body).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => Problem::new(ErrorType::ServerInternal, e.to_string()).into_response(None),
    }
}
