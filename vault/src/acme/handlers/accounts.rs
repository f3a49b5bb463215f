//! Accounts (RFC 8555 §7.3): new-account, the account URL (POST-as-GET, contact update,
//! deactivation) and key rollover.

use crate::acme::problem::Problem;
use crate::acme::reply::{self, Reply};
use crate::acme::request::{AcmeRequest, Cx};

/// `POST /acme/new-account`.
pub async fn new_account(_cx: &Cx, _req: AcmeRequest) -> Result<Reply, Problem> {
    Err(reply::internal("new-account: not implemented yet"))
}

/// `POST /acme/acct/{id}`.
pub async fn account(_cx: &Cx, _req: AcmeRequest, _id: &str) -> Result<Reply, Problem> {
    Err(reply::internal("account: not implemented yet"))
}

/// `POST /acme/key-change`.
pub async fn key_change(_cx: &Cx, _req: AcmeRequest) -> Result<Reply, Problem> {
    Err(reply::internal("key-change: not implemented yet"))
}
