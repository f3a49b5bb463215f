//! Certificate download (RFC 8555 §7.4.2) with alternate chains.

use crate::acme::problem::Problem;
use crate::acme::reply::{self, Reply};
use crate::acme::request::{AcmeRequest, Cx};

/// `POST /acme/cert/{id}` (`n` = 0) and `POST /acme/cert/{id}/{n}` (alternate chain `n`).
pub async fn download(_cx: &Cx, _req: AcmeRequest, _id: &str, _n: usize) -> Result<Reply, Problem> {
    Err(reply::internal("certificate: not implemented yet"))
}
