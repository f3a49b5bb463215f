//! The linked key (`kid`) and secret (`sid`) of a certificate, read through the real Keys and
//! Secrets SDKs: JWK vs SPKI, key_ops, PFX and PEM secrets, signing, disabled and deleted states.

use std::collections::HashSet;

use azure_security_keyvault_certificates::{
    models::{
        CertificateAttributes, KeyUsageType, SecretProperties,
        UpdateCertificatePropertiesParameters,
    },
    ResourceExt as _,
};
use azure_security_keyvault_keys::{
    models::{
        CurveName as KeyCurve, KeyClientGetKeyOptions, KeyClientSignOptions, KeyOperationResult,
        KeyType as JwkType, SignParameters, SignatureAlgorithm,
    },
    KeyClient,
};
use azure_security_keyvault_secrets::models::SecretClientGetSecretOptions;
use e2e::*;
use reqwest::StatusCode;

fn key_opts(version: &str) -> Option<KeyClientGetKeyOptions<'static>> {
    Some(KeyClientGetKeyOptions {
        key_version: Some(version.to_string()),
        ..Default::default()
    })
}

fn secret_opts(version: &str) -> Option<SecretClientGetSecretOptions<'static>> {
    Some(SecretClientGetSecretOptions {
        secret_version: Some(version.to_string()),
        ..Default::default()
    })
}

/// Signs the SHA-256 digest of `message` with `algorithm` and version `version` of key `name`.
async fn sign(
    keys: &KeyClient,
    name: &str,
    version: &str,
    algorithm: SignatureAlgorithm,
    message: &[u8],
) -> azure_core::Result<azure_core::http::Response<KeyOperationResult>> {
    let parameters = SignParameters {
        algorithm: Some(algorithm),
        value: Some(sha256(message)),
    };
    let options = KeyClientSignOptions {
        key_version: Some(version.to_string()),
        ..Default::default()
    };
    keys.sign(name, parameters.try_into().unwrap(), Some(options))
        .await
}

fn ops_set(ops: &Option<Vec<String>>) -> HashSet<String> {
    ops.clone().expect("key_ops present").into_iter().collect()
}

