//! The Acmebot flow against the Key Vault API (issue 15; acme-gateway spec §4, "Key Vault
//! users"): create a certificate with issuer `Unknown`, take the CSR from the pending operation,
//! have a CA sign it, and merge the chain the way Acmebot's releases send it. Older releases send
//! each chain certificate as its own PKCS#12 blob (`X509Certificate2.Export(Pfx)`: no key, no
//! password), optionally reversed (`MitigateChainOrder`); newer ones send DER, issuer-most-first.
//!
//! The PKCS#12 blobs are not written by our code: .NET's shape (3DES, SHA-1 MAC, all under the
//! *null* password) by the independent writer `acmebot/dotnet_pfx.py`, and by the `openssl` CLI
//! legacy RC2-40 cert bags with a SHA-1 MAC (`-legacy`), 3DES, AES/PBES2 (OpenSSL 3's default)
//! and unencrypted without MAC. The merges go through the real Azure SDK for Rust (its
//! `x5c` is any bytes, base64-encoded, as .NET's is); refusals are read as raw Key Vault errors.
//! Every merged certificate is checked through GET: the certificate, its key's JWK, and its
//! secret (PFX or PEM) holding the pending key and the chain leaf first.

use std::path::Path;
use std::process::Command;

use azure_security_keyvault_certificates::{
    models::{
        Certificate, CertificatePolicy, IssuerParameters, KeyProperties, KeyType, SecretProperties,
        SubjectAlternativeNames, X509CertificateProperties,
    },
    CertificateClient, ResourceExt as _,
};
use e2e::*;
use reqwest::StatusCode;
use serde_json::Value;
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{CurveName, KeyUsage};

const PKCS12: &str = "application/x-pkcs12";
const PEM: &str = "application/x-pem-file";

// ------------------------------------------------------------------------------------------------
// The user's own CA and the PKCS#12 blobs Acmebot would send
// ------------------------------------------------------------------------------------------------

/// A two-level CA (root → intermediate) built in the test, standing in for the ACME CA.
struct TestCa {
    root_key: PrivateKey,
    root: Vec<u8>,
    inter_key: PrivateKey,
    inter: Vec<u8>,
}

fn profile(subject: &str, is_ca: bool) -> CertProfile {
    let now = time::OffsetDateTime::now_utc();
    CertProfile {
        subject: subject.to_string(),
        sans: Default::default(),
        ekus: vec![],
        key_usage: vec![KeyUsage::KeyCertSign, KeyUsage::CrlSign],
        not_before: now - time::Duration::minutes(5),
        not_after: now + time::Duration::days(365),
        is_ca,
        path_len: None,
    }
}

impl TestCa {
    fn new() -> TestCa {
        let p256 = KeySpec::Ec {
            curve: CurveName::P256,
        };
        let root_key = PrivateKey::generate(p256).expect("root key");
        let root = crypto::self_signed(&root_key, &profile("CN=Acmebot Test Root", true))
            .expect("root certificate");
        let inter_key = PrivateKey::generate(p256).expect("intermediate key");
        let inter = crypto::issue_for_key(
            &inter_key,
            &profile("CN=Acmebot Test Intermediate", true),
            &root_key,
            &root,
        )
        .expect("intermediate certificate");
        TestCa {
            root_key,
            root,
            inter_key,
            inter,
        }
    }

    /// Signs a CSR as an ACME CA does: the request's names, a server-auth leaf for 90 days.
    fn sign(&self, csr_der: &[u8]) -> Vec<u8> {
        let info = crypto::parse_csr(csr_der).expect("the pending operation's CSR verifies");
        let now = time::OffsetDateTime::now_utc();
        let leaf = CertProfile {
            subject: info.subject,
            sans: info.sans,
            ekus: vec!["1.3.6.1.5.5.7.3.1".into()],
            key_usage: vec![KeyUsage::DigitalSignature],
            not_before: now - time::Duration::minutes(5),
            not_after: now + time::Duration::days(90),
            is_ca: false,
            path_len: None,
        };
        crypto::sign_csr(csr_der, &leaf, &self.inter_key, &self.inter).expect("sign the CSR")
    }

