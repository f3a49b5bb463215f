//! Vault's dev CA and server certificate: the certificate names every host vault answers, the
//! CA is name-constrained to exactly those (a leaf for any other name signed with the CA's own
//! key is rejected by webpki and OpenSSL), and a data dir from before the constraint gets a
//! new CA at start with its vault data intact.

use crate::common;

use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{CurveName, KeyUsage, SubjectAlternativeNames};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls::client::danger::ServerCertVerifier;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{self, RootCertStore};
use tokio_util::sync::CancellationToken;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

async fn start(dir: &Path, hostnames: &[&str]) -> (vault::Handle, CancellationToken) {
    let mut config = vault::Config::new(dir);
    config.hostnames = hostnames.iter().map(|h| h.to_string()).collect();
    common::serve(config).await.unwrap()
}

fn pem_der(pem: &str) -> Vec<u8> {
    crypto::pem_blocks(pem)
        .into_iter()
        .find(|(l, _)| l == "CERTIFICATE")
        .unwrap()
        .1
}

fn general_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::IPAddress(b) if b.len() == 8 || b.len() == 32 => {
            let (addr, mask) = b.split_at(b.len() / 2);
            let addr: IpAddr = match addr.len() {
                4 => <[u8; 4]>::try_from(addr).unwrap().into(),
                _ => <[u8; 16]>::try_from(addr).unwrap().into(),
            };
            let prefix: u32 = mask.iter().map(|m| m.leading_ones()).sum();
            format!("IP:{addr}/{prefix}")
        }
        GeneralName::IPAddress(b) => {
            let addr: IpAddr = match b.len() {
                4 => <[u8; 4]>::try_from(*b).unwrap().into(),
                _ => <[u8; 16]>::try_from(*b).unwrap().into(),
            };
            format!("IP:{addr}")
        }
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn the_dev_ca_is_constrained_to_the_names_its_certificate_serves() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, token) = start(dir.path(), &["myhost.test", "10.9.8.7"]).await;

    let ca_der = pem_der(&handle.ca_pem);
    let (_, ca) = X509Certificate::from_der(&ca_der).unwrap();
    let nc = ca
        .name_constraints()
        .unwrap()
        .expect("a NameConstraints extension");
    assert!(nc.critical, "NameConstraints must be critical");
    assert!(nc.value.excluded_subtrees.is_none());
    let mut permitted: Vec<String> = nc
        .value
        .permitted_subtrees
        .as_ref()
        .unwrap()
        .iter()
        .map(|s| general_name(&s.base))
        .collect();
    permitted.sort();
    let mut expected = vec![
        "DNS:vault.azure.net",
        "DNS:vault.localhost",
        "DNS:login.microsoftonline.com",
        "DNS:localhost",
        "DNS:myhost.test",
        "IP:127.0.0.0/8",
        "IP:::1/128",
        "IP:10.9.8.7/32",
    ];
    expected.sort();
    assert_eq!(permitted, expected);

    let server_pem = std::fs::read_to_string(dir.path().join("tls/server.pem")).unwrap();
    let server_der = pem_der(&server_pem);
    let (_, server) = X509Certificate::from_der(&server_der).unwrap();
    let sans: Vec<String> = server
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(general_name)
        .collect();
    for want in [
        "DNS:*.vault.azure.net",
        "DNS:*.vault.localhost",
        "DNS:vault.localhost",
        "DNS:login.microsoftonline.com",
        "DNS:localhost",
        "DNS:myhost.test",
        "IP:127.0.0.1",
        "IP:::1",
        "IP:10.9.8.7",
    ] {
        assert!(sans.iter().any(|s| s == want), "{want} in {sans:?}");
    }

    // Real clients accept vault for each name (webpki checks each SAN, wildcards included,
    // against the constraints).
    let port = handle.addr.port();
    let mut builder = common::trusting(&handle);
    for host in [
        "myvault.vault.azure.net",
        "x.vault.localhost",
        "login.microsoftonline.com",
        "myhost.test",
    ] {
        builder = builder.resolve(host, handle.addr);
    }
    let client = builder.build().unwrap();
    for url in [
        format!("https://myvault.vault.azure.net:{port}/certificates?api-version=7.5"),
        format!("https://x.vault.localhost:{port}/certificates?api-version=7.5"),
        format!("https://myhost.test:{port}/certificates?api-version=7.5"),
        format!("https://127.0.0.1:{port}/certificates?api-version=7.5"),
    ] {
        let resp = client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e:?}"));
        assert_eq!(resp.status(), 401, "{url}");
    }
    let resp = client
        .get(format!(
            "https://login.microsoftonline.com:{port}/common/discovery/instance"
        ))
        .send()
        .await
        .unwrap();
    assert!(resp.status().as_u16() < 500, "{}", resp.status());

    let verifier = verifier(&handle.ca_pem);
    for name in ["anything.vault.azure.net", "::1", "127.0.0.1", "localhost"] {
        verify(&verifier, &server_der, name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
    openssl_verify(dir.path(), &handle.ca_pem, &server_pem, true);

    token.cancel();
    handle.stopped().await;
}

fn verifier(ca_pem: &str) -> Arc<WebPkiServerVerifier> {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(pem_der(ca_pem))).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .unwrap()
}

