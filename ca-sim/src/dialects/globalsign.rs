//! GlobalSign GCC SOAP (partner-dialects.md §3.2, §8): SOAP 1.1 document/literal under
//! `/kb/ws/v1/ServerSSLService` (OVOrder, EVOrder, ModifyOrder) and `/kb/ws/v1/GASService`
//! (GetOrderByOrderID). Routing is on the body's first child element, never on SOAPAction.
//! Only the operation wrapper is namespace-qualified; errors are HTTP 200 with
//! `OrderResponseHeader/SuccessCode -1` and `Errors/Error`. `?wsdl` serves ca-sim's own WSDL
//! with `soap:address` pointing back at ca-sim.
//!
//! OVOrder/EVOrder may name their order (`OrderID` / `OrderId` right after
//! `OrderRequestParameter`); a duplicate is `-105`. ca-sim leniency: OVOrder's
//! `OrganizationInfo` and EVOrder's EV-only blocks are optional (CSR/account values are used).

use super::xml::{self, El};
use super::{gate, ConnKill, ReqMeta};
use crate::config::{Account, Dialect};
use crate::faults::{op, Facts, FaultAction, Fired};
use crate::orders::{clock, ChainShape, NewOrder, Order, OrderStatus, MAX_VALIDITY_DAYS};
use crate::App;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::json;
use shared::crypto;
use std::collections::HashMap;
use std::sync::Arc;

pub const NS: &str = "https://system.globalsign.com/kb/ws/v1/";
const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

type Kill = Option<Extension<ConnKill>>;

/// Longest client-chosen OrderID/OrderId ca-sim accepts.
const MAX_ORDER_ID_LEN: usize = 50;

/// Error codes used (GlobalSignErrorIndex).
pub mod code {
    pub const INVALID_PARAMETER: &str = "-101";
    pub const MISSING_PARAMETER: &str = "-102";
    pub const LENGTH: &str = "-103";
    pub const FORMAT: &str = "-104";
    pub const COMBINATION: &str = "-105";
    pub const DB_RETRY: &str = "-300";
    pub const LOGIN_FAILURE: &str = "-4001";
    pub const BALANCE: &str = "-6101";
    pub const ALREADY_CANCELLED: &str = "-9915";
    pub const ORDER_NOT_FOUND: &str = "-9916";
    pub const WEAK_KEY: &str = "-9936";
    pub const STATUS_CHANGED: &str = "-9938";
    pub const VALIDITY: &str = "-9949";
    pub const ECC_CURVE: &str = "-9961";
}

#[derive(Clone, Copy, PartialEq)]
enum Service {
    ServerSsl,
    Gas,
}

pub fn router() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/kb/ws/v1/ServerSSLService",
            get(|s, q, h, u| wsdl(s, q, h, u, Service::ServerSsl))
                .post(|s, k, h, b| soap(s, k, h, b, Service::ServerSsl)),
        )
        .route(
            "/kb/ws/v1/GASService",
            get(|s, q, h, u| wsdl(s, q, h, u, Service::Gas))
                .post(|s, k, h, b| soap(s, k, h, b, Service::Gas)),
        )
}

fn timestamp(ms: i64) -> String {
    let s = clock::rfc3339(ms);
    format!("{}+00:00", &s[..23])
}

fn envelope(body: El) -> String {
    xml::write(
        &El::new("soap:Envelope")
            .attr("xmlns:soap", SOAP_ENV)
            .child(El::new("soap:Body").child(body)),
    )
}

