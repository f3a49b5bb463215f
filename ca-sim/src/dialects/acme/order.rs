//! Orders (RFC 8555 §7.4): newOrder (identifiers, a profile, ARI's `replaces`), the order
//! object, and finalize, where the order enters ca-sim's order book under the same id. The
//! wire status is derived on every read: from the authorizations before finalize
//! (`pending` → `ready`, `invalid` if one failed), from the book's order after it
//! (`processing` while open, `valid` once issued, `invalid` with the CA's reason).

use super::objects::{random_id, random_token, Urls};
use super::vendor::{internal, json, malformed, not_found, unauthorized, Acme};
use crate::app::App;
use crate::dialects::contract::{Call, Failure, Operation, Outcome};
use crate::dialects::names::uncertifiable;
use crate::domain::acme::{AcmeOrder, Authz, Challenge, Identifier};
use crate::domain::{op, Dialect, NewOrder, OrderStatus, SplitMix64, TimingProfile};
use crate::faults::Fired;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json as j, Value};
use shared::acme::problem::{ErrorType, Problem};
use shared::crypto;
use std::collections::BTreeSet;

/// How long a pending order and its authorizations live (Pebble: one hour... ca-sim a day).
const ORDER_LIFETIME_MS: i64 = 24 * 3600 * 1000;
/// The most identifiers one order may name.
const MAX_IDENTIFIERS: usize = 100;

/// An order's wire status and, when `invalid`, why.
pub fn status(app: &App, order: &AcmeOrder) -> (String, Option<Problem>) {
    if order.finalized {
        return match app
            .orders
            .get(&order.id)
            .map(|o| (o.status, o.status_reason))
        {
            Some((OrderStatus::Pending | OrderStatus::NeedsApproval, _)) => {
                ("processing".into(), None)
            }
            Some((OrderStatus::Issued | OrderStatus::Revoked, _)) => ("valid".into(), None),
            Some((OrderStatus::Rejected | OrderStatus::Canceled, reason)) => (
                "invalid".into(),
                Some(Problem::new(
                    ErrorType::Unauthorized,
                    reason.unwrap_or_else(|| "The CA refused to issue.".into()),
                )),
            ),
            None => ("invalid".into(), Some(internal("finalized order lost"))),
        };
    }
    if order.status == "invalid" {
        return ("invalid".into(), order.error.clone());
    }
    if app.clock.now_ms() > order.expires_ms {
        return (
            "invalid".into(),
            Some(malformed("The order expired before it was finalized.")),
        );
    }
    let authzs: Vec<Option<Authz>> = order.authzs.iter().map(|a| app.acme.authz(a)).collect();
    if let Some(failed) = authzs
        .iter()
        .flatten()
        .find(|a| a.status != "valid" && a.status != "pending")
    {
        let error = failed
            .challenges
            .iter()
            .find_map(|c| c.error.clone())
            .unwrap_or_else(|| {
                Problem::new(
                    ErrorType::Unauthorized,
                    format!("The authorization for {} failed.", failed.identifier.value),
                )
            });
        return ("invalid".into(), Some(error));
    }
    if authzs
        .iter()
        .all(|a| a.as_ref().is_some_and(|a| a.status == "valid"))
    {
        return ("ready".into(), None);
    }
    ("pending".into(), None)
}

/// The order object as the client reads it.
pub fn to_json(app: &App, order: &AcmeOrder) -> Value {
    let urls = Urls(&app.base_url);
    let (status, error) = status(app, order);
    let mut v = j!({
        "status": status,
        "expires": super::objects::rfc3339(order.expires_ms),
        "identifiers": order.identifiers,
        "authorizations": order.authzs.iter().map(|a| urls.authz(a)).collect::<Vec<_>>(),
        "finalize": urls.finalize(&order.id),
    });
    if status == "valid" {
        v["certificate"] = j!(urls.certificate(&order.id));
    }
    if let Some(e) = error {
        v["error"] = j!(e);
    }
    if let Some(p) = &order.profile {
        v["profile"] = j!(p);
    }
    if let Some(r) = &order.replaces {
        v["replaces"] = j!(r);
    }
    v
}

/// The order of `/acme/order/{id}…`, which must belong to the signer (noted for the
/// history).
pub fn own_order(call: &mut Call<Acme>) -> Result<AcmeOrder, Problem> {
    let order = call
        .app
        .acme
        .order(call.req.inc.param("id"))
        .ok_or_else(|| not_found("order"))?;
    if order.account != call.account.id {
        return Err(unauthorized("This order belongs to another account."));
    }
    call.about(&order.id);
    Ok(order)
}

