//! The stage every dashboard test plays on: ca-sim, the vault binary wired to it, a browser;
//! the selectors and admin reads the tests share.

use e2e::{
    cn_of, partner_vault_args, put_issuer, put_partner_issuers, self_signed_ec_policy_json,
    set_profile, Browser, CaSimAdmin, Provider::DigiCert, Raw, TestCaSim, VaultProcess,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;

/// ca-sim's timing profile: orders of validated organizations issue within a second.
const PROFILE: &str = "fixed:1s";

/// A DigiCert issuer whose organization (100002) is not validated: ca-sim holds its orders
/// until an admin approves or rejects them, so a test decides when an order moves on.
pub(super) const VETTING_ISSUER: &str = "digicert";

/// A timeline item of `kind` on vault's certificate page.
pub(super) fn event(kind: &str) -> String {
    format!("ol[data-testid=\"timeline\"] li[data-testid=\"timeline-event\"][data-kind=\"{kind}\"]")
}

pub(super) const OP_STATUS: &str = "[data-testid=\"op-status\"]";
pub(super) const LIVE_OPEN: &str = "[data-testid=\"live\"][data-state=\"open\"]";

/// ca-sim ([`PROFILE`] for every account), the vault binary wired to it with the partner
/// issuers and [`VETTING_ISSUER`], and a browser.
pub(super) struct Stage {
    pub(super) ca: TestCaSim,
    pub(super) vault: VaultProcess,
    pub(super) browser: Browser,
    /// The default vault's name, as the dashboard's routes name it.
    pub(super) vault_name: String,
    _data_dir: TempDir,
}

impl Stage {
    pub(super) async fn start() -> Stage {
        let ca = TestCaSim::start_with(|c| set_profile(c, PROFILE)).await;
        let data_dir = tempfile::Builder::new()
            .prefix("e2e-dashboard-")
            .tempdir()
            .expect("temp data dir");
        let args = partner_vault_args(
            &ca,
            &[
                // Few enough polls that a timeline fits on one screen.
                ("--provider-poll-interval", "500ms"),
                ("--provider-timeout", "20s"),
                ("--retry-after", "100ms"),
            ],
        );
        let vault = VaultProcess::spawn_with_args(data_dir.path(), &args).await;
        put_partner_issuers(&vault.raw()).await;
        let mut vetting = DigiCert.issuer_body(DigiCert.secret());
        vetting["org_details"]["id"] = json!("100002");
        put_issuer(&vault.raw(), VETTING_ISSUER, &vetting).await;
        let vaults = admin_get(&vault, "/_admin/vaults").await;
        let vault_name = vaults["value"]
            .as_array()
            .and_then(|all| all.iter().find(|v| v["default"] == true))
            .and_then(|v| v["name"].as_str())
            .unwrap_or_else(|| panic!("no default vault in /_admin/vaults: {vaults}"))
            .to_string();
        let browser = Browser::start().await;
        Stage {
            ca,
            vault,
            browser,
            vault_name,
            _data_dir: data_dir,
        }
    }

    pub(super) fn raw(&self) -> Raw {
        self.vault.raw()
    }

    pub(super) fn admin(&self) -> CaSimAdmin {
        self.ca.admin()
    }

    /// vault's dashboard at hash route `route` (e.g. `#/clock`).
    pub(super) fn vault_ui(&self, route: &str) -> String {
        format!("{}/_admin/ui/{route}", self.vault.base_url())
    }

    /// ca-sim's dashboard at hash route `route`.
    pub(super) fn ca_ui(&self, route: &str) -> String {
        format!("{}/admin/ui/{route}", self.ca.url())
    }

    /// vault's certificate page of `name`.
    pub(super) fn certificate_page(&self, name: &str) -> String {
        self.vault_ui(&format!("#/certificate/{}/{name}", self.vault_name))
    }

    /// Opens `url` and waits until the page's live connection is open.
    pub(super) async fn open(&self, url: &str) {
        self.browser.goto(url).await;
        self.browser.wait_for(LIVE_OPEN).await;
    }

    /// Starts a partnered DigiCert create of `name` through `issuer` (not waiting for it);
    /// the id of ca-sim's order.
    pub(super) async fn start_partnered(&self, name: &str, issuer: &str) -> String {
        let cn = cn_of(name);
        let policy = e2e::partner_policy(issuer, &DigiCert.subject(&cn), &cn);
        self.raw()
            .start_create(name, &json!({ "policy": policy }))
            .await;
        let what = format!("ca-sim to get the order for {name}");
        let order = e2e::eventually(e2e::DEADLINE, &what, || async {
            self.admin().orders_for(&cn).await.into_iter().next()
        })
        .await;
        order["id"].as_str().expect("order id").to_string()
    }

    pub(super) async fn finish(self) {
        self.browser.assert_clean().await;
        self.browser.close().await;
    }
}

/// `GET` of vault's admin API (dev mode: no token), asserting 200.
pub(super) async fn admin_get(vault: &VaultProcess, path: &str) -> Value {
    let rsp = vault.raw().get(path).await;
    assert_eq!(rsp.status, StatusCode::OK, "GET {path}: {}", rsp.text);
    rsp.json()
}

/// Self-signed certificates with a tag, so the certificate list has a few rows to show.
pub(super) async fn self_signed(raw: &Raw, names: &[(&str, &str)]) {
    for (name, team) in names {
        let policy = self_signed_ec_policy_json(&format!("CN={name}.example.com"));
        let body = json!({ "policy": policy, "tags": { "team": team } });
        let op = raw.create_body_and_wait(name, &body).await;
        assert_eq!(op["status"], "completed", "create {name}: {op}");
    }
}
