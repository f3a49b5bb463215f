//! The one route table of ca-sim: every path it answers, read top to bottom, and the one
//! middleware around them ([`record`]: request log, metrics, request history with the masked
//! bodies, the live feed's fault counters).
//!
//! Vendor routes name an operation type; [`handle`] runs it through the dialect contract
//! (`dialects::contract`). GlobalSign is the exception the vendor imposes: both SOAP endpoints
//! take any operation of their service, chosen from the body's first element by the one
//! dispatcher, `dialects::globalsign::dispatch`.

use crate::admin;
use crate::admin_events;
use crate::app::App;
use crate::dialects::acme::{
    account as acme_account, admin as acme_admin, authz as acme_authz, certificate as acme_cert,
    directory as acme_dir, order as acme_order, vendor as acme,
};
use crate::dialects::contract::handle;
use crate::dialects::digicert::{
    self, account as dc_account, certificates as dc_certificates, list as dc_list,
    orders as dc_orders, requests as dc_requests, window as dc_window, DigiCert,
};
use crate::dialects::gate::ConnKill;
use crate::dialects::globalsign::{dispatch as gs_dispatch, wsdl as gs_wsdl};
use crate::dialects::wosign::{self, orders as ws_orders, WoSign};
use crate::history::{Entry, Exchange, ReqMeta, BODY_LIMIT};
use crate::mask;
use crate::ui;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{any, get, post, put};
use axum::Router;
use hyper::body::Body as _;
use std::sync::Arc;
use std::time::Instant;