fn verify(verifier: &WebPkiServerVerifier, leaf: &[u8], name: &str) -> Result<(), rustls::Error> {
    verifier
        .verify_server_cert(
            &CertificateDer::from(leaf.to_vec()),
            &[],
            &ServerName::try_from(name.to_string()).unwrap(),
            &[],
            UnixTime::now(),
        )
        .map(|_| ())
}

/// `openssl verify` of `leaf_pem` against the CA (the openssl CLI is required; `.ci/run`
/// installs it); `ok` is the expected outcome.
fn openssl_verify(dir: &Path, ca_pem: &str, leaf_pem: &str, ok: bool) -> String {
    let ca = dir.join("openssl-ca.pem");
    let leaf = dir.join("openssl-leaf.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    std::fs::write(&leaf, leaf_pem).unwrap();
    let out = std::process::Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(&ca)
        .arg(&leaf)
        .output()
        .expect("the openssl CLI is needed for this test (.ci/run installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("openssl verify: {text}");
    assert_eq!(out.status.success(), ok, "{text}");
    text
}

fn leaf_for(name: &str, ca_key: &PrivateKey, ca_der: &[u8]) -> (PrivateKey, Vec<u8>) {
    let key = PrivateKey::generate(KeySpec::Ec {
        curve: CurveName::P256,
    })
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let profile = CertProfile {
        subject: format!("CN={name}"),
        sans: SubjectAlternativeNames {
            dns_names: Some(vec![name.to_string()]),
            ..Default::default()
        },
        ekus: vec!["1.3.6.1.5.5.7.3.1".into()],
        key_usage: vec![KeyUsage::DigitalSignature],
        not_before: now - time::Duration::hours(1),
        not_after: now + time::Duration::days(30),
        is_ca: false,
        path_len: None,
    };
    let der = crypto::issue_for_key(&key, &profile, ca_key, ca_der).unwrap();
    (key, der)
}

#[tokio::test]
async fn a_leaf_for_another_name_signed_with_the_dev_ca_key_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, token) = start(dir.path(), &[]).await;
    let ca_pem = handle.ca_pem.clone();
    token.cancel();
    handle.stopped().await;

    // Whoever holds the dev CA's key (it sits in the data dir) can sign anything...
    let ca_key_pem = std::fs::read_to_string(dir.path().join("tls/ca.key")).unwrap();
    let ca_key = PrivateKey::from_pem(&ca_key_pem).unwrap();
    let ca_der = pem_der(&ca_pem);
    let (evil_key, evil) = leaf_for("example.com", &ca_key, &ca_der);
    let (fine_key, fine) = leaf_for("x.vault.azure.net", &ca_key, &ca_der);
    crypto::verify_certificate_signature(&evil, &ca_der).unwrap();

    // ...but a client that trusts the dev CA only accepts it for vault's names.
    let verifier = verifier(&ca_pem);
    let err = verify(&verifier, &evil, "example.com").unwrap_err();
    assert!(
        format!("{err:?}").contains("NameConstraintViolation"),
        "{err:?}"
    );
    verify(&verifier, &fine, "x.vault.azure.net").unwrap();

    // The same through a real TLS handshake (reqwest, rustls): a server presenting each leaf.
    for (name, key, leaf, accepted) in [
        ("example.com", &evil_key, &evil, false),
        ("x.vault.azure.net", &fine_key, &fine, true),
    ] {
        let addr = serve_leaf(key, leaf, &ca_der).await;
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
            .resolve(name, addr)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let got = client
            .get(format!("https://{name}:{}/", addr.port()))
            .send()
            .await;
        assert_eq!(got.is_ok(), accepted, "{name}: {got:?}");
    }

    let evil_pem = crypto::pem_encode("CERTIFICATE", &evil);
    let text = openssl_verify(dir.path(), &ca_pem, &evil_pem, false);
    assert!(text.contains("permitted subtree violation"), "{text}");
    openssl_verify(
        dir.path(),
        &ca_pem,
        &crypto::pem_encode("CERTIFICATE", &fine),
        true,
    );
}

