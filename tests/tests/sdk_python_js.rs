//! Production code, unmodified: the Python SDK (`azure-identity` + `azure-keyvault-certificates`,
//! PyPI) and the JavaScript SDK (`@azure/identity` + `@azure/keyvault-certificates`, npm), each
//! as a little app (`tests/sdk-apps/`) using `DefaultAzureCredential` and
//! `https://myvault.vault.azure.net`, driven only by environment variables, against the real
//! `vault` binary in `--auth entra` mode through its drop-in proxy (`--proxy-listen`).
//!
//! Per SDK: the `app` principal creates a certificate with the SDK's default policy, reads it,
//! lists and reads its secret (access policy); the `reader` principal reads it and is refused a
//! create with 403 `ForbiddenByPolicy` until the admin API grants it; the same pair against an
//! RBAC vault (`ForbiddenByRbac`).
//!
//! Managed identity, found from the environment alone (no `AZURE_CLIENT_SECRET`), per SDK and
//! style, against vault's plain-HTTP `--identity-listen` listener: App Service style
//! (`IDENTITY_ENDPOINT=http://127.0.0.1:PORT/msi/token` + `IDENTITY_HEADER`) and IMDS style
//! (`AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:PORT`, which both SDKs' IMDS sources
//! use in place of `169.254.169.254`). The system-assigned identity (`mi-app`, the first
//! declared) creates and reads; a user-assigned one picked with `AZURE_CLIENT_ID` (`mi-none`,
//! no access policy) is refused the create with a 403 naming it. The Key Vault calls still go
//! through the proxy; `NO_PROXY=127.0.0.1` sends the identity calls direct.
//! Every outcome is also read back from vault with raw HTTP (dev CA, a token from vault's own
//! token endpoint), and the certificate is parsed.

use std::net::SocketAddr;

use e2e::{
    b64url, decode_b64_std_strict, eventually, open_pfx_of, parse_cert, run_app, sha1, via_proxy,
    write_access_file, AppEnv, AppIdentity, Sdk, VaultProcess, DEADLINE, TENANT_ID,
};
use reqwest::StatusCode;
use serde_json::Value;

const APP_CLIENT_ID: &str = "11111111-1111-1111-1111-111111111111";
const APP_SECRET: &str = "app-secret";
const READER_CLIENT_ID: &str = "22222222-2222-2222-2222-222222222222";
const READER_SECRET: &str = "reader-secret";
const READER_OBJECT_ID: &str = "33333333-3333-3333-3333-333333333333";
const ADMIN_TOKEN: &str = "e2e-admin-token";
const POLICY_VAULT: &str = "myvault";
const RBAC_VAULT: &str = "rbacvault";
/// The system-assigned managed identity (the first `managed_identity = true` principal).
const MI_APP_CLIENT_ID: &str = "44444444-4444-4444-4444-444444444444";
/// A user-assigned managed identity without any access.
const MI_NONE_CLIENT_ID: &str = "55555555-5555-5555-5555-555555555555";
const MI_NONE_OBJECT_ID: &str = "66666666-6666-6666-6666-666666666666";
/// `--identity-header`: what App Service-style callers send as `X-IDENTITY-HEADER`.
const IDENTITY_HEADER: &str = "e2e-identity-header";

/// `app` (and the managed identity `mi-app`) may do everything with certificates and read
/// secrets in `myvault`; `reader` may only get and list certificates (and create, once
/// `reader_creates`); the managed identity `mi-none` may nothing. In `rbacvault` `app` and
/// `reader` hold built-in roles.
fn access_toml(reader_creates: bool) -> String {
    let reader_certificates = if reader_creates {
        r#"["get", "list", "create"]"#
    } else {
        r#"["get", "list"]"#
    };
    format!(
        r#"
tenant_id = "{TENANT_ID}"

[[principals]]
name = "app"
client_id = "{APP_CLIENT_ID}"
client_secret = "{APP_SECRET}"

[[principals]]
name = "reader"
client_id = "{READER_CLIENT_ID}"
client_secret = "{READER_SECRET}"
object_id = "{READER_OBJECT_ID}"

[[principals]]
name = "mi-app"
client_id = "{MI_APP_CLIENT_ID}"
managed_identity = true

[[principals]]
name = "mi-none"
client_id = "{MI_NONE_CLIENT_ID}"
object_id = "{MI_NONE_OBJECT_ID}"
managed_identity = true

[[vaults]]
name = "{POLICY_VAULT}"
authorization = "access-policy"

[[vaults.access_policies]]
principal = "app"
certificates = ["get", "list", "update", "create", "import", "delete", "recover", "backup",
                "restore", "managecontacts", "manageissuers", "getissuers", "listissuers",
                "setissuers", "deleteissuers", "purge"]
secrets = ["get"]

[[vaults.access_policies]]
principal = "mi-app"
certificates = ["get", "list", "create"]
secrets = ["get"]

[[vaults.access_policies]]
principal = "reader"
certificates = {reader_certificates}

[[vaults]]
name = "{RBAC_VAULT}"
authorization = "rbac"

[[vaults.role_assignments]]
principal = "app"
role = "Key Vault Certificates Officer"

[[vaults.role_assignments]]
principal = "app"
role = "Key Vault Secrets User"

[[vaults.role_assignments]]
principal = "reader"
role = "Key Vault Certificate User"
"#
    )
}

