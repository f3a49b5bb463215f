//! Issue 18, api-versions and merge: every version the SDKs list is answered, each with its own
//! response shape (members a version did not define are left out, docs/api-versions.md), and a
//! merge takes `x5c` items in the form the Python SDK's sample sends (base64 of the PEM body)
//! at every version. Raw HTTP throughout: the shapes are the point.

use e2e::*;
use reqwest::StatusCode;
use serde_json::Value;

/// Every api-version the Python SDK 4.12 lists (its `ApiVersion` enum), oldest first.
const SDK_VERSIONS: &[&str] = &[
    "2016-10-01",
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
    "7.6",
    "2025-07-01",
    "2026-04-01",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sdk_version_is_answered_and_others_are_refused() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    for version in SDK_VERSIONS
        .iter()
        .chain(&["7.6-preview.2", "2026-03-01-preview"])
    {
        let rsp = raw
            .get(&format!("/certificates?api-version={version}"))
            .await;
        assert_eq!(
            rsp.status,
            StatusCode::OK,
            "api-version {version}: {}",
            rsp.text
        );
        assert!(rsp.json()["value"].is_array(), "{version}: {}", rsp.text);
    }
    for unknown in ["2015-06-01", "7.7", "2026-04-02"] {
        let rsp = raw
            .get(&format!("/certificates?api-version={unknown}"))
            .await;
        let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&format!(
                "The specified version ({unknown}) is not recognized"
            )),
            "{message}"
        );
    }
}

/// One certificate read at every version: each sees exactly its members.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_version_gets_the_shape_it_defines() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let policy = json!({
        "key_props": {"kty": "EC", "crv": "P-256", "exportable": true},
        "x509_props": {
            "subject": "CN=shapes",
            "sans": {"dns_names": ["shapes.example.test"], "ipAddresses": ["10.0.0.7"], "uris": ["https://shapes.example.test/id"]}
        },
        "issuer": {"name": "Self", "cert_transparency": false}
    });
    let op = raw
        .create_body_and_wait(
            "shapes",
            &json!({"policy": policy, "preserveCertOrder": true}),
        )
        .await;
    assert_eq!(op["status"], "completed", "{op}");

    for version in SDK_VERSIONS {
        let rsp = raw
            .get(&format!("/certificates/shapes?api-version={version}"))
            .await;
        assert_eq!(rsp.status, StatusCode::OK, "{version}: {}", rsp.text);
        let cert = rsp.json();
        let at_least = |first: &str| {
            let pos = |v: &str| SDK_VERSIONS.iter().position(|x| *x == v).unwrap();
            pos(version) >= pos(first)
        };
        let has = |v: &Value| !v.is_null();
        let attributes = &cert["attributes"];
        let policy = &cert["policy"];
        let sans = &policy["x509_props"]["sans"];
        assert!(has(&attributes["recoveryLevel"]), "{version}: {cert}");
        assert_eq!(
            has(&attributes["recoverableDays"]),
            at_least("7.1"),
            "{version}: {cert}"
        );
        assert_eq!(
            has(&policy["key_props"]["crv"]),
            at_least("7.0"),
            "{version}: {cert}"
        );
        assert_eq!(
            has(&policy["issuer"]["cert_transparency"]),
            at_least("7.0"),
            "{version}: {cert}"
        );
        assert_eq!(
            has(&cert["preserveCertOrder"]),
            at_least("7.6"),
            "{version}: {cert}"
        );
        assert_eq!(
            has(&sans["ipAddresses"]),
            at_least("2025-07-01"),
            "{version}: {cert}"
        );
        assert_eq!(
            has(&sans["uris"]),
            at_least("2025-07-01"),
            "{version}: {cert}"
        );
        assert_eq!(
            sans["dns_names"][0], "shapes.example.test",
            "{version}: {cert}"
        );
        assert!(cert["cer"].is_string(), "{version}: {cert}");

        // The policy resource and the pending operation follow the same rule.
        let rsp = raw
            .get(&format!(
                "/certificates/shapes/policy?api-version={version}"
            ))
            .await;
        assert_eq!(rsp.status, StatusCode::OK, "{version}: {}", rsp.text);
        let policy = rsp.json();
        assert_eq!(
            has(&policy["x509_props"]["sans"]["uris"]),
            at_least("2025-07-01"),
            "{version}: {policy}"
        );
        let rsp = raw
            .get(&format!(
                "/certificates/shapes/pending?api-version={version}"
            ))
            .await;
        assert_eq!(rsp.status, StatusCode::OK, "{version}: {}", rsp.text);
        assert_eq!(
            has(&rsp.json()["preserveCertOrder"]),
            at_least("7.6"),
            "{version}: {}",
            rsp.text
        );
    }
}

