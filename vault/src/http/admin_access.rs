//! `/_admin/access`: the access document in force, read and replaced at runtime (docs/access.md).
//! `GET` answers TOML (the file's own shape) or JSON with `Accept: application/json`; `PUT`
//! takes either (by `Content-Type`), validates it exactly like the file, puts it in force
//! and, with `--access FILE`, writes it back so SIGHUP and restarts keep it. In entra mode the
//! admin gate (admin token) guards both.

use super::reply::reply;
use super::state::AppState;
use crate::access::{load, AccessDoc};
use crate::error::Error;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The route, with its full path (merged beside `/_admin`'s other routes).
pub fn router() -> Router<AppState> {
    Router::new().route("/_admin/access", get(get_access).put(put_access))
}

/// `GET /_admin/access`.
async fn get_access(State(app): State<AppState>, headers: HeaderMap) -> Response {
    render(&app.access.doc(), &headers)
}

/// `PUT /_admin/access`: 400 with the exact problem when the document is not valid.
async fn put_access(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| Error::bad("The access document must be UTF-8 text (TOML or JSON)."))?
        .to_string();
    let access = app.access.clone();
    let json = is_json(headers.get(header::CONTENT_TYPE));
    // Validation looks at certificate files and saving writes one: off the runtime threads.
    let doc = tokio::task::spawn_blocking(move || {
        let origin = "access document";
        let doc = if json {
            load::from_json(&text, origin)
        } else {
            load::from_toml(&text, origin)
        }
        .map_err(Error::BadParameter)?;
        let doc = load::prepare(doc, access.base_dir(), origin).map_err(Error::BadParameter)?;
        access.save(doc.clone())?;
        Ok::<_, Error>(doc)
    })
    .await
    .map_err(|e| Error::Internal(format!("access update task: {e}")))??;
    tracing::info!(
        principals = doc.principals.len(),
        vaults = doc.vaults.len(),
        "access document replaced through the admin API"
    );
    Ok(render(&doc, &headers))
}

fn is_json(value: Option<&HeaderValue>) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

fn render(doc: &AccessDoc, headers: &HeaderMap) -> Response {
    if is_json(headers.get(header::ACCEPT)) {
        return reply(StatusCode::OK, doc);
    }
    match toml::to_string(doc) {
        Ok(text) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
            text,
        )
            .into_response(),
        Err(e) => Error::Internal(format!("access document to TOML: {e}")).into_response(),
    }
}
