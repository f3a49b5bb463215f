//! The certificates API driven by the real Azure SDK for Rust
//! (`azure_security_keyvault_certificates` 1.0.0), plus raw-HTTP checks of what the SDK hides.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use azure_security_keyvault_certificates::{
    models::{
        AdministratorContact, CertificateAttributes, CertificateClientGetCertificateOptions,
        CertificateClientListCertificatePropertiesOptions,
        CertificateClientListCertificatePropertiesVersionsOptions,
        CertificateClientUpdateCertificatePropertiesOptions, CertificatePolicy,
        CertificatePolicyAction, Contact, Contacts, CreateCertificateParameters, CurveName,
        IssuerAttributes, IssuerCredentials, IssuerParameters, KeyProperties, KeyType,
        KeyUsageType, OrganizationDetails, SecretProperties, SetIssuerParameters,
        SubjectAlternativeNames, UpdateCertificatePropertiesParameters, UpdateIssuerParameters,
        X509CertificateProperties,
    },
    CertificateClient, ResourceExt as _,
};
use e2e::*;
use futures::TryStreamExt as _;
use reqwest::StatusCode;
use x509_parser::prelude::*;

const OID_UPN: &str = "1.3.6.1.4.1.311.20.2.3";

fn unix(t: Option<azure_core::time::OffsetDateTime>) -> i64 {
    t.expect("timestamp present").unix_timestamp()
}

fn tags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn get_latest(
    client: &CertificateClient,
    name: &str,
) -> azure_security_keyvault_certificates::models::Certificate {
    client
        .get_certificate(name, None)
        .await
        .unwrap_or_else(|err| panic!("get_certificate({name}): {err}"))
        .into_model()
        .expect("decode certificate")
}

async fn get_version(
    client: &CertificateClient,
    name: &str,
    version: &str,
) -> azure_security_keyvault_certificates::models::Certificate {
    client
        .get_certificate(
            name,
            Some(CertificateClientGetCertificateOptions {
                certificate_version: Some(version.to_string()),
                ..Default::default()
            }),
        )
        .await
        .unwrap_or_else(|err| panic!("get_certificate({name}, {version}): {err}"))
        .into_model()
        .expect("decode certificate")
}

/// Asserts the invariants every completed certificate bundle must satisfy; returns its version.
fn assert_bundle(
    vault: &TestVault,
    name: &str,
    cert: &azure_security_keyvault_certificates::models::Certificate,
) -> String {
    let base = vault.base_url();
    let id = cert.id.as_deref().expect("certificate id");
    assert!(
        id.starts_with(&format!("{base}/certificates/{name}/")),
        "id {id} must be {base}/certificates/{name}/{{version}}"
    );
    let rid = cert.resource_id().expect("resource id");
    assert_eq!(rid.vault_url, base);
    assert_eq!(rid.name, name);
    let version = rid.version.expect("id carries a version");
    assert!(
        is_version(&version),
        "version {version} is 32 lowercase hex"
    );
    assert_eq!(
        cert.kid.as_deref(),
        Some(format!("{base}/keys/{name}/{version}").as_str())
    );
    assert_eq!(
        cert.sid.as_deref(),
        Some(format!("{base}/secrets/{name}/{version}").as_str())
    );

    let der = cert
        .cer
        .as_deref()
        .expect("cer present on a completed certificate");
    let thumbprint = cert.x509_thumbprint.as_deref().expect("x5t present");
    assert_eq!(thumbprint, sha1(der).as_slice(), "x5t is SHA-1 of the DER");

    let x509 = parse_cert(der);
    let attrs = cert.attributes.as_ref().expect("attributes");
    assert_eq!(
        unix(attrs.not_before),
        x509.validity().not_before.timestamp(),
        "nbf mirrors NotBefore"
    );
    assert_eq!(
        unix(attrs.expires),
        x509.validity().not_after.timestamp(),
        "exp mirrors NotAfter"
    );
    assert!(attrs.created.is_some() && attrs.updated.is_some());
    let days = attrs.recoverable_days.expect("recoverableDays on a bundle");
    assert!((7..=90).contains(&days), "recoverableDays {days} in 7..=90");
    assert!(attrs.recovery_level.is_some(), "recoveryLevel on a bundle");
    assert!(cert.policy.is_some(), "latest bundle carries the policy");
    version
}

/// Checks the certificate is self-signed: issuer == subject and the signature verifies.
fn assert_self_signed(der: &[u8]) {
    let x509 = parse_cert(der);
    assert_eq!(x509.issuer().to_string(), x509.subject().to_string());
    verify_cert_signed_by(der, der)
        .expect("self-signed certificate signature verifies with its own key");
}

fn months_between(x509: &X509Certificate<'_>) -> f64 {
    let secs = x509.validity().not_after.timestamp() - x509.validity().not_before.timestamp();
    secs as f64 / (86400.0 * 30.436875)
}

// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_self_signed_ec_p256_polls_to_completion() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let cert = create_certificate(&client, "ec-p256", ec_policy("CN=ec.example.com")).await;
    assert_bundle(&vault, "ec-p256", &cert);

    let der = cert.cer.as_deref().unwrap();
    assert_self_signed(der);
    let x509 = parse_cert(der);
    let cn: Vec<_> = x509
        .subject()
        .iter_common_name()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(cn, ["ec.example.com"]);
    match spki_key(der) {
        SpkiKey::Ec { curve_oid, point } => {
            assert_eq!(curve_oid, OID_P256);
            assert_eq!(point.len(), 65);
        }
        other => panic!("expected an EC key, got {other:?}"),
    }

    let policy = cert.policy.as_ref().unwrap();
    assert_eq!(
        policy.id.as_deref(),
        Some(format!("{}/certificates/ec-p256/policy", vault.base_url()).as_str())
    );
    let key = policy.key_properties.as_ref().expect("key_props");
    assert_eq!(key.key_type, Some(KeyType::Ec));
    assert_eq!(key.curve, Some(CurveName::P256));
    assert_eq!(
        policy
            .issuer_parameters
            .as_ref()
            .and_then(|i| i.name.as_deref()),
        Some("Self")
    );
    assert_eq!(
        cert.content_type.as_deref(),
        Some("application/x-pkcs12"),
        "default secret content type"
    );
    assert_eq!(cert.attributes.as_ref().unwrap().enabled, Some(true));
    // Default validity is 12 months.
    let months = months_between(&x509);
    assert!((11.5..=12.5).contains(&months), "validity {months} months");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_self_signed_rsa_2048_with_defaults() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let cert =
        create_certificate(&client, "rsa-2048", rsa_policy("CN=rsa.example.com", 2048)).await;
    assert_bundle(&vault, "rsa-2048", &cert);
    let der = cert.cer.as_deref().unwrap();
    assert_self_signed(der);
    match spki_key(der) {
        SpkiKey::Rsa { n, e } => {
            assert_eq!(n.len() * 8, 2048, "modulus bits");
            assert_eq!(e, vec![1, 0, 1], "public exponent 65537");
        }
        other => panic!("expected RSA, got {other:?}"),
    }
    let x509 = parse_cert(der);
    // Server defaults (spec §3.5): RSA key usage digitalSignature + keyEncipherment, EKU server + client auth.
    let ku = x509
        .key_usage()
        .unwrap()
        .expect("key usage extension")
        .value;
    assert!(ku.digital_signature() && ku.key_encipherment());
    let eku = x509
        .extended_key_usage()
        .unwrap()
        .expect("EKU extension")
        .value;
    assert!(eku.server_auth && eku.client_auth);

    let policy = cert.policy.as_ref().unwrap();
    let key = policy.key_properties.as_ref().unwrap();
    assert_eq!(key.key_type, Some(KeyType::Rsa));
    assert_eq!(key.key_size, Some(2048));
    assert_eq!(key.exportable, Some(true), "default exportable");
    assert_eq!(key.reuse_key, Some(false), "default reuse_key");
    let x509_props = policy.x509_certificate_properties.as_ref().unwrap();
    assert_eq!(x509_props.subject.as_deref(), Some("CN=rsa.example.com"));
    assert_eq!(x509_props.validity_in_months, Some(12));
    let actions = policy
        .lifetime_actions
        .as_ref()
        .expect("default lifetime actions");
    assert_eq!(actions.len(), 1);
    assert_eq!(
        actions[0].trigger.as_ref().unwrap().lifetime_percentage,
        Some(80)
    );
    assert_eq!(
        actions[0].action.as_ref().unwrap().action_type,
        Some(CertificatePolicyAction::AutoRenew)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_latest_and_by_version() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let created = create_certificate(&client, "getter", ec_policy("CN=getter")).await;
    let version = created.resource_id().unwrap().version.unwrap();

    let latest = get_latest(&client, "getter").await;
    let by_version = get_version(&client, "getter", &version).await;
    assert_eq!(latest.id, created.id);
    assert_eq!(by_version.id, created.id);
    assert_eq!(latest.cer, created.cer);
    assert_eq!(by_version.cer, created.cer);
    assert_eq!(by_version.x509_thumbprint, created.x509_thumbprint);

    // Names compare case-insensitively and echo the original spelling.
    let upper = get_latest(&client, "GETTER").await;
    assert_eq!(upper.id, created.id);

    // A version that does not exist, and a name that does not exist.
    client
        .get_certificate(
            "getter",
            Some(CertificateClientGetCertificateOptions {
                certificate_version: Some("0".repeat(32)),
                ..Default::default()
            }),
        )
        .fails(StatusCode::NOT_FOUND, "unknown version")
        .await;
    client
        .get_certificate("no-such-cert", None)
        .fails_with(StatusCode::NOT_FOUND, "CertificateNotFound", "unknown name")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_over_many_certificates() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let raw = vault.raw();
    const COUNT: usize = 32;
    let names: Vec<String> = (0..COUNT).map(|i| format!("page-cert-{i:02}")).collect();
    for name in &names {
        raw.create_ec_certificate(name).await;
    }

    // Page by page: no page larger than maxresults, several pages.
    let mut pages = client
        .list_certificate_properties(Some(CertificateClientListCertificatePropertiesOptions {
            maxresults: Some(5),
            ..Default::default()
        }))
        .expect("pager")
        .into_pages();
    let mut page_count = 0;
    let mut seen_by_page = Vec::new();
    while let Some(page) = pages.try_next().await.expect("next page") {
        let page = page.into_model().expect("decode page");
        assert!(
            page.value.len() <= 5,
            "page of {} > maxresults",
            page.value.len()
        );
        page_count += 1;
        for item in page.value {
            let id = item.id.clone().expect("item id");
            assert!(
                id.starts_with(&format!("{}/certificates/", vault.base_url())),
                "item id {id}"
            );
            let rid = item.resource_id().expect("item resource id");
            assert_eq!(rid.version, None, "list ids carry no version: {id}");
            assert!(item.x509_thumbprint.is_some(), "list item carries x5t");
            assert!(item.attributes.is_some(), "list item carries attributes");
            seen_by_page.push(rid.name);
        }
    }
    assert!(page_count >= COUNT.div_ceil(5), "only {page_count} pages");

    let mut counts: HashMap<String, usize> = HashMap::new();
    for name in &seen_by_page {
        *counts.entry(name.clone()).or_default() += 1;
    }
    for name in &names {
        assert_eq!(counts.get(name), Some(&1), "{name} seen exactly once");
    }
    assert_eq!(seen_by_page.len(), COUNT, "no extra items");

    // The item iterator walks the same set.
    let items: Vec<_> = client
        .list_certificate_properties(Some(CertificateClientListCertificatePropertiesOptions {
            maxresults: Some(7),
            ..Default::default()
        }))
        .unwrap()
        .try_collect()
        .await
        .expect("collect items");
    let set: HashSet<String> = items
        .iter()
        .map(|i| i.resource_id().unwrap().name)
        .collect();
    assert_eq!(set.len(), COUNT);
    assert_eq!(items.len(), COUNT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_listed_and_fetchable() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let first = create_certificate(&client, "versioned", ec_policy("CN=versioned")).await;
    let second = create_certificate(&client, "versioned", ec_policy("CN=versioned")).await;
    let v1 = first.resource_id().unwrap().version.unwrap();
    let v2 = second.resource_id().unwrap().version.unwrap();
    assert_ne!(v1, v2, "each create makes a new version");
    assert_ne!(
        first.cer, second.cer,
        "each version has its own certificate"
    );

    let listed: Vec<_> = client
        .list_certificate_properties_versions(
            "versioned",
            Some(CertificateClientListCertificatePropertiesVersionsOptions {
                maxresults: Some(1),
                ..Default::default()
            }),
        )
        .unwrap()
        .try_collect()
        .await
        .expect("list versions");
    assert_eq!(listed.len(), 2, "two versions");
    let versions: HashSet<String> = listed
        .iter()
        .map(|i| {
            i.resource_id()
                .unwrap()
                .version
                .expect("version ids carry the version")
        })
        .collect();
    assert_eq!(versions, HashSet::from([v1.clone(), v2.clone()]));
    for item in &listed {
        let v = item.resource_id().unwrap().version.unwrap();
        let expected = if v == v1 { &first } else { &second };
        assert_eq!(item.x509_thumbprint, expected.x509_thumbprint);
    }

    assert_eq!(get_latest(&client, "versioned").await.id, second.id);
    assert_eq!(get_version(&client, "versioned", &v1).await.cer, first.cer);
    assert_eq!(get_version(&client, "versioned", &v2).await.cer, second.cer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_properties_enabled_and_tags() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let first = create_certificate(&client, "updatable", ec_policy("CN=updatable")).await;
    let second = create_certificate(&client, "updatable", ec_policy("CN=updatable")).await;
    let v1 = first.resource_id().unwrap().version.unwrap();

    // Latest (PATCH /certificates/updatable/ with the trailing slash).
    let updated = client
        .update_certificate_properties(
            "updatable",
            UpdateCertificatePropertiesParameters {
                certificate_attributes: Some(CertificateAttributes {
                    enabled: Some(false),
                    ..Default::default()
                }),
                tags: Some(tags(&[("env", "test"), ("team", "e2e")])),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            None,
        )
        .model("update latest")
        .await;
    assert_eq!(updated.id, second.id);
    assert_eq!(updated.attributes.as_ref().unwrap().enabled, Some(false));
    assert_eq!(
        updated.tags,
        Some(tags(&[("env", "test"), ("team", "e2e")]))
    );
    assert_eq!(
        updated.cer, second.cer,
        "update does not touch the certificate"
    );

    let fetched = get_latest(&client, "updatable").await;
    assert_eq!(
        fetched.attributes.as_ref().unwrap().enabled,
        Some(false),
        "a disabled certificate's metadata is still readable"
    );
    assert_eq!(
        fetched.tags,
        Some(tags(&[("env", "test"), ("team", "e2e")]))
    );

    // A specific older version keeps its own attributes and tags.
    let old = client
        .update_certificate_properties(
            "updatable",
            UpdateCertificatePropertiesParameters {
                tags: Some(tags(&[("old", "yes")])),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            Some(CertificateClientUpdateCertificatePropertiesOptions {
                certificate_version: Some(v1.clone()),
                ..Default::default()
            }),
        )
        .model("update version")
        .await;
    assert_eq!(old.id, first.id);
    assert_eq!(old.tags, Some(tags(&[("old", "yes")])));
    assert_eq!(old.attributes.as_ref().unwrap().enabled, Some(true));
    let latest = get_latest(&client, "updatable").await;
    assert_eq!(latest.tags, Some(tags(&[("env", "test"), ("team", "e2e")])));

    // The list item shows the latest version's tags and enabled flag.
    let items: Vec<_> = client
        .list_certificate_properties(None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let item = items
        .iter()
        .find(|i| i.resource_id().unwrap().name == "updatable")
        .expect("listed");
    assert_eq!(item.tags, Some(tags(&[("env", "test"), ("team", "e2e")])));
    assert_eq!(item.attributes.as_ref().unwrap().enabled, Some(false));

    // Re-enable.
    let enabled = client
        .update_certificate_properties(
            "updatable",
            UpdateCertificatePropertiesParameters {
                certificate_attributes: Some(CertificateAttributes {
                    enabled: Some(true),
                    ..Default::default()
                }),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            None,
        )
        .model("update_certificate_properties")
        .await;
    assert_eq!(enabled.attributes.unwrap().enabled, Some(true));
    assert_eq!(
        enabled.tags,
        Some(tags(&[("env", "test"), ("team", "e2e")])),
        "tags are kept when the update omits them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_get_and_partial_update() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    create_certificate(
        &client,
        "policy-cert",
        rsa_policy("CN=policy.example.com", 2048),
    )
    .await;

    let policy = client
        .get_certificate_policy("policy-cert", None)
        .model("get policy")
        .await;
    assert_eq!(
        policy.id.as_deref(),
        Some(format!("{}/certificates/policy-cert/policy", vault.base_url()).as_str())
    );
    assert_eq!(
        policy
            .x509_certificate_properties
            .as_ref()
            .unwrap()
            .subject
            .as_deref(),
        Some("CN=policy.example.com")
    );
    assert_eq!(
        policy.key_properties.as_ref().unwrap().key_type,
        Some(KeyType::Rsa)
    );
    assert_eq!(
        policy
            .secret_properties
            .as_ref()
            .unwrap()
            .content_type
            .as_deref(),
        Some("application/x-pkcs12")
    );
    assert!(policy.attributes.as_ref().unwrap().created.is_some());

    // Only validity changes; everything else is kept.
    let patched = client
        .update_certificate_policy(
            "policy-cert",
            CertificatePolicy {
                x509_certificate_properties: Some(X509CertificateProperties {
                    validity_in_months: Some(24),
                    ..Default::default()
                }),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            None,
        )
        .model("patch policy")
        .await;
    let x509_props = patched.x509_certificate_properties.as_ref().unwrap();
    assert_eq!(x509_props.validity_in_months, Some(24));
    assert_eq!(x509_props.subject.as_deref(), Some("CN=policy.example.com"));
    let key = patched.key_properties.as_ref().unwrap();
    assert_eq!(key.key_type, Some(KeyType::Rsa));
    assert_eq!(key.key_size, Some(2048));
    assert_eq!(
        patched.issuer_parameters.as_ref().unwrap().name.as_deref(),
        Some("Self")
    );
    assert_eq!(
        patched
            .secret_properties
            .as_ref()
            .unwrap()
            .content_type
            .as_deref(),
        Some("application/x-pkcs12")
    );
    assert!(patched
        .lifetime_actions
        .as_ref()
        .is_some_and(|a| !a.is_empty()));

    // Switch the key to EC P-256 (as Python's test_policy does): echoed, validity kept.
    let patched = client
        .update_certificate_policy(
            "policy-cert",
            CertificatePolicy {
                key_properties: Some(KeyProperties {
                    key_type: Some(KeyType::Ec),
                    curve: Some(CurveName::P256),
                    ..Default::default()
                }),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            None,
        )
        .model("patch key props")
        .await;
    assert_eq!(
        patched.key_properties.as_ref().unwrap().key_type,
        Some(KeyType::Ec)
    );
    assert_eq!(
        patched.key_properties.as_ref().unwrap().curve,
        Some(CurveName::P256)
    );
    assert_eq!(
        patched
            .x509_certificate_properties
            .as_ref()
            .unwrap()
            .validity_in_months,
        Some(24)
    );

    let fetched = client
        .get_certificate_policy("policy-cert", None)
        .model("get_certificate_policy")
        .await;
    assert_eq!(
        fetched.key_properties.as_ref().unwrap().key_type,
        Some(KeyType::Ec)
    );
    assert_eq!(
        fetched
            .x509_certificate_properties
            .as_ref()
            .unwrap()
            .validity_in_months,
        Some(24)
    );

    // A create without a policy reuses the stored one: EC P-256, 24 months.
    let renewed = create_certificate_with(
        &client,
        "policy-cert",
        CreateCertificateParameters::default(),
    )
    .await;
    let der = renewed.cer.as_deref().unwrap();
    assert!(matches!(spki_key(der), SpkiKey::Ec { ref curve_oid, .. } if curve_oid == OID_P256));
    let months = months_between(&parse_cert(der));
    assert!((23.5..=24.5).contains(&months), "validity {months} months");
    let x509 = parse_cert(der);
    assert_eq!(
        x509.subject()
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "policy.example.com"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_recover_delete_purge() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let base = vault.base_url();
    let created = create_certificate(&client, "doomed", ec_policy("CN=doomed")).await;

    let deleted = client
        .delete_certificate("doomed", None)
        .model("delete")
        .await;
    assert_eq!(
        deleted.id, created.id,
        "deleted bundle keeps the version id"
    );
    assert_eq!(
        deleted.recovery_id.as_deref(),
        Some(format!("{base}/deletedcertificates/doomed").as_str())
    );
    assert_eq!(deleted.cer, created.cer);
    let deleted_at = unix(deleted.deleted_date);
    let purge_at = unix(deleted.scheduled_purge_date);
    let days = deleted
        .attributes
        .as_ref()
        .unwrap()
        .recoverable_days
        .unwrap() as i64;
    assert_eq!(
        purge_at - deleted_at,
        days * 86400,
        "scheduledPurgeDate = deletedDate + recoverableDays"
    );
    assert!(
        deleted.policy.is_some(),
        "deleted bundle carries the policy"
    );

    client
        .get_certificate("doomed", None)
        .fails_with(StatusCode::NOT_FOUND, "CertificateNotFound", "gone")
        .await;

    let got = client
        .get_deleted_certificate("doomed", None)
        .model("get deleted")
        .await;
    assert_eq!(got.recovery_id, deleted.recovery_id);
    assert_eq!(got.id, created.id);

    let deleted_items: Vec<_> = client
        .list_deleted_certificate_properties(None)
        .unwrap()
        .try_collect()
        .await
        .expect("list deleted");
    assert_eq!(deleted_items.len(), 1);
    assert_eq!(deleted_items[0].recovery_id, deleted.recovery_id);
    assert!(deleted_items[0].deleted_date.is_some());

    let recovered = client
        .recover_deleted_certificate("doomed", None)
        .model("recover")
        .await;
    assert_eq!(recovered.id, created.id);
    assert_eq!(recovered.cer, created.cer);
    assert_eq!(get_latest(&client, "doomed").await.id, created.id);
    client
        .get_deleted_certificate("doomed", None)
        .fails(StatusCode::NOT_FOUND, "no longer deleted")
        .await;

    client
        .delete_certificate("doomed", None)
        .await
        .expect("delete again");
    client
        .purge_deleted_certificate("doomed", None)
        .await
        .expect("purge (204)");
    client
        .get_certificate("doomed", None)
        .fails(StatusCode::NOT_FOUND, "purged")
        .await;
    client
        .get_deleted_certificate("doomed", None)
        .fails(StatusCode::NOT_FOUND, "purged")
        .await;

    // The name is free again.
    let again = create_certificate(&client, "doomed", ec_policy("CN=doomed")).await;
    assert_ne!(again.id, created.id);

    // Delete of an unknown name is 404.
    client
        .delete_certificate("never-existed", None)
        .fails(StatusCode::NOT_FOUND, "unknown")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_on_soft_deleted_name_conflicts() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    create_certificate(&client, "tombstone", ec_policy("CN=tombstone")).await;
    client.delete_certificate("tombstone", None).await.unwrap();

    let parameters = CreateCertificateParameters {
        certificate_policy: Some(ec_policy("CN=tombstone")),
        ..Default::default()
    };
    client
        .begin_create_certificate("tombstone", parameters.try_into().unwrap(), fast_poller())
        .unwrap()
        .fails_with(StatusCode::CONFLICT, "Conflict", "name is soft-deleted")
        .await;

    let rsp = vault
        .raw()
        .post(
            "/certificates/tombstone/create",
            &json!({ "policy": self_signed_ec_policy_json("CN=tombstone") }),
        )
        .await;
    let error = rsp.assert_error(StatusCode::CONFLICT, "Conflict");
    assert_eq!(
        error["innererror"]["code"], "ObjectIsDeletedButRecoverable",
        "{}",
        rsp.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_while_in_progress_conflicts_and_poller_honours_retry_after() {
    let vault = TestVault::start_with(|config| {
        config.self_signed_delay = Duration::from_secs(3);
    })
    .await;
    let raw = vault.raw();
    let body = json!({ "policy": self_signed_ec_policy_json("CN=slow") });

    let rsp = raw.post("/certificates/slow/create", &body).await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED, "{}", rsp.text);
    let op = rsp.json();
    assert_eq!(
        op["status"], "inProgress",
        "self_signed_delay keeps it pending: {op}"
    );
    assert!(
        rsp.header("retry-after").is_some(),
        "202 while inProgress carries Retry-After"
    );

    let rsp = raw.post("/certificates/slow/create", &body).await;
    rsp.assert_error(StatusCode::CONFLICT, "Forbidden");
    let rsp = raw.get("/certificates/slow/pending").await;
    assert_eq!(rsp.status, StatusCode::OK);
    assert_eq!(rsp.json()["status"], "inProgress");
    assert!(
        rsp.header("retry-after").is_some(),
        "GET pending while inProgress carries Retry-After"
    );

    // The SDK poller with its default 30 s frequency finishes quickly only if it honours Retry-After.
    let client = vault.certificate_client();
    let started = Instant::now();
    let parameters = CreateCertificateParameters {
        certificate_policy: Some(ec_policy("CN=slow-sdk")),
        ..Default::default()
    };
    let cert = tokio::time::timeout(
        Duration::from_secs(25),
        client
            .begin_create_certificate("slow-sdk", parameters.try_into().unwrap(), None)
            .unwrap(),
    )
    .await
    .expect("poller finished well before its 30 s default interval")
    .expect("create")
    .into_model()
    .unwrap();
    let elapsed = started.elapsed();
    assert!(cert.cer.is_some());
    assert!(
        elapsed >= Duration::from_secs(2),
        "the delay was applied ({elapsed:?})"
    );
    assert!(
        elapsed < Duration::from_secs(15),
        "Retry-After honoured ({elapsed:?})"
    );

    // And the first one completes too.
    let op = raw.wait_finished("slow").await;
    assert_eq!(op["status"], "completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_with_invalid_name_is_bad_request() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let parameters = CreateCertificateParameters {
        certificate_policy: Some(ec_policy("CN=x")),
        ..Default::default()
    };
    client
        .begin_create_certificate(
            "create_invalid_certificate",
            parameters.try_into().unwrap(),
            fast_poller(),
        )
        .unwrap()
        .fails_with(
            StatusCode::BAD_REQUEST,
            "BadParameter",
            "underscore is not allowed",
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_set_get_delete() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();

    let err = client.get_contacts(None).await.expect_err("never set");
    assert_eq!(http_status(&err), StatusCode::NOT_FOUND);

    let contacts = Contacts {
        contact_list: Some(vec![
            Contact {
                email: Some("admin@contoso.com".into()),
                name: Some("John Doe".into()),
                phone: Some("1111111111".into()),
            },
            Contact {
                email: Some("ops@contoso.com".into()),
                name: Some("Ops".into()),
                phone: None,
            },
        ]),
        ..Default::default()
    };
    let set = client
        .set_contacts(contacts.try_into().unwrap(), None)
        .model("set contacts")
        .await;
    assert_eq!(
        set.id.as_deref(),
        Some(format!("{}/certificates/contacts", vault.base_url()).as_str())
    );
    let list = set.contact_list.expect("contacts");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].email.as_deref(), Some("admin@contoso.com"));
    assert_eq!(list[0].name.as_deref(), Some("John Doe"));
    assert_eq!(list[0].phone.as_deref(), Some("1111111111"));
    assert_eq!(list[1].email.as_deref(), Some("ops@contoso.com"));

    let got = client.get_contacts(None).model("get").await;
    let got_list = got.contact_list.expect("contacts");
    assert_eq!(got_list.len(), 2);
    assert_eq!(got_list[1].name.as_deref(), Some("Ops"));

    // PUT replaces the whole list.
    let replaced = client
        .set_contacts(
            Contacts {
                contact_list: Some(vec![Contact {
                    email: Some("only@contoso.com".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            None,
        )
        .model("set_contacts")
        .await;
    assert_eq!(replaced.contact_list.as_ref().unwrap().len(), 1);

    let deleted = client.delete_contacts(None).model("delete").await;
    let deleted_list = deleted.contact_list.expect("removed list is returned");
    assert_eq!(deleted_list.len(), 1);
    assert_eq!(deleted_list[0].email.as_deref(), Some("only@contoso.com"));

    let err = client.get_contacts(None).await.expect_err("deleted");
    assert_eq!(http_status(&err), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuers_set_get_list_update_delete() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let base = vault.base_url();

    let set = client
        .set_issuer(
            "my-issuer",
            SetIssuerParameters {
                provider: Some("GlobalSign".into()),
                credentials: Some(IssuerCredentials {
                    account_id: Some("keyvaultuser".into()),
                    password: Some("sup3r-s3cret-pwd".into()),
                }),
                organization_details: Some(OrganizationDetails {
                    id: Some("org-id".into()),
                    admin_contacts: Some(vec![AdministratorContact {
                        first_name: Some("John".into()),
                        last_name: Some("Doe".into()),
                        email: Some("admin@contoso.com".into()),
                        phone: Some("4255555555".into()),
                    }]),
                }),
                attributes: Some(IssuerAttributes {
                    enabled: Some(true),
                    ..Default::default()
                }),
            }
            .try_into()
            .unwrap(),
            None,
        )
        .model("set issuer")
        .await;
    assert_eq!(
        set.id.as_deref(),
        Some(format!("{base}/certificates/issuers/my-issuer").as_str())
    );
    assert_eq!(set.provider.as_deref(), Some("GlobalSign"));
    let creds = set.credentials.as_ref().expect("credentials");
    assert_eq!(creds.account_id.as_deref(), Some("keyvaultuser"));
    assert_eq!(creds.password, None, "pwd is never echoed");
    assert_eq!(set.attributes.as_ref().unwrap().enabled, Some(true));
    assert!(set.attributes.as_ref().unwrap().created.is_some());

    let got = client.get_issuer("my-issuer", None).model("get").await;
    assert_eq!(got.provider.as_deref(), Some("GlobalSign"));
    assert_eq!(got.credentials.as_ref().unwrap().password, None);
    let org = got.organization_details.as_ref().unwrap();
    assert_eq!(org.id.as_deref(), Some("org-id"));
    assert_eq!(
        org.admin_contacts.as_ref().unwrap()[0]
            .first_name
            .as_deref(),
        Some("John")
    );

    // The raw body never contains the password, under any member name.
    let rsp = vault.raw().get("/certificates/issuers/my-issuer").await;
    assert_eq!(rsp.status, StatusCode::OK);
    assert!(
        !rsp.text.contains("sup3r-s3cret-pwd"),
        "password leaked: {}",
        rsp.text
    );
    assert!(
        !rsp.text.contains("\"pwd\""),
        "pwd member present: {}",
        rsp.text
    );

    client
        .set_issuer(
            "second-issuer",
            SetIssuerParameters {
                provider: Some("DigiCert".into()),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            None,
        )
        .await
        .expect("set second issuer");
    let listed: Vec<_> = client
        .list_issuer_properties(None)
        .unwrap()
        .try_collect()
        .await
        .expect("list issuers");
    let mut pairs: Vec<(String, String)> = listed
        .iter()
        .map(|i| (i.id.clone().unwrap(), i.provider.clone().unwrap()))
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        vec![
            (
                format!("{base}/certificates/issuers/my-issuer"),
                "GlobalSign".to_string()
            ),
            (
                format!("{base}/certificates/issuers/second-issuer"),
                "DigiCert".to_string()
            ),
        ]
    );

    // PATCH with only new admin details keeps provider, account id and org id.
    let updated = client
        .update_issuer(
            "my-issuer",
            UpdateIssuerParameters {
                organization_details: Some(OrganizationDetails {
                    id: None,
                    admin_contacts: Some(vec![AdministratorContact {
                        first_name: Some("Jane".into()),
                        last_name: Some("Roe".into()),
                        email: Some("jane@contoso.com".into()),
                        phone: None,
                    }]),
                }),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            None,
        )
        .model("update issuer")
        .await;
    assert_eq!(updated.provider.as_deref(), Some("GlobalSign"));
    assert_eq!(
        updated
            .credentials
            .as_ref()
            .and_then(|c| c.account_id.as_deref()),
        Some("keyvaultuser")
    );
    assert_eq!(updated.credentials.as_ref().unwrap().password, None);
    let org = updated.organization_details.as_ref().unwrap();
    assert_eq!(
        org.id.as_deref(),
        Some("org-id"),
        "org_details merged member by member"
    );
    let admins = org.admin_contacts.as_ref().unwrap();
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0].first_name.as_deref(), Some("Jane"));

    let deleted = client
        .delete_issuer("my-issuer", None)
        .model("delete issuer")
        .await;
    assert_eq!(deleted.provider.as_deref(), Some("GlobalSign"));
    let err = client
        .get_issuer("my-issuer", None)
        .fails(StatusCode::NOT_FOUND, "deleted")
        .await;
    let rsp = vault.raw().get("/certificates/issuers/my-issuer").await;
    let error = rsp.assert_error(
        StatusCode::NOT_FOUND,
        error_code(&err).as_deref().unwrap_or("?"),
    );
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("not found"),
        "404 message says not found: {error}"
    );
}

// ------------------------------------------------------------------------------------------------
// Policy variety: what the policy says must really be in the issued certificate.
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_3072_and_4096_keys() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    for bits in [3072, 4096] {
        let name = format!("rsa-{bits}");
        let cert =
            create_certificate(&client, &name, rsa_policy(&format!("CN={name}"), bits)).await;
        let der = cert.cer.as_deref().unwrap();
        match spki_key(der) {
            SpkiKey::Rsa { n, .. } => assert_eq!(n.len() * 8, bits as usize, "{name} modulus bits"),
            other => panic!("expected RSA, got {other:?}"),
        }
        assert_self_signed(der);
        assert_eq!(
            cert.policy.unwrap().key_properties.unwrap().key_size,
            Some(bits)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec_p384_and_p521_keys() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    for (curve, oid, point_len, name) in [
        (CurveName::P384, OID_P384, 97, "ec-p384"),
        (CurveName::P521, OID_P521, 133, "ec-p521"),
    ] {
        let policy = policy_with_key(
            &format!("CN={name}"),
            KeyProperties {
                key_type: Some(KeyType::Ec),
                curve: Some(curve.clone()),
                ..Default::default()
            },
        );
        let cert = create_certificate(&client, name, policy).await;
        let der = cert.cer.as_deref().unwrap();
        match spki_key(der) {
            SpkiKey::Ec { curve_oid, point } => {
                assert_eq!(curve_oid, oid, "{name} curve");
                assert_eq!(point.len(), point_len, "{name} point length");
            }
            other => panic!("expected EC, got {other:?}"),
        }
        assert_self_signed(der);
        let key = cert.policy.unwrap().key_properties.unwrap();
        assert_eq!(key.curve, Some(curve));
        assert_eq!(key.key_type, Some(KeyType::Ec));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subject_with_organization_fields() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let subject = "CN=full.example.com, OU=Engineering, O=Contoso Ltd, L=Redmond, ST=WA, C=US";
    let cert = create_certificate(&client, "full-subject", ec_policy(subject)).await;
    let der = cert.cer.as_deref().unwrap();
    let x509 = parse_cert(der);
    let subject = x509.subject();
    let first = |it: &mut dyn Iterator<Item = &AttributeTypeAndValue<'_>>| {
        it.next().map(|a| a.as_str().unwrap().to_string())
    };
    assert_eq!(
        first(&mut subject.iter_common_name()).as_deref(),
        Some("full.example.com")
    );
    assert_eq!(
        first(&mut subject.iter_organization()).as_deref(),
        Some("Contoso Ltd")
    );
    assert_eq!(
        first(&mut subject.iter_organizational_unit()).as_deref(),
        Some("Engineering")
    );
    assert_eq!(first(&mut subject.iter_country()).as_deref(), Some("US"));
    assert_eq!(
        first(&mut subject.iter_locality()).as_deref(),
        Some("Redmond")
    );
    assert_eq!(
        first(&mut subject.iter_state_or_province()).as_deref(),
        Some("WA")
    );
    assert_self_signed(der);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subject_alternative_names_of_every_kind() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let mut policy = ec_policy("CN=sans.example.com");
    policy
        .x509_certificate_properties
        .as_mut()
        .unwrap()
        .subject_alternative_names = Some(SubjectAlternativeNames {
        dns_names: Some(vec!["www.example.com".into(), "api.example.com".into()]),
        emails: Some(vec!["admin@example.com".into()]),
        user_principal_names: Some(vec!["user@contoso.com".into()]),
        ip_addresses: Some(vec!["10.1.2.3".into(), "2001:db8::1".into()]),
        uris: Some(vec![
            "https://example.com/path".into(),
            "spiffe://example.org/service".into(),
        ]),
    });
    let cert = create_certificate(&client, "sans", policy).await;
    let der = cert.cer.as_deref().unwrap();
    let x509 = parse_cert(der);
    let san = x509
        .subject_alternative_name()
        .unwrap()
        .expect("SAN extension")
        .value;

    let mut dns = Vec::new();
    let mut emails = Vec::new();
    let mut uris = Vec::new();
    let mut ips = Vec::new();
    let mut upn_values = Vec::new();
    for name in &san.general_names {
        match name {
            GeneralName::DNSName(d) => dns.push(d.to_string()),
            GeneralName::RFC822Name(e) => emails.push(e.to_string()),
            GeneralName::URI(u) => uris.push(u.to_string()),
            GeneralName::IPAddress(ip) => ips.push(ip.to_vec()),
            GeneralName::OtherName(oid, value) => {
                assert_eq!(oid.to_id_string(), OID_UPN, "otherName must be a UPN");
                upn_values.push(value.to_vec());
            }
            other => panic!("unexpected SAN entry {other:?}"),
        }
    }
    dns.sort();
    assert_eq!(dns, ["api.example.com", "www.example.com"]);
    assert_eq!(emails, ["admin@example.com"]);
    uris.sort();
    assert_eq!(
        uris,
        ["https://example.com/path", "spiffe://example.org/service"]
    );
    let v6: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
    assert!(ips.contains(&vec![10, 1, 2, 3]), "IPv4 SAN: {ips:?}");
    assert!(ips.contains(&v6.octets().to_vec()), "IPv6 SAN: {ips:?}");
    assert_eq!(ips.len(), 2);
    assert_eq!(upn_values.len(), 1, "one UPN otherName");
    assert!(
        contains_bytes(&upn_values[0], b"user@contoso.com"),
        "UPN value holds the principal name"
    );

    // The policy echoes every SAN kind.
    let sans = cert
        .policy
        .unwrap()
        .x509_certificate_properties
        .unwrap()
        .subject_alternative_names
        .expect("sans echoed");
    assert_eq!(sans.emails, Some(vec!["admin@example.com".to_string()]));
    assert_eq!(
        sans.user_principal_names,
        Some(vec!["user@contoso.com".to_string()])
    );
    assert_eq!(sans.ip_addresses.as_ref().map(Vec::len), Some(2));
    assert_eq!(sans.uris.as_ref().map(Vec::len), Some(2));
    assert_eq!(sans.dns_names.as_ref().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ekus_and_key_usage_are_in_the_certificate() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let mut policy = ec_policy("CN=usage.example.com");
    {
        let props = policy.x509_certificate_properties.as_mut().unwrap();
        props.enhanced_key_usage = Some(vec![
            "1.3.6.1.5.5.7.3.1".into(),
            "1.3.6.1.5.5.7.3.3".into(),
            "1.3.6.1.4.1.311.10.3.12".into(),
        ]);
        props.key_usage = Some(vec![
            KeyUsageType::DigitalSignature,
            KeyUsageType::NonRepudiation,
            KeyUsageType::KeyAgreement,
        ]);
    }
    let cert = create_certificate(&client, "usage", policy).await;
    let der = cert.cer.as_deref().unwrap();
    let x509 = parse_cert(der);

    let ku = x509.key_usage().unwrap().expect("key usage").value;
    assert!(ku.digital_signature());
    assert!(ku.non_repudiation());
    assert!(ku.key_agreement());
    assert!(!ku.key_encipherment());
    assert!(!ku.data_encipherment());
    assert!(!ku.key_cert_sign());
    assert!(!ku.crl_sign());

    let eku = x509.extended_key_usage().unwrap().expect("EKU").value;
    assert!(eku.server_auth);
    assert!(eku.code_signing);
    assert!(!eku.client_auth, "clientAuth was not requested");
    let others: Vec<String> = eku.other.iter().map(|o| o.to_id_string()).collect();
    assert_eq!(others, ["1.3.6.1.4.1.311.10.3.12"]);

    let props = cert.policy.unwrap().x509_certificate_properties.unwrap();
    assert_eq!(props.enhanced_key_usage.as_ref().map(Vec::len), Some(3));
    let mut usage = props.key_usage.expect("key_usage echoed");
    usage.sort_by_key(|u| u.to_string());
    let mut expected = vec![
        KeyUsageType::DigitalSignature,
        KeyUsageType::NonRepudiation,
        KeyUsageType::KeyAgreement,
    ];
    expected.sort_by_key(|u| u.to_string());
    assert_eq!(usage, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validity_months_sets_not_after() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    for months in [1, 3, 36] {
        let name = format!("validity-{months}");
        let mut policy = ec_policy(&format!("CN={name}"));
        policy
            .x509_certificate_properties
            .as_mut()
            .unwrap()
            .validity_in_months = Some(months);
        let cert = create_certificate(&client, &name, policy).await;
        let x509 = parse_cert(cert.cer.as_deref().unwrap());
        let actual = months_between(&x509);
        assert!(
            (actual - months as f64).abs() <= 0.2,
            "{name}: certificate is valid for {actual:.2} months"
        );
        let now = ::time::OffsetDateTime::now_utc().unix_timestamp();
        let nbf = x509.validity().not_before.timestamp();
        assert!((now - nbf).abs() < 600, "NotBefore is about now");
        assert_eq!(
            cert.policy
                .unwrap()
                .x509_certificate_properties
                .unwrap()
                .validity_in_months,
            Some(months)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_type_pem_and_pkcs12() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    for (name, content_type) in [
        ("as-pem", "application/x-pem-file"),
        ("as-pfx", "application/x-pkcs12"),
    ] {
        let mut policy = ec_policy(&format!("CN={name}"));
        policy.secret_properties = Some(SecretProperties {
            content_type: Some(content_type.into()),
        });
        let cert = create_certificate(&client, name, policy).await;
        assert_eq!(cert.content_type.as_deref(), Some(content_type), "{name}");
        assert_eq!(
            cert.policy
                .unwrap()
                .secret_properties
                .unwrap()
                .content_type
                .as_deref(),
            Some(content_type)
        );
        let secret = vault
            .secret_client()
            .get_secret(name, None)
            .model("get secret")
            .await;
        assert_eq!(
            secret.content_type.as_deref(),
            Some(content_type),
            "{name} secret"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_issuer_stays_pending_with_csr() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let mut policy = ec_policy("CN=manual.example.com");
    policy.issuer_parameters = Some(IssuerParameters {
        name: Some("Unknown".into()),
        ..Default::default()
    });
    // Rust has no Unknown shortcut: take only the first poll of the stream.
    let first = begin_pending(&client, "manual", policy).await;
    assert_eq!(
        first
            .issuer_parameters
            .as_ref()
            .and_then(|i| i.name.as_deref()),
        Some("Unknown")
    );
    let csr = first.csr.expect("operation exposes the CSR");
    let (_, req) = X509CertificationRequest::from_der(&csr).expect("parse CSR");
    req.verify_signature().expect("CSR self-signature");
    assert_eq!(
        req.certification_request_info
            .subject
            .iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap(),
        "manual.example.com"
    );

    let op = client
        .get_certificate_operation("manual", None)
        .model("get operation")
        .await;
    assert_eq!(op.status.as_deref(), Some("inProgress"));
    assert_eq!(
        op.id.as_deref(),
        Some(format!("{}/certificates/manual/pending", vault.base_url()).as_str())
    );

    // Not listed without includePending; listed with it.
    let plain: Vec<_> = client
        .list_certificate_properties(None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(plain
        .iter()
        .all(|i| i.resource_id().unwrap().name != "manual"));
    let with_pending: Vec<_> = client
        .list_certificate_properties(Some(CertificateClientListCertificatePropertiesOptions {
            include_pending: Some(true),
            ..Default::default()
        }))
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert!(with_pending
        .iter()
        .any(|i| i.resource_id().unwrap().name == "manual"));

    // Delete the operation: then it is gone.
    let removed = client
        .delete_certificate_operation("manual", None)
        .model("delete operation")
        .await;
    assert_eq!(removed.status.as_deref(), Some("inProgress"));
    let err = client
        .get_certificate_operation("manual", None)
        .fails(StatusCode::NOT_FOUND, "operation deleted")
        .await;
    assert_eq!(
        error_code(&err).as_deref(),
        Some("PendingCertificateNotFound")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_provider_is_free_text() {
    // Spec §4.1: real Azure accepted `provider: "Test"` in the SDK tests; provider is free text
    // at set-issuer time (a certificate referencing such an issuer may then fail or stay pending).
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let set = client
        .set_issuer(
            "test-provider",
            SetIssuerParameters {
                provider: Some("Test".into()),
                ..Default::default()
            }
            .try_into()
            .unwrap(),
            None,
        )
        .model("set issuer with provider Test")
        .await;
    assert_eq!(set.provider.as_deref(), Some("Test"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_are_consistent() {
    let vault = TestVault::start().await;
    let client = std::sync::Arc::new(vault.certificate_client());

    // Distinct names at once through the SDK: all succeed.
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let name = format!("conc-{i}");
                let cert =
                    create_certificate(&client, &name, ec_policy(&format!("CN={name}"))).await;
                (name, cert)
            })
        })
        .collect();
    for task in tasks {
        let (name, cert) = task.await.expect("task");
        assert_eq!(cert.resource_id().unwrap().name, name);
        assert!(cert.cer.is_some());
    }
    let listed: Vec<_> = client
        .list_certificate_properties(None)
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 12);

    // The same name at once through raw HTTP: each answer is 202 or 409, never 5xx, and every
    // accepted create ends as exactly one version.
    let raw = vault.raw();
    let body = json!({ "policy": self_signed_ec_policy_json("CN=same") });
    let answers =
        futures::future::join_all((0..8).map(|_| raw.post("/certificates/same/create", &body)))
            .await;
    let mut accepted = 0;
    for rsp in &answers {
        match rsp.status {
            StatusCode::ACCEPTED => accepted += 1,
            StatusCode::CONFLICT => {
                rsp.assert_error(StatusCode::CONFLICT, "Forbidden");
            }
            other => panic!("unexpected {other}: {}", rsp.text),
        }
    }
    assert!(accepted >= 1, "at least one create was accepted");
    let versions = eventually(DEADLINE, "accepted creates to complete", || async {
        let op = raw.get("/certificates/same/pending").await.json();
        if op["status"] == "inProgress" {
            return None;
        }
        let versions = raw.get("/certificates/same/versions").await.json();
        Some(versions["value"].as_array().unwrap().len())
    })
    .await;
    assert_eq!(versions, accepted, "one version per accepted create");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_works_with_other_api_versions() {
    let vault = TestVault::start().await;
    for (i, api_version) in ["7.5", "7.6", "2026-04-01"].into_iter().enumerate() {
        let client = CertificateClient::new(
            &vault.base_url(),
            credential(),
            Some(
                azure_security_keyvault_certificates::CertificateClientOptions {
                    api_version: api_version.to_string(),
                    verify_challenge_resource: Some(false),
                    client_options: sdk_client_options(vault.ca_pem()),
                },
            ),
        )
        .unwrap();
        let name = format!("api-{i}");
        let cert = create_certificate(&client, &name, ec_policy(&format!("CN={name}"))).await;
        assert!(cert.cer.is_some(), "api-version {api_version}");
        let listed: Vec<_> = client
            .list_certificate_properties(Some(CertificateClientListCertificatePropertiesOptions {
                maxresults: Some(1),
                ..Default::default()
            }))
            .unwrap()
            .try_collect()
            .await
            .unwrap_or_else(|err| panic!("list with api-version {api_version}: {err}"));
        assert_eq!(listed.len(), i + 1, "api-version {api_version}");
    }
}
