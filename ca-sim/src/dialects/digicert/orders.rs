//! DigiCert orders: `POST order/certificate/{product}` ([`Create`]), `GET
//! order/certificate/{id}` ([`Get`]) and `PUT order/certificate/{id}/status` ([`Cancel`]).

use super::{
    chain_entries, dc_date, dc_datetime, find_order, json_reply, lenient_json, num,
    request_status_of, status_word, validity_days, DcError, DigiCert, CERT_BASE, ORDER_BASE,
    PRODUCTS, REQUEST_BASE, REVOKE_REQUEST_BASE,
};
use crate::app::App;
use crate::dialects::chain::ChainShape;
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::dialects::csr::csr_der;
use crate::dialects::names::uncertifiable;
use crate::domain::{op, Dialect, NewOrder, Order, OrderStatus};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{json, Value};
use shared::crypto;

/// `POST order/certificate/{product}`: a new order; under `instant` with `skip_approval` for a
/// validated organization it is issued in the 201 itself.
pub struct Create {
    product: String,
    body: Value,
}

impl Operation<DigiCert> for Create {
    const NAME: &'static str = op::ORDER;
    const SUCCESS: StatusCode = StatusCode::CREATED;

    fn parse(call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        Ok(Self {
            body: lenient_json(&call.req.body)?,
            product: call.req.param("id").to_string(),
        })
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        let Self { product, body } = self;
        let Some((product_id, validation, _)) = PRODUCTS.iter().find(|(p, _, _)| *p == product)
        else {
            return Err(DcError::not_found(
                "not_found|product",
                format!("Product '{product}' was not found."),
            )
            .into());
        };
        let cert = &body["certificate"];
        let common_name = cert["common_name"].as_str().map(str::trim).unwrap_or("");
        if common_name.is_empty() {
            return Err(DcError::bad_request(
                "bad_request_format",
                "certificate.common_name is required.",
            )
            .into());
        }
        let org_id = num(&body["organization"]["id"]).ok_or_else(|| {
            DcError::bad_request("bad_request_format", "organization.id is required.")
        })?;
        let org = call
            .account
            .organizations
            .iter()
            .find(|o| o.id == org_id)
            .cloned()
            .ok_or_else(|| {
                DcError::not_found(
                    "not_found|organization",
                    format!("Organization {org_id} was not found."),
                )
            })?;
        let der = csr_der(cert["csr"].as_str().unwrap_or("")).ok_or_else(|| {
            DcError::bad_request("csr_invalid_cannot_parse", "The CSR could not be parsed.")
        })?;
        if crypto::parse_csr(&der).is_err() {
            return Err(DcError::bad_request(
                "csr_invalid_cannot_parse",
                "The CSR could not be parsed or its signature is invalid.",
            )
            .into());
        }
        if let Some(h) = cert["signature_hash"].as_str() {
            if !["sha256", "sha384", "sha512"].contains(&h) {
                return Err(DcError::bad_request(
                    "bad_request_format",
                    "signature_hash must be sha256, sha384 or sha512.",
                )
                .into());
            }
        }
        // `disable_ct` opts the certificate out of Certificate Transparency logging; kept on the
        // order (`extra.disable_ct`, shown by `/admin/orders` and `GET order/certificate/{id}`).
        let disable_ct = match &body["disable_ct"] {
            Value::Null => false,
            Value::Bool(b) => *b,
            _ => {
                return Err(DcError::bad_request(
                    "bad_request_format",
                    "disable_ct must be a boolean.",
                )
                .into())
            }
        };
        let days = validity_days(&body, call.app.clock.now())?;
        let profile = call
            .account
            .profile_for(product_id)
            .map_err(|e| DcError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", e))?;
        let fired = call.gate(Some(common_name)).await?;
        let mut dns_names: Vec<String> = vec![common_name.to_string()];
        if let Some(list) = cert["dns_names"].as_array() {
            for n in list.iter().filter_map(Value::as_str) {
                if !dns_names.iter().any(|d| d.eq_ignore_ascii_case(n)) {
                    dns_names.push(n.to_string());
                }
            }
        }
        if let Some(bad) = uncertifiable(&dns_names) {
            return Err(DcError::bad_request(
                "invalid_dns_name",
                format!("'{bad}' is not a valid domain name."),
            )
            .into());
        }
        let skip_approval = body["skip_approval"].as_bool().unwrap_or(false);
        let new = NewOrder {
            dialect: Dialect::Digicert,
            account: call.account.id.clone(),
            product: product_id.to_string(),
            validation: validation.to_string(),
            common_name: common_name.to_string(),
            dns_names,
            organization_id: Some(org.id),
            organization_name: Some(org.name.clone()),
            country: Some("US".into()),
            csr_pem: crypto::pem_encode("CERTIFICATE REQUEST", &der),
            validity_days: days,
            profile: profile.clone(),
            awaiting_validation: !org.validated,
            outcome: fired
                .filter(|f| f.action.is_order_outcome())
                .map(|f| (f.rule, f.action)),
            extra: json!({
                "signature_hash": cert["signature_hash"].as_str().unwrap_or("sha256"),
                "server_platform": cert["server_platform"].clone(),
                "payment_method": body["payment_method"].as_str().unwrap_or("balance"),
                "dcv_method": body["dcv_method"].as_str().unwrap_or("email"),
                "skip_approval": skip_approval,
                "disable_ct": disable_ct,
                "comments": body["comments"].clone(),
                "organization_units": cert["organization_units"].clone(),
            }),
        };
        let mut order = call
            .app
            .orders
            .create(new, |seq, _| (ORDER_BASE + seq).to_string())
            .map_err(DcError::internal)?;
        call.about(&order.id);
        if profile.is_instant() && skip_approval && org.validated && order.status.is_open() {
            order = call
                .app
                .orders
                .issue_now(&order.id)
                .await
                .map_err(DcError::internal)?;
        }
        let seq = order.seq;
        let mut v = json!({
            "id": ORDER_BASE + seq,
            "requests": [{"id": REQUEST_BASE + seq, "status": request_status_of(&order)}],
        });
        if let (OrderStatus::Issued, Some(c)) = (order.status, &order.cert) {
            v["certificate_id"] = json!(CERT_BASE + seq);
            let shape = ChainShape::from_action(order.outcome.as_ref());
            v["certificate_chain"] = json!(chain_entries(&shape.pems(c, true, true)));
        }
        Ok(json_reply(StatusCode::CREATED, v))
    }
}

/// `GET order/certificate/{id}` (id, thumbprint or serial; `?include_caa_status=true`): the
/// order, after any reject or cancel fault that fires on the poll.
pub struct Get {
    id: String,
    include_caa: bool,
}

impl Operation<DigiCert> for Get {
    const NAME: &'static str = op::POLL;

