//! The responder's HTTP side (RFC 6960 Appendix A): `POST /ocsp/{dialect}` with an
//! `application/ocsp-request` body, and `GET /ocsp/{dialect}/{base64 request}`. Answers are
//! `application/ocsp-response` with HTTP 200, errors included (malformedRequest, unauthorized
//! for a CA this dialect does not have, internalError), as RFC 5019 §2.2.3 has them.

use super::lookup;
use super::request::{self, OcspRequest};
use super::response::{self, Failure, Signed, Single};
use crate::app::App;
use crate::domain::Dialect;
use crate::error::Result;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use time::Duration;

/// How long an answer stays fresh (nextUpdate - thisUpdate), on ca-sim's clock.
const VALIDITY: Duration = Duration::days(1);

/// `POST /ocsp/{dialect}`.
pub async fn post(
    State(app): State<Arc<App>>,
    Path(dialect): Path<String>,
    body: Bytes,
) -> Response {
    answer(&app, &dialect, Some(body.to_vec()))
}

/// `GET /ocsp/{dialect}/{request}`: read from the raw path, since base64 may hold `/`.
pub async fn get(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let mut parts = uri.path().trim_start_matches('/').splitn(3, '/');
    let (_, dialect, encoded) = (parts.next(), parts.next(), parts.next());
    answer(
        &app,
        dialect.unwrap_or_default(),
        encoded.and_then(request::decode_get),
    )
}

fn answer(app: &App, dialect: &str, der: Option<Vec<u8>>) -> Response {
    let Some(dialect) = Dialect::parse(dialect) else {
        return (StatusCode::NOT_FOUND, "no such CA dialect\n").into_response();
    };
    let body = match der.as_deref().and_then(request::parse) {
        None => response::failure(Failure::MalformedRequest),
        Some(req) => respond(app, dialect, &req).unwrap_or_else(|e| {
            tracing::error!(error = %e, %dialect, "OCSP response");
            response::failure(Failure::InternalError)
        }),
    };
    ([(header::CONTENT_TYPE, "application/ocsp-response")], body).into_response()
}

/// Every CertID must name the same CA of `dialect`: one responder signs the answer.
fn respond(app: &App, dialect: Dialect, req: &OcspRequest) -> Result<Vec<u8>> {
    let h = app.ca.get(dialect)?;
    let mut ca_ids = req.certs.iter().map(|id| lookup::issuer_of(h, id));
    let Some(Some(ca_id)) = ca_ids.next() else {
        return Ok(response::failure(Failure::Unauthorized));
    };
    if ca_ids.any(|other| other.as_deref() != Some(ca_id.as_str())) {
        return Ok(response::failure(Failure::Unauthorized));
    }
    let (Some(responder), Some(ca)) = (h.responders.get(&ca_id), h.find(&ca_id)) else {
        return Ok(response::failure(Failure::Unauthorized));
    };
    let mut answers = Vec::with_capacity(req.certs.len());
    for id in &req.certs {
        answers.push(Single {
            cert_id: &id.raw,
            status: lookup::status(app, h, &ca_id, id)?,
        });
    }
    let now = app
        .clock
        .now()
        .replace_nanosecond(0)
        .unwrap_or(app.clock.now());
    let extra: Vec<&[u8]> = if ca.id == h.root.id {
        Vec::new()
    } else {
        vec![ca.der.as_slice()]
    };
    response::successful(
        &Signed {
            responder,
            extra_certs: &extra,
            now,
            next_update: now + VALIDITY,
            nonce: req.nonce.as_deref(),
        },
        &answers,
    )
}