    /// Leaf, intermediate, root: the order of an ACME certificate download plus its root.
    fn chain(&self, leaf: &[u8]) -> Vec<Vec<u8>> {
        vec![leaf.to_vec(), self.inter.clone(), self.root.clone()]
    }
}

/// How a certificate-only PFX is written: as .NET writes it, or by `openssl pkcs12 -export`.
#[derive(Debug, Clone, Copy)]
enum Pfx {
    /// .NET's `Export(Pfx)` without a password: 3DES, SHA-1 MAC, all under the *null* password
    /// (`acmebot/dotnet_pfx.py`, an independent writer, since no .NET runs here).
    DotnetNull,
    /// RC2-40 cert bags, SHA-1 MAC: `-legacy`, what OpenSSL 1.x and older Windows write.
    LegacyRc2,
    /// 3DES cert bags, SHA-1 MAC.
    TripleDes,
    /// PBES2/AES-256-CBC cert bags, SHA-256 MAC: OpenSSL 3's default.
    Aes,
    /// No encryption and no MAC.
    Plain,
}

impl Pfx {
    const ALL: [Pfx; 5] = [
        Pfx::DotnetNull,
        Pfx::LegacyRc2,
        Pfx::TripleDes,
        Pfx::Aes,
        Pfx::Plain,
    ];

    /// `openssl pkcs12 -export` options.
    fn args(self) -> &'static [&'static str] {
        match self {
            Pfx::DotnetNull | Pfx::Aes => &[],
            Pfx::LegacyRc2 => &["-legacy"],
            Pfx::TripleDes => &["-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"],
            Pfx::Plain => &["-certpbe", "NONE", "-nomac"],
        }
    }

    /// The scheme name `openssl pkcs12 -info` prints for the cert bags.
    fn info(self) -> &'static str {
        match self {
            Pfx::LegacyRc2 => "pbeWithSHA1And40BitRC2-CBC",
            Pfx::DotnetNull | Pfx::TripleDes => "pbeWithSHA1And3-KeyTripleDES-CBC",
            Pfx::Aes => "AES-256-CBC",
            Pfx::Plain => "PKCS7 Data",
        }
    }
}

