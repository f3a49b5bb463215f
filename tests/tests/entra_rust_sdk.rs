//! The Azure SDK for Rust, unmodified, against `--auth entra`: `azure_identity`'s
//! `ClientSecretCredential` gets real tokens from vault's Entra-shaped token service, and the
//! certificate client keeps its default challenge-resource verification on. Two ways in:
//! through the drop-in CONNECT proxy with the real host names (`https://myvault.vault.azure.net`,
//! tokens from `https://login.microsoftonline.com`), and by host name
//! (`https://myvault.vault.localhost:PORT` resolved to the vault). Each creates a self-signed
//! certificate, polls it to completion, reads and parses it, and sees the 403
//! `ForbiddenByPolicy` a principal without `create` gets.

use std::net::SocketAddr;

use azure_core::error::ErrorResponse;
use azure_security_keyvault_certificates::{
    models::CreateCertificateParameters, CertificateClient, ResourceExt as _,
};
use e2e::*;
use reqwest::StatusCode;
use tempfile::TempDir;

const VAULT: &str = "myvault";
const APP_ID: &str = "11111111-1111-1111-1111-111111111111";
const APP_SECRET: &str = "app-secret";
const READER_ID: &str = "22222222-2222-2222-2222-222222222222";
const READER_SECRET: &str = "reader-secret";

/// `app` may create and read certificates in `myvault`; `reader` may only read them.
fn access_toml() -> String {
    format!(
        r#"tenant_id = "{TENANT_ID}"

[[principals]]
name = "app"
client_id = "{APP_ID}"
client_secret = "{APP_SECRET}"

[[principals]]
name = "reader"
client_id = "{READER_ID}"
client_secret = "{READER_SECRET}"

[[vaults]]
name = "{VAULT}"
authorization = "access-policy"

[[vaults.access_policies]]
principal = "app"
certificates = ["get", "list", "create", "update"]

[[vaults.access_policies]]
principal = "reader"
certificates = ["get", "list"]
"#
    )
}

/// An in-process vault in `--auth entra` with the access file above, `myvault` declared and
/// the drop-in proxy on a free loopback port. The returned dir holds the access file.
async fn entra_vault() -> (TestVault, TempDir) {
    let dir = tempfile::Builder::new()
        .prefix("e2e-access-")
        .tempdir()
        .expect("temp dir");
    let access = write_access_file(dir.path(), &access_toml());
    let vault = TestVault::start_with(move |config| {
        config.auth = vault::config::AuthMode::Entra;
        config.access_file = Some(access.clone());
        config.vaults = vec![VAULT.to_string()];
        config.proxy_listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    })
    .await;
    (vault, dir)
}