/// [`own_order`] after the fault gate, asked with the order's first identifier: how the
/// POST-as-GET reads of an order (the order, its certificate) begin.
pub async fn gated_order(
    call: &mut Call<Acme>,
) -> Result<(AcmeOrder, Option<Fired>), Failure<Problem>> {
    let order = own_order(call)?;
    let cn = order.identifiers.first().map(|i| i.value.clone());
    let fired = call.gate(cn.as_deref()).await?;
    Ok((order, fired))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewOrderPayload {
    identifiers: Vec<Identifier>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    replaces: Option<String>,
}

/// `POST /acme/new-order`.
pub struct NewOrderOp {
    payload: NewOrderPayload,
}

fn check_identifiers(ids: &[Identifier]) -> Result<(), Problem> {
    if ids.is_empty() || ids.len() > MAX_IDENTIFIERS {
        return Err(malformed(format!(
            "An order names 1 to {MAX_IDENTIFIERS} identifiers."
        )));
    }
    for id in ids {
        if id.kind != "dns" {
            return Err(Problem::new(
                ErrorType::UnsupportedIdentifier,
                format!("Identifiers of type '{}' are not supported.", id.kind),
            ));
        }
        let name = id.value.strip_prefix("*.").unwrap_or(&id.value);
        let ok = !name.is_empty()
            && name.len() <= 253
            && name.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !ok || uncertifiable(std::slice::from_ref(&id.value)).is_some() {
            return Err(Problem::new(
                ErrorType::RejectedIdentifier,
                format!("'{}' is not a valid DNS name.", id.value),
            ));
        }
    }
    Ok(())
}

impl Operation<Acme> for NewOrderOp {
    const NAME: &'static str = op::NEW_ORDER;
    const SUCCESS: StatusCode = StatusCode::CREATED;

    fn parse(call: &mut Call<Acme>) -> Result<Self, Problem> {
        Ok(Self {
            payload: call.req.payload()?,
        })
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        if call.account.id.is_empty() {
            return Err(malformed("newOrder must be signed with 'kid'.").into());
        }
        let mut identifiers = self.payload.identifiers;
        for id in &mut identifiers {
            id.value = id.value.to_ascii_lowercase();
        }
        let mut seen = BTreeSet::new();
        identifiers.retain(|i| seen.insert(i.value.clone()));
        check_identifiers(&identifiers)?;
        if let Some(p) = &self.payload.profile {
            if !app.acme.config.profiles.contains_key(p) {
                return Err(Problem::new(
                    ErrorType::InvalidProfile,
                    format!("This CA offers no profile '{p}'."),
                )
                .into());
            }
        }
        call.gate(identifiers.first().map(|i| i.value.as_str()))
            .await?;
        let now = app.clock.now_ms();
        let order_id = random_id().map_err(internal)?;
        let mut authzs = Vec::new();
        for ident in &identifiers {
            let wildcard = ident.value.starts_with("*.");
            let bare = ident.value.trim_start_matches("*.");
            if let Some(reused) = reuse(&app, &call.account.id, bare, wildcard, now)? {
                authzs.push(reused);
                continue;
            }
            let kinds: &[&str] = if wildcard {
                &["dns-01"]
            } else {
                &["http-01", "dns-01", "tls-alpn-01"]
            };
            let token = random_token().map_err(internal)?;
            let authz = Authz {
                id: random_id().map_err(internal)?,
                account: call.account.id.clone(),
                order: order_id.clone(),
                identifier: Identifier {
                    kind: ident.kind.clone(),
                    value: ident.value.trim_start_matches("*.").to_string(),
                },
                wildcard,
                status: "pending".into(),
                expires_ms: now + ORDER_LIFETIME_MS,
                challenges: kinds
                    .iter()
                    .map(|k| Challenge {
                        kind: (*k).to_string(),
                        token: token.clone(),
                        status: "pending".into(),
                        validated: None,
                        error: None,
                    })
                    .collect(),
            };
            app.acme.put_authz(authz.clone()).map_err(internal)?;
            authzs.push(authz.id);
        }
        let order = AcmeOrder {
            id: order_id,
            account: call.account.id.clone(),
            status: "pending".into(),
            identifiers,
            authzs,
            expires_ms: now + ORDER_LIFETIME_MS,
            profile: self.payload.profile,
            replaces: self.payload.replaces,
            finalized: false,
            error: None,
            created_ms: now,
        };
        app.acme.put_order(order.clone()).map_err(internal)?;
        call.about(&order.id);
        let location = Urls(&app.base_url).order(&order.id);
        Ok(json(
            &app,
            StatusCode::CREATED,
            &to_json(&app, &order),
            Some(location),
        ))
    }
}

/// `POST /acme/order/{id}` (POST-as-GET). A reject or cancel rule of operation `poll` ends a
/// processing order CA-side.
pub struct GetOrder;

impl Operation<Acme> for GetOrder {
    const NAME: &'static str = op::POLL;

    fn parse(call: &mut Call<Acme>) -> Result<Self, Problem> {
        call.req.post_as_get()?;
        Ok(Self)
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        let (order, fired) = gated_order(call).await?;
        if order.finalized {
            if let Some(book) = app.orders.get(&order.id) {
                call.poll_outcome(book, fired.as_ref());
            }
        }
        Ok(json(&app, StatusCode::OK, &to_json(&app, &order), None))
    }
}

#[derive(Deserialize)]
struct FinalizePayload {
    csr: String,
}

/// `POST /acme/order/{id}/finalize`: the CSR must name exactly the order's identifiers; the
/// order then enters the order book (timing profile of its ACME profile, fault outcomes).
pub struct Finalize {
    csr_der: Vec<u8>,
}

fn bad_csr(detail: impl Into<String>) -> Problem {
    Problem::new(ErrorType::BadCsr, detail)
}

impl Operation<Acme> for Finalize {
    const NAME: &'static str = op::FINALIZE;

    fn parse(call: &mut Call<Acme>) -> Result<Self, Problem> {
        let payload: FinalizePayload = call.req.payload()?;
        let csr_der = URL_SAFE_NO_PAD
            .decode(payload.csr.trim_end_matches('='))
            .map_err(|_| bad_csr("The CSR is not base64url."))?;
        Ok(Self { csr_der })
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        let mut order = own_order(call)?;
        let (status, _) = status(&app, &order);
        if status != "ready" {
            return Err(Problem::new(
                ErrorType::OrderNotReady,
                format!("The order is {status}, not ready."),
            )
            .into());
        }
        let info = crypto::parse_csr(&self.csr_der)
            .map_err(|e| bad_csr(format!("The CSR cannot be read: {e}.")))?;
        let cn = info
            .subject
            .split(',')
            .find_map(|p| p.trim().strip_prefix("CN="))
            .map(str::to_ascii_lowercase);
        let mut names: BTreeSet<String> = info
            .sans
            .dns_names
            .iter()
            .flatten()
            .map(|n| n.to_ascii_lowercase())
            .collect();
        names.extend(cn.clone());
        let wanted: BTreeSet<String> = order.identifiers.iter().map(|i| i.value.clone()).collect();
        if names != wanted {
            return Err(bad_csr(format!("The CSR names {names:?}, the order {wanted:?}.")).into());
        }
        let first = order.identifiers[0].value.clone();
        let fired = call.gate(Some(&first)).await?;
        let cfg = &app.acme.config;
        let timing_text = order
            .profile
            .as_ref()
            .and_then(|p| cfg.profiles.get(p))
            .unwrap_or(&cfg.timing);
        let profile = TimingProfile::parse(timing_text).map_err(internal)?;
        let new = NewOrder {
            dialect: Dialect::Acme,
            account: call.account.id.clone(),
            product: order.profile.clone().unwrap_or_else(|| "default".into()),
            validation: "DV".into(),
            common_name: cn.unwrap_or_else(|| first.clone()),
            dns_names: order.identifiers.iter().map(|i| i.value.clone()).collect(),
            organization_id: None,
            organization_name: None,
            country: None,
            csr_pem: crypto::pem_encode("CERTIFICATE REQUEST", &self.csr_der),
            validity_days: cfg.validity_days,
            profile: profile.clone(),
            awaiting_validation: false,
            outcome: fired
                .filter(|f| f.action.is_order_outcome())
                .map(|f| (f.rule, f.action)),
            extra: j!({ "acme_account": call.account.id }),
        };
        match app.orders.create_with_id(new, order.id.clone()) {
            Ok(Some(_)) => {}
            // A concurrent finalize of the same order won the race.
            Ok(None) => {
                return Err(Problem::new(
                    ErrorType::OrderNotReady,
                    "The order is already being finalized.",
                )
                .into())
            }
            Err(e) => return Err(internal(e).into()),
        }
        order.finalized = true;
        app.acme.put_order(order.clone()).map_err(internal)?;
        if profile.is_instant() {
            if let Err(e) = app.orders.issue_now(&order.id).await {
                return Err(internal(e).into());
            }
        }
        let mut response = json(&app, StatusCode::OK, &to_json(&app, &order), None);
        if status_of(&app, &order) == "processing" {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, 1.into());
        }
        Ok(response)
    }
}

/// Authorization reuse (`acme.authz_reuse`): with that probability, drawn from the seeded
/// generator, an identifier with a valid authorization of the account keeps it.
fn reuse(
    app: &App,
    account: &str,
    name: &str,
    wildcard: bool,
    now: i64,
) -> Result<Option<String>, Problem> {
    let share = app.acme.config.authz_reuse;
    if share <= 0.0 {
        return Ok(None);
    }
    let Some(found) = app.acme.reusable_authz(account, name, wildcard, now) else {
        return Ok(None);
    };
    let draw = app
        .store
        .next_counter("acme_authz_reuse")
        .map_err(internal)?;
    let hit = SplitMix64::derive(app.seed, "acme-authz-reuse", draw).next_f64() < share;
    Ok(hit.then_some(found.id))
}

fn status_of(app: &App, order: &AcmeOrder) -> String {
    status(app, order).0
}
