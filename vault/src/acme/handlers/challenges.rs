//! Challenges (RFC 8555 §7.5.1, §8): responding starts the validation in the background.

use crate::acme::problem::Problem;
use crate::acme::reply::{self, Reply};
use crate::acme::request::{AcmeRequest, Cx};

/// `POST /acme/chall/{authz_id}/{id}`.
pub async fn challenge(
    _cx: &Cx,
    _req: AcmeRequest,
    _authz_id: &str,
    _id: &str,
) -> Result<Reply, Problem> {
    Err(reply::internal("challenge: not implemented yet"))
}
