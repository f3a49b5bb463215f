//! The identity tests' vault: `--auth entra` with an access document naming a secret app, a
//! certificate app and a managed identity ([`Env`]), and the tokens, assertions and Entra
//! error bodies the tests make and read.

use crate::common::{access_file, entra_config, Served};

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{KeyUsage, SignatureAlgorithm};
use tokio_util::sync::CancellationToken;

pub(super) const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub(super) const APP: &str = "11111111-1111-1111-1111-111111111111";
pub(super) const CERT_APP: &str = "22222222-2222-2222-2222-222222222222";
pub(super) const MI: &str = "33333333-3333-3333-3333-333333333333";
pub(super) const MI_HEADER: &str = "mi-header-secret";
pub(super) const POLICY: &str = r#"{"policy":{"key_props":{"kty":"EC"},"x509_props":{"subject":"CN=t"},"issuer":{"name":"Self"}}}"#;

/// A vault in `--auth entra` on a temporary dir holding its access document, its data dir
/// (`data/`) and `certapp`'s certificate.
pub(super) struct Env {
    pub(super) handle: vault::Handle,
    shutdown: CancellationToken,
    /// Trusts only the vault's dev CA.
    pub(super) client: reqwest::Client,
    dir: tempfile::TempDir,
    /// The key of `certapp`'s registered certificate, and the certificate (DER).
    cert_key: PrivateKey,
    pub(super) cert_der: Vec<u8>,
}

impl Env {
    /// Starts the vault (after `tweak` adjusted its configuration).
    pub(super) async fn start(tweak: impl FnOnce(&mut vault::Config)) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let (cert_key, cert_der) = client_certificate("CN=certapp");
        std::fs::write(
            dir.path().join("certapp.pem"),
            crypto::pem_encode("CERTIFICATE", &cert_der),
        )
        .unwrap();
        std::fs::write(
            access_file(dir.path()),
            format!(
                r#"tenant_id = "{TENANT}"
[[principals]]
name = "app"
client_id = "{APP}"
client_secret = "app-secret"
[[principals]]
name = "certapp"
client_id = "{CERT_APP}"
certificate = "certapp.pem"
[[principals]]
name = "mi"
client_id = "{MI}"
managed_identity = true
"#
            ),
        )
        .unwrap();
        let mut config = entra_config(dir.path());
        tweak(&mut config);
        let Served {
            handle,
            shutdown,
            client,
        } = Served::start(config).await;
        Env {
            handle,
            shutdown,
            client,
            dir,
            cert_key,
            cert_der,
        }
    }

    /// Stops the vault; the dir is kept for a restart.
    pub(super) async fn stop(self) -> tempfile::TempDir {
        self.shutdown.cancel();
        self.handle.stopped().await;
        self.dir
    }

    /// `https://127.0.0.1:PORT`.
    pub(super) fn base(&self) -> String {
        self.handle.url()
    }

    /// The vault's data dir.
    pub(super) fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// The token service's own signing key, read from the data dir.
    pub(super) fn signing_key(&self) -> PrivateKey {
        let pem = std::fs::read_to_string(self.data().join("identity/signing-key.pem")).unwrap();
        PrivateKey::from_pem(&pem).unwrap()
    }

    /// `POST {path}` with `form` (and a `client-request-id`): the status and the body.
    pub(super) async fn token_request(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let resp = self
            .client
            .post(format!("{}{path}", self.base()))
            .header("client-request-id", "corr-1234")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            )
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    /// `POST /{TENANT}/oauth2/v2.0/token` with `form`: the status and the body.
    pub(super) async fn token_v2(&self, form: &[(&str, &str)]) -> (u16, Value) {
        self.token_request(&format!("/{TENANT}/oauth2/v2.0/token"), form)
            .await
    }

    /// A v2 token request for Key Vault by `certapp` with the client assertion `jwt`.
    pub(super) async fn assertion_request(&self, jwt: &str) -> (u16, Value) {
        let assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        self.token_v2(&credentials(
            CERT_APP,
            &[
                ("client_assertion_type", assertion_type),
                ("client_assertion", jwt),
                ("scope", "https://vault.azure.net/.default"),
            ],
        ))
        .await
    }

    /// A v2 token for `scope` by the app's client secret; asserts it is granted.
    pub(super) async fn secret_token(&self, scope: &str) -> String {
        let (status, body) = self
            .token_v2(&credentials(
                APP,
                &[
                    ("client_secret", "app-secret"),
                    ("scope", scope),
                    ("client_info", "1"),
                ],
            ))
            .await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// `GET {path}`: the status and the JSON body.
    pub(super) async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self
            .client
            .get(format!("{}{path}", self.base()))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    /// `POST /certificates/{name}/create` with `token` (if any).
    pub(super) async fn create(&self, name: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self
            .client
            .post(format!(
                "{}/certificates/{name}/create?api-version=7.5",
                self.base()
            ))
            .header("content-type", "application/json")
            .body(POLICY);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }
}