/// A throwaway CA that signs `csr_der` for `cn`.
fn sign_csr(csr_der: &[u8], cn: &str) -> Vec<u8> {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "merge test CA");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    e2e::sign_csr_with(csr_der, &issuer, cn, &format!("{cn}.example.test"))
}

/// One way to write a DER certificate as an `x5c` item.
type Encode = fn(&[u8]) -> String;

/// The Python SDK's merge sample: each `x5c` item is base64 of the PEM body (base64 of
/// base64-DER text); vault answers 201 with the DER `cer`, at every api-version, and DER and
/// PEM items keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_takes_base64_of_the_pem_body_at_every_version() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let forms: [(&str, Encode); 3] = [
        ("pem-body", |der| b64_std(b64_std(der).as_bytes())),
        ("der", |der| b64_std(der)),
        ("pem", |der| {
            let body = b64_std(der);
            let lines: Vec<&str> = body
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            b64_std(
                format!(
                    "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                    lines.join("\n")
                )
                .as_bytes(),
            )
        }),
    ];
    for (i, version) in SDK_VERSIONS.iter().enumerate() {
        let (form, encode) = forms[if i < forms.len() { i } else { 0 }];
        let name = format!("merge-{i}-{form}");
        let rsp = raw
            .post(
                &format!("/certificates/{name}/create?api-version={version}"),
                &json!({"policy": {
                    "key_props": {"kty": "EC", "crv": "P-256"},
                    "x509_props": {"subject": format!("CN={name}")},
                    "issuer": {"name": "Unknown"}
                }}),
            )
            .await;
        assert_eq!(rsp.status, StatusCode::ACCEPTED, "{version}: {}", rsp.text);
        let csr = decode_b64_std_strict(rsp.json()["csr"].as_str().expect("csr"));
        let leaf = sign_csr(&csr, &name);
        let rsp = raw
            .post(
                &format!("/certificates/{name}/pending/merge?api-version={version}"),
                &json!({"x5c": [encode(&leaf)]}),
            )
            .await;
        assert_eq!(
            rsp.status,
            StatusCode::CREATED,
            "{version} {form}: {}",
            rsp.text
        );
        let cer = decode_b64_std_strict(rsp.json()["cer"].as_str().expect("cer"));
        assert_eq!(cer, leaf, "{version} {form}: cer is the DER certificate");
    }

    // Text that is neither DER, PEM nor base64 of a PEM body is still refused.
    let rsp = raw
        .post(
            "/certificates/merge-bad/create",
            &json!({"policy": {"x509_props": {"subject": "CN=merge-bad"}, "issuer": {"name": "Unknown"}}}),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED, "{}", rsp.text);
    let rsp = raw
        .post(
            "/certificates/merge-bad/pending/merge",
            &json!({"x5c": [b64_std(b"TUlJQ3lqQ0NBYktnQXdJQkFnSQ==")]}),
        )
        .await;
    rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
}

