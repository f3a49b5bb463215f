//! Tests of the ACME problem renderer: status, headers and body of the response.

use super::problem_response;
use axum::body::to_bytes;
use axum::http::StatusCode;
use axum::response::Response;
use shared::acme::problem::{ErrorType, Problem};

async fn body_json(response: Response) -> serde_json::Value {
    let bytes = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn response_headers_and_body() {
    let problem = Problem::new(ErrorType::BadNonce, "nonce already used")
        .with_instance("https://ca.example/acme/x");
    let response = problem_response(problem, Some("abcDEF_-123"));
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let h = response.headers();
    assert_eq!(h["content-type"], "application/problem+json");
    assert_eq!(h["replay-nonce"], "abcDEF_-123");
    assert!(h.get("retry-after").is_none());
    let v = body_json(response).await;
    assert_eq!(v["type"], "urn:ietf:params:acme:error:badNonce");
    assert_eq!(v["detail"], "nonce already used");
    assert_eq!(v["status"], 400);
    assert_eq!(v["instance"], "https://ca.example/acme/x");
}

#[tokio::test]
async fn rate_limited_carries_retry_after() {
    let response = problem_response(Problem::rate_limited("too many new orders", 30), None);
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "30");
    assert!(response.headers().get("replay-nonce").is_none());
    let v = body_json(response).await;
    assert_eq!(v["type"], "urn:ietf:params:acme:error:rateLimited");
    assert_eq!(v["status"], 429);
    // Retry-After is a header, never a body member.
    assert!(v.get("retry_after").is_none() && v.get("retryAfter").is_none());
}

#[tokio::test]
async fn server_internal_is_500() {
    let response = problem_response(
        Problem::new(ErrorType::ServerInternal, "store unavailable"),
        None,
    );
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body_json(response).await["status"], 500);
}
