//! The bodies of vault's fuzz targets in `fuzz/` (cargo-fuzz), kept in the library so a target
//! and the replay of its committed corpus (`tests/fuzz_corpus.rs`, run by `cargo test` on
//! stable) call the same code. Each asserts its target's property; a panic is a crash.
//!
//! - [`pem_chain`]: the upload decoder of import (PEM text, or base64 of PEM or PFX) and the
//!   chain ordering import and merge share.
//! - [`policy`]: the create body into the wire model, then policy validation (create and
//!   PATCH); a policy vault accepts must be one its certificate builder can issue.
//! - [`Requests`] / [`request`]: the whole request path (middleware, route table, handlers,
//!   store) of a real vault on a throwaway data dir; no request may panic or get a 5xx.
//!
//! Not an API: hidden from the docs.

use crate::certs::{import, policy as rules};
use crate::http::{middleware, routes, AppState};
use crate::issuance::{chain, profile};
use crate::{Config, Error};
use axum::body::Body;
use axum::Router;
use shared::crypto::{self, KeySpec, PrivateKey};
use shared::fuzzing::RawRequest;
use shared::models::{CertificateCreateParameters, CertificatePolicy, CurveName};
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Import's decoder on the input as the certificate `value` (no password), then the chain
/// steps import and merge run on what it read. Properties: no panic; ordering is a
/// permutation that puts the key's certificate first (unless the order is preserved).
pub fn pem_chain(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(material) = import::decode(text, "") else {
        return;
    };
    let Ok(certs) = chain::parse_all(material.certs) else {
        return;
    };
    check_order(&certs, material.key.spki_der());
    // Merge orders by the pending key, which need not be in the file's key block: try each
    // certificate's own key as the pending one.
    for cert in &certs {
        check_order(&certs, &cert.info.spki_der);
    }
}

fn check_order(certs: &[chain::ChainCert], spki: &[u8]) {
    for preserve in [false, true] {
        let Some(ordered) = chain::order(certs.to_vec(), spki, preserve) else {
            assert!(
                chain::leaf_index(certs, spki).is_none(),
                "order() found no leaf but leaf_index() did"
            );
            return;
        };
        let mut before: Vec<&[u8]> = certs.iter().map(|c| c.der.as_slice()).collect();
        let mut after: Vec<&[u8]> = ordered.iter().map(|c| c.der.as_slice()).collect();
        if !preserve {
            assert_eq!(ordered[0].info.spki_der, spki, "the leaf is not first");
        }
        before.sort_unstable();
        after.sort_unstable();
        assert_eq!(before, after, "ordering lost or added certificates");
        assert!(chain::leaf_index(&ordered, spki).is_some());
    }
}

/// The body of `POST /certificates/{name}/create` into the wire model, the policy through
/// vault's validation as a create (`complete`) and as a PATCH of a stored policy (`merge`).
/// Properties: no panic; a policy that passes round-trips through the wire model unchanged
/// and the certificate builder takes it (CSR and self-signed certificate), so a client
/// mistake is a 400 at validation, never a 500 or a failed operation later.
pub fn policy(data: &[u8]) {
    let Ok(params) = serde_json::from_slice::<CertificateCreateParameters>(data) else {
        return;
    };
    let Some(given) = params.policy else {
        return;
    };
    if let Ok(created) = rules::complete(given.clone()) {
        check_issuable(&created);
    }
    if let Ok(patched) = rules::merge(stored_policy(), given) {
        check_issuable(&patched);
    }
}

/// A stored policy to PATCH: the completed form of the SDKs' default policy.
fn stored_policy() -> &'static CertificatePolicy {
    static STORED: OnceLock<CertificatePolicy> = OnceLock::new();
    STORED.get_or_init(|| {
        let minimal: CertificatePolicy = serde_json::from_str(
            r#"{"x509_props":{"subject":"CN=DefaultPolicy"},"issuer":{"name":"Self"}}"#,
        )
        .unwrap_or_else(|e| panic!("the default policy does not parse: {e}"));
        rules::complete(minimal)
            .unwrap_or_else(|e| panic!("the default policy does not validate: {e}"))
    })
}

/// One key for every built certificate: the property is about the profile, and P-256 makes
/// it cheap.
fn signing_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        PrivateKey::generate(KeySpec::Ec {
            curve: CurveName::P256,
        })
        .unwrap_or_else(|e| panic!("P-256 key generation failed: {e}"))
    })
}