/// Every member of the 2026-04-01 request models (Python SDK 4.12's generated models) that a
/// client sets comes back from the matching read: certificates, issuers, contacts
/// (docs/api-versions.md has the list).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newest_request_members_round_trip() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    const V: &str = "api-version=2026-04-01";

    let issuer = json!({
        "provider": "DigiCert",
        "credentials": {"account_id": "acct-1", "pwd": "secret-pwd"},
        "org_details": {"id": "org-9", "admin_details": [
            {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.test", "phone": "+1 555 0100"}
        ]},
        "attributes": {"enabled": false}
    });
    let rsp = raw
        .put(&format!("/certificates/issuers/every?{V}"), &issuer)
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let got = raw
        .get(&format!("/certificates/issuers/every?{V}"))
        .await
        .json();
    assert_eq!(got["provider"], "DigiCert", "{got}");
    assert_eq!(got["credentials"]["account_id"], "acct-1", "{got}");
    assert!(
        got["credentials"].get("pwd").is_none(),
        "pwd is never echoed: {got}"
    );
    assert_eq!(got["org_details"], issuer["org_details"], "{got}");
    assert_eq!(got["attributes"]["enabled"], false, "{got}");
    assert!(got["attributes"]["created"].is_i64() && got["attributes"]["updated"].is_i64());
    assert!(got["id"]
        .as_str()
        .unwrap()
        .ends_with("/certificates/issuers/every"));
    let list = raw.get(&format!("/certificates/issuers?{V}")).await.json();
    assert_eq!(list["value"][0]["provider"], "DigiCert", "{list}");

    let contacts =
        json!({"contacts": [{"email": "ops@example.test", "name": "Ops", "phone": "+1 555 0101"}]});
    let rsp = raw
        .put(&format!("/certificates/contacts?{V}"), &contacts)
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let got = raw.get(&format!("/certificates/contacts?{V}")).await.json();
    assert_eq!(got["contacts"], contacts["contacts"], "{got}");
    assert!(got["id"]
        .as_str()
        .unwrap()
        .ends_with("/certificates/contacts"));

    let policy = json!({
        "key_props": {"exportable": true, "kty": "RSA", "key_size": 3072, "reuse_key": true},
        "secret_props": {"contentType": "application/x-pem-file"},
        "x509_props": {
            "subject": "CN=every, O=Example",
            "sans": {
                "dns_names": ["every.example.test"], "emails": ["every@example.test"],
                "upns": ["every@example.test"], "uris": ["https://every.example.test/id"],
                "ipAddresses": ["192.0.2.7", "2001:db8::7"]
            },
            "ekus": ["1.3.6.1.5.5.7.3.1"],
            "key_usage": ["digitalSignature", "keyEncipherment"],
            "validity_months": 6
        },
        "lifetime_actions": [{"trigger": {"days_before_expiry": 30}, "action": {"action_type": "AutoRenew"}}],
        "issuer": {"name": "Self", "cty": "OV-SSL", "cert_transparency": false}
    });
    let body = json!({
        "policy": policy,
        "attributes": {"enabled": true},
        "tags": {"team": "web"},
        "preserveCertOrder": true
    });
    let op = raw
        .post(&format!("/certificates/every/create?{V}"), &body)
        .await;
    assert_eq!(op.status, StatusCode::ACCEPTED, "{}", op.text);
    let op = op.json();
    assert_eq!(op["issuer"]["name"], "Self", "{op}");
    assert_eq!(op["issuer"]["cty"], "OV-SSL", "{op}");
    assert_eq!(op["preserveCertOrder"], true, "{op}");
    assert!(op["request_id"].is_string() && op["csr"].is_null() || op["csr"].is_string());
    let done = raw.wait_finished("every").await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(
        done["target"]
            .as_str()
            .unwrap()
            .ends_with("/certificates/every"),
        "{done}"
    );

    let cert = raw.get(&format!("/certificates/every?{V}")).await.json();
    for member in ["key_props", "secret_props", "lifetime_actions", "issuer"] {
        assert_eq!(cert["policy"][member], policy[member], "{member}: {cert}");
    }
    for member in ["subject", "sans", "ekus", "key_usage", "validity_months"] {
        assert_eq!(
            cert["policy"]["x509_props"][member], policy["x509_props"][member],
            "x509_props.{member}: {cert}"
        );
    }
    assert_eq!(cert["tags"], body["tags"], "{cert}");
    assert_eq!(cert["preserveCertOrder"], true, "{cert}");
    assert_eq!(cert["contentType"], "application/x-pem-file", "{cert}");
    let attributes = &cert["attributes"];
    for member in [
        "enabled",
        "nbf",
        "exp",
        "created",
        "updated",
        "recoverableDays",
        "recoveryLevel",
    ] {
        assert!(!attributes[member].is_null(), "attributes.{member}: {cert}");
    }
    for member in ["id", "kid", "sid", "x5t", "cer"] {
        assert!(cert[member].is_string(), "{member}: {cert}");
    }
    let item = raw.get(&format!("/certificates?{V}")).await.json();
    let item = &item["value"][0];
    for member in ["id", "attributes", "tags", "x5t"] {
        assert!(!item[member].is_null(), "list item {member}: {item}");
    }

    // Update: attributes and tags; merge-time attributes and tags are covered by the merge tests.
    let rsp = raw
        .patch(
            &format!("/certificates/every?{V}"),
            &json!({"attributes": {"enabled": false}, "tags": {"team": "api"}}),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    assert_eq!(rsp.json()["attributes"]["enabled"], false);
    assert_eq!(rsp.json()["tags"]["team"], "api");

    // Deleted bundle and item members.
    assert_eq!(
        raw.delete(&format!("/certificates/every?{V}")).await.status,
        StatusCode::OK
    );
    let deleted = raw
        .get(&format!("/deletedcertificates/every?{V}"))
        .await
        .json();
    for member in [
        "recoveryId",
        "scheduledPurgeDate",
        "deletedDate",
        "cer",
        "policy",
    ] {
        assert!(!deleted[member].is_null(), "deleted {member}: {deleted}");
    }
    let items = raw.get(&format!("/deletedcertificates?{V}")).await.json();
    for member in [
        "recoveryId",
        "scheduledPurgeDate",
        "deletedDate",
        "x5t",
        "attributes",
    ] {
        assert!(
            !items["value"][0][member].is_null(),
            "deleted item {member}: {items}"
        );
    }
}
