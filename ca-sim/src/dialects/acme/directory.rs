//! The directory (RFC 8555 §7.1.1, with ARI's `renewalInfo` and the profiles of
//! draft-aaron-acme-profiles in `meta`) and newNonce (§7.2).

use super::vendor::{finish, Acme};
use crate::app::App;
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::domain::op;
use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use shared::acme::problem::Problem;
use std::sync::Arc;

/// `GET /acme/directory`: the URLs of every resource. No fault rule applies (clients fetch it
/// once; the endpoints it names are where faults strike).
pub async fn directory(State(app): State<Arc<App>>) -> Response {
    let base = &app.base_url;
    let mut meta = json!({
        "externalAccountRequired": app.acme.config.eab_required,
    });
    if !app.acme.config.profiles.is_empty() {
        let profiles: Map<String, Value> = app
            .acme
            .config
            .profiles
            .iter()
            .map(|(name, timing)| (name.clone(), json!(format!("timing {timing}"))))
            .collect();
        meta["profiles"] = Value::Object(profiles);
    }
    let body = json!({
        "newNonce": format!("{base}/acme/new-nonce"),
        "newAccount": format!("{base}/acme/new-account"),
        "newOrder": format!("{base}/acme/new-order"),
        "revokeCert": format!("{base}/acme/revoke-cert"),
        "keyChange": format!("{base}/acme/key-change"),
        "renewalInfo": format!("{base}/acme/renewal-info"),
        "meta": meta,
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `HEAD|GET /acme/new-nonce`: a fresh nonce (200 for HEAD, 204 for GET, §7.2).
pub struct NewNonce {
    head: bool,
}

impl Operation<Acme> for NewNonce {
    const NAME: &'static str = op::NEW_NONCE;

    fn parse(call: &mut Call<Acme>) -> Result<Self, Problem> {
        Ok(Self {
            head: call.req.inc.method == Method::HEAD,
        })
    }

    async fn apply(self, call: &mut Call<Acme>) -> Outcome<Acme> {
        call.gate(None).await?;
        let mut response = StatusCode::OK.into_response();
        if !self.head {
            *response.status_mut() = StatusCode::NO_CONTENT;
        }
        Ok(finish(&call.app, response))
    }
}