fn set(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn pem_policy(subject: &str) -> azure_security_keyvault_certificates::models::CertificatePolicy {
    let mut policy = ec_policy(subject);
    policy.secret_properties = Some(SecretProperties {
        content_type: Some("application/x-pem-file".into()),
    });
    policy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec_key_jwk_matches_certificate() {
    let vault = TestVault::start().await;
    let cert = create_certificate(
        &vault.certificate_client(),
        "ec-key",
        ec_policy("CN=ec-key"),
    )
    .await;
    let version = cert.resource_id().unwrap().version.unwrap();
    let keys = vault.key_client();

    let key = keys
        .get_key("ec-key", key_opts(&version))
        .model("get key")
        .await;
    assert_eq!(key.managed, Some(true), "certificate keys are managed");
    let jwk = key.key.as_ref().expect("jwk");
    assert_eq!(jwk.kid, cert.kid, "key id equals the certificate's kid");
    assert_eq!(jwk.kty, Some(JwkType::Ec));
    assert_eq!(jwk.crv, Some(KeyCurve::P256));
    assert!(jwk.d.is_none(), "no private material in the JWK");
    let SpkiKey::Ec { point, .. } = spki_key(cert.cer.as_deref().unwrap()) else {
        panic!("EC certificate expected");
    };
    assert_eq!(point[0], 4, "uncompressed point");
    assert_eq!(jwk.x.as_deref(), Some(&point[1..33]), "x matches SPKI");
    assert_eq!(jwk.y.as_deref(), Some(&point[33..65]), "y matches SPKI");
    let ops = ops_set(&jwk.key_ops);
    assert!(
        ops.contains("sign") && ops.contains("verify"),
        "EC default key_ops: {ops:?}"
    );

    // Certificate attributes are mirrored onto the key.
    let cattrs = cert.attributes.as_ref().unwrap();
    let kattrs = key.attributes.as_ref().expect("key attributes");
    assert_eq!(kattrs.enabled, Some(true));
    assert_eq!(kattrs.expires, cattrs.expires);
    assert_eq!(kattrs.not_before, cattrs.not_before);

    // Latest (no version) is the same key.
    let latest = keys.get_key("ec-key", None).model("latest key").await;
    assert_eq!(latest.key.unwrap().kid, cert.kid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_key_jwk_matches_certificate_and_key_ops_follow_key_usage() {
    let vault = TestVault::start().await;
    let certs = vault.certificate_client();
    let keys = vault.key_client();

    let cert = create_certificate(&certs, "rsa-key", rsa_policy("CN=rsa-key", 2048)).await;
    let version = cert.resource_id().unwrap().version.unwrap();
    let key = keys
        .get_key("rsa-key", key_opts(&version))
        .model("get key")
        .await;
    let jwk = key.key.as_ref().unwrap();
    assert_eq!(jwk.kty, Some(JwkType::Rsa));
    let SpkiKey::Rsa { n, e } = spki_key(cert.cer.as_deref().unwrap()) else {
        panic!("RSA certificate expected");
    };
    assert_eq!(
        jwk.n.as_deref().map(strip_leading_zeros),
        Some(n),
        "n matches SPKI"
    );
    assert_eq!(
        jwk.e.as_deref().map(strip_leading_zeros),
        Some(e),
        "e matches SPKI"
    );
    assert!(
        jwk.d.is_none() && jwk.p.is_none(),
        "no private material in the JWK"
    );
    // Default RSA key usage: digitalSignature + keyEncipherment.
    assert_eq!(
        ops_set(&jwk.key_ops),
        set(&["sign", "verify", "wrapKey", "unwrapKey"])
    );
    assert_eq!(key.managed, Some(true));

    // dataEncipherment alone maps to encrypt/decrypt only.
    let mut policy = rsa_policy("CN=data-enc", 2048);
    policy
        .x509_certificate_properties
        .as_mut()
        .unwrap()
        .key_usage = Some(vec![KeyUsageType::DataEncipherment]);
    let cert = create_certificate(&certs, "data-enc", policy).await;
    let version = cert.resource_id().unwrap().version.unwrap();
    let key = keys
        .get_key("data-enc", key_opts(&version))
        .model("get_key")
        .await;
    assert_eq!(
        ops_set(&key.key.unwrap().key_ops),
        set(&["encrypt", "decrypt"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pfx_secret_holds_private_key_and_chain() {
    let vault = TestVault::start().await;
    let certs = vault.certificate_client();
    let secrets = vault.secret_client();
    for (name, policy) in [
        ("pfx-ec", ec_policy("CN=pfx-ec")),
        ("pfx-rsa", rsa_policy("CN=pfx-rsa", 2048)),
    ] {
        let cert = create_certificate(&certs, name, policy).await;
        let version = cert.resource_id().unwrap().version.unwrap();
        let der = cert.cer.clone().unwrap();
        let secret = secrets
            .get_secret(name, secret_opts(&version))
            .model("get secret")
            .await;
        assert_eq!(secret.id, cert.sid, "{name}: secret id equals sid");
        assert_eq!(secret.kid, cert.kid, "{name}: secret kid");
        assert_eq!(secret.managed, Some(true));
        assert_eq!(secret.content_type.as_deref(), Some("application/x-pkcs12"));

        let pfx = decode_b64_std_strict(secret.value.as_deref().expect("secret value"));
        let archive = open_pfx_of(&pfx, &der, name);
        assert!(!archive.certs.is_empty(), "{name}: chain present");
        assert!(
            archive
                .certs
                .iter()
                .any(|c| c.cert.as_der() == der.as_slice()),
            "{name}: the leaf certificate is in the PFX"
        );
        // The keystore view links the key to its certificate chain.
        let store =
            p12_keystore::KeyStore::from_pkcs12(&pfx, "", Default::default()).expect("keystore");
        let (_, chain) = store.private_key_chain().expect("a private key chain");
        assert_eq!(
            chain.certs()[0].as_der(),
            der.as_slice(),
            "{name}: leaf first in the chain"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pem_secret_is_pkcs8_key_then_certificates() {
    let vault = TestVault::start().await;
    let cert = create_certificate(&vault.certificate_client(), "pem", pem_policy("CN=pem")).await;
    let version = cert.resource_id().unwrap().version.unwrap();
    let der = cert.cer.clone().unwrap();
    let secret = vault
        .secret_client()
        .get_secret("pem", secret_opts(&version))
        .model("get secret")
        .await;
    assert_eq!(
        secret.content_type.as_deref(),
        Some("application/x-pem-file")
    );
    let value = secret.value.expect("value");
    assert!(
        value
            .trim_start()
            .starts_with("-----BEGIN PRIVATE KEY-----"),
        "PKCS#8 key first: {}",
        value.lines().next().unwrap_or_default()
    );
    let blocks = pem_blocks(&value);
    assert!(blocks.len() >= 2, "key plus at least one certificate");
    assert_eq!(blocks[0].0, "PRIVATE KEY");
    assert!(blocks[1..].iter().all(|(label, _)| label == "CERTIFICATE"));
    assert_eq!(blocks[1].1, der, "leaf certificate first");
    assert!(
        private_key_matches_cert(&blocks[0].1, &der),
        "key matches certificate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_exportable_key_secret_holds_only_certificates() {
    let vault = TestVault::start().await;
    let mut policy = pem_policy("CN=locked");
    policy.key_properties.as_mut().unwrap().exportable = Some(false);
    let cert = create_certificate(&vault.certificate_client(), "locked", policy).await;
    let secret = vault
        .secret_client()
        .get_secret("locked", None)
        .model("get secret")
        .await;
    let blocks = pem_blocks(secret.value.as_deref().unwrap());
    assert!(!blocks.is_empty());
    assert!(
        blocks.iter().all(|(label, _)| label == "CERTIFICATE"),
        "no private key in a non-exportable secret: {:?}",
        blocks.iter().map(|b| &b.0).collect::<Vec<_>>()
    );
    assert_eq!(blocks[0].1, cert.cer.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_es256_with_ec_certificate_key() {
    let vault = TestVault::start().await;
    let cert = create_certificate(
        &vault.certificate_client(),
        "signer-ec",
        ec_policy("CN=signer"),
    )
    .await;
    let version = cert.resource_id().unwrap().version.unwrap();
    let der = cert.cer.clone().unwrap();
    let message = b"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJlMmUifQ";
    let keys = vault.key_client();
    let result = sign(
        &keys,
        "signer-ec",
        &version,
        SignatureAlgorithm::Es256,
        message,
    )
    .model("sign")
    .await;
    assert_eq!(result.kid, cert.kid);
    let signature = result.result.expect("signature");
    assert_eq!(signature.len(), 64, "ES256 signature is raw r||s");
    assert!(
        verify_with_cert(&der, "ES256", message, &signature),
        "signature verifies"
    );
    assert!(!verify_with_cert(&der, "ES256", b"tampered", &signature));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_rs256_and_ps256_with_rsa_certificate_key() {
    let vault = TestVault::start().await;
    let cert = create_certificate(
        &vault.certificate_client(),
        "signer-rsa",
        rsa_policy("CN=signer", 2048),
    )
    .await;
    let version = cert.resource_id().unwrap().version.unwrap();
    let der = cert.cer.clone().unwrap();
    let keys = vault.key_client();
    let message = b"message signed by the vault";
    for (alg, name) in [
        (SignatureAlgorithm::Rs256, "RS256"),
        (SignatureAlgorithm::Ps256, "PS256"),
    ] {
        let result = sign(&keys, "signer-rsa", &version, alg, message)
            .model(&format!("sign {name}"))
            .await;
        let signature = result.result.expect("signature");
        assert_eq!(signature.len(), 256, "{name}: 2048-bit signature");
        assert!(
            verify_with_cert(&der, name, message, &signature),
            "{name} verifies"
        );
        assert!(
            !verify_with_cert(&der, name, b"other", &signature),
            "{name} rejects other data"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_certificate_key_and_secret_are_forbidden() {
    let vault = TestVault::start().await;
    let certs = vault.certificate_client();
    let cert = create_certificate(&certs, "disabled", ec_policy("CN=disabled")).await;
    let version = cert.resource_id().unwrap().version.unwrap();
    let set_enabled = |enabled: bool| {
        UpdateCertificatePropertiesParameters {
            certificate_attributes: Some(CertificateAttributes {
                enabled: Some(enabled),
                ..Default::default()
            }),
            ..Default::default()
        }
        .try_into()
        .unwrap()
    };
    certs
        .update_certificate_properties("disabled", set_enabled(false), None)
        .await
        .expect("disable");

    vault
        .key_client()
        .get_key("disabled", key_opts(&version))
        .fails_with(StatusCode::FORBIDDEN, "Forbidden", "disabled key")
        .await;
    vault
        .secret_client()
        .get_secret("disabled", secret_opts(&version))
        .fails_with(StatusCode::FORBIDDEN, "Forbidden", "disabled secret")
        .await;

    let raw = vault.raw();
    let rsp = raw.get(&format!("/secrets/disabled/{version}")).await;
    let error = rsp.assert_error(StatusCode::FORBIDDEN, "Forbidden");
    assert_eq!(
        error["innererror"]["code"], "SecretDisabled",
        "{}",
        rsp.text
    );
    let rsp = raw.get(&format!("/keys/disabled/{version}")).await;
    let error = rsp.assert_error(StatusCode::FORBIDDEN, "Forbidden");
    assert_eq!(error["innererror"]["code"], "KeyDisabled", "{}", rsp.text);

    let keys = vault.key_client();
    sign(&keys, "disabled", &version, SignatureAlgorithm::Es256, b"x")
        .fails(StatusCode::FORBIDDEN, "sign with a disabled key")
        .await;

    // Certificate metadata stays readable; re-enabling restores key and secret.
    assert_eq!(
        certs
            .get_certificate("disabled", None)
            .model("get_certificate")
            .await
            .attributes
            .unwrap()
            .enabled,
        Some(false)
    );
    certs
        .update_certificate_properties("disabled", set_enabled(true), None)
        .await
        .expect("enable");
    vault
        .key_client()
        .get_key("disabled", key_opts(&version))
        .await
        .expect("key after enable");
    vault
        .secret_client()
        .get_secret("disabled", secret_opts(&version))
        .await
        .expect("secret after enable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_and_secret_follow_latest_version_and_deletion() {
    let vault = TestVault::start().await;
    let certs = vault.certificate_client();
    create_certificate(&certs, "rolling", ec_policy("CN=rolling")).await;
    let second = create_certificate(&certs, "rolling", ec_policy("CN=rolling")).await;

    let key = vault
        .key_client()
        .get_key("rolling", None)
        .model("latest key")
        .await;
    assert_eq!(
        key.key.unwrap().kid,
        second.kid,
        "latest key is the latest certificate version's"
    );
    let secret = vault
        .secret_client()
        .get_secret("rolling", None)
        .model("latest secret")
        .await;
    assert_eq!(secret.id, second.sid);

    certs
        .delete_certificate("rolling", None)
        .await
        .expect("delete");
    vault
        .key_client()
        .get_key("rolling", None)
        .fails(StatusCode::NOT_FOUND, "key deleted with the certificate")
        .await;
    vault
        .secret_client()
        .get_secret("rolling", None)
        .fails(StatusCode::NOT_FOUND, "secret deleted with the certificate")
        .await;

    // Recover restores key and secret; purge removes them for good.
    certs
        .recover_deleted_certificate("rolling", None)
        .await
        .expect("recover");
    let key = vault
        .key_client()
        .get_key("rolling", None)
        .model("key after recover")
        .await;
    assert_eq!(key.key.unwrap().kid, second.kid);
    vault
        .secret_client()
        .get_secret("rolling", None)
        .await
        .expect("secret after recover");
    certs
        .delete_certificate("rolling", None)
        .await
        .expect("delete again");
    certs
        .purge_deleted_certificate("rolling", None)
        .await
        .expect("purge");
    vault
        .key_client()
        .get_key("rolling", None)
        .fails(StatusCode::NOT_FOUND, "key purged")
        .await;
}