/// Every route ca-sim serves.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        // DigiCert CertCentral Services API v2: orders.
        .route(
            "/services/v2/order/certificate",
            get(handle::<DigiCert, dc_list::ListOrders>),
        )
        .route(
            "/services/v2/order/certificate/status-changes",
            get(handle::<DigiCert, dc_window::StatusChanges>),
        )
        .route(
            "/services/v2/order/certificate/{id}",
            post(handle::<DigiCert, dc_orders::Create>).get(handle::<DigiCert, dc_orders::Get>),
        )
        .route(
            "/services/v2/order/certificate/{id}/status",
            put(handle::<DigiCert, dc_orders::Cancel>),
        )
        // DigiCert: certificates.
        .route(
            "/services/v2/order/certificate/{id}/revoke",
            put(handle::<DigiCert, dc_certificates::RevokeOrder>),
        )
        .route(
            "/services/v2/certificate/{id}/revoke",
            put(handle::<DigiCert, dc_certificates::RevokeCertificate>),
        )
        .route(
            "/services/v2/certificate/{id}/download/format/{format}",
            get(handle::<DigiCert, dc_certificates::DownloadByCertificate>),
        )
        .route(
            "/services/v2/certificate/download/order/{id}/format/{format}",
            get(handle::<DigiCert, dc_certificates::DownloadByOrder>),
        )
        .route(
            "/services/v2/certificate/{id}/chain",
            get(handle::<DigiCert, dc_certificates::Chain>),
        )
        // DigiCert: requests, user, organizations; anything else is `not_found|route`.
        .route(
            "/services/v2/request/{id}/status",
            put(handle::<DigiCert, dc_requests::UpdateStatus>),
        )
        .route(
            "/services/v2/user/me",
            get(handle::<DigiCert, dc_account::UserMe>),
        )
        .route(
            "/services/v2/organization",
            get(handle::<DigiCert, dc_account::Organizations>),
        )
        .route(
            "/services/v2/organization/{id}",
            get(handle::<DigiCert, dc_account::OrganizationById>),
        )
        .route("/services/v2/{*rest}", any(digicert::no_route))
        .route("/services/v2", any(digicert::no_route))
        // GlobalSign GCC SOAP: POST an envelope (the operation is chosen from the body by
        // `globalsign::dispatch`); GET serves the WSDL at `?wsdl`.
        //   ServerSSLService: OVOrder, EVOrder, ModifyOrder.
        //   GASService: GetOrderByOrderID.
        .route(
            "/kb/ws/v1/ServerSSLService",
            get(gs_wsdl::server_ssl).post(gs_dispatch::server_ssl),
        )
        .route(
            "/kb/ws/v1/GASService",
            get(gs_wsdl::gas).post(gs_dispatch::gas),
        )
        // WoSign (HMAC-signed JSON); anything else under /api/v1 is a JSON 404.
        .route(
            "/api/v1/orders",
            post(handle::<WoSign, ws_orders::Create>).get(handle::<WoSign, ws_orders::List>),
        )
        .route("/api/v1/orders/{id}", get(handle::<WoSign, ws_orders::Get>))
        .route(
            "/api/v1/orders/{id}/certificate",
            get(handle::<WoSign, ws_orders::Certificate>),
        )
        .route(
            "/api/v1/orders/{id}/cancel",
            post(handle::<WoSign, ws_orders::Cancel>),
        )
        .route(
            "/api/v1/orders/{id}/revoke",
            post(handle::<WoSign, ws_orders::Revoke>),
        )
        .route("/api/v1/{*rest}", any(wosign::no_route))
        // ACME (RFC 8555): the directory names every other URL; all but the directory and
        // renewalInfo are JWS POSTs run through the contract.
        .route("/acme/directory", get(acme_dir::directory))
        .route(
            "/acme/new-nonce",
            get(acme::handle::<acme_dir::NewNonce>).head(acme::handle::<acme_dir::NewNonce>),
        )
        .route(
            "/acme/new-account",
            post(acme::handle::<acme_account::NewAccount>),
        )
        .route(
            "/acme/acct/{id}",
            post(acme::handle::<acme_account::AccountOp>),
        )
        .route(
            "/acme/key-change",
            post(acme::handle::<acme_account::KeyChange>),
        )
        .route(
            "/acme/acct/{id}/orders",
            post(acme::handle::<acme_account::OrdersList>),
        )
        .route(
            "/acme/new-order",
            post(acme::handle::<acme_order::NewOrderOp>),
        )
        .route(
            "/acme/order/{id}",
            post(acme::handle::<acme_order::GetOrder>),
        )
        .route(
            "/acme/order/{id}/finalize",
            post(acme::handle::<acme_order::Finalize>),
        )
        .route(
            "/acme/authz/{id}",
            post(acme::handle::<acme_authz::GetAuthz>),
        )
        .route(
            "/acme/chall/{authz}/{kind}",
            post(acme::handle::<acme_authz::ChallengeOp>),
        )
        .route(
            "/acme/cert/{id}",
            post(acme::handle::<acme_cert::Certificate>),
        )
        .route(
            "/acme/cert/{id}/{n}",
            post(acme::handle::<acme_cert::Certificate>),
        )
        .route(
            "/acme/revoke-cert",
            post(acme::handle::<acme_cert::RevokeCert>),
        )
        .route("/acme/renewal-info/{id}", get(acme_cert::renewal_info))
        .route("/acme/{*rest}", any(acme::no_route))
        .route("/admin/acme/root.pem", get(acme_admin::root_pem))
        .route("/admin/acme/roots/{n}", get(acme_admin::roots))
        .route("/admin/acme/root-keys/{n}", get(acme_admin::root_keys))
        .route(
            "/admin/acme/intermediates/{n}",
            get(acme_admin::intermediates),
        )
        .route(
            "/admin/acme/intermediate-keys/{n}",
            get(acme_admin::intermediate_keys),
        )
        .route(
            "/admin/acme/cert-status-by-serial/{serial}",
            get(acme_admin::cert_status),
        )
        .route("/admin/acme/accounts", get(acme_admin::accounts))
        .route("/admin/acme/orders", get(acme_admin::orders))
        // Admin API (no vendor auth) and metrics.
        .route("/admin/health", get(admin::health))
        .route("/metrics", get(admin::metrics))
        .route("/admin/ca.pem", get(admin::ca_pem))
        .route("/admin/roots", get(admin::roots))
        .route("/admin/orders", get(admin::orders))
        .route("/admin/orders/{id}", get(admin::order))
        .route("/admin/orders/{id}/{action}", post(admin::order_action))
        .route(
            "/admin/faults",
            get(admin::faults_get)
                .put(admin::faults_put)
                .post(admin::faults_post)
                .delete(admin::faults_delete),
        )
        .route(
            "/admin/faults/{name}",
            put(admin::fault_put).delete(admin::fault_delete),
        )
        .route(
            "/admin/requests",
            get(admin::requests).delete(admin::requests_clear),
        )
        .route("/admin/requests/{seq}", get(admin::request_detail))
        // The dashboard: its page (compiled in) and its live feed.
        .route("/admin/ui", get(ui::redirect))
        .route("/admin/ui/", get(ui::index))
        .route("/admin/ui/{file}", get(ui::file))
        .route("/admin/events", get(admin_events::events))
        .route(
            "/admin/clock",
            get(admin::clock_get).post(admin::clock_advance),
        )
        .route(
            "/admin/accounts",
            get(admin::accounts).put(admin::account_put),
        )
        .route("/admin/cert-status/{serial}", get(admin::cert_status))
        // Public CA endpoints that issued certificates point at (CRL DP, AIA caIssuers).
        .route("/crl/{dialect}/{file}", get(admin::crl))
        .route("/ca/{dialect}/{file}", get(admin::ca_cert))
        // Revocation status (RFC 6960 OCSP: POST the DER, or GET it base64 after the path), and
        // revocation by serial through the admin API.
        .route("/ocsp/{dialect}", post(crate::ocsp::handler::post))
        .route("/ocsp/{dialect}/{*request}", get(crate::ocsp::handler::get))
        .route(
            "/admin/certificates/{serial}/revoke",
            post(admin::certificate_revoke),
        )
        .layer(axum::middleware::from_fn_with_state(app.clone(), record))
        .with_state(app)
}

