//! The certificate-operation flow over raw HTTP, as the tests drive it: start a create
//! (`POST …/create`), read the pending operation (`GET …/pending`) and poll it with a deadline
//! until it finishes or reaches the state a test waits for, and list a certificate's versions. Tests that create and then poll go
//! through these methods of [`Raw`] rather than writing the loop again.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    ids::version_of,
    policies::self_signed_ec_policy_json,
    raw_http::Raw,
    wait::{eventually, DEADLINE},
};

impl Raw {
    /// `POST /certificates/{name}/create` with the whole request `body` (`policy`, and
    /// `attributes`, `tags` or `preserveCertOrder` when a test sets them); asserts 202 and returns
    /// the operation.
    pub async fn start_create(&self, name: &str, body: &Value) -> Value {
        let rsp = self
            .post(&format!("/certificates/{name}/create"), body)
            .await;
        assert_eq!(
            rsp.status,
            StatusCode::ACCEPTED,
            "create {name}: {}",
            rsp.text
        );
        rsp.json()
    }

    /// `GET /certificates/{name}/pending`, asserting 200; the operation.
    pub async fn pending(&self, name: &str) -> Value {
        let rsp = self.get(&format!("/certificates/{name}/pending")).await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "GET pending {name}: {}",
            rsp.text
        );
        rsp.json()
    }

    /// Polls the operation of `name` until `until` holds for it, at most for `timeout`; returns
    /// that operation. `what` names the wait in the timeout panic. `until` may assert (e.g. that
    /// the operation is still `inProgress` while the test waits for a detail).
    pub async fn wait_operation(
        &self,
        name: &str,
        timeout: Duration,
        what: &str,
        until: impl Fn(&Value) -> bool,
    ) -> Value {
        let until = &until;
        eventually(timeout, what, move || async move {
            let op = self.pending(name).await;
            until(&op).then_some(op)
        })
        .await
    }

    /// Polls the operation of `name` until it leaves `inProgress` (at most [`DEADLINE`]); returns
    /// the final operation.
    pub async fn wait_finished(&self, name: &str) -> Value {
        self.wait_operation(
            name,
            DEADLINE,
            &format!("operation of {name} to finish"),
            |op| op["status"] != "inProgress",
        )
        .await
    }

    /// Creates `name` with the whole request `body` (see [`Raw::start_create`]) and waits for its
    /// operation to leave `inProgress`; returns the final operation.
    pub async fn create_body_and_wait(&self, name: &str, body: &Value) -> Value {
        let op = self.start_create(name, body).await;
        if op["status"] != "inProgress" {
            return op;
        }
        self.wait_finished(name).await
    }

    /// Creates a certificate with `policy` and waits for its pending operation to leave
    /// `inProgress`; returns the final operation JSON.
    pub async fn create_and_wait(&self, name: &str, policy: Value) -> Value {
        self.create_body_and_wait(name, &json!({ "policy": policy }))
            .await
    }

    /// Creates a completed self-signed EC P-256 certificate; returns the latest bundle JSON.
    pub async fn create_ec_certificate(&self, name: &str) -> Value {
        let op = self
            .create_and_wait(name, self_signed_ec_policy_json(&format!("CN={name}")))
            .await;
        assert_eq!(op["status"], "completed", "create {name}: {op}");
        let rsp = self.get(&format!("/certificates/{name}")).await;
        assert_eq!(rsp.status, StatusCode::OK, "GET {name}: {}", rsp.text);
        rsp.json()
    }

    /// The version ids of `name` (`GET /certificates/{name}/versions`, asserting 200).
    pub async fn versions(&self, name: &str) -> Vec<String> {
        let rsp = self.get(&format!("/certificates/{name}/versions")).await;
        assert_eq!(rsp.status, StatusCode::OK, "versions: {}", rsp.text);
        rsp.json()["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| version_of(v["id"].as_str().unwrap()))
            .collect()
    }
}
