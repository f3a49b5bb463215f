//! DigiCert certificates: revoke (`PUT order/certificate/{id}/revoke` [`RevokeOrder`], `PUT
//! certificate/{id}/revoke` [`RevokeCertificate`]), download (`GET
//! certificate/{id}/download/format/{format}` [`DownloadByCertificate`], `GET
//! certificate/download/order/{id}/format/{format}` [`DownloadByOrder`]) and `GET
//! certificate/{id}/chain` ([`Chain`]). A route names the order by order or by certificate
//! id: the `BY_ORDER` parameter of [`Revoke`] and [`Download`].

use super::{
    chain_entries, dc_datetime, find_by_certificate, find_order, json_reply, lenient_json,
    status_word, DcError, DigiCert, REVOKE_REQUEST_BASE,
};
use crate::dialects::chain::{crlf, ChainShape};
use crate::dialects::contract::{Call, Failure, Operation, Outcome};
use crate::domain::{op, IssuedCert, Order, OrderStatus};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;
use shared::crypto;

/// `PUT order/certificate/{id}/revoke` (order id, thumbprint or serial).
pub type RevokeOrder = Revoke<BY_ORDER>;

/// `PUT certificate/{id}/revoke`.
pub type RevokeCertificate = Revoke<BY_CERTIFICATE>;

/// `{id}` names an order (its id, thumbprint or serial): the `BY_ORDER` parameter of the
/// certificate operations.
const BY_ORDER: bool = true;
/// `{id}` names a certificate (`CERT_BASE + n`).
const BY_CERTIFICATE: bool = false;

/// The caller's order that `id` names, by order or by certificate (`BY_ORDER`).
fn named<const BY_ORDER: bool>(call: &Call<DigiCert>, id: &str) -> Option<Order> {
    if BY_ORDER {
        find_order(call, id)
    } else {
        find_by_certificate(call, id)
    }
}

/// Revokes the certificate of the order `{id}` names ([`revoke`]).
pub struct Revoke<const BY_ORDER: bool> {
    id: String,
}

impl<const BY_ORDER: bool> Operation<DigiCert> for Revoke<BY_ORDER> {
    const NAME: &'static str = op::REVOKE;
    const SUCCESS: StatusCode = StatusCode::CREATED;

    fn parse(call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        Ok(Self {
            id: call.req.param("id").to_string(),
        })
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        let order = named::<BY_ORDER>(call, &self.id).ok_or_else(|| {
            if BY_ORDER {
                DcError::order_not_found(&self.id)
            } else {
                DcError::certificate_not_found(&self.id)
            }
        })?;
        revoke(call, order).await
    }
}

/// Revokes at once with `"skip_approval": true` (204), else files a revoke request that an
/// approval of the request revokes (201).
async fn revoke(call: &mut Call<DigiCert>, order: Order) -> Outcome<DigiCert> {
    call.about(&order.id);
    let body = lenient_json(&call.req.body)?;
    call.gate(Some(&order.common_name)).await?;
    if order.status != OrderStatus::Issued {
        return Err(DcError::bad_request(
            "invalid_order_status",
            format!(
                "Order status is {}; only issued certificates can be revoked.",
                status_word(order.status)
            ),
        )
        .into());
    }
    let reason = body["revocation_reason"]
        .as_str()
        .unwrap_or("unspecified")
        .to_string();
    let comments = body["comments"].as_str().unwrap_or("").to_string();
    if body["skip_approval"].as_bool().unwrap_or(false) {
        return match call.app.orders.revoke(&order.id, reason) {
            Ok(Ok(_)) => Ok(StatusCode::NO_CONTENT.into_response()),
            Ok(Err(_)) => Err(DcError::bad_request(
                "invalid_order_status",
                "The certificate cannot be revoked in its current state.",
            )
            .into()),
            Err(e) => Err(DcError::internal(e).into()),
        };
    }
    let request = call
        .app
        .orders
        .request_revoke(&order.id, reason, comments)
        .map_err(DcError::internal)?;
    Ok(json_reply(
        StatusCode::CREATED,
        json!({
            "id": REVOKE_REQUEST_BASE + order.seq,
            "date": dc_datetime(request.created_ms),
            "type": "revoke",
            "status": "pending",
            "requester": {"id": 1, "first_name": "Sim", "last_name": "User", "email": "sim-user@ca-sim.test"},
            "comments": request.comments,
        }),
    ))
}