fn run(dir: &Path, program: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} (these tests write their PKCS#12 blobs with it): {e}")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A PFX over `certs` (and `key`, when given) with `password`: the .NET writer for
/// [`Pfx::DotnetNull`] (no key, no password), else `openssl pkcs12 -export`. Checked with
/// `openssl pkcs12 -info` to hold the scheme asked for (given an empty password OpenSSL tries
/// the null one first, so it reads .NET's too).
fn make_pfx(certs: &[&[u8]], scheme: Pfx, key: Option<&PrivateKey>, password: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let pass = format!("pass:{password}");
    if let Pfx::DotnetNull = scheme {
        assert!(
            key.is_none() && password.is_empty(),
            ".NET's blobs have neither"
        );
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/acmebot/dotnet_pfx.py");
        let mut args = vec![script.to_string(), "out.p12".to_string()];
        for (i, der) in certs.iter().enumerate() {
            let file = format!("cert{i}.der");
            std::fs::write(dir.path().join(&file), der).expect("write DER");
            args.push(file);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(dir.path(), "python3", &args);
    } else {
        let pem: String = certs
            .iter()
            .map(|der| crypto::pem_encode("CERTIFICATE", der))
            .collect();
        std::fs::write(dir.path().join("in.pem"), pem).expect("write PEM");
        let mut args = vec!["pkcs12", "-export", "-in", "in.pem", "-out", "out.p12"];
        args.extend(["-passout", &pass]);
        match key {
            Some(key) => {
                std::fs::write(dir.path().join("key.pem"), key.pkcs8_pem()).expect("write key");
                args.extend(["-inkey", "key.pem"]);
            }
            None => args.push("-nokeys"),
        }
        args.extend(scheme.args());
        run(dir.path(), "openssl", &args);
    }
    let info = run(
        dir.path(),
        "openssl",
        &[
            "pkcs12", "-in", "out.p12", "-info", "-noout", "-legacy", "-passin", &pass,
        ],
    );
    let info = String::from_utf8_lossy(&info.stderr);
    assert!(info.contains(scheme.info()), "{scheme:?}: {info}");
    let pfx = std::fs::read(dir.path().join("out.p12")).expect("read PFX");
    // The null password is not the empty one: a reader that only knows "" cannot open .NET's.
    assert_eq!(
        p12_keystore::Pkcs12Archive::from_pkcs12(&pfx, password).is_ok(),
        !matches!(scheme, Pfx::DotnetNull),
        "{scheme:?}"
    );
    pfx
}

/// One certificate-only blob per chain certificate, as Acmebot's `x509Certificates.Select(x =>
/// x.Export(X509ContentType.Pfx))` sends them.
fn pfx_per_certificate(chain: &[Vec<u8>], scheme: Pfx) -> Vec<Vec<u8>> {
    chain
        .iter()
        .map(|der| make_pfx(&[der], scheme, None, ""))
        .collect()
}

// ------------------------------------------------------------------------------------------------
// The Key Vault side, as Acmebot calls it
// ------------------------------------------------------------------------------------------------

/// Acmebot's policy: issuer `Unknown`, CN = the first DNS name, the names as SANs.
fn acmebot_policy(dns_names: &[&str], key: KeyProperties, content_type: &str) -> CertificatePolicy {
    CertificatePolicy {
        key_properties: Some(KeyProperties {
            reuse_key: Some(false),
            ..key
        }),
        x509_certificate_properties: Some(X509CertificateProperties {
            subject: Some(format!("CN={}", dns_names[0])),
            subject_alternative_names: Some(SubjectAlternativeNames {
                dns_names: Some(dns_names.iter().map(|n| n.to_string()).collect()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        issuer_parameters: Some(IssuerParameters {
            name: Some("Unknown".into()),
            ..Default::default()
        }),
        secret_properties: Some(SecretProperties {
            content_type: Some(content_type.into()),
        }),
        ..Default::default()
    }
}

fn ec_key() -> KeyProperties {
    KeyProperties {
        key_type: Some(KeyType::Ec),
        curve: Some(azure_security_keyvault_certificates::models::CurveName::P256),
        ..Default::default()
    }
}

fn rsa_key() -> KeyProperties {
    KeyProperties {
        key_type: Some(KeyType::Rsa),
        key_size: Some(2048),
        ..Default::default()
    }
}

/// `StartCreateCertificateAsync` with the Unknown policy, then the CSR from the pending
/// operation (the first response carries it; a later GET of the operation gives the same).
async fn start_create(
    client: &CertificateClient,
    name: &str,
    policy: CertificatePolicy,
) -> Vec<u8> {
    let first = begin_pending(client, name, policy).await;
    let op = pending(client, name).await;
    assert_eq!(op.csr, first.csr, "the operation keeps its CSR");
    op.csr.expect("the pending operation carries a CSR")
}

async fn pending(
    client: &CertificateClient,
    name: &str,
) -> azure_security_keyvault_certificates::models::CertificateOperation {
    client
        .get_certificate_operation(name, None)
        .await
        .expect("get the pending operation")
        .into_model()
        .expect("operation model")
}

async fn ok_json(raw: &Raw, path: &str) -> Value {
    let rsp = raw.get(path).await;
    assert_eq!(rsp.status, StatusCode::OK, "GET {path}: {}", rsp.text);
    rsp.json()
}

/// Checks a merged certificate through GET: the latest version is `leaf`, the operation is
/// completed, the key's JWK is the leaf's key, and the secret (of `content_type`) holds the
/// pending key and `chain`, leaf first, whatever order the merge brought it in.
async fn assert_merged(
    vault: &TestVault,
    name: &str,
    merged: &Certificate,
    chain: &[Vec<u8>],
    content_type: &str,
) {
    let leaf = &chain[0];
    assert_eq!(
        merged.cer.as_ref(),
        Some(leaf),
        "{name}: the merge returns the leaf"
    );
    let version = merged
        .resource_id()
        .expect("merged id")
        .version
        .expect("merged version");
    let client = vault.certificate_client();
    let latest = client
        .get_certificate(name, None)
        .await
        .expect("get certificate")
        .into_model()
        .expect("certificate model");
    assert_eq!(
        latest.cer.as_ref(),
        Some(leaf),
        "{name}: GET gives the leaf"
    );
    assert_eq!(
        latest
            .attributes
            .and_then(|a| a.expires)
            .map(|t| t.unix_timestamp()),
        Some(parse_cert(leaf).validity().not_after.timestamp()),
        "{name}: expiry from the leaf"
    );
    let op = pending(&client, name).await;
    assert_eq!(op.status.as_deref(), Some("completed"), "{name}");

    let raw = vault.raw();
    let jwk = ok_json(&raw, &format!("/keys/{name}/{version}")).await["key"].clone();
    match spki_key(leaf) {
        SpkiKey::Rsa { n, e } => {
            let jwk_n = decode_b64url_strict(jwk["n"].as_str().expect("n"));
            assert_eq!(strip_leading_zeros(&jwk_n), n, "{name}: JWK n");
            assert_eq!(decode_b64url_strict(jwk["e"].as_str().expect("e")), e);
        }
        SpkiKey::Ec { point, .. } => {
            let mut jwk_point = vec![4u8];
            jwk_point.extend(decode_b64url_strict(jwk["x"].as_str().expect("x")));
            jwk_point.extend(decode_b64url_strict(jwk["y"].as_str().expect("y")));
            assert_eq!(jwk_point, point, "{name}: JWK point");
        }
    }

    let secret = ok_json(&raw, &format!("/secrets/{name}/{version}")).await;
    assert_eq!(secret["contentType"].as_str(), Some(content_type), "{name}");
    let value = secret["value"].as_str().expect("secret value");
    let (pkcs8, certs) = if content_type == PEM {
        let blocks = pem_blocks(value);
        let labels: Vec<&str> = blocks.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels[0], "PRIVATE KEY", "{name}: the key leads the PEM");
        let certs = blocks[1..].iter().map(|(_, d)| d.clone()).collect();
        (blocks[0].1.clone(), certs)
    } else {
        let (key, certs) = crypto::pkcs12_parse(&decode_b64_std_strict(value), "")
            .expect("the secret PFX opens with an empty password");
        (
            key.expect("a key in the secret PFX").pkcs8_der().to_vec(),
            certs,
        )
    };
    assert_eq!(certs, chain, "{name}: the secret's chain, leaf first");
    assert!(
        private_key_matches_cert(&pkcs8, leaf),
        "{name}: the pending key backs the merged leaf"
    );
    for pair in certs.windows(2) {
        verify_cert_signed_by(&pair[0], &pair[1]).expect("each certificate signed by the next");
    }
}

// ------------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------------

/// Older Acmebot: one PKCS#12 blob per certificate, leaf first (a) and reversed by
/// `MitigateChainOrder` (b), for every way OpenSSL protects the blobs; RSA and EC keys, PFX and
/// PEM secrets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acmebot_merges_one_pfx_blob_per_certificate_in_either_order() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let ca = TestCa::new();
    for (i, scheme) in Pfx::ALL.into_iter().enumerate() {
        for reversed in [false, true] {
            let name = format!(
                "acmebot-pfx-{i}-{}",
                if reversed { "reversed" } else { "leaf-first" }
            );
            let dns = format!("{name}.example.com");
            // RSA 2048 is Acmebot's default key; EC keeps the loop quick.
            let (key, content_type) = match (i, reversed) {
                (0, false) => (rsa_key(), PKCS12),
                (_, true) => (ec_key(), PEM),
                _ => (ec_key(), PKCS12),
            };
            let csr =
                start_create(&client, &name, acmebot_policy(&[&dns], key, content_type)).await;
            let chain = ca.chain(&ca.sign(&csr));
            let mut blobs = pfx_per_certificate(&chain, scheme);
            if reversed {
                blobs.reverse();
            }
            let merged = merge_certificate(&client, &name, blobs)
                .await
                .unwrap_or_else(|err| panic!("{name} ({scheme:?}): merge: {err}"));
            assert_merged(&vault, &name, &merged, &chain, content_type).await;
        }
    }
}

/// Newer Acmebot: DER, issuer-most-first (c); and a mix of one PFX holding intermediate and root,
/// the leaf as PEM text, and the root again as DER.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acmebot_merges_der_issuer_most_first_and_mixed_items() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let ca = TestCa::new();

    let dns = ["acmebot-der.example.com", "www.acmebot-der.example.com"];
    let csr = start_create(&client, "acmebot-der", acmebot_policy(&dns, rsa_key(), PEM)).await;
    let leaf = ca.sign(&csr);
    assert_eq!(
        parse_cert(&leaf)
            .subject_alternative_name()
            .expect("SAN")
            .expect("SAN present")
            .value
            .general_names
            .len(),
        2,
        "the CSR carried both names"
    );
    let chain = ca.chain(&leaf);
    let mut issuer_most_first = chain.clone();
    issuer_most_first.reverse();
    let merged = merge_certificate(&client, "acmebot-der", issuer_most_first)
        .await
        .expect("merge DER issuer-most-first");
    assert_merged(&vault, "acmebot-der", &merged, &chain, PEM).await;

    let csr = start_create(
        &client,
        "acmebot-mixed",
        acmebot_policy(&["acmebot-mixed.example.com"], ec_key(), PKCS12),
    )
    .await;
    let leaf = ca.sign(&csr);
    let chain = ca.chain(&leaf);
    let both = make_pfx(&[&ca.inter, &ca.root], Pfx::Aes, None, "");
    let leaf_pem = crypto::pem_encode("CERTIFICATE", &leaf).into_bytes();
    let merged = merge_certificate(&client, "acmebot-mixed", vec![both, leaf_pem])
        .await
        .expect("merge a PFX with two certificates and a PEM leaf");
    assert_merged(&vault, "acmebot-mixed", &merged, &chain, PKCS12).await;
}

/// A PKCS#12 item that carries a private key, has a password, or is damaged is a Key Vault
/// 400; the operation stays pending and the right chain still merges afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_refuses_pfx_items_with_a_key_a_password_or_damage() {
    let vault = TestVault::start().await;
    let client = vault.certificate_client();
    let raw = vault.raw();
    let ca = TestCa::new();
    let name = "acmebot-refused";
    let csr = start_create(
        &client,
        name,
        acmebot_policy(&["acmebot-refused.example.com"], ec_key(), PKCS12),
    )
    .await;
    let chain = ca.chain(&ca.sign(&csr));
    let leaf_pfx = make_pfx(&[&chain[0]], Pfx::Aes, None, "");

    let with_key = make_pfx(&[&ca.root], Pfx::LegacyRc2, Some(&ca.root_key), "");
    let with_password = make_pfx(&[&chain[0]], Pfx::Aes, None, "Fixture-Pass1");
    let truncated = leaf_pfx[..leaf_pfx.len() / 2].to_vec();
    let mut flipped = leaf_pfx.clone();
    let at = flipped.len() - 40;
    flipped[at] ^= 0xff;
    let cases: [(&str, Vec<Vec<u8>>, &str); 4] = [
        ("a key", vec![leaf_pfx.clone(), with_key], "private key"),
        ("a password", vec![with_password], "password"),
        ("a truncation", vec![truncated, chain[1].clone()], "item #1"),
        ("a flipped byte", vec![chain[2].clone(), flipped], "item #2"),
    ];
    for (what, x5c, needle) in cases {
        let items: Vec<String> = x5c.iter().map(|b| b64_std(b)).collect();
        let rsp = raw
            .post(
                &format!("/certificates/{name}/pending/merge"),
                &json!({ "x5c": items }),
            )
            .await;
        let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{what}: {message}");
        assert!(message.contains("PKCS#12"), "{what}: {message}");
        // The SDK sees the same refusal.
        let err = merge_certificate(&client, name, x5c).await.expect_err(what);
        assert_eq!(http_status(&err), StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(error_code(&err).as_deref(), Some("BadParameter"), "{what}");
        assert_eq!(
            pending(&client, name).await.status.as_deref(),
            Some("inProgress")
        );
    }

    let merged = merge_certificate(
        &client,
        name,
        vec![leaf_pfx, chain[1].clone(), chain[2].clone()],
    )
    .await
    .expect("the right chain merges after the refusals");
    assert_merged(&vault, name, &merged, &chain, PKCS12).await;
}

/// The real thing: the pending operation's CSR goes to this vault's own ACME gateway
/// (`instant-acme`, `--acme-validation always-valid`), the order is finalized with it, and the
/// downloaded chain is merged the way older Acmebot releases send it: one .NET-shaped PKCS#12
/// blob per certificate, reversed by `MitigateChainOrder`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acmebot_orders_from_the_vault_acme_gateway_and_merges_pfx_blobs() {
    use instant_acme::{
        Account, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
        RetryPolicy,
    };
    let vault = TestVault::start_with(|config| {
        config.acme.validation = vault::config::AcmeValidation::AlwaysValid;
    })
    .await;
    let client = vault.certificate_client();
    let name = "acmebot-gateway";
    let dns = [
        "acmebot-gateway.example.com",
        "www.acmebot-gateway.example.com",
    ];
    let csr = start_create(&client, name, acmebot_policy(&dns, rsa_key(), PKCS12)).await;

    let (account, _credentials) = Account::builder_with_root(vault.ca_path())
        .expect("an ACME client trusting the vault's TLS CA")
        .create(
            &NewAccount {
                contact: &["mailto:acmebot@example.com"],
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            format!("{}/acme/directory", vault.base_url()),
            None,
        )
        .await
        .expect("new account");
    let identifiers: Vec<Identifier> = dns.iter().map(|d| Identifier::Dns(d.to_string())).collect();
    let mut order = account
        .new_order(&NewOrder::new(&identifiers))
        .await
        .expect("new order");
    let mut authorizations = order.authorizations();
    while let Some(authz) = authorizations.next().await {
        let mut authz = authz.expect("authorization");
        if authz.status == AuthorizationStatus::Valid {
            continue;
        }
        // Acmebot answers dns-01; with always-valid any offered challenge completes.
        let mut challenge = authz
            .challenge(ChallengeType::Dns01)
            .expect("dns-01 offered for a DNS name");
        challenge.set_ready().await.expect("challenge ready");
    }
    let retry = RetryPolicy::new()
        .initial_delay(std::time::Duration::from_millis(50))
        .timeout(DEADLINE);
    assert_eq!(
        order.poll_ready(&retry).await.expect("order ready"),
        OrderStatus::Ready
    );
    order
        .finalize_csr(&csr)
        .await
        .expect("finalize with the pending operation's CSR");
    let pem = order.poll_certificate(&retry).await.expect("certificate");
    let downloaded: Vec<Vec<u8>> = pem_blocks(&pem)
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect();
    assert!(downloaded.len() >= 2, "leaf and intermediate: {pem}");
    let leaf = parse_cert(&downloaded[0]);
    let sans: Vec<String> = leaf
        .subject_alternative_name()
        .expect("SAN")
        .expect("SAN present")
        .value
        .general_names
        .iter()
        .map(|n| n.to_string())
        .collect();
    for d in dns {
        assert!(sans.iter().any(|s| s.contains(d)), "{d} in {sans:?}");
    }

    // The gateway's root closes the chain (served at /_admin/acme/root.pem).
    let rsp = vault.raw().get("/_admin/acme/root.pem").await;
    assert_eq!(rsp.status, StatusCode::OK, "root.pem: {}", rsp.text);
    let root = pem_blocks(&rsp.text)
        .into_iter()
        .find(|(label, _)| label == "CERTIFICATE")
        .expect("root certificate")
        .1;
    let mut chain = downloaded.clone();
    if chain.last() != Some(&root) {
        chain.push(root);
    }

    let mut blobs = pfx_per_certificate(&chain, Pfx::DotnetNull);
    blobs.reverse();
    let merged = merge_certificate(&client, name, blobs)
        .await
        .expect("merge the gateway's chain as .NET PFX blobs");
    assert_merged(&vault, name, &merged, &chain, PKCS12).await;
}
