//! Import (PFX/PEM made by OpenSSL and keytool), merge of an externally signed CSR, cancel via the
//! SDK, and backup/restore, all through the real Rust SDK.
//!
//! Fixtures in `shared/tests/fixtures/` are copies of the project handbook's fixtures (OpenSSL 3.0 and
//! Java keytool output); the password, where set, is `Fixture-Pass1`.

use std::path::PathBuf;

use azure_security_keyvault_certificates::{
    models::{
        CertificateClientGetCertificateOptions, CertificatePolicy, CreateCertificateParameters,
        IssuerParameters, KeyType, MergeCertificateParameters, RestoreCertificateParameters,
        SecretProperties, UpdateCertificateOperationParameter,
    },
    CertificateClient, ResourceExt as _,
};
use azure_security_keyvault_secrets::models::SecretClientGetSecretOptions;
use e2e::*;
use futures::StreamExt as _;
use reqwest::StatusCode;

const PASSWORD: &str = "Fixture-Pass1";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

fn fixture_cert_der(name: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture(name)).unwrap();
    pem_blocks(&text)
        .into_iter()
        .find(|(label, _)| label == "CERTIFICATE")
        .expect("a certificate in the fixture")
        .1
}

/// The private key in a certificate's secret, whatever its content type.
async fn secret_private_key(
    vault: &TestVault,
    name: &str,
    version: &str,
) -> (Vec<u8>, Vec<Vec<u8>>) {
    let secret = vault
        .secret_client()
        .get_secret(
            name,
            Some(SecretClientGetSecretOptions {
                secret_version: Some(version.to_string()),
                ..Default::default()
            }),
        )
        .model("get secret")
        .await;
    let value = secret.value.expect("secret value");
    if secret.content_type.as_deref() == Some("application/x-pem-file") {
        let blocks = pem_blocks(&value);
        let key = blocks
            .iter()
            .find(|(l, _)| l == "PRIVATE KEY")
            .expect("PKCS#8 key")
            .1
            .clone();
        let certs = blocks
            .into_iter()
            .filter(|(l, _)| l == "CERTIFICATE")
            .map(|(_, d)| d)
            .collect();
        (key, certs)
    } else {
        let pfx = decode_b64_std_strict(&value);
        let archive = p12_keystore::Pkcs12Archive::from_pkcs12(&pfx, "")
            .expect("secret PFX opens with empty password");
        let certs = archive
            .certs
            .iter()
            .map(|c| c.cert.as_der().to_vec())
            .collect();
        (archive.keys[0].key.as_der().to_vec(), certs)
    }
}

