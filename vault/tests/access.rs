//! Access policies and RBAC over real HTTPS with `--auth entra` (issue 14 §2): tokens from
//! vault's own token endpoint (client secret), Key Vault's exact 403 bodies for both models,
//! a per-certificate RBAC scope (the certificate and its private key through the secret, not
//! its neighbours), a runtime change through `PUT /_admin/access` taking effect on the next
//! request and surviving in the file, and SIGHUP re-reading the file.

use crate::common::{self, Served};
use crate::entra_support;

use base64::Engine;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const APP: &str = "11111111-1111-1111-1111-111111111111";
const OPS: &str = "22222222-2222-2222-2222-222222222222";
const ADMIN: &str = "admin-token-for-tests";
const API: &str = "api-version=7.5";

const DOC: &str = r#"
tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47"

[[principals]]
name = "app"
client_id = "11111111-1111-1111-1111-111111111111"
client_secret = "app-secret"

[[principals]]
name = "ops"
client_id = "22222222-2222-2222-2222-222222222222"
client_secret = "ops-secret"

[[vaults]]
name = "policyvault"
authorization = "access-policy"
location = "westeurope"
[[vaults.access_policies]]
principal = "app"
certificates = ["get", "list", "create"]
secrets = ["get"]
[[vaults.access_policies]]
principal = "ops"
certificates = ["all"]

[[vaults]]
name = "rbacvault"
authorization = "rbac"
subscription_id = "sub-1"
resource_group = "rg-1"
[[vaults.role_assignments]]
principal = "app"
role = "Key Vault Certificate User"
scope = "/certificates/web"
[[vaults.role_assignments]]
principal = "ops"
role = "Key Vault Certificates Officer"
"#;

const POLICY: &str = r#"{"policy":{"key_props":{"kty":"EC","crv":"P-256","exportable":true},"secret_props":{"contentType":"application/x-pem-file"},"x509_props":{"subject":"CN=web"},"issuer":{"name":"Self"}}}"#;

struct Vault {
    handle: vault::Handle,
    shutdown: CancellationToken,
    client: reqwest::Client,
    access_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Vault {
    async fn start() -> Vault {
        let dir = tempfile::tempdir().unwrap();
        let access_file = common::access_file(dir.path());
        std::fs::write(&access_file, DOC).unwrap();
        let mut config = common::entra_config(dir.path());
        config.admin_token = Some(ADMIN.into());
        let Served {
            handle,
            shutdown,
            client,
        } = Served::start_with(config, |builder, handle| {
            ["policyvault", "rbacvault"]
                .iter()
                .fold(builder, |b, name| {
                    b.resolve(&format!("{name}.vault.localhost"), handle.addr)
                })
        })
        .await;
        Vault {
            client,
            handle,
            shutdown,
            access_file,
            _dir: dir,
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.handle.stopped().await;
    }

    fn base(&self, vault: &str) -> String {
        format!(
            "https://{vault}.vault.localhost:{}",
            self.handle.addr.port()
        )
    }

    /// A token from vault's own Entra-shaped endpoint (client credentials with a secret).
    async fn token(&self, client_id: &str, secret: &str) -> String {
        entra_support::client_secret_token(
            &self.client,
            &self.handle.url(),
            TENANT,
            client_id,
            secret,
        )
        .await
    }

    async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        vault: &str,
        path: &str,
        body: Option<&str>,
    ) -> (u16, Value) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut req = self
            .client
            .request(method, format!("{}{path}{sep}{API}", self.base(vault)))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, token: &str, vault: &str, path: &str) -> (u16, Value) {
        self.call(token, reqwest::Method::GET, vault, path, None)
            .await
    }

