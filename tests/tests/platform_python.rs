//! Issue 18 with the Python SDK 4.12 (the pinned one, default api-version 2026-04-01): the
//! issue's exact call, a policy carrying only `platform_managed`, creates a certificate, and
//! `get_certificate_policy` returns the member unchanged. The script runs with the venv of
//! `tests/sdk-apps/` against an in-process vault, with a static token (vault's dev auth).

use e2e::*;
use serde_json::Value;

const SCRIPT: &str = r#"
import json, sys
from azure.core.credentials import AccessToken
from azure.keyvault.certificates import CertificateClient, CertificatePolicy, PlatformManaged

class StaticToken:
    def get_token(self, *scopes, **kwargs):
        return AccessToken("e2e-python-token", 4102444800)

url, ca = sys.argv[1], sys.argv[2]
client = CertificateClient(url, StaticToken(), verify_challenge_resource=False, connection_verify=ca)
policy = CertificatePolicy(platform_managed=PlatformManaged(
    certificate_usage="PublicTLSServerAuth", metadata={"sans": {"dns_names": ["app.example.test"]}}))
created = client.begin_create_certificate("py-platform", policy).result()
got = client.get_certificate_policy("py-platform")
pm = got.platform_managed
print(json.dumps({
    "api_version": client.api_version,
    "cer_len": len(created.cer or b""),
    "certificate_usage": pm.certificate_usage if pm else None,
    "metadata": pm.metadata if pm else None,
}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_creates_a_platform_managed_certificate() {
    let apps = sdk_apps();
    let vault = TestVault::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("create_platform_managed.py");
    std::fs::write(&script, SCRIPT).expect("write script");
    let out = tokio::process::Command::new(&apps.python)
        .arg(&script)
        .arg(vault.base_url())
        .arg(vault.ca_path())
        .env("NO_PROXY", "*")
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python failed: {stdout}\n{stderr}");
    let summary: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(summary["api_version"], "2026-04-01", "{summary}");
    assert!(summary["cer_len"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(
        summary["certificate_usage"], "PublicTLSServerAuth",
        "{summary}"
    );
    assert_eq!(
        summary["metadata"],
        json!({"sans": {"dns_names": ["app.example.test"]}}),
        "{summary}"
    );
    // The certificate vault issued carries the requested name.
    let cert = vault.raw().get("/certificates/py-platform").await.json();
    let leaf = decode_b64_std_strict(cert["cer"].as_str().unwrap());
    let parsed = parse_cert(&leaf);
    let san = parsed.subject_alternative_name().unwrap().unwrap();
    assert!(
        format!("{:?}", san.value.general_names).contains("app.example.test"),
        "{san:?}"
    );
}