/// Bodies up to this size (declared `Content-Length`, or a complete answer) are kept for the
/// history; bigger or streamed ones pass untouched and are noted as not recorded.
const CAPTURE_MAX: u64 = 256 * 1024;

/// A body of known, small size, read whole; `None` (body untouched) otherwise.
async fn capture(body: Body) -> (Body, Option<Bytes>) {
    match body.size_hint().exact() {
        Some(n) if n <= CAPTURE_MAX => match axum::body::to_bytes(body, n as usize).await {
            Ok(b) => (Body::from(b.clone()), Some(b)),
            Err(_) => (Body::empty(), None),
        },
        _ => (body, None),
    }
}

fn shown(bytes: &Option<Bytes>) -> String {
    match bytes {
        Some(b) => mask::body(b, BODY_LIMIT),
        None => "(not recorded: streamed or larger than 256 KiB)".into(),
    }
}

/// Logs, measures and records every vendor request (those whose answer carries a
/// [`ReqMeta`]), with its masked headers and bodies; admin requests pass through untouched.
/// A vendor request's copy of the connection's [`ConnKill`] is named with its method and path
/// first: a `drop` fault records the request itself, as no answer comes back here.
async fn record(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let vendor = !path.starts_with("/admin/");
    let (req, request_headers, request_body) = if vendor {
        let (mut parts, body) = req.into_parts();
        if let Some(kill) = parts.extensions.get_mut::<ConnKill>() {
            kill.name_request(&method, &path);
        }
        let headers = mask::headers(&parts.headers);
        let (body, bytes) = capture(body).await;
        (Request::from_parts(parts, body), headers, bytes)
    } else {
        (req, Vec::new(), None)
    };
    let resp = next.run(req).await;
    if let Some(meta) = resp.extensions().get::<ReqMeta>().cloned() {
        let meta = &meta;
        let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(
            dialect = %meta.dialect,
            op = meta.operation,
            status = resp.status().as_u16(),
            code = meta.code.as_deref().unwrap_or(""),
            fault = meta.fault.as_deref().unwrap_or(""),
            duration_ms = latency_ms,
            "request"
        );
        app.metrics.request(
            meta.dialect.as_str(),
            meta.operation,
            resp.status().as_u16(),
            start.elapsed(),
        );
        let (parts, body) = resp.into_parts();
        let (body, response_body) = capture(body).await;
        let exchange = Exchange {
            request_headers,
            request_body: shown(&request_body),
            response_headers: mask::headers(&parts.headers),
            response_body: shown(&response_body),
        };
        app.history.push_exchange(
            Entry::new(
                app.clock.now_ms(),
                meta,
                method,
                path,
                parts.status.as_u16(),
                latency_ms,
            ),
            Some(exchange),
        );
        admin::publish_faults(&app);
        return Response::from_parts(parts, body);
    }
    resp
}