/// The flow both ways share: `app` creates `name` (self-signed) through the SDK poller, reads
/// it back and parses it; `reader` reads it too, and its create is refused with Key Vault's
/// access-policy 403, which the SDK surfaces with status, code and body.
async fn create_read_and_refuse(
    vault_url: &str,
    app: &CertificateClient,
    reader: &CertificateClient,
    name: &str,
) {
    let subject = format!("CN={name}.example.com");
    let created = create_certificate(app, name, ec_policy(&subject)).await;
    let id = created.id.clone().expect("created certificate has an id");
    assert!(
        id.starts_with(&format!("{vault_url}/certificates/{name}/")),
        "the id uses the host the client used ({vault_url}): {id}"
    );

    let fetched = app
        .get_certificate(name, None)
        .await
        .unwrap_or_else(|err| panic!("get_certificate({name}): {err}"))
        .into_model()
        .expect("decode certificate");
    let version = fetched.resource_id().expect("certificate id").version;
    assert!(version.is_some(), "get names a version");
    assert_eq!(
        version,
        created.resource_id().expect("created id").version,
        "get returns the version the poller finished with"
    );
    let der = fetched.cer.clone().expect("certificate has cer bytes");
    let cert = parse_cert(&der);
    assert_eq!(cert.subject().to_string(), subject);
    assert_eq!(
        cert.subject(),
        cert.issuer(),
        "a self-signed certificate names itself as issuer"
    );
    assert!(
        cert.validity().is_valid(),
        "the new certificate is valid now"
    );
    verify_cert_signed_by(&der, &der).expect("the certificate verifies with its own key");

    // `reader` holds `get`: it reads the same certificate with its own token.
    let read = reader
        .get_certificate(name, None)
        .await
        .unwrap_or_else(|err| panic!("reader get_certificate({name}): {err}"))
        .into_model()
        .expect("decode certificate");
    assert_eq!(read.cer, fetched.cer);

    // ... but not `create`.
    let denied = format!("{name}-denied");
    let poller = reader
        .begin_create_certificate(
            &denied,
            CreateCertificateParameters {
                certificate_policy: Some(ec_policy("CN=denied")),
                ..Default::default()
            }
            .try_into()
            .expect("serialize"),
            fast_poller(),
        )
        .expect("begin_create_certificate");
    let err = match tokio::time::timeout(DEADLINE, poller).await {
        Ok(Err(err)) => err,
        Ok(Ok(_)) => panic!("reader created {denied} without the create permission"),
        Err(_) => panic!("reader's create did not finish within {DEADLINE:?}"),
    };
    assert_eq!(http_status(&err), StatusCode::FORBIDDEN, "{err}");
    assert_eq!(error_code(&err).as_deref(), Some("Forbidden"), "{err}");
    let body = ErrorResponse::try_from(err).expect("the 403 carries Key Vault's error body");
    let detail = body.error.expect("error object");
    assert_eq!(
        detail.inner_error.and_then(|inner| inner.code).as_deref(),
        Some("ForbiddenByPolicy")
    );
    let message = detail.message.expect("error message");
    for part in [
        format!("appid={READER_ID};"),
        format!("iss=https://sts.windows.net/{TENANT_ID}/"),
        "does not have certificates create permission".to_string(),
        format!("on key vault '{VAULT};"),
    ] {
        assert!(message.contains(&part), "{part:?} missing from: {message}");
    }

    // Nothing was created for the refused call.
    app.get_certificate(&denied, None)
        .fails(
            StatusCode::NOT_FOUND,
            "the refused certificate does not exist",
        )
        .await;
}

#[tokio::test]
async fn sdk_through_the_drop_in_proxy_with_real_host_names() {
    let (vault, _access) = entra_vault().await;
    let proxy = vault
        .handle()
        .proxy_addr
        .expect("--proxy-listen starts the proxy");
    // As HTTPS_PROXY + a CA bundle would configure it: every request, the credential's token
    // requests to login.microsoftonline.com included, goes through the proxy.
    let http = via_proxy(vault.ca_pem(), proxy);
    let vault_url = format!("https://{VAULT}.vault.azure.net");
    let app = entra_certificate_client(
        &vault_url,
        secret_credential(APP_ID, APP_SECRET, &http, None),
        &http,
    );
    let reader = entra_certificate_client(
        &vault_url,
        secret_credential(READER_ID, READER_SECRET, &http, None),
        &http,
    );
    create_read_and_refuse(&vault_url, &app, &reader, "via-proxy").await;
}

#[tokio::test]
async fn sdk_by_host_name_with_the_challenge_check_on() {
    let (vault, _access) = entra_vault().await;
    let host = format!("{VAULT}.vault.localhost");
    // As /etc/hosts would: the vault's name resolves to its address. The credential's
    // authority is the vault itself (the token endpoints answer on any host).
    let http = resolving(vault.ca_pem(), &[&host], vault.addr());
    let vault_url = format!("https://{host}:{}", vault.port());
    let authority = vault.base_url();
    let app = entra_certificate_client(
        &vault_url,
        secret_credential(APP_ID, APP_SECRET, &http, Some(&authority)),
        &http,
    );
    let reader = entra_certificate_client(
        &vault_url,
        secret_credential(READER_ID, READER_SECRET, &http, Some(&authority)),
        &http,
    );
    create_read_and_refuse(&vault_url, &app, &reader, "by-name").await;
}