fn check_issuable(p: &CertificatePolicy) {
    let json = serde_json::to_vec(p).unwrap_or_else(|e| panic!("policy does not serialize: {e}"));
    let back: CertificatePolicy = serde_json::from_slice(&json)
        .unwrap_or_else(|e| panic!("stored policy does not read back: {e}"));
    assert_eq!(&back, p, "the policy changed through the wire model");
    if let Err(e) = profile::key_spec(p) {
        panic!("a validated policy has no key spec: {e}");
    }
    let cert_profile = profile::cert_profile(p, time::OffsetDateTime::now_utc());
    let key = signing_key();
    if let Err(e) = crypto::build_csr(key, &cert_profile) {
        panic!("a validated policy cannot build a CSR: {e}");
    }
    if let Err(e) = crypto::self_signed(key, &cert_profile) {
        panic!("a validated policy cannot build a certificate: {e}");
    }
}

/// A real vault on a data dir, driven in-process: each request goes through
/// [`middleware::handle`] and the route table exactly as a connection's requests do, minus
/// the socket and TLS. Background work (worker, lifetime scheduler) runs on the same
/// single-threaded runtime while a request is served.
pub struct Requests {
    runtime: tokio::runtime::Runtime,
    app: AppState,
    router: Router,
    shutdown: CancellationToken,
}

/// How long start-up waits for the seeded certificate to be issued.
const SEED_DEADLINE: Duration = Duration::from_secs(60);

impl Requests {
    /// Starts vault on `data_dir` (created if missing) with default settings, and seeds it
    /// with a completed self-signed certificate `fuzz-self` and a pending `Unknown` operation
    /// `fuzz-pending` (merge has something to merge into), both EC P-256.
    pub fn start(data_dir: &Path) -> Result<Requests, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shutdown = CancellationToken::new();
        let handle = runtime.block_on(async {
            // vault serves on this listener too; nothing connects to it.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            crate::serve(listener, Config::new(data_dir), shutdown.clone()).await
        })?;
        let app = handle.app.clone();
        let router = routes::router(app.clone());
        let this = Requests {
            runtime,
            app,
            router,
            shutdown,
        };
        this.seed()?;
        Ok(this)
    }

    fn seed(&self) -> Result<(), Error> {
        let policy = |issuer: &str| {
            format!(
                r#"{{"policy":{{"key_props":{{"kty":"EC","crv":"P-256"}},"x509_props":{{"subject":"CN=fuzz.test","sans":{{"dns_names":["fuzz.test"]}}}},"issuer":{{"name":"{issuer}"}}}}}}"#
            )
        };
        for (name, issuer) in [("fuzz-self", "Self"), ("fuzz-pending", "Unknown")] {
            let status = self
                .send(
                    &format!("POST /certificates/{name}/create"),
                    &policy(issuer),
                )
                .0;
            if status != 202 && status != 409 {
                return Err(Error::Internal(format!("seeding {name}: {status}")));
            }
        }
        let started = Instant::now();
        loop {
            let (_, body) = self.send("GET /certificates/fuzz-self/pending", "");
            if body.contains(r#""status":"completed""#) {
                return Ok(());
            }
            if started.elapsed() > SEED_DEADLINE {
                return Err(Error::Internal(format!(
                    "fuzz-self was not issued within {SEED_DEADLINE:?}: {body}"
                )));
            }
            // Built inside the runtime: a timer needs its context.
            self.runtime
                .block_on(async { tokio::time::sleep(Duration::from_millis(20)).await });
        }
    }

    /// An authorised Key Vault request (`METHOD PATH`, JSON body) → status and body text.
    fn send(&self, line: &str, body: &str) -> (u16, String) {
        let text = format!(
            "{line}?api-version=7.6\nHost: vault.test\nAuthorization: Bearer fuzz\nContent-Type: application/json\n\n{body}"
        );
        RawRequest::parse(text.as_bytes())
            .and_then(|r| r.to_http())
            .map_or((0, String::new()), |r| self.call(r))
    }

    /// Serves one request: status and body text.
    pub fn call(&self, request: axum::http::Request<Vec<u8>>) -> (u16, String) {
        let request = request.map(Body::from);
        self.runtime.block_on(async {
            let response = middleware::handle(&self.app, &self.router, request).await;
            let status = response.status().as_u16();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|e| format!("(body failed: {e})"));
            (status, body)
        })
    }
}

impl Drop for Requests {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// One request in [`RawRequest`]'s text form through `vault`. Property: no panic, no 5xx (a
/// client's request is answered or refused with a 4xx, never a server error). Inputs hyper
/// would refuse before vault sees them (an invalid method, target or header) are skipped:
/// `None` (the fuzzer then drops them); otherwise the status and body checked.
pub fn request(vault: &Requests, data: &[u8]) -> Option<(u16, String)> {
    let raw = RawRequest::parse(data)?;
    let request = raw.to_http()?;
    let (status, body) = vault.call(request);
    assert!(
        status < 500,
        "{} {} answered {status}: {body}",
        raw.method,
        raw.target
    );
    Some((status, body))
}
