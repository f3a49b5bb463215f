//! Authorizations (RFC 8555 §7.5): the authorization URL (POST-as-GET, deactivation) and
//! pre-authorization (`new-authz`, §7.4.1).

use crate::acme::problem::Problem;
use crate::acme::reply::{self, Reply};
use crate::acme::request::{AcmeRequest, Cx};

/// `POST /acme/new-authz`.
pub async fn new_authz(_cx: &Cx, _req: AcmeRequest) -> Result<Reply, Problem> {
    Err(reply::internal("new-authz: not implemented yet"))
}

/// `POST /acme/authz/{id}`.
pub async fn authz(_cx: &Cx, _req: AcmeRequest, _id: &str) -> Result<Reply, Problem> {
    Err(reply::internal("authz: not implemented yet"))
}
