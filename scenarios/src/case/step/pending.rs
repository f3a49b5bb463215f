//! Step kinds that work on a certificate's pending operation (`merge`, `cancel`,
//! `delete_pending`, `get_pending`, `poll_until`).

use super::kind::step_kind;
use serde::Deserialize;

step_kind! {
    /// `POST /certificates/{name}/pending/merge`, signed by the runner's CA.
    pub struct Merge {
        pub name: String,
        #[serde(default)]
        pub signer: Signer,
        #[serde(default)]
        pub body: Option<toml::Value>,
    }
}

step_kind! {
    /// `PATCH /certificates/{name}/pending {"cancellation_requested": true}`.
    pub struct Cancel {
        pub name: String,
    }
}

step_kind! {
    /// `DELETE /certificates/{name}/pending`.
    pub struct DeletePending {
        pub name: String,
    }
}

step_kind! {
    /// `GET /certificates/{name}/pending`.
    pub struct GetPending {
        pub name: String,
    }
}

step_kind! {
    /// Polls `GET .../pending` until the operation has `status` (or ends otherwise).
    pub struct PollUntil waits {
        pub name: String,
        /// `completed` (default), `failed`, `cancelled`, `inProgress`.
        #[serde(default)]
        pub status: Option<String>,
    }
}

/// Where `merge` gets its certificate from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Signer {
    /// The runner's own CA signs the pending CSR.
    #[default]
    ExternalCa,
    /// The runner's CA certifies a different key (the merge must be refused).
    WrongKey,
}
