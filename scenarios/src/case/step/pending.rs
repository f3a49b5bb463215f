//! Step kinds that work on a certificate's pending operation (`merge`, `cancel`,
//! `delete_pending`, `get_pending`, `poll_until`).

use crate::case::expect::Expect;
use serde::Deserialize;
use shared::duration::Dur;

/// `POST /certificates/{name}/pending/merge`, signed by the runner's CA.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    pub name: String,
    #[serde(default)]
    pub signer: Signer,
    #[serde(default)]
    pub body: Option<toml::Value>,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// `PATCH /certificates/{name}/pending {"cancellation_requested": true}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    pub name: String,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// `DELETE /certificates/{name}/pending`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeletePending {
    pub name: String,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// `GET /certificates/{name}/pending`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetPending {
    pub name: String,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// Polls `GET .../pending` until the operation has `status` (or ends otherwise).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollUntil {
    pub name: String,
    /// `completed` (default), `failed`, `cancelled`, `inProgress`.
    #[serde(default)]
    pub status: Option<String>,
    /// Give up after this long (default 30s).
    #[serde(default)]
    pub deadline: Option<Dur>,
    /// How long it is expected to take (sizes `demo`'s progress bar).
    #[serde(default)]
    pub expected: Option<Dur>,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
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
