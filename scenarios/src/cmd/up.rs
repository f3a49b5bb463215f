//! `scenarios up`: ca-sim and vault in this process until Ctrl-C, with one issuer per partner
//! provider registered, both dashboards' URLs, and copy-paste snippets for the SDKs and curl.

use anyhow::Context as _;
use scenarios::case::IssuerSpec;
use scenarios::client::VaultClient;
use scenarios::dashboard::DashboardUrls;
use scenarios::services::{Endpoints, LocalOptions, LocalServices};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Keep data here (vault/ and ca-sim/ below it) instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// ca-sim timing profile of the built-in accounts (`instant`, `fixed:2s`, `stuck`, ...).
    #[arg(long, default_value = "fixed:2s")]
    pub profile: String,
    /// ca-sim simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
}

/// The issuers `up` registers: (issuer name, provider). `acme` is vault's ACME client ordering
/// from ca-sim's ACME dialect, which checks http-01 for real (names under `.localhost`).
pub const ISSUERS: [(&str, &str); 4] = [
    ("digicert", "DigiCert"),
    ("globalsign", "GlobalSign"),
    ("wosign", "WoSign"),
    ("acme", "ACME"),
];

pub async fn run(args: Args) -> anyhow::Result<bool> {
    let options = LocalOptions {
        time_scale: args.time_scale,
        builtin_profile: Some(args.profile.clone()),
        provider_poll_interval: Duration::from_secs(1),
        provider_deadline: Duration::from_secs(600),
        provider_timeout: Duration::from_secs(15),
        data_dir: args.data_dir.clone(),
        ..LocalOptions::default()
    };
    let services = LocalServices::start(options)
        .await
        .context("starting vault and ca-sim")?;
    let ep = services.endpoints.clone();
    let vault = VaultClient::new(&ep.vault_url, &ep.vault_ca_pem)?;
    for (name, provider) in ISSUERS {
        let spec = IssuerSpec {
            name: name.into(),
            provider: provider.into(),
            account_id: None,
            pwd: None,
            org_id: None,
            body: None,
        };
        let body = scenarios::runner::issuer_body(&spec);
        let r = vault
            .send(
                reqwest::Method::PUT,
                &format!("/certificates/issuers/{name}"),
                Some(&body),
                true,
            )
            .await?;
        anyhow::ensure!(
            r.is_success(),
            "registering issuer {name}: {} {}",
            r.status,
            r.body
        );
    }
    println!("{}", banner(&ep, &services.dashboard_urls(), &args.profile));
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    println!("\nstopping…");
    services.stop().await;
    Ok(true)
}

/// What `up` prints: where things are and how to point each SDK at them.
pub fn banner(ep: &Endpoints, dashboards: &DashboardUrls, profile: &str) -> String {
    let path = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    let (vault_url, ca_path) = (&ep.vault_url, path(&ep.vault_ca_path));
    let (ca_sim_url, ca_sim_ca) = (&ep.ca_sim_url, path(&ep.ca_sim_ca_path));
    let issuers: Vec<String> = ISSUERS.iter().map(|(n, p)| format!("{n} ({p})")).collect();
    format!(
        r#"vault    {vault_url}
CA file  {ca_path}
ca-sim   {ca_sim_url}   (admin API: {ca_sim_url}/admin/…, orders issue after {profile})
         (its CA file: {ca_sim_ca})
{dashboards}
         (browsers warn about these CAs: accept, or import the two CA files)
issuers  {issuers}   — also "Self" and "Unknown"
         (acme: vault's ACME client → ca-sim's {ca_sim_url}/acme/directory, for names under
         .localhost, whose http-01 ca-sim checks against vault's responder)
ACME     {vault_url}/acme/directory   (every answered challenge is valid; profiles local,
         shortlived and one per issuer above)

Any bearer token is accepted. Press Ctrl-C to stop.

── curl ───────────────────────────────────────────────────────────────────
CA={ca_path}; V={vault_url}; T='Authorization: Bearer dev'
curl -s --cacert $CA -H "$T" -X POST "$V/certificates/web/create?api-version=7.5" \
  -H 'Content-Type: application/json' \
  -d '{{"policy":{{"key_props":{{"kty":"EC","crv":"P-256"}},"x509_props":{{"subject":"CN=web.example"}},"issuer":{{"name":"digicert","cty":"OV-SSL"}}}}}}'
curl -s --cacert $CA -H "$T" "$V/certificates/web/pending?api-version=7.5"
curl -s --cacert $CA -H "$T" "$V/certificates/web/?api-version=7.5"

── Python (azure-keyvault-certificates) ───────────────────────────────────
from azure.keyvault.certificates import CertificateClient, CertificatePolicy
from azure.core.credentials import AccessToken
class Dev:
    def get_token(self, *scopes, **kw): return AccessToken("dev", 2**31 - 1)
client = CertificateClient("{vault_url}", Dev(),
    verify_challenge_resource=False, connection_verify="{ca_path}")
poller = client.begin_create_certificate("web", CertificatePolicy(
    issuer_name="digicert", subject="CN=web.example", certificate_type="OV-SSL"))
print(poller.result().properties.x509_thumbprint.hex())

── Rust (azure_security_keyvault_certificates) ────────────────────────────
let http = reqwest::Client::builder()
    .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read("{ca_path}")?)?)
    .build()?;
let options = CertificateClientOptions {{
    verify_challenge_resource: Some(false),
    client_options: ClientOptions {{ transport: Some(Transport::new(Arc::new(http))), ..Default::default() }},
    ..Default::default()
}};
let client = CertificateClient::new("{vault_url}", credential, Some(options))?;

── JavaScript (@azure/keyvault-certificates) ──────────────────────────────
// NODE_EXTRA_CA_CERTS={ca_path} node app.js
const client = new CertificateClient("{vault_url}",
  {{ getToken: async () => ({{ token: "dev", expiresOnTimestamp: Date.now() + 3600e3 }}) }},
  {{ disableChallengeResourceVerification: true }});
const poller = await client.beginCreateCertificate("web",
  {{ issuerName: "digicert", subject: "CN=web.example", certificateType: "OV-SSL" }});
console.log((await poller.pollUntilDone()).properties.x509Thumbprint);
"#,
        issuers = issuers.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use scenarios::dashboard::DashboardUrls;
    use scenarios::services::Endpoints;

    #[test]
    fn banner_names_url_ca_dashboards_and_every_sdk() {
        let ep = Endpoints {
            vault_url: "https://127.0.0.1:1".into(),
            vault_ca_pem: String::new(),
            vault_ca_path: Some("/tmp/ca.pem".into()),
            ca_sim_url: "https://127.0.0.1:2".into(),
            ca_sim_ca_pem: String::new(),
            ca_sim_ca_path: Some("/tmp/ca-sim.pem".into()),
            http01: None,
        };
        let dashboards = DashboardUrls::new(&ep.vault_url, &ep.ca_sim_url, None);
        let b = super::banner(&ep, &dashboards, "fixed:2s");
        for needle in [
            "https://127.0.0.1:1",
            "/tmp/ca.pem",
            "/tmp/ca-sim.pem",
            "vault dashboard   https://127.0.0.1:1/_admin/ui/",
            "ca-sim dashboard  https://127.0.0.1:2/admin/ui/",
            "curl",
            "Python",
            "Rust",
            "JavaScript",
            "digicert (DigiCert)",
            "globalsign (GlobalSign)",
            "wosign (WoSign)",
            "acme (ACME)",
            "https://127.0.0.1:1/acme/directory",
        ] {
            assert!(b.contains(needle), "banner lacks {needle}");
        }
    }
}