    /// Creates a self-signed certificate and polls until it is issued (deadline 30 s).
    async fn issue(&self, token: &str, vault: &str, name: &str) {
        let path = format!("/certificates/{name}/create");
        let (status, body) = self
            .call(token, reqwest::Method::POST, vault, &path, Some(POLICY))
            .await;
        assert_eq!(status, 202, "{body}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (_, op) = self
                .get(token, vault, &format!("/certificates/{name}/pending"))
                .await;
            if op["status"] == "completed" {
                return;
            }
            assert!(Instant::now() < deadline, "{name} not issued: {op}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn admin(&self, method: reqwest::Method, body: Option<(&str, String)>) -> (u16, String) {
        let mut req = self
            .client
            .request(method, format!("{}/_admin/access", self.handle.url()))
            .bearer_auth(ADMIN);
        if let Some((content_type, body)) = body {
            req = req.header("content-type", content_type).body(body);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
}

/// `appid=…;oid=…;iss=…` of a token, as Key Vault's messages name the caller.
fn describe(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["iss"], format!("https://sts.windows.net/{TENANT}/"));
    format!(
        "appid={};oid={};iss=https://sts.windows.net/{TENANT}/",
        claims["appid"].as_str().unwrap(),
        claims["oid"].as_str().unwrap()
    )
}

fn forbidden(message: String, inner: &str) -> Value {
    json!({"error": {"code": "Forbidden", "message": message, "innererror": {"code": inner}}})
}

#[tokio::test]
async fn access_policies_allow_what_they_list_and_deny_with_key_vaults_body() {
    let v = Vault::start().await;
    let app = v.token(APP, "app-secret").await;
    v.issue(&app, "policyvault", "web").await;
    assert_eq!(v.get(&app, "policyvault", "/certificates/web").await.0, 200);
    assert_eq!(v.get(&app, "policyvault", "/certificates").await.0, 200);
    // The private key, through the secret: secrets get.
    let (status, secret) = v.get(&app, "policyvault", "/secrets/web").await;
    assert_eq!(status, 200);
    assert!(secret["value"].as_str().unwrap().contains("PRIVATE KEY"));

    let (status, body) = v
        .call(
            &app,
            reqwest::Method::DELETE,
            "policyvault",
            "/certificates/web",
            None,
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        forbidden(
            format!(
                "The user, group or application '{}' does not have certificates delete permission \
                 on key vault 'policyvault;location=westeurope'. For help resolving this issue, \
                 please see https://go.microsoft.com/fwlink/?linkid=2125287",
                describe(&app)
            ),
            "ForbiddenByPolicy"
        )
    );
    // Issuers and contacts are their own permissions.
    let (status, body) = v.get(&app, "policyvault", "/certificates/issuers").await;
    assert_eq!(status, 403);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("does not have certificates listissuers permission"));
    let (status, _) = v.get(&app, "policyvault", "/certificates/contacts").await;
    assert_eq!(status, 403);
    // The denied delete did nothing.
    assert_eq!(v.get(&app, "policyvault", "/certificates/web").await.0, 200);
    v.stop().await;
}

#[tokio::test]
async fn rbac_scoped_to_one_certificate_reaches_it_and_its_key_only() {
    let v = Vault::start().await;
    let ops = v.token(OPS, "ops-secret").await;
    let app = v.token(APP, "app-secret").await;
    v.issue(&ops, "rbacvault", "web").await;
    v.issue(&ops, "rbacvault", "other").await;

    // Key Vault Certificate User at /certificates/web: the certificate and its private key.
    assert_eq!(v.get(&app, "rbacvault", "/certificates/web").await.0, 200);
    let (status, secret) = v.get(&app, "rbacvault", "/secrets/web").await;
    assert_eq!(status, 200);
    assert!(secret["value"].as_str().unwrap().contains("PRIVATE KEY"));

    let (status, body) = v.get(&app, "rbacvault", "/certificates/other").await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        forbidden(
            format!(
                "Caller is not authorized to perform action on resource.\r\nIf role assignments, \
                 deny assignments or role definitions were changed recently, please observe \
                 propagation time.\r\nCaller: {}\r\nAction: \
                 'Microsoft.KeyVault/vaults/certificates/read'\r\nResource: \
                 '/subscriptions/sub-1/resourcegroups/rg-1/providers/microsoft.keyvault/vaults/rbacvault/certificates/other'\r\n\
                 Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: \
                 'DeniedWithNoValidRBAC' \r\nVault: rbacvault;location=eastus\r\n",
                describe(&app)
            ),
            "ForbiddenByRbac"
        )
    );
    assert_eq!(v.get(&app, "rbacvault", "/secrets/other").await.0, 403);
    // Listing is a vault-level read, outside the certificate's scope.
    assert_eq!(v.get(&app, "rbacvault", "/certificates").await.0, 403);
    // A certificate-scoped reader cannot create, even that certificate.
    let (status, body) = v
        .call(
            &app,
            reqwest::Method::POST,
            "rbacvault",
            "/certificates/web/create",
            Some(POLICY),
        )
        .await;
    assert_eq!(status, 403);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Action: 'Microsoft.KeyVault/vaults/certificates/create/action'"));
    // Certificates Officer: issuers and contacts, but no secrets.
    assert_eq!(
        v.get(&ops, "rbacvault", "/certificates/issuers").await.0,
        200
    );
    let (status, body) = v.get(&ops, "rbacvault", "/secrets/web").await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["innererror"]["code"], "ForbiddenByRbac");
    v.stop().await;
}

