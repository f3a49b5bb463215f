//! Client input that must be refused up front with Key Vault's error JSON, never a 500 or an
//! operation that fails later (issue 13, points 7 and 8), over raw HTTP against real servers:
//!
//! - subject alternative names of every kind (and EKUs) that the certificate builder cannot
//!   encode: 400 `BadParameter` naming the member and value on create (issuer `Self`, `Unknown`
//!   and a partner), policy update and import, and no operation is created;
//! - paging input: `maxresults` outside 1..=25 and `$skiptoken`s that are not ours, on every
//!   list, including a version offset above `i64::MAX` that once wrapped to the first page;
//! - a disabled issuer refuses issuance (403, nothing reaches the CA) until it is enabled again;
//! - merge only while the operation is `inProgress`: a cancelled or failed one is refused and
//!   keeps its status;
//! - a `master.key` that group or others can read stops the start (in process and the binary).

use std::time::Duration;

use e2e::*;
use reqwest::StatusCode;
use serde_json::Value;
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{CurveName, SubjectAlternativeNames};
use x509_parser::prelude::GeneralName;

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

/// Names the certificate builder cannot encode, one or more per SAN kind: (member, value).
const BAD_SANS: [(&str, &str); 12] = [
    ("dns_names", "a b.example"),
    ("dns_names", "exämple.test"),
    ("emails", "a b@x.test"),
    ("emails", "josé@x.test"),
    ("emails", "nobody"),
    ("upns", "user name@x.test"),
    ("upns", "no-at-sign"),
    ("uris", "https://exa mple.test/"),
    ("uris", "no-scheme"),
    ("uris", "https://ü.test/"),
    ("ipAddresses", "10.0.0.300"),
    ("ipAddresses", " 10.0.0.1"),
];

/// An EC P-256 policy for `issuer` with `sans`.
fn policy(issuer: &str, subject: &str, sans: Value) -> Value {
    json!({
        "key_props": { "kty": "EC", "crv": "P-256", "exportable": true, "reuse_key": false },
        "secret_props": { "contentType": "application/x-pkcs12" },
        "x509_props": { "subject": subject, "sans": sans, "validity_months": 12 },
        "issuer": { "name": issuer, "cty": "OV-SSL" }
    })
}

fn sans_with(member: &str, value: &str) -> Value {
    json!({ member: [value] })
}

/// Asserts a 400 BadParameter whose message names `x509_props.sans.{member}` and `value`.
fn assert_bad_san(rsp: &RawResponse, member: &str, value: &str, what: &str) {
    let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("x509_props.sans.{member}")) && message.contains(value),
        "{what}: the message names the member and the value: {message}"
    );
}

