//! Orders (RFC 8555 §7.4): new-order, the order URL, an account's orders list.

use crate::acme::problem::Problem;
use crate::acme::reply::{self, Reply};
use crate::acme::request::{AcmeRequest, Cx};

/// `POST /acme/new-order` and `POST /acme/{profile}/new-order`.
pub async fn new_order(
    _cx: &Cx,
    _req: AcmeRequest,
    _pinned: Option<&str>,
) -> Result<Reply, Problem> {
    Err(reply::internal("new-order: not implemented yet"))
}

/// `POST /acme/order/{id}`.
pub async fn get(_cx: &Cx, _req: AcmeRequest, _id: &str) -> Result<Reply, Problem> {
    Err(reply::internal("order: not implemented yet"))
}

/// `POST /acme/acct/{id}/orders`.
pub async fn list(
    _cx: &Cx,
    _req: AcmeRequest,
    _id: &str,
    _query: Option<&str>,
) -> Result<Reply, Problem> {
    Err(reply::internal("orders: not implemented yet"))
}
