//! The three partner CAs as the tests reach them through an in-process ca-sim: [`Provider`]
//! (DigiCert, GlobalSign, WoSign) with ca-sim's dialect names, its built-in accounts'
//! credentials and the issuer bodies vault takes for them (partner-dialects.md §1.3); the
//! partnered policy ([`partner_policy`]); and vault wired to that ca-sim, in process
//! ([`partner_config`]) or as the real binary ([`partner_vault_args`]). Tests that use partners
//! take these rather than writing the accounts and flags out again.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{raw_http::Raw, test_ca_sim::TestCaSim};

/// One of ca-sim's dialects, with the vault issuer for ca-sim's built-in account of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    DigiCert,
    GlobalSign,
    WoSign,
}

use Provider::{DigiCert, GlobalSign, WoSign};

impl Provider {
    /// Every provider, in the order tests cycle through them.
    pub const ALL: [Provider; 3] = [DigiCert, GlobalSign, WoSign];

    /// The suffix of the tests' certificate names (`{case}-{dc|gs|ws}`).
    pub fn short(self) -> &'static str {
        match self {
            DigiCert => "dc",
            GlobalSign => "gs",
            WoSign => "ws",
        }
    }

    /// ca-sim's dialect name (admin API, fault rules).
    pub fn dialect(self) -> &'static str {
        match self {
            DigiCert => "digicert",
            GlobalSign => "globalsign",
            WoSign => "wosign",
        }
    }

    /// The issuer's `provider` field (and vault's `--provider-endpoint` kind).
    pub fn provider_name(self) -> &'static str {
        match self {
            DigiCert => "DigiCert",
            GlobalSign => "GlobalSign",
            WoSign => "WoSign",
        }
    }

    /// The vault issuer [`put_partner_issuers`] creates with the built-in account.
    pub fn issuer(self) -> String {
        format!("{}-issuer", self.short())
    }

    /// The built-in account's password / API key.
    pub fn secret(self) -> &'static str {
        match self {
            DigiCert => "sim-dc-key",
            GlobalSign => "sim-gs-pass",
            WoSign => "sim-ws-key",
        }
    }

    /// The issuer object (partner-dialects.md §1.3) for ca-sim's built-in account, with
    /// `secret` as its password (a wrong one makes a bad issuer).
    pub fn issuer_body(self, secret: &str) -> Value {
        match self {
            DigiCert => json!({
                "provider": "DigiCert",
                "credentials": { "account_id": "sim-dc-account", "pwd": secret },
                "org_details": { "id": "100001" }
            }),
            GlobalSign => json!({
                "provider": "GlobalSign",
                "credentials": { "account_id": "PAR_SIM_API", "pwd": secret },
                "org_details": { "admin_details": [{
                    "first_name": "Ada",
                    "last_name": "Admin",
                    "email": "ada.admin@contoso.example",
                    "phone": "+1 555 0100"
                }] }
            }),
            WoSign => json!({
                "provider": "WoSign",
                "credentials": { "account_id": "ws-sim-001", "pwd": secret }
            }),
        }
    }

    /// The policy subject. GlobalSign's OVOrder needs OrganizationInfo, which vault derives from
    /// the subject's O.
    pub fn subject(self, cn: &str) -> String {
        match self {
            GlobalSign => format!("CN={cn}, O=Contoso"),
            _ => format!("CN={cn}"),
        }
    }

    /// A word the dialect uses for an order that is not issued yet.
    pub fn pending_word(self) -> &'static str {
        match self {
            DigiCert => "pending",
            GlobalSign => "Waiting",
            WoSign => "PENDING",
        }
    }

    /// The operation vault's lookup of an order is to ca-sim's fault rules and request log
    /// (GlobalSign looks an order up with GetOrderByOrderID, a `poll`).
    pub fn lookup_operation(self) -> &'static str {
        match self {
            GlobalSign => "poll",
            _ => "lookup",
        }
    }

    /// The create request for certificate `name` through `issuer`: [`partner_policy`] with this
    /// provider's subject for the common name [`cn_of`]`(name)`.
    pub fn create_body(self, issuer: &str, name: &str) -> Value {
        let cn = cn_of(name);
        json!({ "policy": partner_policy(issuer, &self.subject(&cn), &cn) })
    }
}

/// The common name of certificate `name` (unique, so ca-sim's orders are found by it).
pub fn cn_of(name: &str) -> String {
    format!("{name}.example.com")
}

/// A partnered EC P-256 policy as wire JSON, 12 months, type OV-SSL.
pub fn partner_policy(issuer: &str, subject: &str, cn: &str) -> Value {
    json!({
        "key_props": { "kty": "EC", "crv": "P-256", "exportable": true, "reuse_key": false },
        "secret_props": { "contentType": "application/x-pkcs12" },
        "x509_props": {
            "subject": subject,
            "sans": { "dns_names": [cn] },
            "validity_months": 12
        },
        "issuer": { "name": issuer, "cty": "OV-SSL" }
    })
}

/// Puts every account of `config` on the timing `profile` (`instant`, `fixed:1s`, …).
pub fn set_profile(config: &mut ca_sim::Config, profile: &str) {
    for account in &mut config.accounts {
        account.profile = Some(profile.into());
    }
}

/// Vault configuration for partners: the three endpoints of `ca`, its TLS CA, fast polls, and
/// `timeout` for one CA call.
pub fn partner_config(
    ca: &TestCaSim,
    timeout: Duration,
) -> impl Fn(&mut vault::Config) + Send + Sync + 'static {
    let endpoints = ca.provider_endpoints();
    let ca_path = ca.ca_path().to_path_buf();
    move |config| {
        config.provider_endpoints = endpoints.clone();
        config.provider_ca = vec![ca_path.clone()];
        config.provider_poll_interval = Duration::from_millis(50);
        config.provider_deadline = Duration::from_secs(120);
        config.provider_timeout = timeout;
        config.retry_after = Duration::from_millis(100);
    }
}

/// The `vault` binary's flags that wire it to `ca`: `--provider-endpoint` for each dialect and
/// `--provider-ca`, then the caller's own `(flag, value)` pairs (its timing flags).
pub fn partner_vault_args(ca: &TestCaSim, flags: &[(&str, &str)]) -> Vec<String> {
    let mut args = Vec::new();
    for (kind, url) in ca.provider_endpoints() {
        args.push("--provider-endpoint".to_string());
        args.push(format!("{kind}={url}"));
    }
    args.push("--provider-ca".to_string());
    args.push(ca.ca_path().display().to_string());
    for (flag, value) in flags {
        args.push(flag.to_string());
        args.push(value.to_string());
    }
    args
}

/// `PUT /certificates/issuers/{name}`; asserts 200 and returns the issuer.
pub async fn put_issuer(raw: &Raw, name: &str, body: &Value) -> Value {
    let rsp = raw
        .put(&format!("/certificates/issuers/{name}"), body)
        .await;
    assert_eq!(
        rsp.status,
        StatusCode::OK,
        "PUT issuer {name}: {}",
        rsp.text
    );
    rsp.json()
}

/// Creates [`Provider::issuer`] for every provider, with the built-in account's secret.
pub async fn put_partner_issuers(raw: &Raw) {
    for p in Provider::ALL {
        put_issuer(raw, &p.issuer(), &p.issuer_body(p.secret())).await;
    }
}