// ------------------------------------------------------------------------------------------------
// Import
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_pfx_and_pem_made_by_other_tools() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let rsa_leaf = fixture_cert_der("leaf-rsa.pem");
    let ec_leaf = fixture_cert_der("leaf-ec.pem");
    let inter = fixture_cert_der("inter.pem");

    // (name, file, password, expected leaf, expected kty, value as raw PEM text?)
    type Case<'a> = (
        &'a str,
        &'a str,
        Option<&'a str>,
        &'a Vec<u8>,
        KeyType,
        bool,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "pfx-aes",
            "rsa-chain-aes.pfx",
            Some(PASSWORD),
            &rsa_leaf,
            KeyType::Rsa,
            false,
        ),
        (
            "pfx-nopass",
            "rsa-chain-nopass.pfx",
            None,
            &rsa_leaf,
            KeyType::Rsa,
            false,
        ),
        (
            "pfx-3des",
            "rsa-chain-legacy-3des.pfx",
            Some(PASSWORD),
            &rsa_leaf,
            KeyType::Rsa,
            false,
        ),
        (
            "pfx-ec",
            "ec-chain-aes.pfx",
            Some(PASSWORD),
            &ec_leaf,
            KeyType::Ec,
            false,
        ),
        (
            "pem-rsa-b64",
            "rsa-chain-pkcs8.pem",
            None,
            &rsa_leaf,
            KeyType::Rsa,
            false,
        ),
        (
            "pem-rsa-text",
            "rsa-chain-pkcs8.pem",
            None,
            &rsa_leaf,
            KeyType::Rsa,
            true,
        ),
        (
            "pem-ec-b64",
            "ec-chain-pkcs8.pem",
            None,
            &ec_leaf,
            KeyType::Ec,
            false,
        ),
    ];
    for (name, file, password, leaf, kty, as_text) in cases {
        let bytes = fixture(file);
        let value = if as_text {
            String::from_utf8(bytes).unwrap()
        } else {
            b64_std(&bytes)
        };
        let cert = import_certificate(&client, name, value, password, None)
            .await
            .unwrap_or_else(|err| panic!("import {name} ({file}): {err}"));
        let version = cert.resource_id().unwrap().version.expect("version");
        assert_eq!(
            cert.cer.as_ref(),
            Some(leaf),
            "{name}: the leaf is the certificate"
        );
        assert_eq!(
            cert.x509_thumbprint.as_deref(),
            Some(sha1(leaf).as_slice()),
            "{name}: x5t"
        );
        let policy = cert
            .policy
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: import returns the policy"));
        let key = policy.key_properties.as_ref().expect("derived key_props");
        assert_eq!(
            key.key_type.as_ref(),
            Some(&kty),
            "{name}: kty derived from the key"
        );
        let x509_props = policy
            .x509_certificate_properties
            .as_ref()
            .expect("derived x509_props");
        let subject = x509_props.subject.as_deref().expect("derived subject");
        assert!(
            subject.contains("fixture.test"),
            "{name}: subject {subject}"
        );
        assert_eq!(
            policy
                .issuer_parameters
                .as_ref()
                .and_then(|i| i.name.as_deref()),
            Some("Unknown"),
            "{name}: imported certificates have issuer Unknown"
        );
        let attrs = cert.attributes.as_ref().unwrap();
        let x509 = parse_cert(leaf);
        assert_eq!(
            attrs.expires.unwrap().unix_timestamp(),
            x509.validity().not_after.timestamp()
        );

        // The secret carries the imported private key and the chain.
        let (pkcs8, certs) = secret_private_key(&vault, name, &version).await;
        assert!(
            private_key_matches_cert(&pkcs8, leaf),
            "{name}: the secret's key belongs to the leaf"
        );
        assert_eq!(certs.first(), Some(leaf), "{name}: leaf first");
        assert!(
            certs.contains(&inter),
            "{name}: the intermediate is kept in the chain"
        );
    }

    // RSA leaf from the fixture: the derived policy reports its SANs and size.
    let cert = client
        .get_certificate("pfx-aes", None)
        .model("get_certificate")
        .await;
    let policy = cert.policy.unwrap();
    assert_eq!(policy.key_properties.unwrap().key_size, Some(2048));
    let mut dns = policy
        .x509_certificate_properties
        .unwrap()
        .subject_alternative_names
        .and_then(|s| s.dns_names)
        .expect("derived dns_names");
    dns.sort();
    assert_eq!(dns, ["app.fixture.test", "www.fixture.test"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_keytool_p12_and_pem_content_type() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let cert = import_certificate(
        &client,
        "keytool",
        b64_std(&fixture("java-keytool.p12")),
        Some(PASSWORD),
        None,
    )
    .await
    .expect("import a keytool PKCS#12");
    let version = cert.resource_id().unwrap().version.unwrap();
    let der = cert.cer.clone().unwrap();
    let (pkcs8, _) = secret_private_key(&vault, "keytool", &version).await;
    assert!(private_key_matches_cert(&pkcs8, &der));

    // A PFX imported with a PEM content type is served as PEM.
    let policy = CertificatePolicy {
        secret_properties: Some(SecretProperties {
            content_type: Some("application/x-pem-file".into()),
        }),
        ..Default::default()
    };
    let cert = import_certificate(
        &client,
        "as-pem",
        b64_std(&fixture("rsa-chain-aes.pfx")),
        Some(PASSWORD),
        Some(policy),
    )
    .await
    .expect("import with a PEM content type");
    assert_eq!(cert.content_type.as_deref(), Some("application/x-pem-file"));
    let secret = vault
        .secret_client()
        .get_secret("as-pem", None)
        .model("secret_client")
        .await;
    assert_eq!(
        secret.content_type.as_deref(),
        Some("application/x-pem-file")
    );
    assert!(secret
        .value
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_rejects_what_azure_rejects() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let must_be_400: Vec<(&str, String, Option<&str>)> = vec![
        (
            "cert-only-pfx",
            b64_std(&fixture("rsa-cert-only.pfx")),
            None,
        ),
        (
            "cert-only-pem",
            b64_std(&fixture("rsa-cert-only.pem")),
            None,
        ),
        ("garbage", b64_std(&fixture("garbage.bin")), None),
        (
            "wrong-password",
            b64_std(&fixture("rsa-chain-aes.pfx")),
            Some("not-the-password"),
        ),
        ("no-password", b64_std(&fixture("rsa-chain-aes.pfx")), None),
        (
            "expired",
            b64_std(&fixture("rsa-expired.pfx")),
            Some(PASSWORD),
        ),
        ("not-base64", "%%% not base64 %%%".to_string(), None),
    ];
    for (name, value, password) in must_be_400 {
        let err = import_certificate(&client, name, value, password, None)
            .await
            .expect_err(name);
        assert_eq!(http_status(&err), StatusCode::BAD_REQUEST, "{name}: {err}");
        assert_eq!(error_code(&err).as_deref(), Some("BadParameter"), "{name}");
    }
    // Either outcome is acceptable for these (fixtures README), but never a 5xx.
    for (name, file, password) in [
        ("pkcs1", "rsa-pkcs1-key.pem", None),
        ("encrypted-pkcs8", "rsa-encrypted-pkcs8.pem", Some(PASSWORD)),
    ] {
        match import_certificate(&client, name, b64_std(&fixture(file)), password, None).await {
            Ok(cert) => assert!(cert.cer.is_some(), "{name}"),
            Err(err) => assert_eq!(http_status(&err), StatusCode::BAD_REQUEST, "{name}: {err}"),
        }
    }
    // Nothing half-imported is visible.
    let rsp = vault.raw().get("/certificates/garbage").await;
    assert_eq!(rsp.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_onto_soft_deleted_name_conflicts_and_adds_versions_otherwise() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let value = b64_std(&fixture("ec-chain-pkcs8.pem"));
    let first = import_certificate(&client, "imported", value.clone(), None, None)
        .await
        .expect("import");
    let second = import_certificate(&client, "imported", value.clone(), None, None)
        .await
        .expect("import again");
    assert_ne!(first.id, second.id, "a second import is a new version");

    client.delete_certificate("imported", None).await.unwrap();
    import_certificate(&client, "imported", value, None, None)
        .fails_with(StatusCode::CONFLICT, "Conflict", "soft-deleted name")
        .await;
}

// ------------------------------------------------------------------------------------------------
// Merge
// ------------------------------------------------------------------------------------------------

/// Starts an Unknown-issuer create and returns the CSR (DER) of its pending operation.
async fn start_manual(client: &CertificateClient, name: &str, subject: &str) -> Vec<u8> {
    let mut policy = ec_policy(subject);
    policy.issuer_parameters = Some(IssuerParameters {
        name: Some("Unknown".into()),
        ..Default::default()
    });
    let op = begin_pending(client, name, policy).await;
    op.csr.expect("csr")
}

/// Signs the CSR's public key with the fixture root CA (RSA), as a user's own CA would.
fn sign_with_fixture_root(csr_der: &[u8], cn: &str) -> Vec<u8> {
    let root_key = rcgen::KeyPair::from_pem(&String::from_utf8(fixture("root.key")).unwrap())
        .expect("root key");
    let issuer =
        rcgen::Issuer::from_ca_cert_pem(&String::from_utf8(fixture("root.pem")).unwrap(), root_key)
            .expect("root issuer");
    e2e::sign_csr_with(csr_der, &issuer, cn, &format!("{cn}.example.com"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_completes_a_pending_certificate() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let csr = start_manual(&client, "merged", "CN=merged").await;
    let leaf = sign_with_fixture_root(&csr, "merged");
    let root = fixture_cert_der("root.pem");
    verify_cert_signed_by(&leaf, &root).expect("our CA signed the CSR");

    // Chain given root first: the server puts the leaf at index 0 (preserveCertOrder=false).
    let merged = client
        .merge_certificate(
            "merged",
            MergeCertificateParameters {
                x509_certificates: Some(vec![root.clone(), leaf.clone()]),
                tags: Some([("merged".to_string(), "yes".to_string())].into()),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            None,
        )
        .model("merge (201)")
        .await;
    assert_eq!(merged.cer.as_ref(), Some(&leaf));
    assert_eq!(
        merged
            .tags
            .as_ref()
            .and_then(|t| t.get("merged"))
            .map(String::as_str),
        Some("yes")
    );
    let version = merged.resource_id().unwrap().version.unwrap();

    let op = client
        .get_certificate_operation("merged", None)
        .model("get_certificate_operation")
        .await;
    assert_eq!(op.status.as_deref(), Some("completed"));
    assert_eq!(
        op.target.as_deref(),
        Some(format!("{}/certificates/merged", vault.base_url()).as_str())
    );

    let latest = client
        .get_certificate("merged", None)
        .model("get_certificate")
        .await;
    assert_eq!(latest.cer.as_ref(), Some(&leaf));
    assert_eq!(
        latest.attributes.unwrap().expires.unwrap().unix_timestamp(),
        parse_cert(&leaf).validity().not_after.timestamp()
    );

    let (pkcs8, certs) = secret_private_key(&vault, "merged", &version).await;
    assert!(
        private_key_matches_cert(&pkcs8, &leaf),
        "the pending key now backs the merged certificate"
    );
    assert_eq!(certs.first(), Some(&leaf), "leaf first in the secret");
    assert!(certs.contains(&root), "chain kept in the secret");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_with_a_foreign_key_is_rejected() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    start_manual(&client, "mismatch", "CN=mismatch").await;
    let err = client
        .merge_certificate(
            "mismatch",
            MergeCertificateParameters {
                x509_certificates: Some(vec![fixture_cert_der("leaf-ec.pem")]),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            None,
        )
        .fails_with(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "public key mismatch",
        )
        .await;
    assert!(err.to_string().contains("doesn't match"), "{err}");

    // Empty x5c is a bad request too; the operation stays pending.
    let rsp = vault
        .raw()
        .post(
            "/certificates/mismatch/pending/merge",
            &json!({ "x5c": [] }),
        )
        .await;
    rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    let op = client
        .get_certificate_operation("mismatch", None)
        .model("get_certificate_operation")
        .await;
    assert_eq!(op.status.as_deref(), Some("inProgress"));

    // Merge where nothing is pending.
    let rsp = vault
        .raw()
        .post(
            "/certificates/nothing-pending/pending/merge",
            &json!({ "x5c": [b64_std(&fixture_cert_der("leaf-ec.pem"))] }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::NOT_FOUND, "{}", rsp.text);
    rsp.assert_kv_error();
}

// ------------------------------------------------------------------------------------------------
// Cancel through the SDK
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_through_the_sdk_ends_the_poller() {
    let vault = TestVault::start_with(|config| {
        config.self_signed_delay = std::time::Duration::from_secs(30);
    })
    .await;
    let client = vault.certificate_client();
    let mut poller = client
        .begin_create_certificate(
            "to-cancel",
            CreateCertificateParameters {
                certificate_policy: Some(ec_policy("CN=to-cancel")),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            fast_poller(),
        )
        .unwrap();
    let first = poller.next().await.unwrap().unwrap().into_model().unwrap();
    assert_eq!(first.status.as_deref(), Some("inProgress"));

    let cancelled = client
        .update_certificate_operation(
            "to-cancel",
            UpdateCertificateOperationParameter {
                cancellation_requested: Some(true),
            }
            .try_into()
            .unwrap(),
            None,
        )
        .model("cancel")
        .await;
    assert_eq!(cancelled.cancellation_requested, Some(true));

    // The poller sees "cancelled" and ends (Canceled), well before the 30 s self-signed delay.
    let last = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        let mut last = None;
        while let Some(step) = poller.next().await {
            last = Some(step.expect("poll step").into_model().unwrap());
        }
        last
    })
    .await
    .expect("poller ended after cancellation")
    .expect("at least one more poll");
    assert_eq!(last.status.as_deref(), Some("cancelled"));

    // The cancelled certificate can be deleted.
    client
        .delete_certificate("to-cancel", None)
        .await
        .expect("delete a cancelled certificate");
}

// ------------------------------------------------------------------------------------------------
// Backup and restore
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_purge_restore_round_trip() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let first = create_certificate(&client, "backed-up", ec_policy("CN=backed-up")).await;
    let second = create_certificate(&client, "backed-up", ec_policy("CN=backed-up")).await;
    let v1 = first.resource_id().unwrap().version.unwrap();

    let rsp = vault
        .raw()
        .post("/certificates/backed-up/backup", &json!({}))
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let blob = rsp.json()["value"].as_str().expect("value").to_string();
    assert!(
        !blob.contains('+') && !blob.contains('/') && !blob.contains('='),
        "backup blob is base64url"
    );

    let backup = client
        .backup_certificate("backed-up", None)
        .model("backup")
        .await
        .value
        .expect("backup bytes");

    // Restore over the live name conflicts.
    let restore = |bytes: Vec<u8>| {
        RestoreCertificateParameters {
            certificate_backup: Some(bytes),
        }
        .try_into()
        .unwrap()
    };
    client
        .restore_certificate(restore(backup.clone()), None)
        .fails(StatusCode::CONFLICT, "name exists")
        .await;

    client.delete_certificate("backed-up", None).await.unwrap();
    client
        .restore_certificate(restore(backup.clone()), None)
        .fails(StatusCode::CONFLICT, "name soft-deleted")
        .await;
    client
        .purge_deleted_certificate("backed-up", None)
        .await
        .unwrap();

    let restored = client
        .restore_certificate(restore(backup), None)
        .model("restore")
        .await;
    assert_eq!(
        restored.id, second.id,
        "latest version restored with its id"
    );
    assert_eq!(restored.cer, second.cer);
    let old = client
        .get_certificate(
            "backed-up",
            Some(CertificateClientGetCertificateOptions {
                certificate_version: Some(v1.clone()),
                ..Default::default()
            }),
        )
        .model("older version restored too")
        .await;
    assert_eq!(old.cer, first.cer);
    let (pkcs8, _) = secret_private_key(&vault, "backed-up", &v1).await;
    assert!(
        private_key_matches_cert(&pkcs8, first.cer.as_deref().unwrap()),
        "keys restored"
    );

    // A malformed blob is a bad request.
    client
        .restore_certificate(restore(b"not a backup".to_vec()), None)
        .fails(StatusCode::BAD_REQUEST, "garbage")
        .await;
}
