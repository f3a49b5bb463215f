//! `/_admin/ui/`: the dashboard's page and assets (`vault/ui/`), compiled into the binary so
//! `cargo run` is all it takes and nothing is fetched from elsewhere. The page is a client of
//! the admin API (`/_admin/*`, the same endpoints scripts use) and of its live stream
//! (`/_admin/events`); this module only serves files. Every answer carries
//! `Content-Security-Policy: default-src 'self'` (no inline script or style, no other origin)
//! and `Cache-Control: no-cache` (a rebuilt binary's assets are picked up at once).

use super::state::AppState;
use crate::error::Error;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The policy every answer of the dashboard carries.
pub const CSP: &str = "default-src 'self'";

/// One compiled-in file.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_str!(concat!("../../ui/", $name)),
        }
    };
}

/// The dashboard's files, by the name they are served under (`/_admin/ui/{name}`).
pub const ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("app.css", CSS),
    asset!("favicon.svg", SVG),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("live.js", JS),
    asset!("clockstate.js", JS),
    asset!("timeline.js", JS),
    asset!("page_certificates.js", JS),
    asset!("page_certificate.js", JS),
    asset!("page_lists.js", JS),
    asset!("page_clock.js", JS),
    asset!("page_requests.js", JS),
];

/// The routes, relative to `/_admin` (merged into the admin router).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ui", get(to_slash))
        .route("/ui/", get(index))
        .route("/ui/{asset}", get(asset))
}

/// `GET /_admin/ui` → 308 to `/_admin/ui/`, so the page's relative asset paths resolve under
/// it. The query goes along (`?token=` in entra mode).
async fn to_slash(req: Request) -> Response {
    let location = match req.uri().query() {
        Some(q) => format!("/_admin/ui/?{q}"),
        None => "/_admin/ui/".to_string(),
    };
    match HeaderValue::from_str(&location) {
        Ok(v) => (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, v)]).into_response(),
        Err(_) => {
            Error::BadParameter("The query is not a valid header value.".into()).into_response()
        }
    }
}

/// `GET /_admin/ui/`: the page. In `--auth entra` mode the admin gate's browser login comes
/// first (`?token=` sets the cookie and redirects; no cookie → 401 page).
async fn index(State(app): State<AppState>, req: Request) -> Response {
    if let Some(answer) = super::auth::ui_login(&app, &req) {
        return answer;
    }
    serve("index.html")
}

/// `GET /_admin/ui/{asset}`.
async fn asset(Path(name): Path<String>) -> Response {
    serve(&name)
}

fn serve(name: &str) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return Error::RouteNotFound.into_response();
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        asset.body,
    )
        .into_response()
}