/// A `vault --auth entra` process with its drop-in proxy and its managed-identity listener,
/// and what the apps and the raw checks need to reach it.
struct DropIn {
    vault: VaultProcess,
    proxy: SocketAddr,
    /// `--identity-listen`: the plain-HTTP managed-identity endpoints.
    identity: SocketAddr,
    /// Trusts only the dev CA; every request goes through the proxy.
    http: reqwest::Client,
    dir: tempfile::TempDir,
}

impl DropIn {
    async fn start() -> DropIn {
        let dir = tempfile::tempdir().expect("temp dir");
        let access = write_access_file(dir.path(), &access_toml(false));
        let vault = VaultProcess::spawn_with_args(
            &dir.path().join("data"),
            &[
                "--auth".as_ref(),
                "entra".as_ref(),
                "--access".as_ref(),
                access.as_os_str(),
                "--admin-token".as_ref(),
                ADMIN_TOKEN.as_ref(),
                "--proxy-listen".as_ref(),
                "127.0.0.1:0".as_ref(),
                "--identity-listen".as_ref(),
                "127.0.0.1:0".as_ref(),
                "--identity-header".as_ref(),
                IDENTITY_HEADER.as_ref(),
            ] as &[&std::ffi::OsStr],
        )
        .await;
        let proxy = eventually(DEADLINE, "vault to print its proxy address", || {
            let output = vault.output();
            async move { listening_addr(&output, "proxy") }
        })
        .await;
        let identity = eventually(DEADLINE, "vault to print its identity address", || {
            let output = vault.output();
            async move { listening_addr(&output, "identity") }
        })
        .await;
        std::fs::write(dir.path().join("ca.pem"), vault.ca_pem()).expect("write ca.pem");
        std::fs::create_dir(dir.path().join("home")).expect("create home");
        let http = via_proxy(vault.ca_pem(), proxy);
        DropIn {
            vault,
            proxy,
            identity,
            http,
            dir,
        }
    }

    /// The environment a deployment of the app would get for `vault_name` and one principal.
    fn env(&self, vault_name: &str, client_id: &str, client_secret: &str) -> AppEnv {
        self.env_as(
            vault_name,
            AppIdentity::ClientSecret {
                tenant_id: TENANT_ID.to_string(),
                client_id: client_id.to_string(),
                client_secret: client_secret.to_string(),
            },
        )
    }

    /// The environment of an app hosted with a managed identity, as App Service (`app_service`)
    /// or a VM / pod (IMDS) would set it, with nothing else: no tenant, no secret.
    /// `user_assigned` is `AZURE_CLIENT_ID`; `None` picks the system-assigned identity.
    fn managed_env(
        &self,
        vault_name: &str,
        app_service: bool,
        user_assigned: Option<&str>,
    ) -> AppEnv {
        let client_id = user_assigned.map(str::to_string);
        let identity = if app_service {
            AppIdentity::AppService {
                endpoint: format!("http://{}/msi/token", self.identity),
                header: IDENTITY_HEADER.to_string(),
                client_id,
            }
        } else {
            AppIdentity::Imds {
                authority_host: format!("http://{}", self.identity),
                client_id,
            }
        };
        self.env_as(vault_name, identity)
    }

