//! Certificates (RFC 8555 §7.4.2, §7.6) and ARI (RFC 9773): the PEM chain of a valid order
//! (and its alternate chains, linked with `rel="alternate"`),
//! revokeCert (by the ordering account or the certificate's key), and renewalInfo (a suggested window two thirds into
//! the certificate's life).

use super::objects::Urls;
use super::order::gated_order;
use super::vendor::{
    internal, json, malformed, not_found, problem_response, reply, unauthorized, Acme,
};
use crate::app::App;
use crate::dialects::chain::ChainShape;
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::domain::{op, Order, OrderStatus};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json as j;
use shared::acme::jwk::Jwk;
use shared::acme::problem::{ErrorType, Problem};
use shared::crypto;
use std::sync::Arc;

/// `POST /acme/cert/{id}` (POST-as-GET): leaf, then intermediates (§9.1).
pub struct Certificate;

impl Operation<Acme> for Certificate {
    const NAME: &'static str = op::CERTIFICATE;

    fn parse(call: &mut Call<Acme>) -> Result<Self, Problem> {
        call.req.post_as_get()?;
        Ok(Self)
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        let (order, fired) = gated_order(call).await?;
        let book = app
            .orders
            .get(&order.id)
            .filter(|o| matches!(o.status, OrderStatus::Issued | OrderStatus::Revoked));
        let Some(cert) = book.as_ref().and_then(|o| o.cert.as_ref()) else {
            return Err(not_found("certificate").into());
        };
        let mut shape = ChainShape::from_action(book.as_ref().and_then(|o| o.outcome.as_ref()));
        shape.add(fired.as_ref().map(|f| &f.action));
        // `/acme/cert/{id}/{n}`: alternate chain n (1-based), else the default chain.
        let alternates = &app.acme.alternates;
        let n: usize = match call.req.inc.param("n") {
            "" => 0,
            text => text
                .parse()
                .ok()
                .filter(|n| (1..=alternates.len()).contains(n))
                .ok_or_else(|| not_found("alternate chain"))?,
        };
        let body = if n == 0 {
            shape.pems(cert, true, false).concat()
        } else {
            let mut alt = cert.clone();
            alt.intermediates = vec![alternates[n - 1].intermediate_pem.clone()];
            shape.pems(&alt, true, false).concat()
        };
        let mut response = reply(
            &app,
            StatusCode::OK,
            "application/pem-certificate-chain",
            body.into_bytes(),
            None,
        );
        // Every other chain of this certificate, as `Link: <…>;rel="alternate"` (§7.4.2).
        let base = Urls(&app.base_url).certificate(&order.id);
        for other in (0..=alternates.len()).filter(|k| *k != n) {
            let url = if other == 0 {
                base.clone()
            } else {
                format!("{base}/{other}")
            };
            if let Ok(v) = HeaderValue::from_str(&format!("<{url}>;rel=\"alternate\"")) {
                response.headers_mut().append(header::LINK, v);
            }
        }
        Ok(response)
    }
}

#[derive(Deserialize)]
struct RevokePayload {
    certificate: String,
    #[serde(default)]
    reason: Option<u8>,
}

/// The book order whose certificate is `der`.
fn order_of_cert(app: &App, der: &[u8]) -> Option<Order> {
    app.orders.find(|o| {
        o.cert.as_ref().is_some_and(|c| {
            crypto::pem_blocks(&c.pem)
                .first()
                .is_some_and(|(_, d)| d.as_slice() == der)
        })
    })
}

/// `POST /acme/revoke-cert`, signed by the account that ordered the certificate or with the
/// certificate's key.
pub struct RevokeCert {
    der: Vec<u8>,
    reason: &'static str,
}

impl Operation<Acme> for RevokeCert {
    const NAME: &'static str = op::REVOKE_CERT;

    fn parse(call: &mut Call<Acme>) -> Result<Self, Problem> {
        let p: RevokePayload = call.req.payload()?;
        let der = URL_SAFE_NO_PAD
            .decode(p.certificate.trim_end_matches('='))
            .map_err(|_| malformed("The certificate is not base64url DER."))?;
        let reason = crate::ocsp::revoke::reason_name(p.reason.unwrap_or(0)).ok_or_else(|| {
            Problem::new(
                ErrorType::BadRevocationReason,
                "The reason is not an RFC 5280 reason code.",
            )
        })?;
        Ok(Self { der, reason })
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        let order = order_of_cert(&app, &self.der)
            .filter(|o| o.dialect == crate::domain::Dialect::Acme)
            .ok_or_else(|| not_found("certificate issued by this CA"))?;
        call.about(&order.id);
        // RFC 8555 §7.6: the ordering account (`kid`), or the certificate's own key (`jwk`).
        let by_cert_key = call.req.jwk().is_some_and(|(jwk, _)| {
            x509_parser::parse_x509_certificate(&self.der)
                .ok()
                .and_then(|(_, c)| Jwk::from_spki_der(c.tbs_certificate.subject_pki.raw))
                .is_some_and(|k| k.same_key(jwk))
        });
        let by_account = !call.account.id.is_empty() && order.account == call.account.id;
        if !by_cert_key && !by_account {
            return Err(unauthorized(
                "Only the account that ordered a certificate, or its key, may revoke it.",
            )
            .into());
        }
        call.gate(Some(&order.common_name)).await?;
        match app.orders.revoke(&order.id, self.reason.to_string()) {
            Ok(Ok(_)) => Ok(reply(
                &app,
                StatusCode::OK,
                "application/json",
                Vec::new(),
                None,
            )),
            Ok(Err(OrderStatus::Revoked)) => Err(Problem::new(
                ErrorType::AlreadyRevoked,
                "The certificate is already revoked.",
            )
            .into()),
            Ok(Err(s)) => Err(malformed(format!("The order is {s:?}, not issued.")).into()),
            Err(e) => Err(internal(e).into()),
        }
    }
}

/// `GET /acme/renewal-info/{id}` (ARI, RFC 9773 §4.1): `id` is base64url(AKI) "."
/// base64url(serial); the window is two thirds into the certificate's life (a revoked one:
/// now).
pub async fn renewal_info(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let serial = id
        .split_once('.')
        .and_then(|(_, s)| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok())
        .map(|s| hex::encode(s).trim_start_matches('0').to_ascii_lowercase());
    let Some(serial) = serial else {
        return error(
            &app,
            malformed("The renewalInfo id is not base64url AKI '.' serial."),
        );
    };
    let order = app.orders.find(|o| {
        o.dialect == crate::domain::Dialect::Acme
            && o.cert.as_ref().is_some_and(|c| {
                c.serial_hex
                    .trim_start_matches('0')
                    .eq_ignore_ascii_case(&serial)
            })
    });
    let Some(cert) = order.and_then(|o| o.cert) else {
        return error(&app, not_found("certificate"));
    };
    let (start, end) = if cert.revoked_ms.is_some() {
        let now = app.clock.now_ms();
        (now - 3_600_000, now)
    } else {
        let life = cert.not_after_ms - cert.not_before_ms;
        let start = cert.not_before_ms + life * 2 / 3;
        (start, start + life / 9)
    };
    let mut r = json(
        &app,
        StatusCode::OK,
        &j!({"suggestedWindow": {
            "start": super::objects::rfc3339(start),
            "end": super::objects::rfc3339(end),
        }}),
        None,
    );
    r.headers_mut()
        .insert(axum::http::header::RETRY_AFTER, 21600.into());
    r
}

fn error(app: &App, p: Problem) -> Response {
    problem_response(app, p)
}
