//! The real SDK's own identity stack against `--auth entra`: `azure_identity`'s
//! [`ClientSecretCredential`] and a certificate client with the default challenge-resource
//! verification on, over a transport that reaches vault either through its drop-in proxy
//! ([`via_proxy`]) or by resolving host names to its address ([`resolving`]), and the
//! access file such a vault reads ([`write_access_file`]).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use azure_core::{
    cloud::{CloudConfiguration, CustomConfiguration},
    credentials::Secret,
    http::{ClientOptions, RetryOptions, Transport},
};
use azure_identity::{ClientSecretCredential, ClientSecretCredentialOptions};
use azure_security_keyvault_certificates::{CertificateClient, CertificateClientOptions};

use crate::wait::DEADLINE;

/// The tenant the tests' access files declare.
pub const TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// Writes `toml` as `access.toml` in `dir` and returns its path.
pub fn write_access_file(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("access.toml");
    std::fs::write(&path, toml).expect("write access file");
    path
}

/// A reqwest client that trusts only `ca_pem` and sends every `https://` request through the
/// CONNECT proxy at `proxy` (as `HTTPS_PROXY` would).
pub fn via_proxy(ca_pem: &str, proxy: SocketAddr) -> reqwest::Client {
    let proxy = reqwest::Proxy::https(format!("http://{proxy}")).expect("proxy URL");
    builder(ca_pem)
        .proxy(proxy)
        .build()
        .expect("build reqwest client")
}

/// A reqwest client that trusts only `ca_pem` and resolves each of `hosts` to `addr` (no
/// proxy), as /etc/hosts or a container network alias would.
pub fn resolving(ca_pem: &str, hosts: &[&str], addr: SocketAddr) -> reqwest::Client {
    let mut builder = builder(ca_pem).no_proxy();
    for host in hosts {
        builder = builder.resolve(host, addr);
    }
    builder.build().expect("build reqwest client")
}

fn builder(ca_pem: &str) -> reqwest::ClientBuilder {
    let certs = reqwest::Certificate::from_pem_bundle(ca_pem.as_bytes()).expect("parse dev CA PEM");
    assert!(!certs.is_empty(), "dev CA PEM holds no certificate");
    reqwest::Client::builder()
        .tls_certs_only(certs)
        .timeout(DEADLINE)
}

/// Client options over `http`, without retries (failures surface at once) and, when
/// `authority` is given, with a custom cloud whose Entra authority host it is; otherwise the
/// public cloud (`https://login.microsoftonline.com`), named explicitly so that an
/// `AZURE_AUTHORITY_HOST` in the environment does not change the test.
fn client_options(http: &reqwest::Client, authority: Option<&str>) -> ClientOptions {
    let cloud = match authority {
        Some(host) => {
            let mut custom = CustomConfiguration::default();
            custom.authority_host = host.to_string();
            CloudConfiguration::Custom(custom)
        }
        None => CloudConfiguration::AzurePublic,
    };
    ClientOptions {
        transport: Some(Transport::new(Arc::new(http.clone()))),
        retry: RetryOptions::none(),
        cloud: Some(Arc::new(cloud)),
        ..Default::default()
    }
}

/// `azure_identity`'s client-secret credential for [`TENANT_ID`], fetching its tokens over
/// `http` from `authority` (`None`: Entra ID's public host).
pub fn secret_credential(
    client_id: &str,
    secret: &str,
    http: &reqwest::Client,
    authority: Option<&str>,
) -> Arc<ClientSecretCredential> {
    ClientSecretCredential::new(
        TENANT_ID,
        client_id.to_string(),
        Secret::new(secret.to_string()),
        Some(ClientSecretCredentialOptions {
            client_options: client_options(http, authority),
        }),
    )
    .expect("build ClientSecretCredential")
}

/// A certificate client for `vault_url` over `http`, authenticating with `credential`, with
/// the SDK's default challenge-resource verification (`verify_challenge_resource` unset).
pub fn entra_certificate_client(
    vault_url: &str,
    credential: Arc<ClientSecretCredential>,
    http: &reqwest::Client,
) -> CertificateClient {
    let options = CertificateClientOptions {
        client_options: client_options(http, None),
        ..Default::default()
    };
    assert_eq!(
        options.verify_challenge_resource,
        Some(true),
        "the SDK's default verifies the challenge resource"
    );
    CertificateClient::new(vault_url, credential, Some(options)).expect("build CertificateClient")
}