fn xml_response(meta: &ReqMeta, status: StatusCode, text: String) -> Response {
    let mut r = (
        status,
        [(http::header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        text,
    )
        .into_response();
    r.extensions_mut().insert(meta.clone());
    r
}

fn header(app: &App, errors: &[(&str, &str, &str)]) -> El {
    let mut h = El::new("OrderResponseHeader").child(El::text(
        "SuccessCode",
        if errors.is_empty() { "0" } else { "-1" },
    ));
    if !errors.is_empty() {
        let mut errs = El::new("Errors");
        for (c, field, msg) in errors {
            errs.push(
                El::new("Error")
                    .child(El::text("ErrorCode", *c))
                    .child(El::text("ErrorField", *field))
                    .child(El::text("ErrorMessage", *msg)),
            );
        }
        h.push(errs);
    }
    h.child(El::text("Timestamp", timestamp(app.clock.now_ms())))
}

/// `<ns2:{op}Response><Response><OrderResponseHeader/>{rest}</Response></ns2:...>`.
fn op_response(app: &App, op_name: &str, errors: &[(&str, &str, &str)], rest: Vec<El>) -> String {
    let mut resp = El::new("Response").child(header(app, errors));
    for r in rest {
        resp.push(r);
    }
    envelope(
        El::new(&format!("ns2:{op_name}Response"))
            .attr("xmlns:ns2", NS)
            .child(resp),
    )
}

fn gs_error(
    app: &App,
    meta: &mut ReqMeta,
    op_name: &str,
    code: &str,
    field: &str,
    msg: &str,
    order_id: Option<&str>,
) -> Response {
    meta.code = Some(code.to_string());
    let id_el = if op_name == "EVOrder" {
        "OrderId"
    } else {
        "OrderID"
    };
    let rest = order_id
        .map(|id| vec![El::text(id_el, id)])
        .unwrap_or_default();
    xml_response(
        meta,
        StatusCode::OK,
        op_response(app, op_name, &[(code, field, msg)], rest),
    )
}

fn soap_fault(meta: &mut ReqMeta, status: StatusCode, fault_code: &str, msg: &str) -> Response {
    meta.code = Some(format!("soap:{fault_code}"));
    let body = El::new("soap:Fault")
        .child(El::text("faultcode", format!("soap:{fault_code}")))
        .child(El::text("faultstring", msg));
    xml_response(meta, status, envelope(body))
}

fn render_fault(app: &App, meta: &mut ReqMeta, op_name: &str, f: &Fired) -> Option<Response> {
    match &f.action {
        FaultAction::VendorError { code, message, .. } => Some(gs_error(
            app,
            meta,
            op_name,
            code.as_deref().unwrap_or(code::DB_RETRY),
            "",
            message
                .as_deref()
                .unwrap_or("Database error occurred. Please retry."),
            None,
        )),
        FaultAction::RateLimit { retry_after } => {
            meta.code = Some("429".into());
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                [(http::header::CONTENT_TYPE, "text/plain")],
                "Too Many Requests",
            )
                .into_response();
            if let Some(s) = retry_after {
                r.headers_mut()
                    .insert(http::header::RETRY_AFTER, HeaderValue::from(*s));
            }
            r.extensions_mut().insert(meta.clone());
            Some(r)
        }
        FaultAction::ServerError { status } => {
            let status = status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .filter(|s| s.is_server_error())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some(soap_fault(meta, status, "Server", "Internal Server Error"))
        }
        FaultAction::Malformed => {
            meta.code = Some("malformed".into());
            let text = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{SOAP_ENV}\"><soap:Body><ns2:{op_name}Response xmlns:ns2=\"{NS}\"><Response><OrderResponseHeader><SuccessCode>0");
            Some(xml_response(meta, StatusCode::OK, text))
        }
        _ => None,
    }
}

