//! vault issues through Debian's `pebble` (Let's Encrypt's test ACME server, `apt-get install
//! pebble`; `.ci/run` installs it): an issuer with provider `ACME-pebble` (a labelled ACME CA)
//! gets a certificate through the Key Vault API, whose chain (PEM secret) is Pebble's leaf for
//! the name, for the operation's key, up to the root Pebble's management port serves (given to
//! vault in `--provider-ca`: Pebble delivers chains without their root).
//!
//! Pebble runs with `PEBBLE_VA_ALWAYS_VALID=1` (no challenge is checked, so no name needs to
//! resolve) and keeps its default 5 % of good nonces refused (`badNonce`), which the adapter
//! retries. Its HTTPS certificate is made here (Debian ships no test certificates).

use std::process::Stdio;

use e2e::*;

/// A TLS CA and a server certificate for 127.0.0.1 / localhost signed by it, as PEM files in
/// `dir`: (ca.pem, cert.pem, key.pem).
fn tls_files(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "e2e pebble TLS CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("server key");
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("server params");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let paths = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&paths.0, ca_cert.pem()).expect("write ca.pem");
    std::fs::write(&paths.1, cert.pem()).expect("write cert.pem");
    std::fs::write(&paths.2, key.serialize_pem()).expect("write key.pem");
    paths
}

#[tokio::test(flavor = "multi_thread")]
async fn vault_issues_through_pebble() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ca_pem, cert_pem, key_pem) = tls_files(dir.path());
    let (port, management) = (free_port(), free_port());
    let config = serde_json::json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{port}"),
        "managementListenAddress": format!("127.0.0.1:{management}"),
        "certificate": cert_pem,
        "privateKey": key_pem,
        "httpPort": free_port(),
        "tlsPort": free_port(),
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false,
    }});
    let config_path = dir.path().join("pebble-config.json");
    std::fs::write(&config_path, config.to_string()).expect("write pebble config");
    let _pebble = tokio::process::Command::new("pebble")
        .arg("-config")
        .arg(&config_path)
        .env("PEBBLE_VA_ALWAYS_VALID", "1")
        .env("PEBBLE_VA_NOSLEEP", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("pebble is installed (apt-get install pebble; .ci/run does)");
    let tls = trusting_client(&std::fs::read_to_string(&ca_pem).expect("ca.pem"), None);
    let directory = format!("https://127.0.0.1:{port}/dir");
    eventually(DEADLINE, "pebble's directory", || async {
        let rsp = tls.get(&directory).send().await.ok()?;
        rsp.status().is_success().then_some(())
    })
    .await;

    // Pebble's chain stops at its intermediate: its root, from the management port, joins
    // the TLS CA in --provider-ca, where the adapter completes chains from.
    let root = tls
        .get(format!("https://127.0.0.1:{management}/roots/0"))
        .send()
        .await
        .expect("pebble's root")
        .text()
        .await
        .expect("root PEM");
    let root_path = dir.path().join("pebble-root.pem");
    std::fs::write(&root_path, &root).expect("write pebble-root.pem");

    let endpoint = url::Url::parse(&directory).unwrap();
    let vault = acme_client_vault("ACME-pebble", endpoint, vec![ca_pem, root_path], |_| {}).await;
    let raw = vault.raw();
    let issuer = put_issuer(
        &raw,
        "pebble",
        &serde_json::json!({"provider": "acme-PEBBLE"}),
    )
    .await;
    assert_eq!(issuer["provider"], "ACME-pebble");

    let cn = "ok.pebble.test";
    let op = raw
        .start_create("pebble-ok", &pem_create_body("pebble", cn))
        .await;
    let csr = decode_b64_std_strict(op["csr"].as_str().expect("the operation's CSR"));
    let (pem, chain) = issued_chain(&raw, "pebble-ok").await;
    assert!(chain.len() >= 2, "Pebble's leaf and intermediate: {pem}");
    assert_sans_name(&chain[0], cn);
    assert_chain_for_csr(&chain, &csr);
    let root_der = pem_blocks(&root).remove(0).1;
    assert_eq!(
        chain.last(),
        Some(&root_der),
        "the chain ends at Pebble's root"
    );
}