/// `GET certificate/{id}/download/format/{format}`.
pub type DownloadByCertificate = Download<BY_CERTIFICATE>;

/// `GET certificate/download/order/{id}/format/{format}`.
pub type DownloadByOrder = Download<BY_ORDER>;

/// Downloads the chain of the order `{id}` names, in `{format}` ([`download`]).
pub struct Download<const BY_ORDER: bool> {
    id: String,
    format: String,
}

impl<const BY_ORDER: bool> Operation<DigiCert> for Download<BY_ORDER> {
    const NAME: &'static str = op::DOWNLOAD;

    fn parse(call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        Ok(Self {
            id: call.req.param("id").to_string(),
            format: call.req.param("format").to_string(),
        })
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        let order = named::<BY_ORDER>(call, &self.id);
        download(call, order, &self.format).await
    }
}

/// The chain in `format` (`pem_all`, `pem_noroot`, `pem_nointermediate`, `p7b`, `cer`), shaped
/// by the order's and this request's chain faults.
async fn download(
    call: &mut Call<DigiCert>,
    order: Option<Order>,
    format: &str,
) -> Outcome<DigiCert> {
    let order = order
        .ok_or_else(|| DcError::not_found("not_found|certificate", "Certificate not found."))?;
    let (cert, shape) = gated_chain(call, &order).await?;
    let pem = |leaf, root| shape.pems(cert, leaf, root).concat();
    let (ctype, body) = match format {
        "pem_all" | "pem" => ("application/x-pem-file", pem(true, true)),
        "pem_noroot" => ("application/x-pem-file", pem(true, false)),
        "pem_nointermediate" => (
            "application/x-pem-file",
            shape.pems(cert, true, false).into_iter().take(1).collect(),
        ),
        "p7b" | "cer" => {
            let ders: Vec<Vec<u8>> = shape
                .pems(cert, true, true)
                .iter()
                .flat_map(|p| crypto::pem_blocks(p).into_iter().map(|(_, d)| d))
                .collect();
            let p7 = crypto::pem_encode("PKCS7", &crate::ca::der::pkcs7_certs_only(&ders));
            (
                "application/x-pkcs7-certificates",
                if shape.crlf { crlf(&p7) } else { p7 },
            )
        }
        other => {
            return Err(DcError::bad_request("bad_request_format", format!("Format '{other}' is not supported by ca-sim (use pem_all, pem_noroot, pem_nointermediate, p7b or cer).")).into());
        }
    };
    Ok((StatusCode::OK, [(http::header::CONTENT_TYPE, ctype)], body).into_response())
}

/// `GET certificate/{id}/chain`: the chain as `intermediates[]`, leaf first.
pub struct Chain {
    id: String,
}

impl Operation<DigiCert> for Chain {
    const NAME: &'static str = op::DOWNLOAD;

    fn parse(call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        Ok(Self {
            id: call.req.param("id").to_string(),
        })
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        let order = find_by_certificate(call, &self.id)
            .ok_or_else(|| DcError::certificate_not_found(&self.id))?;
        let (cert, shape) = gated_chain(call, &order).await?;
        Ok(json_reply(
            StatusCode::OK,
            json!({"intermediates": chain_entries(&shape.pems(cert, true, true))}),
        ))
    }
}

/// Notes `order` for the history, passes the fault gate and returns the order's certificate
/// with the shape its chain is served in (the order's and this request's chain faults);
/// `not_found` while it is not issued.
async fn gated_chain<'o>(
    call: &mut Call<DigiCert>,
    order: &'o Order,
) -> Result<(&'o IssuedCert, ChainShape), Failure<DcError>> {
    call.about(&order.id);
    let fired = call.gate(Some(&order.common_name)).await?;
    let cert = order.cert.as_ref().ok_or_else(|| {
        DcError::not_found(
            "not_found|certificate",
            "The certificate has not been issued yet.",
        )
    })?;
    let mut shape = ChainShape::from_action(order.outcome.as_ref());
    shape.add(fired.as_ref().map(|f| &f.action));
    Ok((cert, shape))
}