/// Nothing exists for `name`: no operation, no certificate.
async fn assert_nothing_for(raw: &Raw, name: &str) {
    raw.get(&format!("/certificates/{name}/pending"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "PendingCertificateNotFound");
    raw.get(&format!("/certificates/{name}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "CertificateNotFound");
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A user's own CA (shared::crypto, as any CA would) that signs an operation's CSR.
struct OwnCa {
    key: PrivateKey,
    der: Vec<u8>,
}

impl OwnCa {
    fn new() -> OwnCa {
        let key = PrivateKey::generate(KeySpec::Ec {
            curve: CurveName::P256,
        })
        .expect("CA key");
        let der = crypto::self_signed(&key, &Self::profile("CN=Input Rules Own CA", true))
            .expect("CA certificate");
        OwnCa { key, der }
    }

    fn profile(subject: &str, is_ca: bool) -> CertProfile {
        let now = time::OffsetDateTime::now_utc();
        CertProfile {
            subject: subject.into(),
            sans: SubjectAlternativeNames::default(),
            ekus: Vec::new(),
            key_usage: Vec::new(),
            not_before: now - time::Duration::hours(1),
            not_after: now + time::Duration::days(90),
            is_ca,
            path_len: None,
        }
    }

    /// The merge body for the CSR (base64) of an operation: leaf and this CA.
    fn merge_body(&self, op: &Value) -> Value {
        let csr = decode_b64_std_strict(op["csr"].as_str().expect("the operation has a csr"));
        let leaf = crypto::sign_csr(
            &csr,
            &Self::profile("CN=merged", false),
            &self.key,
            &self.der,
        )
        .expect("sign the CSR");
        json!({ "x5c": [b64_std(&leaf), b64_std(&self.der)] })
    }
}

/// ca-sim issuing at once for every account.
async fn instant_ca_sim() -> TestCaSim {
    TestCaSim::start_with(|c| set_profile(c, "instant")).await
}

/// vault's timeout of one CA call.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(5);

/// A DigiCert issuer for ca-sim's built-in account (`secret` the API key).
fn digicert_issuer(secret: &str, enabled: bool) -> Value {
    let mut issuer = Provider::DigiCert.issuer_body(secret);
    issuer["attributes"] = json!({ "enabled": enabled });
    issuer
}

// ------------------------------------------------------------------------------------------------
// Subject alternative names
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sans_are_refused_on_create_for_every_issuer_and_create_nothing() {
    // The partner endpoint answers nothing: a policy that got through would show up as an
    // operation, which is what must not exist.
    let vault = TestVault::start_with(|c| {
        c.provider_endpoints = vec![(
            shared::models::ProviderKind::DigiCert,
            url::Url::parse("https://127.0.0.1:9/services/v2").expect("URL"),
        )];
    })
    .await;
    let raw = vault.raw();
    put_issuer(&raw, "partner", &digicert_issuer("sim-dc-key", true)).await;

    for (i, (member, value)) in BAD_SANS.iter().enumerate() {
        for issuer in ["Self", "Unknown", "partner"] {
            let name = format!("san-{i}-{}", issuer.to_ascii_lowercase());
            let body = json!({ "policy": policy(issuer, "CN=san", sans_with(member, value)) });
            let rsp = raw
                .post(&format!("/certificates/{name}/create"), &body)
                .await;
            assert_bad_san(&rsp, member, value, &format!("create {name}"));
            assert_nothing_for(&raw, &name).await;
        }
    }

    // SANs alone (no subject) are checked the same way.
    let body = json!({ "policy": policy("Self", "", sans_with("emails", "a b@x.test")) });
    let rsp = raw.post("/certificates/san-only/create", &body).await;
    assert_bad_san(&rsp, "emails", "a b@x.test", "SAN-only create");
    assert_nothing_for(&raw, "san-only").await;

    // EKUs the encoder cannot write are refused the same way.
    for eku in ["1.50.1", "5.1", "1.3.06"] {
        let mut p = policy("Self", "CN=eku", json!({}));
        p["x509_props"]["ekus"] = json!([eku]);
        let rsp = raw
            .post("/certificates/bad-eku/create", &json!({ "policy": p }))
            .await;
        let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("x509_props.ekus") && m.contains(eku)),
            "{eku}: {error}"
        );
        assert_nothing_for(&raw, "bad-eku").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sans_are_refused_on_policy_update_and_import() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    raw.create_ec_certificate("san-base").await;
    let before = raw.get("/certificates/san-base/policy").await.json();
    let secret = raw.get("/secrets/san-base").await;
    assert_eq!(secret.status, StatusCode::OK, "{}", secret.text);
    let pfx = secret.json()["value"]
        .as_str()
        .expect("secret value")
        .to_string();

    for (member, value) in BAD_SANS {
        let patch = json!({ "x509_props": { "sans": sans_with(member, value) } });
        let rsp = raw.patch("/certificates/san-base/policy", &patch).await;
        assert_bad_san(&rsp, member, value, "PATCH policy");
        let rsp = raw
            .patch("/certificates/san-base/", &json!({ "policy": patch }))
            .await;
        assert_bad_san(&rsp, member, value, "PATCH certificate with a policy");

        let rsp = raw
            .post(
                "/certificates/san-import/import",
                &json!({ "value": pfx, "policy": patch }),
            )
            .await;
        assert_bad_san(&rsp, member, value, "import with a policy");
        assert_nothing_for(&raw, "san-import").await;
    }
    let after = raw.get("/certificates/san-base/policy").await.json();
    assert_eq!(
        after["x509_props"], before["x509_props"],
        "refused updates leave the policy as it was"
    );
    assert_eq!(
        after["attributes"]["updated"],
        before["attributes"]["updated"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_sans_of_every_kind_issue() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let sans = json!({
        "dns_names": ["a.example", "*.example"],
        "emails": ["first.last+tag@x.test"],
        "upns": ["josé@x.test"],
        "uris": ["spiffe://x/ns/app"],
        "ipAddresses": ["10.0.0.1", "2001:db8::1"]
    });
    let op = raw
        .create_and_wait("san-good", policy("Self", "CN=san-good", sans))
        .await;
    assert_eq!(op["status"], "completed", "{op:#}");
    let bundle = raw.get("/certificates/san-good").await.json();
    let der = decode_b64_std_strict(bundle["cer"].as_str().expect("cer"));
    let cert = parse_cert(&der);
    let san = cert
        .subject_alternative_name()
        .expect("SAN extension parses")
        .expect("a SAN extension");
    let names: Vec<String> = san
        .value
        .general_names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
                Some(s.to_string())
            }
            GeneralName::IPAddress(b) => Some(format!("{b:?}")),
            _ => None,
        })
        .collect();
    for wanted in [
        "a.example",
        "*.example",
        "first.last+tag@x.test",
        "spiffe://x/ns/app",
        "[10, 0, 0, 1]",
    ] {
        assert!(names.iter().any(|n| n == wanted), "{wanted} in {names:?}");
    }
    let info = crypto::parse_certificate(&der).expect("parse");
    assert_eq!(info.sans.upns, Some(vec!["josé@x.test".to_string()]));
}

// ------------------------------------------------------------------------------------------------
// Paging input
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_input_out_of_range_is_bad_parameter_on_every_list() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    for _ in 0..3 {
        raw.create_ec_certificate("paged").await;
    }
    raw.create_ec_certificate("gone").await;
    assert_eq!(
        raw.delete("/certificates/gone").await.status,
        StatusCode::OK
    );
    put_issuer(&raw, "paged-issuer", &json!({ "provider": "Test" })).await;
    let lists = [
        "/certificates",
        "/certificates/paged/versions",
        "/deletedcertificates",
        "/certificates/issuers",
    ];

    let bad_max = ["0", "26", "-1", "abc", "1.5", "99999999999999999999"];
    // Tokens no list ever hands out: not hex, odd hex, or hex of something that is neither a
    // name nor an offset.
    let bad_tokens = [
        "-1".to_string(),
        "zz".to_string(),
        "abc".to_string(),
        hex("a b"),
        hex("../etc"),
        hex("é"),
        hex(&"a".repeat(128)),
    ];
    for list in lists {
        for max in bad_max {
            let rsp = raw.get(&format!("{list}?maxresults={max}")).await;
            let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
            assert!(
                error["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("maxresults")),
                "{list} maxresults={max}: {error}"
            );
        }
        for token in &bad_tokens {
            let rsp = raw.get(&format!("{list}?$skiptoken={token}")).await;
            let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
            assert!(
                error["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("$skiptoken")),
                "{list} $skiptoken={token}: {error}"
            );
        }
        for max in ["1", "25"] {
            let rsp = raw.get(&format!("{list}?maxresults={max}")).await;
            assert_eq!(rsp.status, StatusCode::OK, "{list} {max}: {}", rsp.text);
        }
    }

    // Version offsets: above i64::MAX (once wrapped to a negative SQL offset, which served the
    // first page again), above u64, negative, not decimal, and just above the documented cap.
    for offset in [
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "-1",
        "1e3",
        "4294967296",
    ] {
        let rsp = raw
            .get(&format!(
                "/certificates/paged/versions?maxresults=1&$skiptoken={}",
                hex(offset)
            ))
            .await;
        rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    }
    // At the cap the page is simply empty, and a real walk sees each version once.
    let rsp = raw
        .get(&format!(
            "/certificates/paged/versions?$skiptoken={}",
            hex("4294967295")
        ))
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let page = rsp.json();
    assert_eq!(page["value"], json!([]), "{page}");
    assert!(page["nextLink"].is_null(), "{page}");

    let mut seen = Vec::new();
    let mut page = raw
        .get("/certificates/paged/versions?maxresults=1")
        .await
        .json();
    loop {
        for item in page["value"].as_array().expect("value") {
            seen.push(item["id"].as_str().expect("id").to_string());
        }
        match page["nextLink"].as_str() {
            Some(next) if !next.is_empty() => {
                page = raw.get_absolute(next).await.json();
            }
            _ => break,
        }
        assert!(seen.len() <= 3, "the walk ends: {seen:?}");
    }
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (3, 3), "{seen:?}");
}

// ------------------------------------------------------------------------------------------------
// Disabled issuer
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_issuer_refuses_issuance_until_enabled() {
    let ca = instant_ca_sim().await;
    let vault = TestVault::start_with(partner_config(&ca, PROVIDER_TIMEOUT)).await;
    let raw = vault.raw();
    let admin = ca.admin();
    let issuer = put_issuer(&raw, "dc-off", &digicert_issuer("sim-dc-key", false)).await;
    assert_eq!(issuer["attributes"]["enabled"], false, "{issuer}");

    let create = |name: &'static str| {
        let raw = raw.clone();
        async move {
            let cn = format!("{name}.example.com");
            let body = json!({
                "policy": policy("dc-off", &format!("CN={cn}"), json!({ "dns_names": [cn] }))
            });
            raw.post(&format!("/certificates/{name}/create"), &body)
                .await
        }
    };
    let refused = |rsp: RawResponse, name: &str| {
        let error = rsp.assert_error(StatusCode::FORBIDDEN, "Forbidden");
        assert_eq!(error["innererror"]["code"], "IssuerDisabled", "{error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("dc-off") && message.contains("disabled"),
            "{name}: {message}"
        );
    };

    refused(create("off-1").await, "off-1");
    assert_nothing_for(&raw, "off-1").await;
    assert!(admin.orders_for("off-1.example.com").await.is_empty());
    assert!(
        admin.requests(Some("digicert"), None).await.is_empty(),
        "nothing was sent to the CA"
    );

    // A policy may name a disabled issuer; only issuance checks it.
    raw.create_ec_certificate("names-off").await;
    let rsp = raw
        .patch(
            "/certificates/names-off/policy",
            &json!({ "issuer": { "name": "dc-off" } }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);

    // Enabled: the same create goes through and the CA issues once.
    let rsp = raw
        .patch(
            "/certificates/issuers/dc-off",
            &json!({ "attributes": { "enabled": true } }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let rsp = create("off-1").await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED, "{}", rsp.text);
    let op = raw.wait_finished("off-1").await;
    assert_eq!(op["status"], "completed", "{op:#}");
    assert_eq!(admin.orders_for("off-1.example.com").await.len(), 1);

    // Disabled again: refused again, and the AutoRenew-style create of the existing name too.
    let rsp = raw
        .patch(
            "/certificates/issuers/dc-off",
            &json!({ "attributes": { "enabled": false } }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    refused(create("off-2").await, "off-2");
    assert_nothing_for(&raw, "off-2").await;
    let rsp = raw.post("/certificates/off-1/create", &json!({})).await;
    refused(rsp, "off-1 again with its stored policy");
    let op = raw.pending("off-1").await;
    assert_eq!(
        op["status"], "completed",
        "the earlier operation stays: {op:#}"
    );
    assert_eq!(admin.orders_for("off-1.example.com").await.len(), 1);
}

// ------------------------------------------------------------------------------------------------
// Merge only while inProgress
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_on_a_cancelled_operation_is_refused_and_it_stays_cancelled() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let ca = OwnCa::new();

    // Control: the same kind of chain merges while the operation is in progress.
    let op = raw
        .start_create(
            "m-ok",
            &json!({ "policy": policy("Unknown", "CN=m-ok", json!({})) }),
        )
        .await;
    let rsp = raw
        .post("/certificates/m-ok/pending/merge", &ca.merge_body(&op))
        .await;
    assert_eq!(rsp.status, StatusCode::CREATED, "{}", rsp.text);
    // Completed: nothing is pending any more (unchanged).
    raw.post("/certificates/m-ok/pending/merge", &ca.merge_body(&op))
        .await
        .assert_error(StatusCode::NOT_FOUND, "PendingCertificateNotFound");

    let op = raw
        .start_create(
            "m-cancel",
            &json!({ "policy": policy("Unknown", "CN=m-cancel", json!({})) }),
        )
        .await;
    let rsp = raw
        .patch(
            "/certificates/m-cancel/pending",
            &json!({ "cancellation_requested": true }),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    assert_eq!(raw.pending("m-cancel").await["status"], "cancelled");

    let rsp = raw
        .post("/certificates/m-cancel/pending/merge", &ca.merge_body(&op))
        .await;
    let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("cancelled") && m.contains("inProgress")),
        "{error}"
    );
    let after = raw.pending("m-cancel").await;
    assert_eq!(after["status"], "cancelled", "{after:#}");
    assert!(after.get("target").is_none(), "{after:#}");
    let bundle = raw.get("/certificates/m-cancel").await.json();
    assert!(
        bundle.get("cer").is_none(),
        "no certificate was stored: {bundle:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_on_a_failed_operation_is_refused_and_it_stays_failed() {
    let ca_sim = instant_ca_sim().await;
    let vault = TestVault::start_with(partner_config(&ca_sim, PROVIDER_TIMEOUT)).await;
    let raw = vault.raw();
    put_issuer(
        &raw,
        "dc-bad",
        &digicert_issuer("not-the-right-secret", true),
    )
    .await;

    let cn = "m-failed.example.com";
    let op = raw
        .start_create(
            "m-failed",
            &json!({ "policy": policy("dc-bad", &format!("CN={cn}"), json!({ "dns_names": [cn] })) }),
        )
        .await;
    let failed = raw.wait_finished("m-failed").await;
    assert_eq!(failed["status"], "failed", "{failed:#}");

    let rsp = raw
        .post(
            "/certificates/m-failed/pending/merge",
            &OwnCa::new().merge_body(&op),
        )
        .await;
    let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("failed")),
        "{error}"
    );
    let after = raw.pending("m-failed").await;
    assert_eq!(after["status"], "failed", "{after:#}");
    assert_eq!(
        after["error"], failed["error"],
        "the failure is kept: {after:#}"
    );
    let bundle = raw.get("/certificates/m-failed").await.json();
    assert!(
        bundle.get("cer").is_none(),
        "no certificate was stored: {bundle:#}"
    );
}

// ------------------------------------------------------------------------------------------------
// Master key file mode
// ------------------------------------------------------------------------------------------------

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_key_others_may_read_stops_the_start() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::Builder::new()
        .prefix("e2e-master-key-")
        .tempdir()
        .expect("temp dir");
    let serve = || async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        let shutdown = tokio_util::sync::CancellationToken::new();
        let result = vault::serve(listener, vault::Config::new(dir.path()), shutdown.clone()).await;
        (result, shutdown)
    };

    // First start creates the key 0600.
    let (first, shutdown) = serve().await;
    let handle = first.expect("first start");
    shutdown.cancel();
    tokio::time::timeout(DEADLINE, handle.stopped())
        .await
        .expect("stopped");
    let key = dir.path().join("master.key");
    let mode = std::fs::metadata(&key)
        .expect("master.key")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    for bad in [0o644, 0o660] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(bad)).expect("chmod");
        let (result, _shutdown) = serve().await;
        let err = match result {
            Ok(_) => panic!("vault started with master.key mode {bad:o}"),
            Err(err) => err.to_string(),
        };
        assert!(
            err.contains(&key.display().to_string())
                && err.contains("chmod 600")
                && err.contains(&format!("{bad:04o}")),
            "{err}"
        );
    }

    // The real binary exits with the same message.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let bin = tokio::task::spawn_blocking(vault_binary)
        .await
        .expect("locate vault binary");
    let output = tokio::time::timeout(
        DEADLINE,
        tokio::process::Command::new(&bin)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("RUST_LOG")
            .env_remove("VAULT_MASTER_KEY")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the vault binary exits instead of serving")
    .expect("run the vault binary");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "{text}");
    assert!(
        text.contains(&key.display().to_string()) && text.contains("chmod 600"),
        "{text}"
    );

    // The fix the message names works.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let process = VaultProcess::spawn(dir.path()).await;
    process.kill().await;
}
