//! Step kinds that steer or inspect the test bed rather than a certificate resource: any raw
//! vault request, the clocks, ca-sim's orders and fault rules, vault's outbox, a pause.

use crate::case::expect::Expect;
use serde::Deserialize;
use shared::duration::Dur;

/// Any vault request (api-version is added unless the path has a query).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub body: Option<toml::Value>,
    /// Send no Authorization header.
    #[serde(default)]
    pub anonymous: bool,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// Moves vault's clock (`seconds`, through `/_admin/clock/advance`) and/or ca-sim's
/// simulated clock (`ca_sim`, e.g. `"2d"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceClock {
    #[serde(default)]
    pub seconds: Option<i64>,
    #[serde(default)]
    pub ca_sim: Option<Dur>,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// Approves the open ca-sim order for `common_name` (`POST /admin/orders/{id}/approve`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaApprove {
    pub common_name: String,
    #[serde(default)]
    pub wait: Option<Dur>,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// Rejects the open ca-sim order for `common_name`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaReject {
    pub common_name: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub wait: Option<Dur>,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// Reads the newest ca-sim order for `common_name` (expect `ca_status`, `distrusted`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaOrder {
    pub common_name: String,
    /// Read ca-sim's ACME view instead (`/admin/acme/orders`: wire status `pending`, `ready`,
    /// `processing`, `valid`, `invalid`), which also holds orders not finalized yet.
    #[serde(default)]
    pub acme: bool,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// Replaces ca-sim's fault rules (`PUT /admin/faults`); `[]` clears them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetFaults {
    pub rules: Vec<ca_sim::faults::FaultRule>,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// Reads vault's notification outbox (`GET /_admin/notifications`, only the certificate
/// `name` when given; only rows added since the scenario started) until `expect` holds or
/// `wait` (default 20s) has passed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub wait: Option<Dur>,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}

/// Waits (use `poll_until` to wait for state).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sleep {
    #[serde(rename = "for")]
    pub duration: Dur,
    #[serde(default)]
    pub expect: Expect,
    #[serde(default)]
    pub say: Option<String>,
}
