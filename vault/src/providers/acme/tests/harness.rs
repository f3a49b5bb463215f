//! The wiremock ACME CA the adapter's tests run against: directory, newNonce and newAccount
//! mounted, RFC 8555-shaped answers (each with a `Replay-Nonce`), JWS payload matchers, and the
//! adapter built on a temporary data dir. The common imports are re-exported for the tests.

pub(super) use super::super::http01::Http01Tokens;
pub(super) use super::super::keys::KeyStore;
pub(super) use super::super::tlsalpn01::TlsAlpnCerts;
pub(super) use super::super::{Acme, AcmeClientSettings};
pub(super) use crate::providers::test_support::{chain, client, order, pem};
pub(super) use crate::providers::types::{
    CaProvider, CancelOutcome, CertType, Credentials, OrderStatus, ProviderError,
};
pub(super) use aws_lc_rs::{digest, signature};
pub(super) use serde_json::{json, Value};
pub(super) use shared::b64::{decode_lenient, url_encode};
pub(super) use shared::models::ProviderKind;
pub(super) use url::Url;
pub(super) use wiremock::matchers::{method, path};
pub(super) use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

pub(super) struct Ca {
    pub(super) server: MockServer,
    pub(super) acme: Acme,
    pub(super) tokens: Http01Tokens,
    pub(super) dir: tempfile::TempDir,
}

impl Ca {
    pub(super) fn url(&self, p: &str) -> String {
        format!("{}{p}", self.server.uri())
    }

    /// The decoded payloads of the requests to `p`, in order.
    pub(super) async fn payloads(&self, p: &str) -> Vec<Value> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests
            .iter()
            .filter(|r| r.url.path() == p && r.method.as_str() == "POST")
            .map(|r| jws_part(r, "payload"))
            .collect()
    }
}

pub(super) fn creds() -> Credentials {
    Credentials {
        issuer: "acme-issuer".into(),
        ..Default::default()
    }
}

/// A flattened JWS member of the request, base64url-decoded and parsed (`Null` if empty).
pub(super) fn jws_part(request: &Request, member: &str) -> Value {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let text = body[member].as_str().unwrap_or_default();
    let bytes = decode_lenient(text).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

/// Matches a JWS whose payload satisfies the predicate.
pub(super) struct Payload(Box<dyn Fn(&Value) -> bool + Send + Sync>);

pub(super) fn payload(f: impl Fn(&Value) -> bool + Send + Sync + 'static) -> Payload {
    Payload(Box::new(f))
}

impl Match for Payload {
    fn matches(&self, request: &Request) -> bool {
        (self.0)(&jws_part(request, "payload"))
    }
}

/// A response carrying a fresh `Replay-Nonce`, as every ACME answer does.
pub(super) fn answer(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).insert_header("Replay-Nonce", "nonce-from-answer")
}

pub(super) fn problem(status: u16, kind: &str, detail: &str) -> ResponseTemplate {
    answer(status)
        .insert_header("Content-Type", "application/problem+json")
        .set_body_json(
            json!({"type": format!("urn:ietf:params:acme:error:{kind}"), "detail": detail}),
        )
}

pub(super) async fn post(server: &MockServer, p: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(p))
        .respond_with(response)
        .with_priority(5)
        .mount(server)
        .await;
}

/// Directory, newNonce and newAccount.
pub(super) async fn setup_with(directory_meta: Value) -> Ca {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/dir"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "newNonce": format!("{base}/nonce"),
            "newAccount": format!("{base}/account"),
            "newOrder": format!("{base}/order"),
            "revokeCert": format!("{base}/revoke"),
            "keyChange": format!("{base}/key-change"),
            "meta": directory_meta,
        })))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/nonce"))
        .respond_with(answer(200))
        .mount(&server)
        .await;
    post(
        &server,
        "/account",
        answer(201)
            .insert_header("Location", format!("{base}/acct/1").as_str())
            .set_body_json(json!({"status": "valid", "orders": format!("{base}/acct/1/orders")})),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = Http01Tokens::default();
    let acme = adapter_with(&base, dir.path(), Some(tokens.clone()), None);
    Ca {
        server,
        acme,
        tokens,
        dir,
    }
}

