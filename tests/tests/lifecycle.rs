//! Certificate lifecycle beyond self-signed creation: the non-partnered CA flow (CSR, sign with an
//! external CA, merge), import of files made by OpenSSL and Java keytool, cancelling and deleting
//! a pending operation, backup/restore (including tampering and a foreign master key), and
//! restarts while an operation is pending.
//!
//! The real Rust SDK drives merge, import, cancel, backup and restore; raw HTTP checks wire
//! details and error paths. Fixtures are read from `shared/tests/fixtures/` (password
//! `Fixture-Pass1` where one is set).

use std::{collections::BTreeSet, time::Duration};

use azure_security_keyvault_certificates::{
    models::{
        CertificatePolicy, KeyProperties, KeyType, RestoreCertificateParameters, SecretProperties,
        UpdateCertificateOperationParameter,
    },
    CertificateClient,
};
use e2e::*;
use reqwest::StatusCode;
use serde_json::Value;
use shared::crypto::{
    parse_certificate, parse_csr, parse_dn, pem_encode, pkcs12_parse, sign_csr, CertProfile,
    KeySpec, PrivateKey,
};
use shared::models::{CurveName, KeyUsage};
use x509_parser::prelude::{FromDer as _, ParsedExtension};

const PASSWORD: &str = "Fixture-Pass1";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/tests/fixtures/");
const PKCS12: &str = "application/x-pkcs12";
const PEM: &str = "application/x-pem-file";
const IN_PROGRESS_MESSAGE: &str = "A new key vault certificate can not be created or imported while a pending key vault certificate's status is inProgress.";
const KEY_MISMATCH_MESSAGE: &str =
    "Public key from x509 certificate and key of this instance doesn't match";

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{FIXTURES}{name}");
    std::fs::read(&path).unwrap_or_else(|err| panic!("read {path}: {err}"))
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap_or_else(|err| panic!("{name} is not UTF-8: {err}"))
}

/// The CERTIFICATE blocks of a PEM fixture, in file order.
fn fixture_certs(name: &str) -> Vec<Vec<u8>> {
    pem_blocks(&fixture_text(name))
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect()
}

fn fixture_cert(name: &str) -> Vec<u8> {
    fixture_certs(name)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no certificate in {name}"))
}

/// An external CA from the fixtures (`inter` or `root`).
struct Ca {
    key: PrivateKey,
    cert: Vec<u8>,
}

impl Ca {
    fn load(stem: &str) -> Ca {
        Ca {
            key: PrivateKey::from_pem(&fixture_text(&format!("{stem}.key")))
                .unwrap_or_else(|err| panic!("{stem}.key: {err}")),
            cert: fixture_cert(&format!("{stem}.pem")),
        }
    }

    /// Signs a CSR the way a user's CA would: names and extensions taken from the request.
    fn sign(&self, csr_der: &[u8]) -> Vec<u8> {
        let info = parse_csr(csr_der).expect("the vault's CSR parses and its signature verifies");
        let now = time::OffsetDateTime::now_utc();
        let profile = CertProfile {
            subject: info.subject,
            sans: info.sans,
            ekus: info.ekus,
            key_usage: info.key_usage,
            not_before: now - time::Duration::minutes(5),
            not_after: now + time::Duration::days(90),
            is_ca: false,
            path_len: None,
        };
        sign_csr(csr_der, &profile, &self.key, &self.cert).expect("sign the CSR")
    }
}

/// `(oid, value)` of every subject attribute of a certificate, in DER order.
fn cert_subject(der: &[u8]) -> Vec<(String, String)> {
    parse_cert(der)
        .subject()
        .iter_attributes()
        .map(|a| {
            (
                a.attr_type().to_id_string(),
                a.as_str().expect("string attribute").to_string(),
            )
        })
        .collect()
}

/// `(oid, value)` of every attribute of Key Vault subject text, in DER order.
fn dn_attrs(text: &str) -> Vec<(String, String)> {
    parse_dn(text)
        .unwrap_or_else(|err| panic!("subject {text:?} does not parse: {err}"))
        .rdns()
        .iter()
        .flatten()
        .map(|a| (a.oid.clone(), a.value.clone()))
        .collect()
}

