//! DigiCert requests: `PUT request/{id}/status` ([`UpdateStatus`]) approves or rejects an
//! order's request (`9000000 + n`) or a revoke request (`9500000 + n`).

use super::{lenient_json, DcError, DigiCert, ORDER_BASE, REQUEST_BASE, REVOKE_REQUEST_BASE};
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::domain::{op, Dialect};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::Value;

/// `PUT request/{id}/status` with `{"status":"approved"|"rejected"}`.
pub struct UpdateStatus {
    id: String,
    body: Value,
}

impl Operation<DigiCert> for UpdateStatus {
    const NAME: &'static str = op::APPROVE;
    const SUCCESS: StatusCode = StatusCode::NO_CONTENT;

    fn parse(call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        Ok(Self {
            body: lenient_json(&call.req.body)?,
            id: call.req.param("id").to_string(),
        })
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        let Self { id, body } = self;
        let n: u64 = id.parse().unwrap_or(0);
        let (seq, revoke) = if n > REVOKE_REQUEST_BASE {
            (n - REVOKE_REQUEST_BASE, true)
        } else if n > REQUEST_BASE {
            (n - REQUEST_BASE, false)
        } else {
            (0, false)
        };
        let order = call
            .app
            .orders
            .get(&(ORDER_BASE + seq).to_string())
            .filter(|o| seq > 0 && o.dialect == Dialect::Digicert && o.account == call.account.id)
            .filter(|o| !revoke || o.revoke_request.is_some())
            .ok_or_else(|| {
                DcError::not_found("not_found|request", format!("Request {id} was not found."))
            })?;
        call.about(&order.id);
        call.gate(Some(&order.common_name)).await?;
        let status = body["status"].as_str().unwrap_or("");
        let comment = body["processor_comment"].as_str().unwrap_or("").to_string();
        let book = &call.app.orders;
        let result = match (revoke, status) {
            (true, "approved") => {
                let reason = order
                    .revoke_request
                    .as_ref()
                    .map(|r| r.reason.clone())
                    .unwrap_or_default();
                book.revoke(&order.id, reason).map(|r| r.map(|_| ()))
            }
            (true, "rejected") => book.reject_revoke_request(&order.id).map(|r| r.map(|_| ())),
            (false, "approved") => book.approve(&order.id).map(|r| r.map(|_| ())),
            (false, "rejected") => book
                .reject(
                    &order.id,
                    if comment.is_empty() {
                        "Request rejected by approver".into()
                    } else {
                        comment
                    },
                )
                .map(|r| r.map(|_| ())),
            _ => {
                return Err(DcError::bad_request(
                    "invalid_status",
                    "Status must be 'approved' or 'rejected'.",
                )
                .into());
            }
        };
        match result {
            Ok(Ok(())) => Ok(StatusCode::NO_CONTENT.into_response()),
            Ok(Err(_)) => Err(DcError::bad_request(
                "invalid_request_status",
                "The request is not pending.",
            )
            .into()),
            Err(e) => Err(DcError::internal(e).into()),
        }
    }
}
