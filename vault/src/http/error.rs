//! The one place an [`Error`] becomes Key Vault's error JSON (spec §1.4, §4.9): status, code,
//! message, optional innererror, the challenge header on 401, and a logged generic 500 for
//! anything that is the server's fault.

use super::reply::reply;
use crate::error::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use shared::models::{ErrorDetail, ErrorResponse};

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code, inner): (StatusCode, &str, Option<&str>) = match &self {
            Error::Unauthorized | Error::InvalidToken(_) => {
                (StatusCode::UNAUTHORIZED, "Unauthorized", None)
            }
            Error::BadParameter(_) => (StatusCode::BAD_REQUEST, "BadParameter", None),
            Error::NotFound { code, .. } => (StatusCode::NOT_FOUND, code, None),
            Error::Conflict { code, inner, .. } => (StatusCode::CONFLICT, code, *inner),
            Error::Forbidden { inner, .. } => (StatusCode::FORBIDDEN, "Forbidden", *inner),
            Error::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "BadParameter", None),
            Error::RouteNotFound => (StatusCode::NOT_FOUND, "NotFound", None),
            Error::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", None),
            Error::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "Throttled", None),
            Error::Store(_) | Error::Config(_) | Error::Io(_) | Error::Internal(_) => {
                tracing::error!(error = %self, "request failed on the server side");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    None,
                )
            }
        };
        let message = if status == StatusCode::INTERNAL_SERVER_ERROR {
            "The server encountered an internal error; see the vault log.".to_string()
        } else {
            self.to_string()
        };
        let body = ErrorResponse {
            error: ErrorDetail {
                code: code.to_string(),
                message,
                innererror: inner.map(|c| {
                    Box::new(ErrorDetail {
                        code: c.to_string(),
                        message: String::new(),
                        innererror: None,
                    })
                }),
            },
        };
        let mut response = reply(status, &body);
        if let Error::Throttled { retry_after, .. } = &self {
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            // The middleware replaces this with the request's own resource; this default keeps
            // a 401 well-formed even if produced elsewhere.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(
                    "Bearer authorization=\"https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000\", resource=\"https://vault.azure.net\"",
                ),
            );
        }
        response
    }
}