/// The document with `extra` appended to app's certificate permissions in `policyvault`.
fn with_app_certificates(extra: &str) -> String {
    DOC.replacen(
        "certificates = [\"get\", \"list\", \"create\"]",
        &format!("certificates = [\"get\", \"list\", \"create\", {extra}]"),
        1,
    )
}

#[tokio::test]
async fn a_put_through_the_admin_api_applies_at_once_and_is_written_back() {
    let v = Vault::start().await;
    let app = v.token(APP, "app-secret").await;
    assert_eq!(
        v.get(&app, "policyvault", "/certificates/issuers").await.0,
        403
    );

    // Without the admin token: 401. A broken document: 400 naming the problem, nothing changes.
    let anonymous = v
        .client
        .get(format!("{}/_admin/access", v.handle.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let (status, body) = v
        .admin(
            reqwest::Method::PUT,
            Some(("application/toml", with_app_certificates("\"fly\""))),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("unknown certificates permission \\\"fly\\\""),
        "{body}"
    );
    assert_eq!(std::fs::read_to_string(&v.access_file).unwrap(), DOC);

    // A valid TOML document: in force for the very next request, and in the file.
    let (status, body) = v
        .admin(
            reqwest::Method::PUT,
            Some(("application/toml", with_app_certificates("\"listissuers\""))),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        v.get(&app, "policyvault", "/certificates/issuers").await.0,
        200
    );
    let on_disk = std::fs::read_to_string(&v.access_file).unwrap();
    assert!(on_disk.contains("listissuers"), "{on_disk}");
    let (status, current) = v.admin(reqwest::Method::GET, None).await;
    assert_eq!(status, 200);
    assert!(current.contains("listissuers") && current.contains("[[vaults]]"));

    // JSON in, JSON out: take listissuers away again.
    let mut doc: Value = {
        let resp = v
            .client
            .get(format!("{}/_admin/access", v.handle.url()))
            .bearer_auth(ADMIN)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        resp.json().await.unwrap()
    };
    doc["vaults"][0]["access_policies"][0]["certificates"] = json!(["get"]);
    let (status, _) = v
        .admin(
            reqwest::Method::PUT,
            Some(("application/json", doc.to_string())),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        v.get(&app, "policyvault", "/certificates/issuers").await.0,
        403
    );
    assert_eq!(v.get(&app, "policyvault", "/certificates").await.0, 403);
    v.stop().await;
}

/// Sends SIGHUP to this process (the vault under test runs in it).
fn sighup() {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[cfg(unix)]
#[tokio::test]
async fn sighup_rereads_the_access_file() {
    // Hold a SIGHUP listener of our own first: from here on the signal cannot end the test
    // process, whether or not vault's reload task has installed its listener yet.
    let _guard = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).unwrap();
    let v = Vault::start().await;
    let app = v.token(APP, "app-secret").await;
    assert_eq!(
        v.get(&app, "policyvault", "/certificates/issuers").await.0,
        403
    );
    write_file(&v.access_file, &with_app_certificates("\"manageissuers\""));
    // Signal until the reload shows (the task may not listen yet on the first one).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        sighup();
        if v.get(&app, "policyvault", "/certificates/issuers").await.0 == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "SIGHUP did not reload the access file"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    v.stop().await;
}

fn write_file(path: &Path, text: &str) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}