fn ku_names(list: &[KeyUsage]) -> BTreeSet<String> {
    list.iter()
        .map(|ku| {
            serde_json::to_value(ku)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// A JSON array of strings as a set (absent or null: empty).
fn str_set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("string").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn strings(list: &Option<Vec<String>>) -> BTreeSet<String> {
    list.iter().flatten().cloned().collect()
}

fn is_absent(v: &Value) -> bool {
    v.is_null()
}

/// An Unknown-issuer (manual CA) EC P-256 policy as wire JSON.
fn manual_policy(subject: &str, dns: &[&str], content_type: &str) -> Value {
    json!({
        "key_props": { "kty": "EC", "crv": "P-256", "exportable": true, "reuse_key": false },
        "secret_props": { "contentType": content_type },
        "x509_props": {
            "subject": subject,
            "sans": { "dns_names": dns },
            "ekus": ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
            "key_usage": ["digitalSignature", "keyAgreement"],
            "validity_months": 3
        },
        "issuer": { "name": "Unknown" }
    })
}

/// Starts a create that stays pending for a while (an `Unknown` issuer, or self-signed with
/// `fast_ops`' delay); asserts the 202 and `inProgress`, returns the operation.
async fn start_create(raw: &Raw, name: &str, body: Value) -> Value {
    let op = raw.start_create(name, &body).await;
    assert_eq!(op["status"], "inProgress", "create {name}: {op}");
    op
}

async fn ok_json(raw: &Raw, path: &str) -> Value {
    let rsp = raw.get(path).await;
    assert_eq!(rsp.status, StatusCode::OK, "GET {path}: {}", rsp.text);
    rsp.json()
}

fn version_from(bundle: &Value) -> String {
    version_of(bundle["id"].as_str().expect("bundle id"))
}

async fn version_ids(raw: &Raw, name: &str) -> BTreeSet<String> {
    let list = ok_json(raw, &format!("/certificates/{name}/versions")).await;
    list["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect()
}

/// What a certificate version's secret holds.
#[derive(Debug)]
struct SecretContent {
    content_type: String,
    /// PEM secrets: the labels of all blocks, in order.
    pem_labels: Vec<String>,
    pkcs8: Option<Vec<u8>>,
    certs: Vec<Vec<u8>>,
}

async fn secret_content(raw: &Raw, name: &str, version: &str) -> SecretContent {
    let secret = ok_json(raw, &format!("/secrets/{name}/{version}")).await;
    let content_type = secret["contentType"]
        .as_str()
        .unwrap_or_else(|| panic!("secret {name}/{version} without contentType: {secret}"))
        .to_string();
    let value = secret["value"].as_str().expect("secret value");
    match content_type.as_str() {
        PEM => {
            let blocks = pem_blocks(value);
            SecretContent {
                content_type,
                pem_labels: blocks.iter().map(|(l, _)| l.clone()).collect(),
                pkcs8: blocks
                    .iter()
                    .find(|(l, _)| l == "PRIVATE KEY")
                    .map(|(_, d)| d.clone()),
                certs: blocks
                    .into_iter()
                    .filter(|(l, _)| l == "CERTIFICATE")
                    .map(|(_, d)| d)
                    .collect(),
            }
        }
        PKCS12 => {
            let (key, certs) = pkcs12_parse(&decode_b64_std_strict(value), "")
                .expect("the secret PFX opens with an empty password");
            SecretContent {
                content_type,
                pem_labels: Vec::new(),
                pkcs8: key.map(|k| k.pkcs8_der().to_vec()),
                certs,
            }
        }
        other => panic!("unexpected secret content type {other}"),
    }
}

fn assert_pem_key_first(secret: &SecretContent, what: &str) {
    assert_eq!(
        secret.pem_labels.first().map(String::as_str),
        Some("PRIVATE KEY"),
        "{what}: a PEM secret starts with the PKCS#8 key: {:?}",
        secret.pem_labels
    );
}

async fn cancel_sdk(
    client: &CertificateClient,
    name: &str,
) -> azure_core::Result<azure_security_keyvault_certificates::models::CertificateOperation> {
    client
        .update_certificate_operation(
            name,
            UpdateCertificateOperationParameter {
                cancellation_requested: Some(true),
            }
            .try_into()
            .expect("serialize cancel"),
            None,
        )
        .await?
        .into_model()
}

fn restore_params(
    bytes: Vec<u8>,
) -> azure_core::http::RequestContent<RestoreCertificateParameters> {
    RestoreCertificateParameters {
        certificate_backup: Some(bytes),
    }
    .try_into()
    .expect("serialize restore parameters")
}

/// The EC public point of a key JWK (`04 || x || y`).
fn jwk_point(jwk: &Value) -> Vec<u8> {
    let mut point = vec![4u8];
    point.extend(decode_b64url_strict(jwk["x"].as_str().expect("x")));
    point.extend(decode_b64url_strict(jwk["y"].as_str().expect("y")));
    point
}

fn fast_ops(config: &mut vault::Config) {
    config.self_signed_delay = Duration::from_secs(3);
    config.retry_after = Duration::from_millis(200);
}

// ------------------------------------------------------------------------------------------------
// Non-partnered CA: CSR and merge
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_issuer_csr_then_merge_a_three_level_chain() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let client = vault.certificate_client();
    let inter = Ca::load("inter");
    let root_der = fixture_cert("root.pem");

    let subject = "CN=merge3.example, O=Lifecycle";
    let op = start_create(
        &raw,
        "merge3",
        json!({ "policy": manual_policy(subject, &["merge3.example", "www.merge3.example"], PKCS12) }),
    )
    .await;
    assert_eq!(op["issuer"]["name"], "Unknown", "{op}");
    let details = op["status_details"].as_str().unwrap_or_default();
    assert!(
        details.to_lowercase().contains("merge"),
        "status_details tell the user to merge: {op}"
    );
    assert!(is_absent(&op["target"]), "no target while pending: {op}");

    // The CSR: signed by the pending key, the policy's names and extensions, CA:false.
    let csr = decode_b64_std_strict(op["csr"].as_str().expect("csr"));
    let info = parse_csr(&csr).expect("CSR signature verifies");
    assert_eq!(dn_attrs(&info.subject), dn_attrs(subject), "CSR subject");
    assert_eq!(
        strings(&info.sans.dns_names),
        BTreeSet::from([
            "merge3.example".to_string(),
            "www.merge3.example".to_string()
        ]),
        "CSR SANs"
    );
    assert_eq!(
        info.ekus.iter().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([
            "1.3.6.1.5.5.7.3.1".to_string(),
            "1.3.6.1.5.5.7.3.2".to_string()
        ]),
        "CSR EKUs"
    );
    assert_eq!(
        ku_names(&info.key_usage),
        BTreeSet::from(["digitalSignature".to_string(), "keyAgreement".to_string()]),
        "CSR key usage"
    );
    assert_eq!(
        info.key_spec,
        Some(KeySpec::Ec {
            curve: CurveName::P256
        })
    );
    let (_, req) = x509_parser::certification_request::X509CertificationRequest::from_der(&csr)
        .expect("CSR DER");
    let basic = req
        .requested_extensions()
        .expect("extensionRequest in the CSR")
        .find_map(|e| match e {
            ParsedExtension::BasicConstraints(bc) => Some(bc.ca),
            _ => None,
        });
    assert_eq!(basic, Some(false), "CSR requests basicConstraints CA:false");

    // GET pending repeats the same CSR; the pending version is visible but disabled.
    assert_eq!(raw.pending("merge3").await["csr"], op["csr"]);
    let pending_bundle = ok_json(&raw, "/certificates/merge3").await;
    assert_eq!(pending_bundle["attributes"]["enabled"], false);
    assert!(is_absent(&pending_bundle["cer"]), "{pending_bundle}");
    let pending_version = version_from(&pending_bundle);

    // Sign with the intermediate; merge leaf + intermediate + root through the SDK.
    let leaf = inter.sign(&csr);
    verify_cert_signed_by(&leaf, &inter.cert).expect("the intermediate signed the leaf");
    let merged = merge_certificate(
        &client,
        "merge3",
        vec![leaf.clone(), inter.cert.clone(), root_der.clone()],
    )
    .await
    .expect("merge (201)");
    assert_eq!(merged.cer.as_ref(), Some(&leaf), "cer is the merged leaf");
    assert_eq!(
        merged.x509_thumbprint.as_deref(),
        Some(sha1(&leaf).as_slice())
    );
    let id = merged.id.clone().expect("id");
    assert_eq!(
        version_of(&id),
        pending_version,
        "merge completes the pending version"
    );
    let attrs = merged.attributes.as_ref().expect("attributes");
    assert_eq!(attrs.enabled, Some(true));
    assert_eq!(
        attrs.expires.expect("exp").unix_timestamp(),
        parse_cert(&leaf).validity().not_after.timestamp()
    );

    let op = raw.pending("merge3").await;
    assert_eq!(op["status"], "completed", "{op}");
    assert_eq!(
        op["target"],
        format!("{}/certificates/merge3", vault.base_url())
    );
    assert_eq!(version_ids(&raw, "merge3").await, BTreeSet::from([id]));

    // Secret: the pending key and the full chain, leaf first, in order.
    let secret = secret_content(&raw, "merge3", &pending_version).await;
    assert_eq!(secret.content_type, PKCS12);
    assert_eq!(
        secret.certs,
        vec![leaf.clone(), inter.cert.clone(), root_der.clone()],
        "PFX secret holds leaf, intermediate, root"
    );
    assert!(
        private_key_matches_cert(secret.pkcs8.as_deref().expect("key in PFX"), &leaf),
        "the pending key backs the merged leaf"
    );

    // Key: the JWK is the leaf's public key.
    let key = ok_json(&raw, &format!("/keys/merge3/{pending_version}")).await;
    match spki_key(&leaf) {
        SpkiKey::Ec { curve_oid, point } => {
            assert_eq!(curve_oid, OID_P256);
            assert_eq!(jwk_point(&key["key"]), point, "key JWK is the leaf's key");
        }
        other => panic!("expected an EC leaf, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_normalises_a_shuffled_chain_and_keeps_order_when_asked() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let client = vault.certificate_client();
    let inter = Ca::load("inter");
    let root_der = fixture_cert("root.pem");

    // Shuffled [root, leaf, inter], PEM secret: leaf first, key first in the PEM.
    let op = start_create(
        &raw,
        "shuffled",
        json!({ "policy": manual_policy("CN=shuffled.example", &["shuffled.example"], PEM) }),
    )
    .await;
    let leaf = inter.sign(&decode_b64_std_strict(op["csr"].as_str().unwrap()));
    let merged = merge_certificate(
        &client,
        "shuffled",
        vec![root_der.clone(), leaf.clone(), inter.cert.clone()],
    )
    .await
    .expect("merge a shuffled chain");
    assert_eq!(merged.cer.as_ref(), Some(&leaf));
    assert_eq!(merged.content_type.as_deref(), Some(PEM));
    let version = version_of(merged.id.as_deref().unwrap());
    let secret = secret_content(&raw, "shuffled", &version).await;
    assert_eq!(secret.content_type, PEM);
    assert_pem_key_first(&secret, "shuffled");
    assert_eq!(
        secret.certs,
        vec![leaf.clone(), inter.cert.clone(), root_der.clone()],
        "normalised: leaf first, each certificate followed by its issuer"
    );
    assert!(private_key_matches_cert(
        secret.pkcs8.as_deref().unwrap(),
        &leaf
    ));

    // x5c items that decode to PEM text are accepted (raw HTTP, as Python users send them).
    let op = start_create(
        &raw,
        "pem-items",
        json!({ "policy": manual_policy("CN=pem-items.example", &[], PEM) }),
    )
    .await;
    let leaf = inter.sign(&decode_b64_std_strict(op["csr"].as_str().unwrap()));
    let rsp = raw
        .post(
            "/certificates/pem-items/pending/merge",
            &json!({ "x5c": [
                b64_std(pem_encode("CERTIFICATE", &leaf).as_bytes()),
                b64_std(pem_encode("CERTIFICATE", &inter.cert).as_bytes()),
            ] }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::CREATED, "{}", rsp.text);
    let bundle = rsp.json();
    assert_eq!(bundle["cer"], b64_std(&leaf));
    let secret = secret_content(&raw, "pem-items", &version_from(&bundle)).await;
    assert_eq!(secret.certs, vec![leaf.clone(), inter.cert.clone()]);
    assert_eq!(raw.pending("pem-items").await["status"], "completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_with_preserve_cert_order_keeps_the_given_order() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let client = vault.certificate_client();
    let inter = Ca::load("inter");
    let root_der = fixture_cert("root.pem");

    // preserveCertOrder=true on create: the secret keeps the given order, the certificate of
    // the bundle is still the leaf (the one with the certificate's key).
    let mut body = json!({ "policy": manual_policy("CN=ordered.example", &[], PEM) });
    body["preserveCertOrder"] = json!(true);
    let op = start_create(&raw, "ordered", body).await;
    assert_eq!(op["preserveCertOrder"], true, "{op}");
    let leaf = inter.sign(&decode_b64_std_strict(op["csr"].as_str().unwrap()));
    let given = vec![root_der.clone(), inter.cert.clone(), leaf.clone()];
    let merged = merge_certificate(&client, "ordered", given.clone())
        .await
        .expect("merge with preserveCertOrder");
    let version = version_of(merged.id.as_deref().unwrap());
    let secret = secret_content(&raw, "ordered", &version).await;
    assert_pem_key_first(&secret, "ordered");
    assert_eq!(
        secret.certs, given,
        "preserveCertOrder keeps the given order"
    );
    assert!(private_key_matches_cert(
        secret.pkcs8.as_deref().unwrap(),
        &leaf
    ));
    let key = ok_json(&raw, &format!("/keys/ordered/{version}")).await;
    match spki_key(&leaf) {
        SpkiKey::Ec { point, .. } => assert_eq!(jwk_point(&key["key"]), point),
        other => panic!("expected an EC leaf, got {other:?}"),
    }
    assert_eq!(
        merged.cer.as_ref(),
        Some(&leaf),
        "cer is the leaf, not the first certificate of the preserved chain"
    );
    assert_eq!(
        merged.x509_thumbprint.as_deref(),
        Some(sha1(&leaf).as_slice()),
        "x5t is the leaf's thumbprint"
    );
    let bundle = ok_json(&raw, &format!("/certificates/ordered/{version}")).await;
    assert_eq!(bundle["cer"], b64_std(&leaf), "GET returns the leaf as cer");
    assert_eq!(
        bundle["attributes"]["exp"],
        parse_cert(&leaf).validity().not_after.timestamp(),
        "exp comes from the leaf"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_error_paths() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let client = vault.certificate_client();
    let inter = Ca::load("inter");

    let op = start_create(
        &raw,
        "merge-err",
        json!({ "policy": manual_policy("CN=merge-err.example", &[], PKCS12) }),
    )
    .await;
    let csr = decode_b64_std_strict(op["csr"].as_str().unwrap());

    // A certificate for another key: the SDK sees 400 BadParameter with Azure's message.
    let foreign = fixture_cert("leaf-ec.pem");
    let err = merge_certificate(&client, "merge-err", vec![foreign.clone()])
        .await
        .expect_err("foreign key");
    assert_eq!(http_status(&err), StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(error_code(&err).as_deref(), Some("BadParameter"));
    let rsp = raw
        .post(
            "/certificates/merge-err/pending/merge",
            &json!({ "x5c": [b64_std(&foreign), b64_std(&inter.cert)] }),
        )
        .await;
    let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    assert_eq!(error["message"], KEY_MISMATCH_MESSAGE);

    // Only CA certificates, none with the pending key.
    let rsp = raw
        .post(
            "/certificates/merge-err/pending/merge",
            &json!({ "x5c": [b64_std(&inter.cert), b64_std(&fixture_cert("root.pem"))] }),
        )
        .await;
    rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");

    // Empty, missing or unparsable x5c.
    for (what, body) in [
        ("empty x5c", json!({ "x5c": [] })),
        ("no x5c", json!({})),
        ("x5c not base64", json!({ "x5c": ["@@@ not base64 @@@"] })),
        (
            "x5c not a certificate",
            json!({ "x5c": [b64_std(b"definitely not a certificate")] }),
        ),
        (
            "x5c random bytes",
            json!({ "x5c": [b64_std(&fixture("garbage.bin"))] }),
        ),
        (
            "x5c PEM text that is not a certificate",
            json!({ "x5c": [b64_std(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")] }),
        ),
    ] {
        let rsp = raw
            .post("/certificates/merge-err/pending/merge", &body)
            .await;
        assert_eq!(rsp.status, StatusCode::BAD_REQUEST, "{what}: {}", rsp.text);
        rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    }

    // None of that changed the operation: still inProgress, same CSR, and a good merge works.
    let still = raw.pending("merge-err").await;
    assert_eq!(still["status"], "inProgress", "{still}");
    assert_eq!(still["csr"], op["csr"]);
    let leaf = inter.sign(&csr);
    let merged = merge_certificate(&client, "merge-err", vec![leaf.clone()])
        .await
        .expect("merge after failed attempts");
    assert_eq!(merged.cer.as_ref(), Some(&leaf));

    // Nothing pending: a name that never existed, and one whose operation was deleted.
    let x5c = json!({ "x5c": [b64_std(&leaf)] });
    raw.post("/certificates/never-created/pending/merge", &x5c)
        .await
        .assert_error(StatusCode::NOT_FOUND, "PendingCertificateNotFound");
    let op = start_create(
        &raw,
        "op-deleted",
        json!({ "policy": manual_policy("CN=op-deleted.example", &[], PKCS12) }),
    )
    .await;
    let leaf = inter.sign(&decode_b64_std_strict(op["csr"].as_str().unwrap()));
    let deleted = client
        .delete_certificate_operation("op-deleted", None)
        .model("delete the operation")
        .await;
    assert_eq!(deleted.status.as_deref(), Some("inProgress"));
    raw.post(
        "/certificates/op-deleted/pending/merge",
        &json!({ "x5c": [b64_std(&leaf)] }),
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "PendingCertificateNotFound");
}

// ------------------------------------------------------------------------------------------------
// Import
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Form {
    /// base64 of the file's bytes (PFX or PEM).
    Base64,
    /// The PEM text itself.
    PemText,
}

/// (name, file, pwd, form, kty, key size or curve, expected secret content type)
type ImportCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Form,
    &'static str,
    Value,
    &'static str,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_files_made_by_other_tools() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let client = vault.certificate_client();

    // (name, file, pwd, form, kty, size or curve, secret content type kept from the input)
    let cases: &[ImportCase] = &[
        (
            "rsa-aes",
            "rsa-chain-aes.pfx",
            Some(PASSWORD),
            Form::Base64,
            "RSA",
            json!(2048),
            PKCS12,
        ),
        (
            "rsa-3des",
            "rsa-chain-legacy-3des.pfx",
            Some(PASSWORD),
            Form::Base64,
            "RSA",
            json!(2048),
            PKCS12,
        ),
        (
            "rsa-nopass",
            "rsa-chain-nopass.pfx",
            None,
            Form::Base64,
            "RSA",
            json!(2048),
            PKCS12,
        ),
        (
            "ec-aes",
            "ec-chain-aes.pfx",
            Some(PASSWORD),
            Form::Base64,
            "EC",
            json!("P-256"),
            PKCS12,
        ),
        (
            "keytool",
            "java-keytool.p12",
            Some(PASSWORD),
            Form::Base64,
            "RSA",
            json!(2048),
            PKCS12,
        ),
        (
            "rsa-pem-text",
            "rsa-chain-pkcs8.pem",
            None,
            Form::PemText,
            "RSA",
            json!(2048),
            PEM,
        ),
        (
            "rsa-pem-b64",
            "rsa-chain-pkcs8.pem",
            None,
            Form::Base64,
            "RSA",
            json!(2048),
            PEM,
        ),
        (
            "ec-pem-text",
            "ec-chain-pkcs8.pem",
            None,
            Form::PemText,
            "EC",
            json!("P-256"),
            PEM,
        ),
        (
            "ec-pem-b64",
            "ec-chain-pkcs8.pem",
            None,
            Form::Base64,
            "EC",
            json!("P-256"),
            PEM,
        ),
    ];

    for (name, file, pwd, form, kty, size_or_curve, content_type) in cases.iter().cloned() {
        let bytes = fixture(file);
        // What the file holds, read independently of the vault.
        let (file_key, file_certs) = if file.ends_with(".pem") {
            let blocks = pem_blocks(&fixture_text(file));
            let key = blocks
                .iter()
                .find(|(l, _)| l == "PRIVATE KEY")
                .map(|(_, d)| d.clone())
                .expect("PKCS#8 key in the fixture");
            let certs = blocks
                .into_iter()
                .filter(|(l, _)| l == "CERTIFICATE")
                .map(|(_, d)| d)
                .collect::<Vec<_>>();
            (key, certs)
        } else {
            let (key, certs) = pkcs12_parse(&bytes, pwd.unwrap_or("")).expect("fixture PFX");
            (key.expect("key in fixture").pkcs8_der().to_vec(), certs)
        };
        let leaf = file_certs
            .iter()
            .find(|c| private_key_matches_cert(&file_key, c))
            .expect("the fixture's leaf")
            .clone();
        let value = match form {
            Form::Base64 => b64_std(&bytes),
            Form::PemText => fixture_text(file),
        };

        let cert = import_certificate(&client, name, value, pwd, None)
            .await
            .unwrap_or_else(|err| panic!("import {name} ({file}): {err}"));
        assert_eq!(cert.cer.as_ref(), Some(&leaf), "{name}: cer is the leaf");
        assert_eq!(
            cert.content_type.as_deref(),
            Some(content_type),
            "{name}: the secret keeps the input's form"
        );
        let version = version_of(cert.id.as_deref().expect("id"));
        let attrs = cert.attributes.as_ref().expect("attributes");
        let x509 = parse_certificate(&leaf).expect("fixture leaf");
        assert_eq!(attrs.enabled, Some(true), "{name}");
        assert_eq!(
            attrs.not_before.map(|t| t.unix_timestamp()),
            Some(x509.not_before),
            "{name}: nbf"
        );
        assert_eq!(
            attrs.expires.map(|t| t.unix_timestamp()),
            Some(x509.not_after),
            "{name}: exp"
        );

        // Policy derived from the file.
        let policy = ok_json(&raw, &format!("/certificates/{name}/policy")).await;
        let key_props = &policy["key_props"];
        assert_eq!(key_props["kty"], kty, "{name}: kty from the key: {policy}");
        if kty == "EC" {
            assert_eq!(key_props["crv"], size_or_curve, "{name}: crv: {policy}");
        } else {
            assert_eq!(
                key_props["key_size"], size_or_curve,
                "{name}: size: {policy}"
            );
        }
        assert_eq!(key_props["exportable"], true, "{name}: {policy}");
        assert_eq!(policy["issuer"]["name"], "Unknown", "{name}: {policy}");
        assert_eq!(
            policy["secret_props"]["contentType"], content_type,
            "{name}: {policy}"
        );
        let x509_props = &policy["x509_props"];
        assert_eq!(
            dn_attrs(x509_props["subject"].as_str().expect("subject")),
            cert_subject(&leaf),
            "{name}: subject from the certificate: {policy}"
        );
        assert_eq!(
            str_set(&x509_props["sans"]["dns_names"]),
            strings(&x509.sans.dns_names),
            "{name}: SANs: {policy}"
        );
        assert_eq!(
            str_set(&x509_props["ekus"]),
            x509.ekus.iter().cloned().collect::<BTreeSet<_>>(),
            "{name}: EKUs: {policy}"
        );
        assert_eq!(
            str_set(&x509_props["key_usage"]),
            ku_names(&x509.key_usage),
            "{name}: key usage: {policy}"
        );
        let months = (x509.not_after - x509.not_before) as f64 / (86400.0 * 365.25 / 12.0);
        let got = x509_props["validity_months"]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: validity_months: {policy}"));
        assert!(
            (got - months).abs() <= 1.0,
            "{name}: validity_months {got} vs the certificate's {months:.1}"
        );

        // Secret: the file's key and chain, leaf first.
        let secret = secret_content(&raw, name, &version).await;
        assert_eq!(secret.content_type, content_type, "{name}");
        if content_type == PEM {
            assert_pem_key_first(&secret, name);
        }
        assert!(
            private_key_matches_cert(secret.pkcs8.as_deref().expect("key in secret"), &leaf),
            "{name}: the secret holds the imported key"
        );
        assert_eq!(
            secret.certs.first(),
            Some(&leaf),
            "{name}: leaf first in the secret"
        );
        assert_eq!(
            secret.certs.iter().cloned().collect::<BTreeSet<_>>(),
            file_certs.iter().cloned().collect::<BTreeSet<_>>(),
            "{name}: the secret holds the file's whole chain"
        );
        assert_eq!(secret.certs.len(), file_certs.len(), "{name}: chain length");
    }

    // rsa-chain-nopass.pfx also imports with an explicit empty password.
    let rsp = raw
        .post(
            "/certificates/nopass-empty/import",
            &json!({ "value": b64_std(&fixture("rsa-chain-nopass.pfx")), "pwd": "" }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    assert_eq!(rsp.json()["cer"], b64_std(&fixture_cert("leaf-rsa.pem")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_chain_order_normalised_or_preserved() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let client = vault.certificate_client();
    let blocks = pem_blocks(&fixture_text("rsa-chain-pkcs8.pem"));
    let key = &blocks[0].1;
    assert_eq!(blocks[0].0, "PRIVATE KEY");
    let (leaf, inter, root) = (&blocks[1].1, &blocks[2].1, &blocks[3].1);
    assert!(private_key_matches_cert(key, leaf));
    // The same file with the chain reversed: root, intermediate, leaf, then the key.
    let reversed = [root, inter, leaf]
        .iter()
        .map(|der| pem_encode("CERTIFICATE", der))
        .chain([pem_encode("PRIVATE KEY", key)])
        .collect::<String>();

    // Default: normalised, leaf first.
    let cert = import_certificate(&client, "normalised", reversed.clone(), None, None)
        .await
        .expect("import a reversed chain");
    assert_eq!(cert.cer.as_ref(), Some(leaf));
    let secret = secret_content(&raw, "normalised", &version_of(cert.id.as_deref().unwrap())).await;
    assert_pem_key_first(&secret, "normalised");
    assert_eq!(
        secret.certs,
        vec![leaf.clone(), inter.clone(), root.clone()]
    );

    // preserveCertOrder: the given order is kept; cer is still the leaf.
    let rsp = raw
        .post(
            "/certificates/preserved/import",
            &json!({ "value": reversed, "preserveCertOrder": true }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let bundle = rsp.json();
    let secret = secret_content(&raw, "preserved", &version_from(&bundle)).await;
    assert_eq!(
        secret.certs,
        vec![root.clone(), inter.clone(), leaf.clone()],
        "preserveCertOrder keeps the given order"
    );
    assert!(private_key_matches_cert(
        secret.pkcs8.as_deref().unwrap(),
        leaf
    ));
    assert_eq!(
        dn_attrs(
            bundle["policy"]["x509_props"]["subject"]
                .as_str()
                .expect("subject")
        ),
        cert_subject(leaf),
        "policy derived from the leaf"
    );
    assert_eq!(
        bundle["attributes"]["exp"],
        parse_cert(leaf).validity().not_after.timestamp()
    );
    assert_eq!(bundle["cer"], b64_std(leaf), "cer is the leaf: {bundle}");
    assert_eq!(
        bundle["x5t"],
        b64url(&sha1(leaf)),
        "x5t is the leaf's: {bundle}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_rejections_are_clear_400s() {
    let vault = TestVault::start().await;
    let raw = vault.raw();

    let expired_pem = format!(
        "{}{}",
        fixture_text("expired.key"),
        fixture_text("expired.pem")
    );
    let cases: Vec<(&str, Value)> = vec![
        (
            "cert-only-pfx",
            json!({ "value": b64_std(&fixture("rsa-cert-only.pfx")), "pwd": PASSWORD }),
        ),
        (
            "cert-only-pem",
            json!({ "value": fixture_text("rsa-cert-only.pem") }),
        ),
        (
            "cert-only-pem-b64",
            json!({ "value": b64_std(&fixture("rsa-cert-only.pem")) }),
        ),
        (
            "pkcs1-pem",
            json!({ "value": fixture_text("rsa-pkcs1-key.pem") }),
        ),
        (
            "pkcs1-pem-b64",
            json!({ "value": b64_std(&fixture("rsa-pkcs1-key.pem")) }),
        ),
        (
            "encrypted-pem",
            json!({ "value": fixture_text("rsa-encrypted-pkcs8.pem"), "pwd": PASSWORD }),
        ),
        (
            "expired-pfx",
            json!({ "value": b64_std(&fixture("rsa-expired.pfx")), "pwd": PASSWORD }),
        ),
        ("expired-pem", json!({ "value": expired_pem })),
        (
            "garbage",
            json!({ "value": b64_std(&fixture("garbage.bin")) }),
        ),
        (
            "wrong-password",
            json!({ "value": b64_std(&fixture("rsa-chain-aes.pfx")), "pwd": "not-the-password" }),
        ),
        (
            "missing-password",
            json!({ "value": b64_std(&fixture("rsa-chain-aes.pfx")) }),
        ),
        ("empty-value", json!({ "value": "" })),
        ("not-base64", json!({ "value": "%%% not base64 %%%" })),
        ("no-value", json!({ "pwd": PASSWORD })),
    ];
    for (name, body) in cases {
        let rsp = raw
            .post(&format!("/certificates/{name}/import"), &body)
            .await;
        assert_eq!(rsp.status, StatusCode::BAD_REQUEST, "{name}: {}", rsp.text);
        rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
        // Nothing half-imported: no certificate, no pending version.
        raw.get(&format!("/certificates/{name}"))
            .await
            .assert_error(StatusCode::NOT_FOUND, "CertificateNotFound");
    }
    let listed = ok_json(&raw, "/certificates?includePending=true").await;
    assert_eq!(
        listed["value"].as_array().map(Vec::len),
        Some(0),
        "no certificate after failed imports: {listed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_policy_overrides_conflicts_and_versions() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let client = vault.certificate_client();
    let rsa_leaf = fixture_cert("leaf-rsa.pem");
    let inter_der = fixture_cert("inter.pem");
    let root_der = fixture_cert("root.pem");

    // A user content type overrides the input's form: PFX in, PEM secret out ...
    let pem_policy = CertificatePolicy {
        secret_properties: Some(SecretProperties {
            content_type: Some(PEM.into()),
        }),
        ..Default::default()
    };
    let cert = import_certificate(
        &client,
        "pfx-as-pem",
        b64_std(&fixture("rsa-chain-aes.pfx")),
        Some(PASSWORD),
        Some(pem_policy),
    )
    .await
    .expect("import a PFX with a PEM content type");
    assert_eq!(cert.content_type.as_deref(), Some(PEM));
    let secret = secret_content(&raw, "pfx-as-pem", &version_of(cert.id.as_deref().unwrap())).await;
    assert_eq!(secret.content_type, PEM);
    assert_pem_key_first(&secret, "pfx-as-pem");
    assert_eq!(
        secret.certs,
        vec![rsa_leaf.clone(), inter_der.clone(), root_der.clone()]
    );
    assert!(private_key_matches_cert(
        secret.pkcs8.as_deref().unwrap(),
        &rsa_leaf
    ));
    // ... and the rest of the policy is still derived from the file.
    let policy = ok_json(&raw, "/certificates/pfx-as-pem/policy").await;
    assert_eq!(policy["key_props"]["kty"], "RSA", "{policy}");
    assert_eq!(policy["issuer"]["name"], "Unknown", "{policy}");
    assert_eq!(
        dn_attrs(policy["x509_props"]["subject"].as_str().unwrap()),
        cert_subject(&rsa_leaf)
    );

    // ... and the other way round: PEM in, PFX secret out.
    let pfx_policy = CertificatePolicy {
        secret_properties: Some(SecretProperties {
            content_type: Some(PKCS12.into()),
        }),
        ..Default::default()
    };
    let cert = import_certificate(
        &client,
        "pem-as-pfx",
        fixture_text("rsa-chain-pkcs8.pem"),
        None,
        Some(pfx_policy),
    )
    .await
    .expect("import PEM with a PKCS#12 content type");
    assert_eq!(cert.content_type.as_deref(), Some(PKCS12));
    let secret = secret_content(&raw, "pem-as-pfx", &version_of(cert.id.as_deref().unwrap())).await;
    assert_eq!(secret.content_type, PKCS12);
    assert_eq!(
        secret.certs,
        vec![rsa_leaf.clone(), inter_der.clone(), root_der.clone()]
    );

    // A policy that contradicts the file is a bad request, and nothing is stored.
    let contradictions = [
        (
            "ec-policy-rsa-file",
            KeyProperties {
                key_type: Some(KeyType::Ec),
                curve: Some(azure_security_keyvault_certificates::models::CurveName::P256),
                ..Default::default()
            },
        ),
        (
            "rsa4096-policy-rsa2048-file",
            KeyProperties {
                key_type: Some(KeyType::Rsa),
                key_size: Some(4096),
                ..Default::default()
            },
        ),
    ];
    for (name, key_props) in contradictions {
        let err = import_certificate(
            &client,
            name,
            b64_std(&fixture("rsa-chain-aes.pfx")),
            Some(PASSWORD),
            Some(CertificatePolicy {
                key_properties: Some(key_props),
                ..Default::default()
            }),
        )
        .await
        .expect_err(name);
        assert_eq!(http_status(&err), StatusCode::BAD_REQUEST, "{name}: {err}");
        assert_eq!(error_code(&err).as_deref(), Some("BadParameter"), "{name}");
        assert_eq!(
            raw.get(&format!("/certificates/{name}")).await.status,
            StatusCode::NOT_FOUND,
            "{name}: nothing stored"
        );
    }

    // Importing twice makes two versions; the second is the latest.
    let value = b64_std(&fixture("ec-chain-aes.pfx"));
    let first = import_certificate(&client, "twice", value.clone(), Some(PASSWORD), None)
        .await
        .expect("first import");
    let second = import_certificate(&client, "twice", value.clone(), Some(PASSWORD), None)
        .await
        .expect("second import");
    let (first_id, second_id) = (first.id.unwrap(), second.id.unwrap());
    assert_ne!(first_id, second_id);
    assert_eq!(
        version_ids(&raw, "twice").await,
        BTreeSet::from([first_id.clone(), second_id.clone()])
    );
    assert_eq!(ok_json(&raw, "/certificates/twice").await["id"], second_id);

    // A soft-deleted name cannot be reused by import.
    client
        .delete_certificate("twice", None)
        .await
        .expect("delete");
    raw.post(
        "/certificates/twice/import",
        &json!({ "value": value, "pwd": PASSWORD }),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "Conflict");

    // While an operation is inProgress, import is refused with 409 "Forbidden" (sic).
    start_create(
        &raw,
        "busy",
        json!({ "policy": manual_policy("CN=busy.example", &[], PKCS12) }),
    )
    .await;
    let rsp = raw
        .post(
            "/certificates/busy/import",
            &json!({ "value": fixture_text("ec-chain-pkcs8.pem") }),
        )
        .await;
    let error = rsp.assert_error(StatusCode::CONFLICT, "Forbidden");
    assert_eq!(error["message"], IN_PROGRESS_MESSAGE);
    assert_eq!(raw.pending("busy").await["status"], "inProgress");
}

// ------------------------------------------------------------------------------------------------
// Cancel and delete of a pending operation
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_delete_operation_and_conflicts_while_in_progress() {
    let vault = TestVault::start_with(fast_ops).await;
    let raw = vault.raw();
    let client = vault.certificate_client();

    start_create(
        &raw,
        "to-cancel",
        json!({ "policy": self_signed_ec_policy_json("CN=to-cancel") }),
    )
    .await;
    start_create(
        &raw,
        "recreated",
        json!({ "policy": self_signed_ec_policy_json("CN=recreated") }),
    )
    .await;

    // While inProgress: create is refused with 409 "Forbidden" and Azure's message.
    let rsp = raw
        .post(
            "/certificates/to-cancel/create",
            &json!({ "policy": self_signed_ec_policy_json("CN=to-cancel") }),
        )
        .await;
    let error = rsp.assert_error(StatusCode::CONFLICT, "Forbidden");
    assert_eq!(error["message"], IN_PROGRESS_MESSAGE);

    // Cancel through the SDK: 200, cancellation_requested, status cancelled.
    let cancelled = cancel_sdk(&client, "to-cancel").await.expect("cancel");
    assert_eq!(cancelled.cancellation_requested, Some(true));
    assert_eq!(cancelled.status.as_deref(), Some("cancelled"));
    let op = raw.pending("to-cancel").await;
    assert_eq!(op["status"], "cancelled", "{op}");
    assert_eq!(op["cancellation_requested"], true, "{op}");
    assert!(
        is_absent(&op["target"]),
        "no target for a cancelled op: {op}"
    );
    let cancelled_other = cancel_sdk(&client, "recreated")
        .await
        .expect("cancel the second");
    assert_eq!(cancelled_other.status.as_deref(), Some("cancelled"));

    // Cancelling again (no longer inProgress) is a bad request.
    let rsp = raw
        .patch(
            "/certificates/to-cancel/pending",
            &json!({ "cancellation_requested": true }),
        )
        .await;
    rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    cancel_sdk(&client, "to-cancel")
        .fails(StatusCode::BAD_REQUEST, "second cancel")
        .await;

    // The cancelled certificate is readable: disabled, no cer.
    let bundle = ok_json(&raw, "/certificates/to-cancel").await;
    assert_eq!(bundle["attributes"]["enabled"], false, "{bundle}");
    assert!(is_absent(&bundle["cer"]), "{bundle}");
    assert!(is_absent(&bundle["x5t"]), "{bundle}");

    // After a cancel a new create is allowed; it completes after the configured delay. Once it
    // has, the cancelled operation's delay has elapsed too, so it must still be cancelled.
    start_create(
        &raw,
        "recreated",
        json!({ "policy": self_signed_ec_policy_json("CN=recreated") }),
    )
    .await;
    let done = raw.wait_finished("recreated").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(ok_json(&raw, "/certificates/recreated").await["cer"].is_string());
    let op = raw.pending("to-cancel").await;
    assert_eq!(
        op["status"], "cancelled",
        "a cancelled op never completes: {op}"
    );
    let bundle = ok_json(&raw, "/certificates/to-cancel").await;
    assert!(is_absent(&bundle["cer"]), "still no cer: {bundle}");

    // Cancelling a completed operation is a bad request.
    raw.patch(
        "/certificates/recreated/pending",
        &json!({ "cancellation_requested": true }),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "BadParameter");

    // DELETE the operation through the SDK: it is returned, then gone.
    let deleted = client
        .delete_certificate_operation("to-cancel", None)
        .model("delete operation")
        .await;
    assert_eq!(deleted.status.as_deref(), Some("cancelled"));
    assert_eq!(deleted.cancellation_requested, Some(true));
    assert_eq!(
        deleted.id.as_deref(),
        Some(format!("{}/certificates/to-cancel/pending", vault.base_url()).as_str())
    );
    raw.get("/certificates/to-cancel/pending")
        .await
        .assert_error(StatusCode::NOT_FOUND, "PendingCertificateNotFound");
    raw.delete("/certificates/to-cancel/pending")
        .await
        .assert_error(StatusCode::NOT_FOUND, "PendingCertificateNotFound");

    // The certificate object remains and can be deleted.
    assert_eq!(
        raw.get("/certificates/to-cancel").await.status,
        StatusCode::OK
    );
    client
        .delete_certificate("to-cancel", None)
        .await
        .expect("delete a cancelled certificate");
    assert_eq!(
        raw.get("/certificates/to-cancel").await.status,
        StatusCode::NOT_FOUND
    );
}

// ------------------------------------------------------------------------------------------------
// Backup and restore
// ------------------------------------------------------------------------------------------------

/// Everything per version that a restore must bring back.
async fn version_snapshot(raw: &Raw, name: &str) -> Vec<(String, Value, Value, Vec<u8>)> {
    let mut out = Vec::new();
    for id in version_ids(raw, name).await {
        let version = version_of(&id);
        let bundle = ok_json(raw, &format!("/certificates/{name}/{version}")).await;
        let key = ok_json(raw, &format!("/keys/{name}/{version}")).await["key"].clone();
        let secret = secret_content(raw, name, &version).await;
        let pkcs8 = secret.pkcs8.expect("exportable key in the secret");
        let cer = decode_b64_std_strict(bundle["cer"].as_str().expect("cer"));
        assert!(private_key_matches_cert(&pkcs8, &cer));
        let attrs = &bundle["attributes"];
        let kept = json!({
            "cer": bundle["cer"],
            "x5t": bundle["x5t"],
            "tags": bundle["tags"],
            "enabled": attrs["enabled"],
            "nbf": attrs["nbf"],
            "exp": attrs["exp"],
            "created": attrs["created"],
        });
        out.push((id, kept, key, ec_private_scalar(&pkcs8)));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_purge_restore_and_rejected_blobs() {
    fn master() -> Option<String> {
        Some("11".repeat(32))
    }
    let vault = TestVault::start_with(|c| c.master_key = master()).await;
    let raw = vault.raw();
    let client = vault.certificate_client();

    create_certificate(&client, "bk", ec_policy("CN=bk")).await;
    let v1 = version_from(&ok_json(&raw, "/certificates/bk").await);
    create_certificate(&client, "bk", ec_policy("CN=bk")).await;
    let rsp = raw
        .patch(
            &format!("/certificates/bk/{v1}"),
            &json!({ "tags": { "version": "one" } }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);

    let before = version_snapshot(&raw, "bk").await;
    assert_eq!(before.len(), 2);
    let latest_before = ok_json(&raw, "/certificates/bk").await;
    let policy_before = ok_json(&raw, "/certificates/bk/policy").await;

    let backup = client
        .backup_certificate("bk", None)
        .model("backup")
        .await
        .value
        .expect("backup bytes");
    assert!(!backup.is_empty());
    let blob = b64url(&backup);

    // Restore over a live name, then over a soft-deleted name: 409 Conflict.
    client
        .restore_certificate(restore_params(backup.clone()), None)
        .fails_with(StatusCode::CONFLICT, "Conflict", "name is live")
        .await;
    client.delete_certificate("bk", None).await.expect("delete");
    raw.post("/certificates/restore", &json!({ "value": blob }))
        .await
        .assert_error(StatusCode::CONFLICT, "Conflict");
    client
        .purge_deleted_certificate("bk", None)
        .await
        .expect("purge");

    // Malformed and tampered blobs are bad requests and create nothing.
    let mut tampered: Vec<char> = blob.chars().collect();
    let mid = tampered.len() / 2;
    tampered[mid] = if tampered[mid] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    assert_ne!(tampered, blob);
    for (what, value) in [
        ("tampered", json!(tampered)),
        ("truncated", json!(&blob[..blob.len() / 2])),
        ("not base64url", json!("!!! not a backup !!!")),
        ("empty", json!("")),
        ("random bytes", json!(b64url(&fixture("garbage.bin")))),
        ("not a string", json!(42)),
    ] {
        let rsp = raw
            .post("/certificates/restore", &json!({ "value": value }))
            .await;
        assert_eq!(rsp.status, StatusCode::BAD_REQUEST, "{what}: {}", rsp.text);
        rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    }
    raw.get("/certificates/bk")
        .await
        .assert_error(StatusCode::NOT_FOUND, "CertificateNotFound");

    // Restore through the SDK: same versions, certificates, keys and private keys.
    let restored = client
        .restore_certificate(restore_params(backup.clone()), None)
        .model("restore after purge")
        .await;
    assert_eq!(restored.id.as_deref(), latest_before["id"].as_str());
    assert_eq!(
        restored.cer.as_deref(),
        Some(decode_b64_std_strict(latest_before["cer"].as_str().unwrap()).as_slice())
    );
    let after = version_snapshot(&raw, "bk").await;
    assert_eq!(after, before, "every version restored as it was");
    let policy_after = ok_json(&raw, "/certificates/bk/policy").await;
    for member in ["key_props", "secret_props", "x509_props", "issuer"] {
        assert_eq!(
            policy_after[member], policy_before[member],
            "policy {member} restored"
        );
    }

    // Another vault with a different master key cannot read the blob ...
    let foreign = TestVault::start().await;
    let rsp = foreign
        .raw()
        .post("/certificates/restore", &json!({ "value": blob }))
        .await;
    assert_eq!(rsp.status, StatusCode::BAD_REQUEST, "{}", rsp.text);
    rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    assert_eq!(
        foreign.raw().get("/certificates/bk").await.status,
        StatusCode::NOT_FOUND
    );

    // ... while one with the same master key can.
    let twin = TestVault::start_with(|c| c.master_key = master()).await;
    let restored = twin
        .certificate_client()
        .restore_certificate(restore_params(backup), None)
        .model("restore into a vault with the same master key")
        .await;
    assert_eq!(
        restored.cer.as_deref(),
        Some(decode_b64_std_strict(latest_before["cer"].as_str().unwrap()).as_slice())
    );
    let twin_versions: BTreeSet<String> = version_ids(&twin.raw(), "bk")
        .await
        .iter()
        .map(|id| version_of(id))
        .collect();
    let original_versions: BTreeSet<String> =
        before.iter().map(|(id, ..)| version_of(id)).collect();
    assert_eq!(twin_versions, original_versions);
}

// ------------------------------------------------------------------------------------------------
// Restarts while an operation is pending
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operation_in_progress_completes_after_a_restart() {
    let vault = TestVault::start_with(fast_ops).await;
    let op = start_create(
        &vault.raw(),
        "survivor",
        json!({ "policy": self_signed_ec_policy_json("CN=survivor") }),
    )
    .await;
    let id = op["id"].clone();
    let pending_version = version_from(&ok_json(&vault.raw(), "/certificates/survivor").await);

    let vault = vault.restart().await;
    let raw = vault.raw();
    let op = raw.pending("survivor").await;
    assert!(
        op["status"] == "inProgress" || op["status"] == "completed",
        "the operation survives the restart: {op}"
    );
    let done = raw.wait_finished("survivor").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["target"],
        format!("{}/certificates/survivor", vault.base_url())
    );

    assert_eq!(done["id"], id);

    // The version allocated before the restart is the one completed.
    let bundle = ok_json(&raw, "/certificates/survivor").await;
    assert_eq!(bundle["attributes"]["enabled"], true, "{bundle}");
    assert_eq!(version_from(&bundle), pending_version);
    let cer = decode_b64_std_strict(bundle["cer"].as_str().expect("cer after restart"));
    assert_eq!(
        dn_attrs("CN=survivor"),
        cert_subject(&cer),
        "issued from the stored policy"
    );
    let secret = secret_content(&raw, "survivor", &version_from(&bundle)).await;
    assert!(private_key_matches_cert(
        secret.pkcs8.as_deref().unwrap(),
        &cer
    ));
    assert_eq!(version_ids(&raw, "survivor").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_operation_stays_cancelled_after_a_restart() {
    let vault = TestVault::start_with(fast_ops).await;
    start_create(
        &vault.raw(),
        "stopped",
        json!({ "policy": self_signed_ec_policy_json("CN=stopped") }),
    )
    .await;
    let cancelled = cancel_sdk(&vault.certificate_client(), "stopped")
        .await
        .expect("cancel");
    assert_eq!(cancelled.status.as_deref(), Some("cancelled"));

    let vault = vault.restart().await;
    let raw = vault.raw();
    let op = raw.pending("stopped").await;
    assert_eq!(op["status"], "cancelled", "{op}");
    assert_eq!(op["cancellation_requested"], true, "{op}");

    // A create made after the restart completes after the delay; by then the cancelled one
    // would have completed too had the restart revived it.
    raw.create_and_wait("sentinel", self_signed_ec_policy_json("CN=sentinel"))
        .await;
    assert_eq!(raw.pending("sentinel").await["status"], "completed");
    let op = raw.pending("stopped").await;
    assert_eq!(op["status"], "cancelled", "{op}");
    let bundle = ok_json(&raw, "/certificates/stopped").await;
    assert_eq!(bundle["attributes"]["enabled"], false, "{bundle}");
    assert!(is_absent(&bundle["cer"]), "{bundle}");
}