    fn env_as(&self, vault_name: &str, identity: AppIdentity) -> AppEnv {
        AppEnv {
            proxy: self.proxy,
            ca_file: self.dir.path().join("ca.pem"),
            identity,
            vault_url: vault_url(vault_name),
            home: self.dir.path().join("home"),
        }
    }

    /// Replaces the access document in force through `PUT /_admin/access` (raw HTTP to vault's
    /// own listener with the dev CA and the admin token; refused without the token).
    async fn put_access(&self, toml: String) {
        let url = format!("{}/_admin/access", self.vault.base_url());
        let rsp = self
            .vault
            .http()
            .put(&url)
            .header("content-type", "application/toml")
            .body(toml.clone())
            .send()
            .await
            .expect("PUT /_admin/access");
        assert_eq!(
            rsp.status(),
            StatusCode::UNAUTHORIZED,
            "admin API without the token"
        );
        let rsp = self
            .vault
            .http()
            .put(&url)
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", "application/toml")
            .body(toml)
            .send()
            .await
            .expect("PUT /_admin/access");
        let status = rsp.status();
        let text = rsp.text().await.expect("read body");
        assert_eq!(status, StatusCode::OK, "PUT /_admin/access: {text}");
    }

    /// A token for `app` from vault's token endpoint (client credentials, v2), as raw HTTP.
    async fn app_token(&self) -> String {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", APP_CLIENT_ID)
            .append_pair("client_secret", APP_SECRET)
            .append_pair("grant_type", "client_credentials")
            .append_pair("scope", "https://vault.azure.net/.default")
            .finish();
        let rsp = self
            .http
            .post(format!(
                "https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .expect("token request through the proxy");
        let status = rsp.status();
        let body: Value = rsp.json().await.expect("token response is JSON");
        assert_eq!(status, StatusCode::OK, "token endpoint: {body}");
        body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {body}"))
            .to_string()
    }

    /// `GET https://{vault}.vault.azure.net{path}` as `app`: status and JSON body.
    async fn get(&self, vault_name: &str, path: &str) -> (StatusCode, Value) {
        let rsp = self
            .http
            .get(format!("{}{path}?api-version=7.5", vault_url(vault_name)))
            .bearer_auth(self.app_token().await)
            .send()
            .await
            .expect("raw GET through the proxy");
        let status = rsp.status();
        let text = rsp.text().await.expect("read body");
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("GET {path}: {status} body is not JSON ({err}): {text}"));
        (status, body)
    }

    /// Runs `sdk`'s app as `env` (`scenario` `full` or `create`) for `name` in `vault_name` and
    /// asserts it created `name`: the app's summary and vault's own copy; returns the summary.
    async fn assert_app_creates(
        &self,
        sdk: Sdk,
        env: &AppEnv,
        vault_name: &str,
        scenario: &str,
        name: &str,
    ) -> Value {
        let run = run_app(sdk, env, scenario, name).await;
        let summary = run.ok();
        assert_created(summary, vault_name, name);
        self.assert_stored(vault_name, name, sdk, summary).await;
        summary.clone()
    }

    /// Runs `sdk`'s app as `env` to create `name` in `vault_name` and asserts the 403 naming
    /// `caller` (`appid`, `oid`) with the vault's access model's reason, and that nothing was
    /// created.
    async fn assert_create_refused(
        &self,
        sdk: Sdk,
        env: &AppEnv,
        vault_name: &str,
        name: &str,
        caller: (&str, &str),
    ) {
        let (inner, message_part) = if vault_name == RBAC_VAULT {
            (
                "ForbiddenByRbac",
                "Caller is not authorized to perform action on resource.".to_string(),
            )
        } else {
            (
                "ForbiddenByPolicy",
                format!("does not have certificates create permission on key vault '{vault_name}"),
            )
        };
        let run = run_app(sdk, env, "create", name).await;
        assert_forbidden(sdk, run.error(), inner, &message_part, caller);
        self.assert_absent(vault_name, name).await;
    }

    /// Asserts from vault itself that `name` exists in `vault_name` with the thumbprint the app
    /// reported, that its `cer` parses with the SDK's default subject, and (when the app read
    /// it) that the secret is the one the app saw.
    async fn assert_stored(&self, vault_name: &str, name: &str, sdk: Sdk, summary: &Value) {
        let (status, cert) = self
            .get(vault_name, &format!("/certificates/{name}/"))
            .await;
        assert_eq!(status, StatusCode::OK, "vault's copy of {name}: {cert}");
        let der = decode_b64_std_strict(cert["cer"].as_str().expect("cer"));
        let parsed = parse_cert(&der);
        let cn = parsed
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .expect("subject CN");
        let default_cn = match sdk {
            Sdk::Python => "DefaultPolicy", // CertificatePolicy.get_default()
            Sdk::JavaScript => "MyCert",    // DefaultCertificatePolicy (subject "cn=MyCert")
        };
        assert!(
            cn.eq_ignore_ascii_case(default_cn),
            "subject CN {cn}, expected the SDK default {default_cn}"
        );
        let thumbprint = hex(&sha1(&der));
        assert_eq!(summary["certificate"]["thumbprint"], thumbprint.as_str());
        assert_eq!(summary["certificate"]["cer_sha1"], thumbprint.as_str());
        assert_eq!(
            cert["id"], summary["certificate"]["id"],
            "same id for app and vault"
        );
        assert_eq!(
            cert["x5t"].as_str().map(|x5t| x5t.trim_end_matches('=')),
            Some(b64url(&sha1(&der)).as_str()),
            "x5t"
        );
        if let Some(app_secret) = summary.get("secret") {
            // The app read the certificate's secret; a PFX is exported afresh on every read,
            // so compare what identifies it, then open vault's copy.
            assert_eq!(
                app_secret["id"], cert["sid"],
                "secret id is the certificate's sid"
            );
            assert_eq!(app_secret["key_id"], cert["kid"], "secret kid");
            assert_eq!(app_secret["managed"], true);
            assert_eq!(app_secret["content_type"], "application/x-pkcs12");
            let (status, secret) = self.get(vault_name, &format!("/secrets/{name}/")).await;
            assert_eq!(status, StatusCode::OK, "vault's secret of {name}: {secret}");
            let pfx = decode_b64_std_strict(secret["value"].as_str().expect("secret value"));
            open_pfx_of(&pfx, &der, name);
        }
    }

    /// Asserts from vault itself that `name` does not exist in `vault_name`.
    async fn assert_absent(&self, vault_name: &str, name: &str) {
        let (status, body) = self
            .get(vault_name, &format!("/certificates/{name}/"))
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{name} in {vault_name}: {body}"
        );
        assert_eq!(body["error"]["code"], "CertificateNotFound", "{body}");
    }
}

