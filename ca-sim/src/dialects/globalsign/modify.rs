//! GlobalSign `ModifyOrder` ([`Modify`]) on ServerSSLService: `ModifyOrderOperation`
//! `APPROVE`, `CANCEL` or `REVOKE` on one order. Fault rules and the history see it as
//! `approve`, `cancel` or `revoke`.

use super::{code, find, order_id, success, Envelope, GlobalSign, GsError};
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::dialects::xml::El;
use crate::domain::{op, OrderStatus};

/// `ModifyOrder`: the order's id and the upper-cased operation.
pub struct Modify {
    id: String,
    operation: String,
}

impl Operation<GlobalSign> for Modify {
    const NAME: &'static str = op::CANCEL;

    fn name(req: &Envelope) -> &'static str {
        match operation(req).as_str() {
            "REVOKE" => op::REVOKE,
            "APPROVE" => op::APPROVE,
            _ => op::CANCEL,
        }
    }

    fn parse(call: &mut Call<GlobalSign>) -> Result<Self, GsError> {
        Ok(Self {
            id: order_id(call)?,
            operation: operation(&call.req),
        })
    }

    async fn apply(self, call: &mut Call<GlobalSign>) -> Outcome<GlobalSign> {
        let id = self.id;
        let order = find(call, &id)?;
        call.gate(Some(&order.common_name)).await?;
        let book = &call.app.orders;
        let result = match self.operation.as_str() {
            "CANCEL" => book.cancel(&id, Some("ModifyOrder CANCEL".into())),
            "REVOKE" => book.revoke(&id, "unspecified".into()),
            "APPROVE" => book.approve(&id),
            "" => return Err(GsError::missing("ModifyOrderOperation").about(&id).into()),
            _ => {
                return Err(GsError::new(
                    code::INVALID_PARAMETER,
                    "ModifyOrderOperation",
                    "ModifyOrderOperation must be APPROVE, CANCEL or REVOKE",
                )
                .about(&id)
                .into())
            }
        };
        let e = match result {
            Ok(Ok(_)) => return Ok(success(call, vec![El::text("OrderID", &id)])),
            Ok(Err(OrderStatus::Canceled)) if self.operation == "CANCEL" => GsError::new(
                code::ALREADY_CANCELLED,
                "OrderID",
                "The order has already been cancelled",
            ),
            Ok(Err(_)) => GsError::new(
                code::STATUS_CHANGED,
                "OrderID",
                "The order status has already been changed",
            ),
            Err(e) => GsError::internal("modify", e),
        };
        Err(e.about(&id).into())
    }
}

/// `ModifyOrderOperation`, upper-cased (empty when absent).
fn operation(req: &Envelope) -> String {
    req.request
        .path_text(&["ModifyOrderOperation"])
        .unwrap_or_default()
        .to_ascii_uppercase()
}