/// A client-credentials token form for `client_id` with the `rest` of its fields.
pub(super) fn credentials<'a>(
    client_id: &'a str,
    rest: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
    ];
    form.extend_from_slice(rest);
    form
}

/// A self-signed RSA-2048 client certificate for `subject`, valid from yesterday for 30 days.
pub(super) fn client_certificate(subject: &str) -> (PrivateKey, Vec<u8>) {
    let key = PrivateKey::generate(KeySpec::Rsa { bits: 2048 }).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let profile = CertProfile {
        subject: subject.into(),
        sans: Default::default(),
        ekus: Vec::new(),
        key_usage: vec![KeyUsage::DigitalSignature],
        not_before: now - time::Duration::days(1),
        not_after: now + time::Duration::days(30),
        is_ca: false,
        path_len: None,
    };
    let der = crypto::self_signed(&key, &profile).unwrap();
    (key, der)
}

/// base64url (no padding) of `value`'s JSON.
pub(super) fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// A compact JWS over `header` and `claims`, signed with `key` (RS256 or PS256).
pub(super) fn sign(
    key: &PrivateKey,
    alg: SignatureAlgorithm,
    header: &Value,
    claims: &Value,
) -> String {
    let input = format!("{}.{}", b64(header), b64(claims));
    let sig = key
        .sign_digest(alg, digest(&SHA256, input.as_bytes()).as_ref())
        .unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// The JSON of a compact token's part `i` (0: header, 1: claims).
pub(super) fn segment(token: &str, i: usize) -> Value {
    let part = token.split('.').nth(i).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Unix seconds now.
pub(super) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A client assertion for `certapp`, as MSAL Python builds one (times as floats).
pub(super) fn assertion(
    env: &Env,
    alg: SignatureAlgorithm,
    aud: &str,
    exp: i64,
    x5t: Option<&str>,
) -> String {
    let mut header = json!({"alg": if alg == SignatureAlgorithm::Ps256 { "PS256" } else { "RS256" }, "typ": "JWT"});
    if let Some(x5t) = x5t {
        header["x5t"] = json!(x5t);
    }
    let claims = json!({"aud": aud, "iss": CERT_APP, "sub": CERT_APP, "jti": "j1", "nbf": now() as f64 - 10.5, "exp": exp as f64 + 0.25});
    sign(&env.cert_key, alg, &header, &claims)
}

/// Asserts `body` is Entra's error JSON for `error` with AADSTS `code`.
pub(super) fn assert_entra_error(body: &Value, error: &str, code: u64) {
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], json!([code]), "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(
            body[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}: {body}"
        );
    }
}

/// Claims of a well-formed token for the default vault's host, to be spoiled one at a time.
pub(super) fn good_claims(aud: &str) -> Value {
    let now = now();
    json!({
        "aud": aud, "iss": format!("https://sts.windows.net/{TENANT}/"), "iat": now, "nbf": now,
        "exp": now + 3599, "appid": APP, "appidacr": "1", "idtyp": "app", "oid": "o", "sub": "o",
        "tid": TENANT, "ver": "1.0",
    })
}

/// `GET url` (App Service managed identity) by `client` with `X-IDENTITY-HEADER: header`, if any.
pub(super) async fn msi_get(
    client: &reqwest::Client,
    url: &str,
    header: Option<&str>,
) -> reqwest::Response {
    let mut req = client.get(url);
    if let Some(header) = header {
        req = req.header("X-IDENTITY-HEADER", header);
    }
    req.send().await.unwrap()
}
