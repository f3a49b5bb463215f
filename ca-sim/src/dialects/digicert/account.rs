//! DigiCert account resources: `GET user/me` ([`UserMe`]), `GET organization`
//! ([`Organizations`]) and `GET organization/{id}` ([`OrganizationById`]). Organizations pass
//! no fault gate (no fault operation names them).

use super::{json_reply, DcError, DigiCert};
use crate::dialects::contract::{Call, Operation, Outcome};
use crate::domain::{op, Organization};
use axum::http::StatusCode;
use serde_json::{json, Value};

/// `GET user/me`: the API user behind the key (clients check `account_id`).
pub struct UserMe;

impl Operation<DigiCert> for UserMe {
    const NAME: &'static str = op::USER;

    fn parse(_call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        Ok(Self)
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        call.gate(None).await?;
        let account = &call.account;
        Ok(json_reply(
            StatusCode::OK,
            json!({
                "id": 1,
                "username": format!("{}-api", account.id),
                "account_id": account.id,
                "first_name": "Sim",
                "last_name": "User",
                "email": "sim-user@ca-sim.test",
                "job_title": "API user",
                "telephone": "+1 555 0100",
                "status": "active",
                "container": {"id": 1, "name": "ca-sim", "is_active": true},
                "access_roles": [{"id": 1, "name": "Administrator"}],
                "is_cert_central": true,
                "type": "standard",
                "has_container_assignments": false,
            }),
        ))
    }
}

/// `GET organization`: the account's organizations.
pub struct Organizations;

impl Operation<DigiCert> for Organizations {
    const NAME: &'static str = op::OTHER;

    fn parse(_call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        Ok(Self)
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        let orgs: Vec<Value> = call.account.organizations.iter().map(org_json).collect();
        Ok(json_reply(
            StatusCode::OK,
            json!({"organizations": orgs, "page": {"total": orgs.len(), "limit": 0, "offset": 0}}),
        ))
    }
}

/// `GET organization/{id}`.
pub struct OrganizationById {
    id: String,
}

impl Operation<DigiCert> for OrganizationById {
    const NAME: &'static str = op::OTHER;

    fn parse(call: &mut Call<DigiCert>) -> Result<Self, DcError> {
        Ok(Self {
            id: call.req.param("id").to_string(),
        })
    }

    async fn apply(self, call: &mut Call<DigiCert>) -> Outcome<DigiCert> {
        let id = self.id;
        match call
            .account
            .organizations
            .iter()
            .find(|o| o.id.to_string() == id)
        {
            Some(o) => Ok(json_reply(StatusCode::OK, org_json(o))),
            None => Err(DcError::not_found(
                "not_found|organization",
                format!("Organization {id} was not found."),
            )
            .into()),
        }
    }
}

fn org_json(o: &Organization) -> Value {
    json!({
        "id": o.id,
        "status": "active",
        "name": o.name,
        "display_name": o.name,
        "is_active": true,
        "address": "1 Simulation Way",
        "city": "Lehi",
        "state": "ut",
        "zip": "84043",
        "country": "us",
        "container": {"id": 1, "name": "ca-sim"},
        "validations": if o.validated {
            json!([{"type": "ov", "name": "OV", "description": "Normal Organization Validation", "status": "active"},
                   {"type": "ev", "name": "EV", "description": "Extended Organization Validation (EV)", "status": "active"}])
        } else { json!([]) },
    })
}
