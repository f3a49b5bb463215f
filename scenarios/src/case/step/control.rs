//! Step kinds that steer or inspect the test bed rather than a certificate resource: any raw
//! vault request, the clocks, ca-sim's orders and fault rules, vault's outbox, a pause.

use super::kind::step_kind;
use shared::duration::Dur;

step_kind! {
    /// Any vault request (api-version is added unless the path has a query).
    pub struct Request {
        pub method: String,
        pub path: String,
        #[serde(default)]
        pub body: Option<toml::Value>,
        /// Send no Authorization header.
        #[serde(default)]
        pub anonymous: bool,
    }
}

step_kind! {
    /// Moves vault's clock (`seconds`, through `/_admin/clock/advance`) and/or ca-sim's
    /// simulated clock (`ca_sim`, e.g. `"2d"`).
    pub struct AdvanceClock {
        #[serde(default)]
        pub seconds: Option<i64>,
        #[serde(default)]
        pub ca_sim: Option<Dur>,
    }
}

step_kind! {
    /// Approves the open ca-sim order for `common_name` (`POST /admin/orders/{id}/approve`).
    pub struct CaApprove {
        pub common_name: String,
        #[serde(default)]
        pub wait: Option<Dur>,
    }
}

step_kind! {
    /// Rejects the open ca-sim order for `common_name`.
    pub struct CaReject {
        pub common_name: String,
        #[serde(default)]
        pub reason: Option<String>,
        #[serde(default)]
        pub wait: Option<Dur>,
    }
}

step_kind! {
    /// Reads the newest ca-sim order for `common_name` (expect `ca_status`, `distrusted`).
    pub struct CaOrder {
        pub common_name: String,
        /// Read ca-sim's ACME view instead (`/admin/acme/orders`: wire status `pending`, `ready`,
        /// `processing`, `valid`, `invalid`), which also holds orders not finalized yet.
        #[serde(default)]
        pub acme: bool,
    }
}

step_kind! {
    /// Replaces ca-sim's fault rules (`PUT /admin/faults`); `[]` clears them.
    pub struct SetFaults {
        pub rules: Vec<ca_sim::faults::FaultRule>,
    }
}

step_kind! {
    /// Reads vault's notification outbox (`GET /_admin/notifications`, only the certificate
    /// `name` when given; only rows added since the scenario started) until `expect` holds or
    /// `wait` (default 20s) has passed.
    pub struct Notifications {
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub wait: Option<Dur>,
    }
}

step_kind! {
    /// Waits (use `poll_until` to wait for state).
    pub struct Sleep {
        #[serde(rename = "for")]
        pub duration: Dur,
    }
}
