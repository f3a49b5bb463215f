//! The dashboard's page, compiled in (`ca-sim/ui/`: plain HTML, CSS and JS, no build step,
//! no external URL), served at `/admin/ui/` with a strict CSP. The page only uses the admin
//! API scripts use, plus the live feed `/admin/events`.

use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Every asset: name under `/admin/ui/`, content type, content.
pub const ASSETS: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../ui/index.html"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../ui/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../ui/app.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../ui/favicon.svg"),
    ),
];

/// The page's policy: nothing but its own origin, no inline script or style.
pub const CSP: &str =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn asset(name: &str) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, ty, body)) => (
            [
                (CONTENT_TYPE, *ty),
                (CACHE_CONTROL, "no-cache"),
                (CONTENT_SECURITY_POLICY, CSP),
                (X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            *body,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": format!("no dashboard file {name}")})),
        )
            .into_response(),
    }
}

/// `GET /admin/ui` → 308 to `/admin/ui/` (relative asset URLs need the slash).
pub async fn redirect() -> Response {
    (StatusCode::PERMANENT_REDIRECT, [(LOCATION, "/admin/ui/")]).into_response()
}

/// `GET /admin/ui/`.
pub async fn index() -> Response {
    asset("index.html")
}

/// `GET /admin/ui/{file}`.
pub async fn file(Path(name): Path<String>) -> Response {
    asset(&name)
}
