//! WoSign orders: `POST /api/v1/orders` ([`Create`]), `GET /api/v1/orders?clientOrderId=`
//! ([`List`]), `GET /api/v1/orders/{id}` ([`Get`]), `GET /api/v1/orders/{id}/certificate`
//! ([`Certificate`]), `POST /api/v1/orders/{id}/cancel` ([`Cancel`]) and `POST
//! /api/v1/orders/{id}/revoke` ([`Revoke`]).

use super::{code, find_gated, order_data, status_word, success, WoSign, WsError};
use crate::dialects::chain::{crlf, ChainShape};
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::dialects::csr::csr_der;
use crate::dialects::names::uncertifiable;
use crate::domain::{op, Dialect, NewOrder, Order, OrderStatus};
use crate::error;
use crate::orders::OrderBook;
use serde_json::{json, Value};
use shared::crypto;

/// Longest `clientOrderId` accepted.
const MAX_CLIENT_ORDER_ID_LEN: usize = 128;

/// `POST /api/v1/orders`: a new order, of the account's certificate type; `instant` orders are
/// issued before the answer.
pub struct Create {
    body: Value,
}

impl Operation<WoSign> for Create {
    const NAME: &'static str = op::ORDER;

    fn parse(call: &mut Call<WoSign>) -> Result<Self, WsError> {
        let body = serde_json::from_slice::<Value>(&call.req.body)
            .map_err(|_| WsError::code(code::BAD_PARAMETER, "request body is not valid JSON"))?;
        Ok(Self { body })
    }

    async fn apply(self, call: &mut Call<WoSign>) -> Outcome<WoSign> {
        let req = self.body;
        let cn = req["commonName"].as_str().map(str::trim).unwrap_or("");
        if cn.is_empty() {
            return Err(WsError::code(code::BAD_PARAMETER, "commonName is required").into());
        }
        let der = csr_der(req["csr"].as_str().unwrap_or(""))
            .ok_or_else(|| WsError::code(code::CSR_INVALID, "CSR invalid"))?;
        if crypto::parse_csr(&der).is_err() {
            return Err(WsError::code(
                code::CSR_INVALID,
                "CSR invalid: cannot parse or bad signature",
            )
            .into());
        }
        let client_order_id = match &req["clientOrderId"] {
            Value::Null => None,
            Value::String(c) if !c.is_empty() && c.chars().count() <= MAX_CLIENT_ORDER_ID_LEN => {
                Some(c.clone())
            }
            _ => {
                return Err(WsError::code(
                    code::BAD_PARAMETER,
                    "clientOrderId must be a string of 1..128 characters",
                )
                .into())
            }
        };
        let years = req["validityYears"].as_u64().unwrap_or(1);
        if !(1..=3).contains(&years) {
            return Err(WsError::code(code::BAD_PARAMETER, "validityYears must be 1..3").into());
        }
        let cert_type = call
            .account
            .cert_type
            .clone()
            .unwrap_or_else(|| "OV".into());
        let profile = call
            .account
            .profile_for(&cert_type)
            .map_err(|e| WsError::code(code::SYSTEM_BUSY, e))?;
        let fired = call.gate(Some(cn)).await?;
        let mut dns = vec![cn.to_string()];
        for n in req["subjectAltNames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !dns.iter().any(|d| d.eq_ignore_ascii_case(n)) {
                dns.push(n.to_string());
            }
        }
        if let Some(bad) = uncertifiable(&dns) {
            return Err(WsError::code(
                code::BAD_PARAMETER,
                format!("'{bad}' is not a valid domain name"),
            )
            .into());
        }
        let new = NewOrder {
            dialect: Dialect::Wosign,
            account: call.account.id.clone(),
            product: cert_type.clone(),
            validation: cert_type.clone(),
            common_name: cn.to_string(),
            dns_names: dns,
            organization_id: None,
            organization_name: Some(
                req["organization"]
                    .as_str()
                    .unwrap_or("ca-sim WoSign Customer")
                    .to_string(),
            ),
            country: Some("CN".into()),
            csr_pem: crypto::pem_encode("CERTIFICATE REQUEST", &der),
            validity_days: (years * 365) as u32,
            profile: profile.clone(),
            awaiting_validation: false,
            outcome: fired
                .filter(|f| f.action.is_order_outcome())
                .map(|f| (f.rule, f.action)),
            extra: json!({"contact": req["contact"].clone(), "clientOrderId": client_order_id}),
        };
        let created = call.app.orders.create(new, |seq, now| {
            format!(
                "WS{:04}{:02}{:02}{:06}",
                now.year(),
                now.month() as u8,
                now.day(),
                seq
            )
        });
        let mut order = created.map_err(|e| {
            tracing::error!(error = %e, "wosign order failed");
            WsError::code(code::SYSTEM_BUSY, "system busy")
        })?;
        call.about(&order.id);
        if profile.is_instant() {
            if let Ok(o) = call.app.orders.issue_now(&order.id).await {
                order = o;
            }
        }
        Ok(success(
            json!({"orderNo": order.id, "certType": order.validation, "status": status_word(&order, call.app.clock.now_ms())}),
        ))
    }
}

/// `GET /api/v1/orders?clientOrderId=X` (ca-sim's documented extension of the proposed
/// dialect): the account's orders created with that `clientOrderId`, oldest first; an empty
/// list when there are none.
pub struct List;

impl Operation<WoSign> for List {
    const NAME: &'static str = op::LOOKUP;