fn vault_url(vault_name: &str) -> String {
    format!("https://{vault_name}.vault.azure.net")
}

/// A plain-HTTP listener's address from vault's output (`{what} listening on
/// http://127.0.0.1:PORT`, `what` being `proxy` or `identity`).
fn listening_addr(output: &str, what: &str) -> Option<SocketAddr> {
    let marker = format!("{what} listening on ");
    output.lines().find_map(|line| {
        let rest = &line[line.find(&marker)? + marker.len()..];
        let addr = rest.trim().trim_start_matches("http://");
        addr.split_whitespace().next()?.parse().ok()
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the summary of a successful create-get-list(-secret) run of `name` in `vault_name`.
fn assert_created(summary: &Value, vault_name: &str, name: &str) {
    let prefix = format!("{}/certificates/{name}/", vault_url(vault_name));
    let created = &summary["created"];
    let got = &summary["certificate"];
    for cert in [created, got] {
        let id = cert["id"].as_str().expect("id");
        assert!(
            id.starts_with(&prefix),
            "id {id} should start with {prefix}"
        );
        let thumbprint = cert["thumbprint"].as_str().expect("thumbprint");
        assert_eq!(thumbprint.len(), 40, "SHA-1 thumbprint: {thumbprint}");
        assert_eq!(cert["enabled"], true);
    }
    assert_eq!(created["thumbprint"], got["thumbprint"]);
    assert_eq!(created["version"], got["version"]);
    assert!(
        summary["listed"]
            .as_array()
            .expect("listed")
            .contains(&Value::from(name)),
        "{name} listed: {}",
        summary["listed"]
    );
}

/// Checks a 403 as the SDK surfaced it: status, Key Vault's code, the innererror where the SDK
/// exposes it (Python), and the message naming the caller (`appid`, `oid`).
fn assert_forbidden(
    sdk: Sdk,
    error: &Value,
    inner: &str,
    message_part: &str,
    (appid, oid): (&str, &str),
) {
    assert_eq!(error["step"], "create", "{error}");
    assert_eq!(error["status"], 403, "{error}");
    assert_eq!(error["code"], "Forbidden", "{error}");
    if sdk == Sdk::Python {
        assert_eq!(error["inner_code"], inner, "{error}");
    }
    let message = error["message"].as_str().expect("message");
    assert!(message.contains(message_part), "{message}");
    let caller = format!("appid={appid};oid={oid};iss=https://sts.windows.net/{TENANT_ID}/");
    assert!(
        message.contains(&caller),
        "the message names the caller ({caller}): {message}"
    );
}

async fn drive(sdk: Sdk, tag: &str) {
    let dropin = DropIn::start().await;
    let name = format!("{tag}-web");
    let denied = format!("{tag}-denied");
    let app = dropin.env(POLICY_VAULT, APP_CLIENT_ID, APP_SECRET);
    let reader = dropin.env(POLICY_VAULT, READER_CLIENT_ID, READER_SECRET);

    // Access policy, full permissions: create (default policy), get, list, secret.
    let summary = dropin
        .assert_app_creates(sdk, &app, POLICY_VAULT, "full", &name)
        .await;

    // get + list only: reading works ...
    let run = run_app(sdk, &reader, "read", &name).await;
    let read = run.ok();
    assert_eq!(
        read["certificate"]["thumbprint"],
        summary["certificate"]["thumbprint"]
    );
    assert!(read["listed"]
        .as_array()
        .expect("listed")
        .contains(&Value::from(name.as_str())));
    // ... creating is refused, and nothing is created.
    let reader_id = (READER_CLIENT_ID, READER_OBJECT_ID);
    dropin
        .assert_create_refused(sdk, &reader, POLICY_VAULT, &denied, reader_id)
        .await;
    // Granted `create` at runtime (admin API), the same unmodified app may create.
    dropin.put_access(access_toml(true)).await;
    dropin
        .assert_app_creates(sdk, &reader, POLICY_VAULT, "create", &denied)
        .await;

    // RBAC: Certificates Officer + Secrets User may do it all; Certificate User may not create.
    let app = dropin.env(RBAC_VAULT, APP_CLIENT_ID, APP_SECRET);
    let reader = dropin.env(RBAC_VAULT, READER_CLIENT_ID, READER_SECRET);
    dropin
        .assert_app_creates(sdk, &app, RBAC_VAULT, "full", &name)
        .await;
    dropin
        .assert_create_refused(sdk, &reader, RBAC_VAULT, &denied, reader_id)
        .await;

    assert_no_panic(&dropin);
}

fn assert_no_panic(dropin: &DropIn) {
    assert!(
        dropin
            .vault
            .output()
            .lines()
            .all(|l| !l.contains("panicked")),
        "vault output:\n{}",
        dropin.vault.output()
    );
}

/// Per managed-identity style: the system-assigned identity creates (default policy), gets,
/// lists and reads the secret; the user-assigned `mi-none` (`AZURE_CLIENT_ID`) is refused the
/// create with a 403 naming it, and nothing is created.
async fn drive_managed(sdk: Sdk, tag: &str) {
    let dropin = DropIn::start().await;
    for (app_service, style) in [(true, "appservice"), (false, "imds")] {
        let name = format!("{tag}-mi-{style}");
        let denied = format!("{tag}-mi-{style}-denied");

        let app = dropin.managed_env(POLICY_VAULT, app_service, None);
        dropin
            .assert_app_creates(sdk, &app, POLICY_VAULT, "full", &name)
            .await;

        let none = dropin.managed_env(POLICY_VAULT, app_service, Some(MI_NONE_CLIENT_ID));
        let none_id = (MI_NONE_CLIENT_ID, MI_NONE_OBJECT_ID);
        dropin
            .assert_create_refused(sdk, &none, POLICY_VAULT, &denied, none_id)
            .await;
    }
    assert_no_panic(&dropin);
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_runs_unmodified_with_default_azure_credential() {
    drive(Sdk::Python, "py").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn javascript_sdk_runs_unmodified_with_default_azure_credential() {
    drive(Sdk::JavaScript, "js").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_finds_a_managed_identity_in_the_environment() {
    drive_managed(Sdk::Python, "py").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn javascript_sdk_finds_a_managed_identity_in_the_environment() {
    drive_managed(Sdk::JavaScript, "js").await;
}