/// The adapter for the CA at `base`, keeping its state in `data_dir`, with the given http-01
/// and tls-alpn-01 responders.
pub(super) fn adapter_with(
    base: &str,
    data_dir: &std::path::Path,
    tokens: Option<Http01Tokens>,
    alpn: Option<TlsAlpnCerts>,
) -> Acme {
    let settings = AcmeClientSettings {
        data_dir: data_dir.to_path_buf(),
        ..Default::default()
    };
    Acme::new(
        "ACME".parse().unwrap(),
        Url::parse(&format!("{base}/dir")).unwrap(),
        client(),
        &settings,
        tokens,
        alpn,
    )
    .unwrap()
}

pub(super) async fn setup() -> Ca {
    setup_with(json!({})).await
}

pub(super) fn order_json(base: &str, status: &str) -> Value {
    json!({
        "status": status,
        "expires": "2030-01-01T00:00:00Z",
        "identifiers": [{"type": "dns", "value": "example.com"}, {"type": "dns", "value": "www.example.com"}],
        "authorizations": [format!("{base}/authz/1")],
        "finalize": format!("{base}/order/1/finalize"),
    })
}

pub(super) async fn mount_new_order(ca: &Ca) {
    post(
        &ca.server,
        "/order",
        answer(201)
            .insert_header("Location", ca.url("/order/1").as_str())
            .set_body_json(order_json(&ca.server.uri(), "pending")),
    )
    .await;
}

/// `p` answers with the order (`order_json`) in `status`.
pub(super) async fn mount_order(ca: &Ca, p: &str, status: &str) {
    post(
        &ca.server,
        p,
        answer(200).set_body_json(order_json(&ca.server.uri(), status)),
    )
    .await;
}

/// The account (`/acct/1`) links its orders list, `/acct/1/orders`.
pub(super) async fn mount_account(ca: &Ca) {
    post(
        &ca.server,
        "/acct/1",
        answer(200).set_body_json(json!({"status": "valid", "orders": ca.url("/acct/1/orders")})),
    )
    .await;
}

/// Expects exactly one finalize of order 1, carrying `csr`; answered with `order`.
pub(super) async fn expect_finalize(ca: &Ca, csr: Vec<u8>, order: Value) {
    Mock::given(method("POST"))
        .and(path("/order/1/finalize"))
        .and(payload(move |p| p["csr"] == json!(url_encode(&csr))))
        .respond_with(answer(200).set_body_json(order))
        .expect(1)
        .mount(&ca.server)
        .await;
}

/// Authorization 1, pending, offering dns-01 and http-01.
pub(super) async fn mount_pending_authz(ca: &Ca) {
    mount_authz_offering(ca, &["dns", "http"]).await;
}

/// Authorization 1, pending, offering a challenge of each kind (`dns`, `http`, `alpn`) at
/// `/chall/{kind}` with the token `tok-{kind}`.
pub(super) async fn mount_authz_offering(ca: &Ca, kinds: &[&str]) {
    let challenges: Vec<Value> = kinds
        .iter()
        .map(|kind| {
            let kind_type = match *kind {
                "alpn" => "tls-alpn-01".to_string(),
                other => format!("{other}-01"),
            };
            json!({
                "type": kind_type,
                "url": ca.url(&format!("/chall/{kind}")),
                "token": format!("tok-{kind}"),
                "status": "pending",
            })
        })
        .collect();
    post(
        &ca.server,
        "/authz/1",
        answer(200).set_body_json(json!({
            "status": "pending",
            "identifier": {"type": "dns", "value": "www.example.com"},
            "challenges": challenges,
        })),
    )
    .await;
}