    fn parse(_call: &mut Call<WoSign>) -> Result<Self, WsError> {
        Ok(Self)
    }

    async fn apply(self, call: &mut Call<WoSign>) -> Outcome<WoSign> {
        call.gate(None).await?;
        let Some(wanted) = call
            .req
            .query
            .get("clientOrderId")
            .filter(|w| !w.is_empty())
        else {
            return Err(WsError::code(
                code::BAD_PARAMETER,
                "clientOrderId query parameter is required",
            )
            .into());
        };
        let orders: Vec<Value> = call
            .app
            .orders
            .list(Some(Dialect::Wosign))
            .into_iter()
            .filter(|o| {
                o.account == call.account.id
                    && o.extra["clientOrderId"].as_str() == Some(wanted.as_str())
            })
            .map(|o| order_data(&call.app, &o))
            .collect();
        Ok(success(json!({"orders": orders})))
    }
}

/// `GET /api/v1/orders/{id}`: the order, after any reject or cancel fault that fires on the
/// poll.
pub struct Get {
    id: String,
}

impl Operation<WoSign> for Get {
    const NAME: &'static str = op::POLL;

    fn parse(call: &mut Call<WoSign>) -> Result<Self, WsError> {
        Ok(Self {
            id: call.req.param("id").to_string(),
        })
    }

    async fn apply(self, call: &mut Call<WoSign>) -> Outcome<WoSign> {
        let (order, fired) = find_gated(call, &self.id).await?;
        let order = call.poll_outcome(order, fired.as_ref());
        Ok(success(order_data(&call.app, &order)))
    }
}

/// `GET /api/v1/orders/{id}/certificate`: `{certificate, chain: [intermediate…, root]}`.
pub struct Certificate {
    id: String,
}

impl Operation<WoSign> for Certificate {
    const NAME: &'static str = op::DOWNLOAD;

    fn parse(call: &mut Call<WoSign>) -> Result<Self, WsError> {
        Ok(Self {
            id: call.req.param("id").to_string(),
        })
    }

    async fn apply(self, call: &mut Call<WoSign>) -> Outcome<WoSign> {
        let (order, fired) = find_gated(call, &self.id).await?;
        let cert = order
            .cert
            .as_ref()
            .filter(|_| matches!(order.status, OrderStatus::Issued | OrderStatus::Revoked))
            .ok_or_else(|| WsError::code(code::BAD_STATE, "certificate not issued yet"))?;
        let mut shape = ChainShape::from_action(order.outcome.as_ref());
        shape.add(fired.as_ref().map(|f| &f.action));
        let chain = shape.pems(cert, false, true);
        let mut leaf = cert.pem.clone();
        if shape.crlf {
            leaf = crlf(&leaf);
        }
        let mut data = json!({"certificate": leaf, "chain": chain});
        if order.distrusted {
            data["distrusted"] = json!(true);
        }
        Ok(success(data))
    }
}

/// `POST /api/v1/orders/{id}/cancel` with `{"reason":"…"}`.
pub struct Cancel {
    id: String,
}

impl Operation<WoSign> for Cancel {
    const NAME: &'static str = op::CANCEL;

    fn parse(call: &mut Call<WoSign>) -> Result<Self, WsError> {
        Ok(Self {
            id: call.req.param("id").to_string(),
        })
    }

    async fn apply(self, call: &mut Call<WoSign>) -> Outcome<WoSign> {
        let refused = "order status does not allow cancellation";
        end_order(call, &self.id, refused, |book, id, reason| {
            book.cancel(id, reason)
        })
        .await
    }
}

/// `POST /api/v1/orders/{id}/revoke` with `{"reason":"…"}` (`unspecified` when it names none).
pub struct Revoke {
    id: String,
}

impl Operation<WoSign> for Revoke {
    const NAME: &'static str = op::REVOKE;

    fn parse(call: &mut Call<WoSign>) -> Result<Self, WsError> {
        Ok(Self {
            id: call.req.param("id").to_string(),
        })
    }

    async fn apply(self, call: &mut Call<WoSign>) -> Outcome<WoSign> {
        let refused = "only issued certificates can be revoked";
        end_order(call, &self.id, refused, |book, id, reason| {
            book.revoke(id, reason.unwrap_or_else(|| "unspecified".into()))
        })
        .await
    }
}

/// What the order book answers a status change with: the order, or the status refusing it.
type Changed = error::Result<Result<Order, OrderStatus>>;

/// Finds the caller's order `id`, passes the fault gate and applies `change` (the order book's
/// cancel or revoke) with the body's `reason`, if any: an empty success, or `4009` with
/// `refused` when the order's status does not allow the change.
async fn end_order(
    call: &mut Call<WoSign>,
    id: &str,
    refused: &str,
    change: impl FnOnce(&OrderBook, &str, Option<String>) -> Changed,
) -> Outcome<WoSign> {
    let (order, _) = find_gated(call, id).await?;
    let reason = serde_json::from_slice::<Value>(&call.req.body)
        .ok()
        .and_then(|v| v["reason"].as_str().map(str::to_string));
    match change(&call.app.orders, &order.id, reason) {
        Ok(Ok(_)) => Ok(success(Value::Null)),
        Ok(Err(_)) => Err(WsError::code(code::BAD_STATE, refused).into()),
        Err(_) => Err(WsError::code(code::SYSTEM_BUSY, "system busy").into()),
    }
}