/// A TLS server on 127.0.0.1:0 presenting `leaf` (and the CA) that answers every request
/// with 204.
async fn serve_leaf(key: &PrivateKey, leaf: &[u8], ca_der: &[u8]) -> std::net::SocketAddr {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::try_from(key.pkcs8_der().to_vec()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![
                CertificateDer::from(leaf.to_vec()),
                CertificateDer::from(ca_der.to_vec()),
            ],
            key,
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that rejects the certificate ends the handshake: nothing to serve.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let _ = tls
                    .write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

/// Creates self-signed certificate `name` and waits (with a deadline) until it is issued;
/// returns its `cer`.
async fn issued_certificate(client: &reqwest::Client, base: &str, name: &str) -> String {
    let resp = client
        .post(format!("{base}/certificates/{name}/create?api-version=7.5"))
        .bearer_auth("dev")
        .json(&serde_json::json!({
            "policy": {"issuer": {"name": "Self"}, "x509_props": {"subject": format!("CN={name}")}}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202, "{}", resp.text().await.unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(cer) = certificate_cer(client, base, name).await {
            return cer;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name} was not issued"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn certificate_cer(client: &reqwest::Client, base: &str, name: &str) -> Option<String> {
    let resp = client
        .get(format!("{base}/certificates/{name}?api-version=7.5"))
        .bearer_auth("dev")
        .send()
        .await
        .unwrap();
    if resp.status() != 200 {
        return None;
    }
    let body: serde_json::Value = resp.json().await.unwrap();
    body["cer"].as_str().map(str::to_string)
}

fn client_trusting(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .build()
        .unwrap()
}

/// Every file under `dir` except `tls/`, with its contents.
fn data_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            if rel == "tls"
                || rel.ends_with(".lock")
                || rel.contains("-wal")
                || rel.contains("-shm")
            {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn an_old_data_dir_gets_a_constrained_ca_and_keeps_its_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let (handle, token) = start(dir.path(), &[]).await;
    let client = client_trusting(&handle.ca_pem);
    let cer = issued_certificate(&client, &handle.url(), "kept").await;
    token.cancel();
    handle.stopped().await;

    // Make the data dir what vault left before the constraint: an unconstrained dev CA and a
    // server certificate from it, made by the same code vault used then.
    let tls = dir.path().join("tls");
    std::fs::remove_dir_all(&tls).unwrap();
    let old = shared::devtls::ensure(&tls, vault::tls::DEV_CA_SUBJECT, &[]).unwrap();
    assert_eq!(crypto::permitted_names(&old.chain[1]).unwrap(), None);
    let before = data_files(dir.path());

    let (handle, token) = start(dir.path(), &[]).await;
    assert_ne!(handle.ca_pem, old.ca_pem, "a new CA");
    let ca_der = pem_der(&handle.ca_pem);
    let names = crypto::permitted_names(&ca_der).unwrap().unwrap();
    assert!(names.critical);
    assert_eq!(names.subtrees, vault::tls::permitted_subtrees());
    assert_eq!(
        std::fs::read_to_string(tls.join("ca.pem")).unwrap(),
        handle.ca_pem,
        "the new CA is in DATA_DIR/tls/ca.pem"
    );
    // The old CA no longer verifies the server; the new one does, and the data is intact.
    let old_client = client_trusting(&old.ca_pem);
    assert!(old_client
        .get(format!("{}/certificates?api-version=7.5", handle.url()))
        .send()
        .await
        .is_err());
    let client = client_trusting(&handle.ca_pem);
    assert_eq!(
        certificate_cer(&client, &handle.url(), "kept")
            .await
            .as_deref(),
        Some(cer.as_str())
    );
    let new_ca = handle.ca_pem.clone();
    token.cancel();
    handle.stopped().await;
    let after = data_files(dir.path());
    let names_of = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names_of(&before),
        names_of(&after),
        "no data file added or removed"
    );

    // A restart keeps the new CA.
    let (again, token) = start(dir.path(), &[]).await;
    assert_eq!(again.ca_pem, new_ca);
    token.cancel();
    again.stopped().await;
}
