//! `GET|PUT /_admin/acme/chaos`: the chaos document in force, and replacing it at runtime.
//! Both answer the effective document (the seed drawn when the document named none, each
//! limit's count and window written out); a document that does not validate is a 400
//! `malformed` problem naming the field, and changes nothing.

use super::doc::ChaosDoc;
use super::engine::Chaos;
use crate::acme::reply::{internal, Reply};
use crate::acme::request::BODY_LIMIT;
use axum::body::Body;
use shared::acme::problem::{ErrorType, Problem};

/// `GET /_admin/acme/chaos`.
pub fn get(chaos: &Chaos) -> Result<Reply, Problem> {
    json(&chaos.document())
}

/// `PUT /_admin/acme/chaos` with a whole document (`{}` switches everything off).
pub async fn put(chaos: &Chaos, body: Body) -> Result<Reply, Problem> {
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        Problem::new(
            ErrorType::Malformed,
            format!("The request body is over {BODY_LIMIT} bytes."),
        )
    })?;
    let doc = ChaosDoc::parse(&bytes).map_err(|e| Problem::new(ErrorType::Malformed, e))?;
    json(&chaos.put(&doc))
}

fn json(doc: &ChaosDoc) -> Result<Reply, Problem> {
    serde_json::to_value(doc)
        .map(|v| Reply::json(&v))
        .map_err(internal)
}