async fn soap(
    State(app): State<Arc<App>>,
    kill: Kill,
    _headers: HeaderMap,
    body: Bytes,
    service: Service,
) -> Response {
    let mut meta = ReqMeta::new(Dialect::Globalsign, op::OTHER);
    let text = String::from_utf8_lossy(&body);
    let doc = match xml::parse(&text) {
        Ok(d) => d,
        Err(e) => {
            return soap_fault(
                &mut meta,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Client",
                &format!("Unmarshalling Error: {e}"),
            )
        }
    };
    let Some(op_el) = doc.get("Body").and_then(|b| b.children.first()) else {
        return soap_fault(
            &mut meta,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Client",
            "No SOAP Body",
        );
    };
    let op_name = op_el.name.clone();
    let known = match service {
        Service::ServerSsl => ["OVOrder", "EVOrder", "ModifyOrder"].contains(&op_name.as_str()),
        Service::Gas => op_name == "GetOrderByOrderID",
    };
    if !known {
        return soap_fault(
            &mut meta,
            StatusCode::INTERNAL_SERVER_ERROR,
            "Client",
            &format!("Cannot find dispatch method for {{{NS}}}{op_name}"),
        );
    }
    meta.operation = match op_name.as_str() {
        "GetOrderByOrderID" => op::POLL,
        "ModifyOrder" => match op_el
            .path_text(&["Request", "ModifyOrderOperation"])
            .unwrap_or_default()
            .to_ascii_uppercase()
            .as_str()
        {
            "REVOKE" => op::REVOKE,
            "APPROVE" => op::APPROVE,
            _ => op::CANCEL,
        },
        _ => op::ORDER,
    };
    let empty = El::default();
    let req = op_el.get("Request").unwrap_or(&empty);
    let header_name = if service == Service::Gas {
        "QueryRequestHeader"
    } else {
        "OrderRequestHeader"
    };
    let user = req
        .path_text(&[header_name, "AuthToken", "UserName"])
        .unwrap_or_default();
    let pass = req
        .path_text(&[header_name, "AuthToken", "Password"])
        .unwrap_or_default();
    let account = match app.account(Dialect::Globalsign, |a| a.id == user && a.secret == pass) {
        Some(a) if !a.disabled => a,
        _ => {
            return gs_error(
                &app,
                &mut meta,
                &op_name,
                code::LOGIN_FAILURE,
                "AuthToken",
                "Login failure: invalid UserName or Password",
                None,
            )
        }
    };
    meta.account = Some(account.id.clone());
    match op_name.as_str() {
        "OVOrder" | "EVOrder" => order(app, kill, meta, &op_name, req, account).await,
        "ModifyOrder" => modify(app, kill, meta, req, account).await,
        _ => get_order(app, kill, meta, req, account).await,
    }
}