    fn parse(call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        let id = call.req.param("id").to_string();
        call.about(&id);
        let include_caa = call
            .req
            .query
            .get("include_caa_status")
            .is_some_and(|v| v == "true" || v == "1");
        Ok(Self { id, include_caa })
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        let order = find_order(call, &self.id).ok_or_else(|| DcError::order_not_found(&self.id))?;
        let fired = call.gate(Some(&order.common_name)).await?;
        let order = call.poll_outcome(order, fired.as_ref());
        Ok(json_reply(
            StatusCode::OK,
            order_json(&call.app, &order, self.include_caa),
        ))
    }
}

/// `PUT order/certificate/{id}/status` with `{"status":"canceled"}`: the customer cancels an
/// open order.
pub struct Cancel {
    id: String,
    body: Value,
}

impl Operation<DigiCert> for Cancel {
    const NAME: &'static str = op::CANCEL;
    const SUCCESS: StatusCode = StatusCode::NO_CONTENT;

    fn parse(call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        let id = call.req.param("id").to_string();
        call.about(&id);
        Ok(Self {
            body: lenient_json(&call.req.body)?,
            id,
        })
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        let order = find_order(call, &self.id).ok_or_else(|| DcError::order_not_found(&self.id))?;
        call.gate(Some(&order.common_name)).await?;
        let status = self.body["status"].as_str().unwrap_or("");
        if status != "canceled" {
            return Err(DcError::bad_request(
                "invalid_status",
                format!("Status '{status}' is not supported; use 'canceled' (case-sensitive)."),
            )
            .into());
        }
        let note = self.body["note"].as_str().map(str::to_string);
        match call.app.orders.cancel(&order.id, note) {
            Ok(Ok(_)) => Ok(StatusCode::NO_CONTENT.into_response()),
            Ok(Err(current)) => Err(DcError::bad_request(
                "invalid_order_status",
                format!(
                    "Order status cannot be changed from {} to canceled.",
                    status_word(current)
                ),
            )
            .into()),
            Err(e) => Err(DcError::internal(e).into()),
        }
    }
}

/// The order as `GET order/certificate/{id}` shows it.
fn order_json(app: &App, o: &Order, include_caa: bool) -> Value {
    let product = PRODUCTS.iter().find(|(p, _, _)| *p == o.product);
    let csr_info = crypto::pem_blocks(&o.csr_pem)
        .into_iter()
        .next()
        .and_then(|(_, d)| crypto::parse_csr(&d).ok());
    let key_size = match csr_info.as_ref().and_then(|i| i.key_spec) {
        Some(crypto::KeySpec::Rsa { bits }) => json!(bits),
        Some(crypto::KeySpec::Ec { curve }) => json!(match curve {
            shared::models::CurveName::P384 => 384,
            shared::models::CurveName::P521 => 521,
            _ => 256,
        }),
        None => Value::Null,
    };
    let h = app.ca.get(Dialect::Digicert).ok();
    let mut certificate = json!({
        "common_name": o.common_name,
        "dns_names": o.dns_names,
        "date_created": dc_datetime(o.created_ms),
        "csr": o.csr_pem,
        "organization": {"id": o.organization_id},
        "server_platform": if o.extra["server_platform"].is_null() { json!({"id": -1, "name": "OTHER", "install_url": "", "csr_url": ""}) } else { o.extra["server_platform"].clone() },
        "signature_hash": o.extra["signature_hash"].as_str().unwrap_or("sha256"),
        "key_size": key_size,
        "ca_cert": {"id": h.map(|h| h.issuing().id.clone()), "name": h.map(|h| h.issuing().common_name.clone())},
        "cert_validity": {"days": o.validity_days},
    });
    if let Some(c) = &o.cert {
        certificate["id"] = json!(CERT_BASE + o.seq);
        certificate["thumbprint"] = json!(c.thumbprint);
        certificate["serial_number"] = json!(c.serial_hex);
        certificate["valid_from"] = json!(dc_date(c.not_before_ms));
        certificate["valid_till"] = json!(dc_date(c.not_after_ms));
        certificate["date_issued"] = json!(dc_datetime(c.not_before_ms));
        let days_remaining = ((c.not_after_ms - app.clock.now_ms()) / 86_400_000).max(0);
        certificate["days_remaining"] = json!(days_remaining);
    }
    let mut requests = vec![json!({
        "id": REQUEST_BASE + o.seq,
        "date": dc_datetime(o.created_ms),
        "type": "new_request",
        "status": request_status_of(o),
        "comments": o.extra["comments"].as_str().unwrap_or(""),
        "processor_comment": o.status_reason.clone().unwrap_or_default(),
    })];
    if let Some(r) = &o.revoke_request {
        requests.push(json!({
            "id": REVOKE_REQUEST_BASE + o.seq,
            "date": dc_datetime(r.created_ms),
            "type": "revoke",
            "status": r.status,
            "comments": r.comments,
        }));
    }
    let mut v = json!({
        "id": ORDER_BASE + o.seq,
        "certificate": certificate,
        "status": status_word(o.status),
        "is_renewal": false,
        "date_created": dc_datetime(o.created_ms),
        "organization": {"id": o.organization_id, "name": o.organization_name, "display_name": o.organization_name},
        "order_valid_till": dc_date(o.created_ms + o.validity_days as i64 * 86_400_000),
        "disable_renewal_notifications": false,
        "container": {"id": 1, "name": "ca-sim"},
        "product": {
            "name_id": o.product,
            "name": product.map(|p| p.2).unwrap_or(""),
            "type": "ssl_certificate",
            "validation_type": o.validation.to_ascii_lowercase(),
            "validation_name": o.validation,
            "validation_description": if o.validation == "EV" { "Extended Validation" } else { "Normal Organization Validation" },
        },
        "requests": requests,
        "payment_method": o.extra["payment_method"].as_str().unwrap_or("balance"),
        "product_name_id": o.product,
        "dcv_method": o.extra["dcv_method"].as_str().unwrap_or("email"),
        "custom_fields": [],
        "disable_ct": o.extra["disable_ct"].as_bool().unwrap_or(false),
        "allow_duplicates": false,
    });
    if o.status.is_open() && include_caa {
        let caa: serde_json::Map<String, Value> = o
            .dns_names
            .iter()
            .map(|d| (d.clone(), json!("CAA check is not called yet")))
            .collect();
        v["caa_status_message"] = Value::Object(caa);
    }
    if let Some(reason) = &o.status_reason {
        v["notes"] = json!(reason);
    }
    v
}
