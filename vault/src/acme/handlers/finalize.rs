//! Finalize (RFC 8555 §7.4): the CSR checks, then issuance by the order's profile.

use crate::acme::problem::Problem;
use crate::acme::reply::{self, Reply};
use crate::acme::request::{AcmeRequest, Cx};

/// `POST /acme/order/{id}/finalize`.
pub async fn finalize(_cx: &Cx, _req: AcmeRequest, _id: &str) -> Result<Reply, Problem> {
    Err(reply::internal("finalize: not implemented yet"))
}
