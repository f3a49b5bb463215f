//! Durability: restarts on the same data dir (in-process and the real binary after SIGKILL), a
//! stable TLS CA, and no private key in plaintext anywhere in the data dir.

use azure_security_keyvault_certificates::ResourceExt as _;
use azure_security_keyvault_keys::models::{
    KeyClientSignOptions, SignParameters, SignatureAlgorithm,
};
use e2e::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Replaces every occurrence of `from` with `to` in the JSON's strings (ids carry the port).
fn rebase(value: &Value, from: &str, to: &str) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace(from, to)),
        Value::Array(a) => Value::Array(a.iter().map(|v| rebase(v, from, to)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), rebase(v, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

async fn ok_json(raw: &Raw, path: &str) -> Value {
    let rsp = raw.get(path).await;
    assert_eq!(rsp.status, StatusCode::OK, "GET {path}: {}", rsp.text);
    rsp.json()
}

/// Everything a restart must keep, read through raw HTTP.
async fn snapshot(raw: &Raw) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for path in [
        "/certificates/kept",
        "/certificates/kept/versions",
        "/certificates/kept/policy",
        "/certificates/rsa-kept/",
        "/certificates/rsa-kept/policy",
        "/certificates",
        "/certificates?includePending=true",
        "/deletedcertificates/removed",
        "/deletedcertificates",
        "/certificates/issuers/kept-issuer",
        "/certificates/issuers",
        "/certificates/contacts",
        "/certificates/waiting/pending",
        "/keys/kept",
    ] {
        out.push((path.to_string(), ok_json(raw, path).await));
    }
    out
}

/// The private key inside a PEM secret (PKCS#8 DER).
async fn pem_private_key(raw: &Raw, name: &str) -> Vec<u8> {
    let secret = ok_json(raw, &format!("/secrets/{name}")).await;
    assert_eq!(secret["contentType"], "application/x-pem-file");
    let blocks = pem_blocks(secret["value"].as_str().unwrap());
    assert_eq!(blocks[0].0, "PRIVATE KEY");
    blocks[0].1.clone()
}

fn pem_policy(subject: &str, key_props: Value) -> Value {
    json!({
        "key_props": key_props,
        "secret_props": { "contentType": "application/x-pem-file" },
        "x509_props": { "subject": subject },
        "issuer": { "name": "Self" }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_an_in_process_restart() {
    let vault = TestVault::start().await;
    let raw = vault.raw();

    // Two versions with tags on the latest, a custom RSA policy, a soft-deleted certificate, an
    // issuer, contacts and a pending Unknown-issuer operation.
    raw.create_ec_certificate("kept").await;
    raw.create_ec_certificate("kept").await;
    let rsp = raw
        .patch(
            "/certificates/kept/",
            &json!({ "tags": { "survives": "restart" } }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let op = raw
        .create_and_wait(
            "rsa-kept",
            json!({
                "key_props": { "kty": "RSA", "key_size": 2048 },
                "secret_props": { "contentType": "application/x-pem-file" },
                "x509_props": { "subject": "CN=rsa-kept, O=Contoso", "validity_months": 7,
                                "sans": { "dns_names": ["rsa.example.com"] } },
                "issuer": { "name": "Self" }
            }),
        )
        .await;
    assert_eq!(op["status"], "completed", "{op}");
    raw.create_ec_certificate("removed").await;
    assert_eq!(
        raw.delete("/certificates/removed").await.status,
        StatusCode::OK
    );
    let rsp = raw
        .put(
            "/certificates/issuers/kept-issuer",
            &json!({ "provider": "DigiCert", "credentials": { "account_id": "acct", "pwd": "hidden-pwd" },
                     "org_details": { "id": "org", "admin_details": [ { "email": "a@contoso.com" } ] } }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let rsp = raw
        .put(
            "/certificates/contacts",
            &json!({ "contacts": [ { "email": "ops@contoso.com", "name": "Ops" } ] }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let rsp = raw
        .post(
            "/certificates/waiting/create",
            &json!({ "policy": { "x509_props": { "subject": "CN=waiting" }, "issuer": { "name": "Unknown" },
                                 "key_props": { "kty": "EC", "crv": "P-256" } } }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED, "{}", rsp.text);

    let before = snapshot(&raw).await;
    let old_base = vault.base_url();
    let rsa_key_before = pem_private_key(&raw, "rsa-kept").await;

    let vault = vault.restart().await;
    let raw = vault.raw();
    let after = snapshot(&raw).await;
    let new_base = vault.base_url();
    for ((path, b), (_, a)) in before.iter().zip(after.iter()) {
        assert_eq!(
            &rebase(b, &old_base, &new_base),
            a,
            "{path} changed across the restart"
        );
    }
    // Spot checks on the restored content.
    let kept = &after[0].1;
    assert_eq!(kept["tags"]["survives"], "restart");
    assert_eq!(
        after[1].1["value"].as_array().unwrap().len(),
        2,
        "both versions kept"
    );
    assert_eq!(after[4].1["x509_props"]["validity_months"], 7);
    assert_eq!(
        after[7].1["recoveryId"],
        format!("{new_base}/deletedcertificates/removed")
    );
    assert_eq!(after[9].1["credentials"]["account_id"], "acct");
    assert!(!after[9].1.to_string().contains("hidden-pwd"));
    assert_eq!(after[11].1["contacts"][0]["email"], "ops@contoso.com");
    assert_eq!(after[12].1["status"], "inProgress");

    // The same private key is still there and still signs.
    assert_eq!(pem_private_key(&raw, "rsa-kept").await, rsa_key_before);
    let cert = vault
        .certificate_client()
        .get_certificate("kept", None)
        .model("get after restart")
        .await;
    let version = cert.resource_id().unwrap().version.unwrap();
    let message = b"signed after restart";
    let signature = vault
        .key_client()
        .sign(
            "kept",
            SignParameters {
                algorithm: Some(SignatureAlgorithm::Es256),
                value: Some(sha256(message)),
            }
            .try_into()
            .unwrap(),
            Some(KeyClientSignOptions {
                key_version: Some(version),
                ..Default::default()
            }),
        )
        .model("sign after restart")
        .await
        .result
        .unwrap();
    assert!(verify_with_cert(
        cert.cer.as_deref().unwrap(),
        "ES256",
        message,
        &signature
    ));

    // The soft-deleted certificate can still be recovered, and new work proceeds.
    let rsp = raw
        .post("/deletedcertificates/removed/recover", &json!({}))
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    raw.create_ec_certificate("after-restart").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_ca_is_stable_across_restarts() {
    let vault = TestVault::start().await;
    let ca_before = vault.ca_pem().to_string();
    let old_client = vault.http();
    let vault = vault.restart().await;
    assert_eq!(vault.ca_pem(), ca_before, "same dev CA after restart");
    // A client built against the old CA still trusts the restarted server.
    let rsp = old_client
        .get(format!("{}/_admin/health", vault.base_url()))
        .send()
        .await
        .expect("old CA still trusted");
    assert_eq!(rsp.status(), StatusCode::OK);
    let vault = vault.restart().await;
    assert_eq!(
        vault.ca_pem(),
        ca_before,
        "same dev CA after a second restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_binary_keeps_data_after_sigkill() {
    let data_dir = tempfile::Builder::new()
        .prefix("e2e-bin-")
        .tempdir()
        .unwrap();
    let process = VaultProcess::spawn(data_dir.path()).await;
    let raw = process.raw();
    let bundle = raw.create_ec_certificate("from-binary").await;
    let version = version_of(bundle["id"].as_str().unwrap());
    let rsp = raw
        .patch(
            "/certificates/from-binary/",
            &json!({ "tags": { "k": "v" } }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let ca_before = process.ca_pem().to_string();
    let old_base = process.base_url();
    let before = ok_json(&raw, "/certificates/from-binary").await;
    // Also exercise the SDK against the binary.
    let cert = process
        .certificate_client()
        .get_certificate("from-binary", None)
        .model("SDK against the binary")
        .await;
    assert_eq!(
        cert.resource_id().unwrap().version.as_deref(),
        Some(version.as_str())
    );

    process.kill().await;

    let process = VaultProcess::spawn(data_dir.path()).await;
    assert_eq!(process.ca_pem(), ca_before, "CA survives a crash");
    let raw = process.raw();
    let after = ok_json(&raw, "/certificates/from-binary").await;
    assert_eq!(after, rebase(&before, &old_base, &process.base_url()));
    assert_eq!(after["tags"]["k"], "v");
    let secret = ok_json(&raw, &format!("/secrets/from-binary/{version}")).await;
    let pfx = decode_b64_std_strict(secret["value"].as_str().unwrap());
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(&pfx, "").expect("PFX after crash");
    let cer = decode_b64_std_strict(after["cer"].as_str().unwrap());
    assert!(private_key_matches_cert(archive.keys[0].key.as_der(), &cer));
    process.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_keys_never_appear_in_plaintext_in_the_data_dir() {
    let mut vault = TestVault::start().await;
    let raw = vault.raw();
    for (name, key_props) in [
        ("leak-ec", json!({ "kty": "EC", "crv": "P-256" })),
        ("leak-rsa", json!({ "kty": "RSA", "key_size": 2048 })),
    ] {
        let op = raw
            .create_and_wait(name, pem_policy(&format!("CN={name}"), key_props))
            .await;
        assert_eq!(op["status"], "completed", "{op}");
    }
    // A PKCS#12 one too, read through the PFX.
    raw.create_ec_certificate("leak-pfx").await;
    let pfx_secret = ok_json(&raw, "/secrets/leak-pfx").await;
    let pfx = decode_b64_std_strict(pfx_secret["value"].as_str().unwrap());
    let pfx_key = p12_keystore::Pkcs12Archive::from_pkcs12(&pfx, "")
        .unwrap()
        .keys[0]
        .key
        .as_der()
        .to_vec();

    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add_key = |label: &str, pkcs8: Vec<u8>, is_ec: bool| {
        let b64 = b64_std(&pkcs8);
        // PEM bodies are wrapped at 64 columns; every line after the first carries key material.
        let pem_lines: Vec<String> = b64
            .as_bytes()
            .chunks(64)
            .skip(1)
            .filter(|c| c.len() >= 32)
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        for (i, line) in pem_lines.into_iter().enumerate() {
            needles.push((format!("{label}: PEM line {}", i + 2), line.into_bytes()));
        }
        needles.push((format!("{label}: PKCS#8 DER"), pkcs8.clone()));
        needles.push((format!("{label}: base64"), b64.into_bytes()));
        needles.push((format!("{label}: base64url"), b64url(&pkcs8).into_bytes()));
        if is_ec {
            let d = ec_private_scalar(&pkcs8);
            needles.push((format!("{label}: EC scalar"), d.clone()));
            needles.push((
                format!("{label}: EC scalar base64url"),
                b64url(&d).into_bytes(),
            ));
            let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
            needles.push((format!("{label}: EC scalar hex"), hex.into_bytes()));
        }
    };
    add_key("leak-ec", pem_private_key(&raw, "leak-ec").await, true);
    add_key("leak-rsa", pem_private_key(&raw, "leak-rsa").await, false);
    add_key("leak-pfx", pfx_key, true);

    let data_dir = vault.data_dir().to_path_buf();
    let scan = |when: &str| {
        let files = files_below(&data_dir);
        assert!(!files.is_empty(), "the data dir holds files");
        let mut scanned = 0usize;
        for file in &files {
            let bytes = std::fs::read(file).unwrap_or_default();
            scanned += bytes.len();
            for (what, needle) in &needles {
                assert!(
                    !contains_bytes(&bytes, needle),
                    "{when}: {what} found in plaintext in {}",
                    file.display()
                );
            }
        }
        assert!(scanned > 0, "{when}: scanned some bytes");
        files
    };
    // While running (WAL and SHM present) and after a clean shutdown (checkpointed).
    let running = scan("while running");
    assert!(
        running.iter().any(|f| {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            name.ends_with(".db")
                || name.ends_with(".sqlite")
                || name.ends_with(".sqlite3")
                || name.contains("-wal")
        }),
        "expected a SQLite database in the data dir: {running:?}"
    );
    vault.stop_server().await;
    scan("after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_progress_operation_resumes_after_restart() {
    // Design §4: pending operations live in the store, so a restart resumes them.
    let vault = TestVault::start_with(|config| {
        config.self_signed_delay = std::time::Duration::from_secs(2);
    })
    .await;
    let raw = vault.raw();
    let op = raw
        .start_create(
            "interrupted",
            &json!({ "policy": self_signed_ec_policy_json("CN=interrupted") }),
        )
        .await;
    assert_eq!(op["status"], "inProgress");

    let vault = vault.restart().await;
    let raw = vault.raw();
    let op = raw.wait_finished("interrupted").await;
    assert_eq!(op["status"], "completed", "{op}");
    let bundle = ok_json(&raw, "/certificates/interrupted").await;
    let cer = decode_b64_std_strict(bundle["cer"].as_str().expect("cer after resume"));
    let secret = ok_json(&raw, "/secrets/interrupted").await;
    let pfx = decode_b64_std_strict(secret["value"].as_str().unwrap());
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(&pfx, "").unwrap();
    assert!(private_key_matches_cert(archive.keys[0].key.as_der(), &cer));
}