async fn order(
    app: Arc<App>,
    kill: Kill,
    mut meta: ReqMeta,
    op_name: &str,
    req: &El,
    account: Account,
) -> Response {
    let ev = op_name == "EVOrder";
    let e = |meta: &mut ReqMeta, c: &str, f: &str, m: &str| {
        gs_error(&app, meta, op_name, c, f, m, None)
    };
    let Some(param) = req.get("OrderRequestParameter") else {
        return e(
            &mut meta,
            code::MISSING_PARAMETER,
            "OrderRequestParameter",
            "Mandatory parameter missing",
        );
    };
    let product = param.path_text(&["ProductCode"]).unwrap_or_default();
    let validation = match product.as_str() {
        "OV" | "OV_SHA2" => "OV",
        "EV" | "EV_SHA2" => "EV",
        "" => {
            return e(
                &mut meta,
                code::MISSING_PARAMETER,
                "ProductCode",
                "Mandatory parameter missing",
            )
        }
        _ => {
            return e(
                &mut meta,
                code::INVALID_PARAMETER,
                "ProductCode",
                "Invalid parameter: ProductCode (ca-sim offers OV_SHA2 and EV_SHA2)",
            )
        }
    };
    if (validation == "EV") != ev {
        return e(
            &mut meta,
            code::COMBINATION,
            "ProductCode",
            "Invalid combination: ProductCode does not match the operation",
        );
    }
    let kind = param.path_text(&["OrderKind"]).unwrap_or_default();
    if !["new", "renewal", "transfer"].contains(&kind.as_str()) {
        return e(
            &mut meta,
            if kind.is_empty() {
                code::MISSING_PARAMETER
            } else {
                code::INVALID_PARAMETER
            },
            "OrderKind",
            "OrderKind must be new, renewal or transfer",
        );
    }
    let Some(months) = param.path_text(&["ValidityPeriod", "Months"]) else {
        return e(
            &mut meta,
            code::MISSING_PARAMETER,
            "ValidityPeriod.Months",
            "Mandatory parameter missing",
        );
    };
    let Ok(months) = months.parse::<u32>() else {
        return e(
            &mut meta,
            code::FORMAT,
            "ValidityPeriod.Months",
            "Format error: Months must be a number",
        );
    };
    if months == 0 || months > 13 {
        return e(
            &mut meta,
            code::VALIDITY,
            "ValidityPeriod.Months",
            "The validity period exceeds the allowed maximum (13 months)",
        );
    }
    let Some(csr_text) = param.path_text(&["CSR"]) else {
        return e(
            &mut meta,
            code::MISSING_PARAMETER,
            "CSR",
            "Mandatory parameter missing",
        );
    };
    let Some(der) = super::digicert::csr_der(&csr_text) else {
        return e(
            &mut meta,
            code::FORMAT,
            "CSR",
            "Format error: the CSR cannot be decoded",
        );
    };
    let Ok(info) = crypto::parse_csr(&der) else {
        return e(
            &mut meta,
            code::FORMAT,
            "CSR",
            "Format error: the CSR cannot be parsed or its signature is invalid",
        );
    };
    match info.key_spec {
        Some(crypto::KeySpec::Rsa { bits }) if bits < 2048 => {
            return e(
                &mut meta,
                code::WEAK_KEY,
                "CSR",
                "The public key is too weak",
            )
        }
        Some(crypto::KeySpec::Ec {
            curve: shared::models::CurveName::P521,
        }) => {
            return e(
                &mut meta,
                code::ECC_CURVE,
                "CSR",
                "The ECC curve is not allowed",
            )
        }
        _ => {}
    }
    for f in ["FirstName", "LastName", "Phone", "Email"] {
        if req.path_text(&["ContactInfo", f]).is_none() {
            return e(
                &mut meta,
                code::MISSING_PARAMETER,
                &format!("ContactInfo.{f}"),
                "Mandatory parameter missing",
            );
        }
    }
    // The client-chosen order id (OVOrder `OrderID`, EVOrder `OrderId`; the other spelling is
    // an unknown element and ignored, as GlobalSign's unmarshaller would).
    let id_el = if ev { "OrderId" } else { "OrderID" };
    let wrong_id_el = if ev { "OrderID" } else { "OrderId" };
    if req.get(wrong_id_el).is_some() {
        tracing::warn!(
            operation = op_name,
            "{wrong_id_el} is not an element of {op_name} (it spells it {id_el}); ignored"
        );
    }
    let client_id = req.path_text(&[id_el]);
    if let Some(id) = &client_id {
        if id.len() > MAX_ORDER_ID_LEN {
            return e(
                &mut meta,
                code::LENGTH,
                id_el,
                &format!("Parameter length check error: {id_el} is at most {MAX_ORDER_ID_LEN} characters"),
            );
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return e(
                &mut meta,
                code::FORMAT,
                id_el,
                &format!(
                    "Parameter format check error: {id_el} may hold letters, digits, '-' and '_'"
                ),
            );
        }
        if app.orders.get(id).is_some() {
            return e(
                &mut meta,
                code::COMBINATION,
                id_el,
                &format!("Invalid parameter combination: {id_el} {id} is already in use"),
            );
        }
    }
    // Organization: OVOrder's OrganizationInfo, EVOrder's OrganizationInfoEV + requestor and
    // signer blocks. ca-sim leniency: all of them may be absent; the name then comes from the
    // CSR subject's O (else the account's first organization, else none) and the country
    // from the jurisdiction, the CSR's C, else US.
    let org_el = if ev {
        "OrganizationInfoEV"
    } else {
        "OrganizationInfo"
    };
    let csr_dn = crypto::parse_dn(&info.subject).ok();
    let csr_attr = |oid: &str| {
        csr_dn
            .as_ref()
            .and_then(|d| d.values_of(oid).next().map(str::to_string))
            .filter(|v| !v.trim().is_empty())
    };
    let org_name = req
        .path_text(&[org_el, "OrganizationName"])
        .or_else(|| req.path_text(&["RequestorInfo", "OrganizationName"]))
        .or_else(|| req.path_text(&["AuthorizedSignerInfo", "OrganizationName"]))
        .or_else(|| req.path_text(&["ApproverInfo", "OrganizationName"]))
        .or_else(|| csr_attr("2.5.4.10"))
        .or_else(|| account.organizations.first().map(|o| o.name.clone()));
    let country = req
        .path_text(&[org_el, "OrganizationAddress", "Country"])
        .or_else(|| req.path_text(&["JurisdictionInfo", "JurisdictionCountry"]))
        .or_else(|| csr_attr("2.5.4.6"))
        .unwrap_or_else(|| "US".into())
        .to_ascii_uppercase();
    // Names: the CN from the CSR, SANs from SANEntries (GlobalSign reads both).
    let cn = info
        .subject
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("CN=").map(str::to_string));
    let sans: Vec<String> = req
        .get("SANEntries")
        .map(|s| {
            s.all("SANEntry")
                .filter_map(|e| e.path_text(&["SubjectAltName"]))
                .collect()
        })
        .unwrap_or_default();
    let Some(cn) = cn.or_else(|| sans.first().cloned()) else {
        return e(
            &mut meta,
            code::MISSING_PARAMETER,
            "CSR",
            "The CSR has no common name and no SANEntries were given",
        );
    };
    let mut dns = vec![cn.clone()];
    for s in sans {
        if !dns.iter().any(|d| d.eq_ignore_ascii_case(&s)) {
            dns.push(s);
        }
    }
    let profile = match account.profile_for(&product) {
        Ok(p) => p,
        Err(m) => return e(&mut meta, code::DB_RETRY, "", &m),
    };
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Globalsign,
            operation: op::ORDER,
            account: Some(&account.id),
            common_name: Some(&cn),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&app, &mut meta, op_name, f) {
            return r;
        }
    }
    let contact = |f: &str| req.path_text(&["ContactInfo", f]).unwrap_or_default();
    let addr = |f: &str| {
        req.path_text(&[org_el, "OrganizationAddress", f])
            .or_else(|| match f {
                "City" => csr_attr("2.5.4.7"),
                "Region" => csr_attr("2.5.4.8"),
                "PostalCode" => csr_attr("2.5.4.17"),
                "Country" => Some(country.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let new = NewOrder {
        dialect: Dialect::Globalsign,
        account: account.id.clone(),
        product: product.clone(),
        validation: validation.into(),
        common_name: cn,
        dns_names: dns,
        organization_id: None,
        organization_name: org_name.clone(),
        country: Some(country.clone()).filter(|c| c.len() == 2),
        csr_pem: crypto::pem_encode("CERTIFICATE REQUEST", &der),
        validity_days: (months * 365 / 12).min(MAX_VALIDITY_DAYS),
        profile: profile.clone(),
        awaiting_validation: false,
        outcome: fired
            .filter(|f| f.action.is_order_outcome())
            .map(|f| (f.rule, f.action)),
        extra: json!({
            "orderKind": kind, "licenses": param.path_text(&["Licenses"]).unwrap_or_else(|| "1".into()), "months": months,
            "contact": {"FirstName": contact("FirstName"), "LastName": contact("LastName"), "Phone": contact("Phone"), "Email": contact("Email")},
            "organization": {"OrganizationName": org_name.unwrap_or_default(), "AddressLine1": addr("AddressLine1"), "City": addr("City"), "Region": addr("Region"), "PostalCode": addr("PostalCode"), "Country": addr("Country"), "Phone": addr("Phone")},
        }),
    };
    let created = match client_id {
        Some(id) => app.orders.create_with_id(new, id),
        None => app
            .orders
            .create(new, |seq, now| {
                format!(
                    "CE{:04}{:02}{:02}{:06}",
                    now.year(),
                    now.month() as u8,
                    now.day(),
                    seq
                )
            })
            .map(Some),
    };
    let order = match created {
        Ok(Some(o)) => o,
        Ok(None) => {
            // Taken between the check above and the insert (a concurrent duplicate).
            return e(
                &mut meta,
                code::COMBINATION,
                id_el,
                &format!("Invalid parameter combination: {id_el} is already in use"),
            );
        }
        Err(err) => {
            tracing::error!(error = %err, "globalsign order failed");
            return e(
                &mut meta,
                code::DB_RETRY,
                "",
                "Database error occurred. Please retry.",
            );
        }
    };
    meta.order_id = Some(order.id.clone());
    if profile.is_instant() {
        let book = app.orders.clone();
        let id = order.id.clone();
        let _ = tokio::task::spawn_blocking(move || book.complete_now(&id)).await;
    }
    xml_response(
        &meta,
        StatusCode::OK,
        op_response(&app, op_name, &[], vec![El::text(id_el, &order.id)]),
    )
}

fn find(app: &App, account: &Account, id: &str) -> Option<Order> {
    app.orders
        .get(id)
        .filter(|o| o.dialect == Dialect::Globalsign && o.account == account.id)
}

async fn modify(
    app: Arc<App>,
    kill: Kill,
    mut meta: ReqMeta,
    req: &El,
    account: Account,
) -> Response {
    let op_name = "ModifyOrder";
    let Some(id) = req.path_text(&["OrderID"]) else {
        return gs_error(
            &app,
            &mut meta,
            op_name,
            code::MISSING_PARAMETER,
            "OrderID",
            "Mandatory parameter missing",
            None,
        );
    };
    meta.order_id = Some(id.clone());
    let Some(order) = find(&app, &account, &id) else {
        return gs_error(
            &app,
            &mut meta,
            op_name,
            code::ORDER_NOT_FOUND,
            "OrderID",
            "The order was not found",
            Some(&id),
        );
    };
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Globalsign,
            operation: meta.operation,
            account: Some(&account.id),
            common_name: Some(&order.common_name),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&app, &mut meta, op_name, f) {
            return r;
        }
    }
    let operation = req
        .path_text(&["ModifyOrderOperation"])
        .unwrap_or_default()
        .to_ascii_uppercase();
    let result = match operation.as_str() {
        "CANCEL" => app.orders.cancel(&id, Some("ModifyOrder CANCEL".into())),
        "REVOKE" => app.orders.revoke(&id, "unspecified".into()),
        "APPROVE" => app.orders.approve(&id),
        "" => {
            return gs_error(
                &app,
                &mut meta,
                op_name,
                code::MISSING_PARAMETER,
                "ModifyOrderOperation",
                "Mandatory parameter missing",
                Some(&id),
            )
        }
        _ => {
            return gs_error(
                &app,
                &mut meta,
                op_name,
                code::INVALID_PARAMETER,
                "ModifyOrderOperation",
                "ModifyOrderOperation must be APPROVE, CANCEL or REVOKE",
                Some(&id),
            )
        }
    };
    match result {
        Ok(Ok(_)) => xml_response(
            &meta,
            StatusCode::OK,
            op_response(&app, op_name, &[], vec![El::text("OrderID", &id)]),
        ),
        Ok(Err(OrderStatus::Canceled)) if operation == "CANCEL" => gs_error(
            &app,
            &mut meta,
            op_name,
            code::ALREADY_CANCELLED,
            "OrderID",
            "The order has already been cancelled",
            Some(&id),
        ),
        Ok(Err(_)) => gs_error(
            &app,
            &mut meta,
            op_name,
            code::STATUS_CHANGED,
            "OrderID",
            "The order status has already been changed",
            Some(&id),
        ),
        Err(err) => {
            tracing::error!(error = %err, "globalsign modify failed");
            gs_error(
                &app,
                &mut meta,
                op_name,
                code::DB_RETRY,
                "",
                "Database error occurred. Please retry.",
                Some(&id),
            )
        }
    }
}

/// GlobalSign numeric order status.
pub fn order_status(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::Pending => "2",
        OrderStatus::NeedsApproval => "8",
        OrderStatus::Issued => "4",
        OrderStatus::Canceled => "3",
        OrderStatus::Rejected => "10",
        OrderStatus::Revoked => "7",
    }
}

