//! Issue 18, `platformManaged` policies (api-version 2026-04-01): the issue's exact policy (no
//! subject) is accepted, issued asynchronously by vault's local CA with names from
//! `metadata.sans` and EKUs from `certificateUsage`, and the member comes back unchanged from
//! the certificate, the policy, a version, a policy update, an import and a backup/restore;
//! unknown usages and non-object metadata are 400s; older api-versions do not see it.

use e2e::*;
use reqwest::StatusCode;
use serde_json::Value;
use x509_parser::extensions::GeneralName;

const V: &str = "api-version=2026-04-01";

fn platform_managed() -> Value {
    json!({
        "certificateUsage": "PublicTLSServerAuth",
        "metadata": {"sans": {"dns_names": ["app.example.test"]}, "owner": {"team": "web", "n": 3}}
    })
}

/// The leaf's DNS SANs and (serverAuth, clientAuth) EKU flags.
fn names_and_ekus(der: &[u8]) -> (Vec<String>, (bool, bool)) {
    let cert = parse_cert(der);
    let dns = cert
        .subject_alternative_name()
        .expect("SAN parses")
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some(d.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let eku = cert
        .extended_key_usage()
        .expect("EKU parses")
        .expect("an EKU extension")
        .value;
    (dns, (eku.server_auth, eku.client_auth))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issues_policy_is_issued_by_the_local_ca_and_echoed_everywhere() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    let body = json!({"policy": {
        "platformManaged": platform_managed(),
        "secret_props": {"contentType": "application/x-pem-file"}
    }});
    let rsp = raw
        .post(&format!("/certificates/web/create?{V}"), &body)
        .await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED, "{}", rsp.text);
    assert_eq!(rsp.json()["status"], "inProgress", "{}", rsp.text);
    let op = raw.wait_finished("web").await;
    assert_eq!(op["status"], "completed", "{op}");

    let cert = raw.get(&format!("/certificates/web?{V}")).await.json();
    assert_eq!(
        cert["policy"]["platformManaged"],
        platform_managed(),
        "{cert}"
    );
    let policy = raw
        .get(&format!("/certificates/web/policy?{V}"))
        .await
        .json();
    assert_eq!(policy["platformManaged"], platform_managed(), "{policy}");
    // Not `Unknown` (merge-it-yourself): the platform CA issues and renews it.
    assert_eq!(policy["issuer"]["name"], "Platform", "{policy}");
    assert_eq!(
        policy["lifetime_actions"][0]["action"]["action_type"],
        "AutoRenew"
    );
    let version = version_of(cert["id"].as_str().unwrap());
    let by_version = raw
        .get(&format!("/certificates/web/{version}?{V}"))
        .await
        .json();
    assert_eq!(by_version["policy"]["platformManaged"], platform_managed());

    // The certificate: names from metadata.sans, serverAuth only, signed by the local CA.
    let leaf = decode_b64_std_strict(cert["cer"].as_str().unwrap());
    let (dns, (server, client)) = names_and_ekus(&leaf);
    assert_eq!(dns, vec!["app.example.test".to_string()]);
    assert!(server && !client, "PublicTLSServerAuth → serverAuth only");
    let secret = raw.get(&format!("/secrets/web/{version}?{V}")).await.json();
    let chain = certificates_in_pem(secret["value"].as_str().unwrap());
    assert_eq!(chain.len(), 3, "leaf, intermediate, root");
    assert_eq!(chain[0], leaf);
    verify_cert_signed_by(&chain[0], &chain[1]).expect("leaf signed by the intermediate");
    verify_cert_signed_by(&chain[1], &chain[2]).expect("intermediate signed by the root");
    let root_pem = vault
        .http()
        .get(format!("{}/_admin/acme/root.pem", vault.base_url()))
        .send()
        .await
        .expect("GET root.pem")
        .text()
        .await
        .unwrap();
    assert_eq!(certificates_in_pem(&root_pem), vec![chain[2].clone()]);

    // Older versions do not have the member.
    let old = raw
        .get("/certificates/web/policy?api-version=2025-07-01")
        .await
        .json();
    assert!(old.get("platformManaged").is_none(), "{old}");
    assert_eq!(old["secret_props"]["contentType"], "application/x-pem-file");

    // A policy update replaces it (now client auth); the next version follows it.
    let updated = json!({"certificateUsage": "PublicTLSClientAuth", "metadata": {"sans": {"dns_names": ["api.example.test"]}}});
    let rsp = raw
        .patch(
            &format!("/certificates/web/policy?{V}"),
            &json!({"platformManaged": updated}),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    assert_eq!(rsp.json()["platformManaged"], updated);
    let op = raw.create_body_and_wait("web", &json!({})).await;
    assert_eq!(op["status"], "completed", "{op}");
    let cert = raw.get(&format!("/certificates/web?{V}")).await.json();
    let (dns, (server, client)) =
        names_and_ekus(&decode_b64_std_strict(cert["cer"].as_str().unwrap()));
    assert_eq!(dns, vec!["api.example.test".to_string()]);
    assert!(!server && client, "PublicTLSClientAuth → clientAuth only");

    // Backup, delete, purge, restore: the member survives.
    let blob = raw
        .post(&format!("/certificates/web/backup?{V}"), &json!({}))
        .await;
    assert_eq!(blob.status, StatusCode::OK, "{}", blob.text);
    let blob = blob.json();
    assert_eq!(
        raw.delete(&format!("/certificates/web?{V}")).await.status,
        StatusCode::OK
    );
    let purge = raw.delete(&format!("/deletedcertificates/web?{V}")).await;
    assert_eq!(purge.status, StatusCode::NO_CONTENT, "{}", purge.text);
    let restored = eventually(DEADLINE, "restore after purge", || async {
        let rsp = raw.post(&format!("/certificates/restore?{V}"), &blob).await;
        (rsp.status == StatusCode::OK).then(|| rsp.json())
    })
    .await;
    assert_eq!(restored["policy"]["platformManaged"], updated, "{restored}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_stores_it_and_bad_members_are_400s() {
    let vault = TestVault::start().await;
    let raw = vault.raw();
    // An imported certificate (the PEM of a self-signed one made here) keeps the member.
    let source = json!({
        "key_props": {"kty": "EC", "crv": "P-256", "exportable": true},
        "secret_props": {"contentType": "application/x-pem-file"},
        "x509_props": {"subject": "CN=source"},
        "issuer": {"name": "Self"}
    });
    let op = raw.create_and_wait("source", source).await;
    assert_eq!(op["status"], "completed", "{op}");
    let secret = raw.get("/secrets/source").await.json();
    let pem = secret["value"].as_str().expect("PEM secret").to_string();
    let rsp = raw
        .post(
            &format!("/certificates/imported/import?{V}"),
            &json!({"value": pem, "policy": {"platformManaged": platform_managed(), "secret_props": {"contentType": "application/x-pem-file"}}}),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    assert_eq!(rsp.json()["policy"]["platformManaged"], platform_managed());
    let policy = raw
        .get(&format!("/certificates/imported/policy?{V}"))
        .await
        .json();
    assert_eq!(policy["platformManaged"], platform_managed());

    for (bad, needle) in [
        (
            json!({"certificateUsage": "CodeSigning"}),
            "certificateUsage",
        ),
        (json!({"metadata": {}}), "certificateUsage"),
        (json!({"certificateUsage": 7}), "certificateUsage"),
        (
            json!({"certificateUsage": "PublicTLSServerAuth", "metadata": "x"}),
            "metadata",
        ),
        (
            json!({"certificateUsage": "PublicTLSServerAuth", "metadata": [1]}),
            "metadata",
        ),
        (
            json!({"certificateUsage": "PublicTLSServerAuth", "metadata": {"sans": {"dns_names": "a"}}}),
            "sans",
        ),
        (json!("PublicTLSServerAuth"), "platformManaged"),
    ] {
        let rsp = raw
            .post(
                &format!("/certificates/bad/create?{V}"),
                &json!({"policy": {"platformManaged": bad}}),
            )
            .await;
        let error = rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
        assert!(
            error["message"].as_str().unwrap().contains(needle),
            "{bad}: {error}"
        );
    }
    // Unknown usage on a policy update too; the stored policy is unchanged.
    let rsp = raw
        .patch(
            &format!("/certificates/imported/policy?{V}"),
            &json!({"platformManaged": {"certificateUsage": "Nope"}}),
        )
        .await;
    rsp.assert_error(StatusCode::BAD_REQUEST, "BadParameter");
    let policy = raw
        .get(&format!("/certificates/imported/policy?{V}"))
        .await
        .json();
    assert_eq!(policy["platformManaged"], platform_managed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_platform_managed_operation_can_be_cancelled_and_not_merged() {
    let vault = TestVault::start_with(|config| {
        config.self_signed_delay = std::time::Duration::from_secs(30);
    })
    .await;
    let raw = vault.raw();
    let rsp = raw
        .post(
            &format!("/certificates/slow/create?{V}"),
            &json!({"policy": {"platformManaged": platform_managed()}}),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::ACCEPTED, "{}", rsp.text);
    // The platform CA issues it: a merge is refused like one for a partnered operation.
    let stranger = rcgen::generate_simple_self_signed(vec!["app.example.test".into()]).unwrap();
    let rsp = raw
        .post(
            &format!("/certificates/slow/pending/merge?{V}"),
            &json!({"x5c": [b64_std(stranger.cert.der())]}),
        )
        .await;
    rsp.assert_error(StatusCode::FORBIDDEN, "Forbidden");
    let rsp = raw
        .patch(
            &format!("/certificates/slow/pending?{V}"),
            &json!({"cancellation_requested": true}),
        )
        .await;
    assert_eq!(rsp.status, StatusCode::OK, "{}", rsp.text);
    let op = raw.wait_finished("slow").await;
    assert_eq!(op["status"], "cancelled", "{op}");
}
