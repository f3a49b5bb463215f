//! The one GlobalSign dispatcher: both SOAP endpoints take a POSTed envelope, and the
//! operation is chosen from the body's first element (never from `SOAPAction`), checked
//! against the operations the service's WSDL declares. A body ca-sim cannot read or dispatch
//! is a `soap:Client` fault (500).

use super::get_order::GetOrder;
use super::modify::Modify;
use super::order::PlaceOrder;
use super::wsdl::operations;
use super::{Envelope, GlobalSign, GsError, Service, NS};
use crate::app::App;
use crate::dialects::contract::{refuse, run};
use crate::dialects::gate::ConnKill;
use crate::dialects::xml::{self, El};
use crate::domain::op;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use std::sync::Arc;

type Kill = Option<Extension<ConnKill>>;

/// `POST /kb/ws/v1/ServerSSLService`: OVOrder, EVOrder, ModifyOrder.
pub async fn server_ssl(State(app): State<Arc<App>>, kill: Kill, body: Bytes) -> Response {
    soap(app, kill.map(|k| k.0), &body, Service::ServerSsl).await
}

/// `POST /kb/ws/v1/GASService`: GetOrderByOrderID.
pub async fn gas(State(app): State<Arc<App>>, kill: Kill, body: Bytes) -> Response {
    soap(app, kill.map(|k| k.0), &body, Service::Gas).await
}

async fn soap(app: Arc<App>, kill: Option<ConnKill>, body: &[u8], service: Service) -> Response {
    let fault = |message: String| {
        refuse::<GlobalSign>(
            &app,
            &Envelope::default(),
            op::OTHER,
            GsError::client_fault(message),
        )
    };
    let doc = match xml::parse(&String::from_utf8_lossy(body)) {
        Ok(d) => d,
        Err(e) => return fault(format!("Unmarshalling Error: {e}")),
    };
    let op_el = doc
        .children
        .into_iter()
        .find(|c| c.name == "Body")
        .and_then(|b| b.children.into_iter().next());
    let Some(op_el) = op_el else {
        return fault("No SOAP Body".into());
    };
    let Some(op_name) = operations(service.name())
        .iter()
        .copied()
        .find(|o| *o == op_el.name)
    else {
        return fault(format!(
            "Cannot find dispatch method for {{{NS}}}{}",
            op_el.name
        ));
    };
    let request = op_el
        .children
        .into_iter()
        .find(|c| c.name == "Request")
        .unwrap_or_else(El::default);
    let envelope = Envelope {
        service,
        op_name,
        request,
    };
    match op_name {
        "OVOrder" | "EVOrder" => run::<GlobalSign, PlaceOrder>(app, kill, envelope).await,
        "ModifyOrder" => run::<GlobalSign, Modify>(app, kill, envelope).await,
        _ => run::<GlobalSign, GetOrder>(app, kill, envelope).await,
    }
}