async fn get_order(
    app: Arc<App>,
    kill: Kill,
    mut meta: ReqMeta,
    req: &El,
    account: Account,
) -> Response {
    let op_name = "GetOrderByOrderID";
    let Some(id) = req.path_text(&["OrderID"]) else {
        return gs_error(
            &app,
            &mut meta,
            op_name,
            code::MISSING_PARAMETER,
            "OrderID",
            "Mandatory parameter missing",
            None,
        );
    };
    meta.order_id = Some(id.clone());
    let Some(mut order) = find(&app, &account, &id) else {
        return gs_error(
            &app,
            &mut meta,
            op_name,
            code::ORDER_NOT_FOUND,
            "OrderID",
            "The order was not found",
            Some(&id),
        );
    };
    let fired = gate(
        &app,
        Facts {
            dialect: Dialect::Globalsign,
            operation: op::POLL,
            account: Some(&account.id),
            common_name: Some(&order.common_name),
        },
        kill.as_ref().map(|k| &k.0),
        &mut meta,
    )
    .await;
    if let Some(f) = &fired {
        if let Some(r) = render_fault(&app, &mut meta, op_name, f) {
            return r;
        }
        let r =
            match &f.action {
                FaultAction::Reject { reason } => Some(app.orders.reject(
                    &id,
                    reason.clone().unwrap_or_else(|| {
                        crate::orders::default_reject_reason(Dialect::Globalsign)
                    }),
                )),
                FaultAction::Cancel { reason } => Some(
                    app.orders.cancel_by_ca(
                        &id,
                        reason
                            .clone()
                            .unwrap_or_else(|| "Cancelled by GlobalSign".into()),
                    ),
                ),
                _ => None,
            };
        if let Some(Ok(Ok(o))) = r {
            order = o;
        }
    }
    let flag = |name: &str| {
        req.path_text(&["OrderQueryOption", name])
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    };
    let x = &order.extra;
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let mut validity = El::new("ValidityPeriod").child(El::text(
        "Months",
        x["months"].as_u64().unwrap_or(12).to_string(),
    ));
    if let Some(c) = &order.cert {
        validity.push(El::text("NotBefore", timestamp(c.not_before_ms)));
        validity.push(El::text("NotAfter", timestamp(c.not_after_ms)));
    }
    let mut info = El::new("OrderInfo")
        .child(El::text("OrderId", &order.id))
        .child(El::text("ProductCode", &order.product))
        .child(El::text("OrderKind", s(&x["orderKind"])))
        .child(El::text("Licenses", s(&x["licenses"])))
        .child(El::text("DomainName", &order.common_name))
        .child(El::text("OrderDate", timestamp(order.created_ms)));
    if let Some(c) = &order.cert {
        info.push(El::text("OrderCompleteDate", timestamp(c.not_before_ms)));
    }
    if matches!(order.status, OrderStatus::Canceled | OrderStatus::Rejected) {
        info.push(El::text("OrderCanceledDate", timestamp(order.updated_ms)));
    }
    info = info
        .child(El::text("OrderStatus", order_status(&order)))
        .child(El::text("Price", "0.00"))
        .child(El::text("Currency", "USD"))
        .child(validity);
    if let Some(reason) = &order.status_reason {
        info.push(El::text("SpecialInstructions", reason));
    }
    let mut detail = El::new("OrderDetail").child(info).child(
        El::new("OrderSubInfo")
            .child(El::text("CSRSkipOrderFlag", "false"))
            .child(El::text("DNSOrderFlag", "false"))
            .child(El::text("TrustedOrderFlag", "false"))
            .child(El::text("P12DeleteStatus", "false"))
            .child(El::text("SubId", "0")),
    );
    if flag("ReturnOrderOption") {
        let org = &x["organization"];
        let contact = &x["contact"];
        detail.push(
            El::new("OrderOption")
                .child(
                    El::new("OrganizationInfo")
                        .child(El::text("OrganizationName", s(&org["OrganizationName"])))
                        .child(
                            El::new("OrganizationAddress")
                                .child(El::text("AddressLine1", s(&org["AddressLine1"])))
                                .child(El::text("City", s(&org["City"])))
                                .child(El::text("Region", s(&org["Region"])))
                                .child(El::text("PostalCode", s(&org["PostalCode"])))
                                .child(El::text("Country", s(&org["Country"])))
                                .child(El::text("Phone", s(&org["Phone"]))),
                        ),
                )
                .child(
                    El::new("ContactInfo")
                        .child(El::text("FirstName", s(&contact["FirstName"])))
                        .child(El::text("LastName", s(&contact["LastName"])))
                        .child(El::text("Phone", s(&contact["Phone"])))
                        .child(El::text("Email", s(&contact["Email"]))),
                ),
        );
    }
    if let Some(c) = &order.cert {
        if flag("ReturnCertificateInfo") {
            detail.push(
                El::new("CertificateInfo")
                    .child(El::text(
                        "CertificateStatus",
                        if order.status == OrderStatus::Revoked {
                            "7"
                        } else {
                            "4"
                        },
                    ))
                    .child(El::text("StartDate", timestamp(c.not_before_ms)))
                    .child(El::text("EndDate", timestamp(c.not_after_ms)))
                    .child(El::text("CommonName", &order.common_name))
                    .child(El::text("SerialNumber", &c.serial_hex))
                    .child(El::text("SubjectName", &c.subject))
                    .child(El::text("DNSNames", order.dns_names.join(","))),
            );
        }
        if flag("ReturnFulfillment") {
            let mut shape = ChainShape::from_action(order.outcome.as_ref());
            shape.add(fired.as_ref().map(|f| &f.action));
            let mut ful = El::new("Fulfillment");
            if flag("ReturnCACerts") {
                let mut cas = El::new("CACertificates");
                let pems = shape.pems(c, false, true);
                for p in &pems {
                    let kind = if p.replace("\r\n", "\n") == c.root {
                        "ROOT"
                    } else {
                        "INTER"
                    };
                    cas.push(
                        El::new("CACertificate")
                            .child(El::text("CACertType", kind))
                            .child(El::text("CACert", p)),
                    );
                }
                ful.push(cas);
            }
            let leaf = if shape.crlf {
                crate::orders::crlf(&c.pem)
            } else {
                c.pem.clone()
            };
            let ders: Vec<Vec<u8>> = std::iter::once(c.pem.clone())
                .chain(c.intermediates.iter().cloned())
                .flat_map(|p| crypto::pem_blocks(&p).into_iter().map(|(_, d)| d))
                .collect();
            let p7 = crypto::pem_encode("PKCS7", &crate::ca::der::pkcs7_certs_only(&ders));
            ful.push(
                El::new("ServerCertificate")
                    .child(El::text("X509Cert", leaf))
                    .child(El::text("PKCS7Cert", p7)),
            );
            detail.push(ful);
        }
    }
    let mut events = El::new("ModificationEvents");
    for ev in &order.timeline {
        events.push(
            El::new("ModificationEvent")
                .child(El::text(
                    "ModificationEventName",
                    ev.event.to_ascii_uppercase(),
                ))
                .child(El::text("ModificationEventTimestamp", timestamp(ev.at_ms))),
        );
    }
    detail.push(events);
    xml_response(
        &meta,
        StatusCode::OK,
        op_response(&app, op_name, &[], vec![El::text("OrderID", &id), detail]),
    )
}

async fn wsdl(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    uri: Uri,
    service: Service,
) -> Response {
    if !q.contains_key("wsdl") && !q.contains_key("WSDL") {
        return (StatusCode::OK, [(http::header::CONTENT_TYPE, "text/plain")], "GlobalSign GCC SOAP endpoint (ca-sim). POST SOAP 1.1 envelopes here; the WSDL is at ?wsdl.\n").into_response();
    }
    let base = uri
        .authority()
        .map(|a| format!("https://{a}"))
        .unwrap_or_else(|| super::base_from_headers(&app, &headers));
    let (name, path) = match service {
        Service::ServerSsl => ("ServerSSLService", "/kb/ws/v1/ServerSSLService"),
        Service::Gas => ("GASService", "/kb/ws/v1/GASService"),
    };
    let text = super::globalsign_wsdl::wsdl(name, &format!("{base}{path}"));
    (
        StatusCode::OK,
        [(http::header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        text,
    )
        .into_response()
}
