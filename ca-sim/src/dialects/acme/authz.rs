//! Authorizations and challenges (RFC 8555 §7.5): reading an authorization, deactivating it
//! (§7.5.2), and answering a challenge (§7.5.1), validated by [`super::validate`]: at once
//! (the answer carries the outcome: `valid`, or `invalid` with its error), or with
//! `acme.validation_delay` after a seeded random wait (the answer says `processing`).

use super::objects::Urls;
use super::validate::{validate, Attempt};
use super::vendor::{internal, json, malformed, not_found, unauthorized, Acme};
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::domain::acme::Authz;
use crate::domain::op;
use crate::domain::rng::SplitMix64;
use axum::http::{header, HeaderValue, StatusCode};
use serde::Deserialize;
use shared::acme::jwk::Jwk;
use shared::acme::problem::Problem;

fn own_authz(call: &Call<Acme>, id: &str) -> Result<Authz, Problem> {
    let authz = call
        .app
        .acme
        .authz(id)
        .ok_or_else(|| not_found("authorization"))?;
    if authz.account != call.account.id {
        return Err(unauthorized(
            "This authorization belongs to another account.",
        ));
    }
    Ok(authz)
}

#[derive(Deserialize)]
struct AuthzUpdate {
    status: String,
}

/// `POST /acme/authz/{id}`: POST-as-GET, or `{"status":"deactivated"}`.
pub struct GetAuthz;

impl Operation<Acme> for GetAuthz {
    const NAME: &'static str = op::POLL;

    fn parse(_call: &mut Call<Acme>) -> Result<Self, Problem> {
        Ok(Self)
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        let mut authz = own_authz(call, call.req.inc.param("id"))?;
        call.about(&authz.order);
        call.gate(Some(&authz.identifier.value)).await?;
        if !call.req.jws()?.payload.is_empty() {
            let update: AuthzUpdate = call.req.payload()?;
            if update.status != "deactivated" {
                return Err(malformed("An authorization can only be deactivated.").into());
            }
            authz = app
                .acme
                .update_authz(&authz.id, |a| a.status = "deactivated".into())
                .map_err(internal)?
                .ok_or_else(|| not_found("authorization"))?;
        }
        let urls = Urls(&app.base_url);
        Ok(json(&app, StatusCode::OK, &authz.to_json(&urls), None))
    }
}

/// `POST /acme/chall/{authz}/{type}`: `{}` asks the CA to validate (POST-as-GET reads it).
pub struct ChallengeOp;

impl Operation<Acme> for ChallengeOp {
    const NAME: &'static str = op::CHALLENGE;

    fn parse(_call: &mut Call<Acme>) -> Result<Self, Problem> {
        Ok(Self)
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        let app = call.app.clone();
        let authz = own_authz(call, call.req.inc.param("authz"))?;
        let kind = call.req.inc.param("kind").to_string();
        let challenge = authz
            .challenges
            .iter()
            .find(|c| c.kind == kind)
            .cloned()
            .ok_or_else(|| not_found("challenge"))?;
        call.about(&authz.order);
        call.gate(Some(&authz.identifier.value)).await?;
        let urls = Urls(&app.base_url);
        let answer = !call.req.jws()?.payload.is_empty();
        if !answer || authz.status != "pending" || challenge.status != "pending" {
            let mut r = json(
                &app,
                StatusCode::OK,
                &challenge.to_json(&urls, &authz.id),
                None,
            );
            link_up(&mut r, &urls.authz(&authz.id));
            return Ok(r);
        }
        let account = app
            .acme
            .account(&call.account.id)
            .ok_or_else(|| not_found("account"))?;
        let key = Jwk::from_value(&account.jwk).map_err(Problem::from)?;
        let key_authorization = format!("{}.{}", challenge.token, key.thumbprint());
        let attempt = Owned {
            authz: authz.id.clone(),
            kind: kind.clone(),
            name: authz.identifier.value.clone(),
            token: challenge.token.clone(),
            key_authorization,
        };
        let updated = if app.acme.config.validation_delay.0.is_zero() {
            settle(&app, attempt).await?
        } else {
            // Pebble's way: `processing` now, the outcome on the authorization later.
            let processing = app
                .acme
                .update_authz(&authz.id, |a| {
                    if let Some(c) = a.challenges.iter_mut().find(|c| c.kind == kind) {
                        c.status = "processing".into();
                    }
                })
                .map_err(internal)?
                .ok_or_else(|| not_found("authorization"))?;
            let delay = validation_delay(&app)?;
            let background = app.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                if let Err(p) = settle(&background, attempt).await {
                    tracing::warn!(detail = %p.detail, "ACME challenge validation not recorded");
                }
            });
            processing
        };
        let challenge = updated
            .challenges
            .iter()
            .find(|c| c.kind == kind)
            .ok_or_else(|| not_found("challenge"))?;
        let mut r = json(
            &app,
            StatusCode::OK,
            &challenge.to_json(&urls, &updated.id),
            None,
        );
        link_up(&mut r, &urls.authz(&updated.id));
        Ok(r)
    }
}

/// `Link: <authz>;rel="up"` on a challenge (§7.5.1).
fn link_up(r: &mut axum::response::Response, authz_url: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("<{authz_url}>;rel=\"up\"")) {
        r.headers_mut().append(header::LINK, v);
    }
}

/// A challenge answer to validate, owned so it can wait in a task of its own.
struct Owned {
    authz: String,
    kind: String,
    name: String,
    token: String,
    key_authorization: String,
}

/// A draw in `0..=acme.validation_delay` from the seeded generator.
fn validation_delay(app: &crate::app::App) -> Result<std::time::Duration, Problem> {
    let max = app.acme.config.validation_delay.0;
    let draw = app
        .store
        .next_counter("acme_validation_delay")
        .map_err(internal)?;
    let share = SplitMix64::derive(app.seed, "acme-validation-delay", draw).next_f64();
    Ok(max.mul_f64(share))
}

/// Validates the answer and records the outcome on the challenge and its authorization (a
/// challenge still `pending` or `processing` of an authorization still `pending`).
async fn settle(app: &crate::app::App, attempt: Owned) -> Result<Authz, Problem> {
    let cfg = &app.acme.config;
    let outcome = validate(&Attempt {
        mode: cfg.validation,
        kind: &attempt.kind,
        name: &attempt.name,
        token: &attempt.token,
        key_authorization: &attempt.key_authorization,
        http01_port: cfg.http01_port,
        tlsalpn01_port: cfg.tlsalpn01_port,
        dns_resolver: cfg.dns_resolver,
    })
    .await;
    let now = super::objects::rfc3339(app.clock.now_ms());
    app.acme
        .update_authz(&attempt.authz, |a| {
            if a.status != "pending" {
                return;
            }
            let Some(c) = a.challenges.iter_mut().find(|c| c.kind == attempt.kind) else {
                return;
            };
            match &outcome {
                Ok(()) => {
                    c.status = "valid".into();
                    c.validated = Some(now.clone());
                    a.status = "valid".into();
                }
                Err(p) => {
                    c.status = "invalid".into();
                    c.error = Some(p.clone());
                    a.status = "invalid".into();
                }
            }
        })
        .map_err(internal)?
        .ok_or_else(|| not_found("authorization"))
}
