//! The gateway's extensions with the real `instant-acme` client (and hand-made JWS where the
//! client cannot go) against an in-process vault (`always-valid`):
//!
//! - profiles: the built-ins, one per partner issuer of the vault (a disabled one is not
//!   offered), the profile-pinned directory, `invalidProfile` and a partner profile refusing
//!   an IP identifier;
//! - revocation by the account and by the certificate's key, reason codes, `alreadyRevoked`,
//!   another account's `unauthorized`, and the revoked serials with their reasons in the CRL;
//! - ARI (RFC 9773): the window derived from validity, moved by `/_admin/clock`, set by the
//!   admin, in the past once revoked; `replaces` accepted once, then `alreadyReplaced`.

use crate::acme_support;

use acme_support::raw::{b64, Raw};
use acme_support::{account, cert_id, issue, problem_type, try_issue, unix, Options, Server};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use instant_acme::{RevocationReason, RevocationRequest};
use rustls::pki_types::CertificateDer;
use serde_json::{json, Value};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// `PUT /certificates/issuers/{name}` through the Key Vault API (dev auth: any bearer token).
async fn put_issuer(server: &Server, name: &str, body: Value) {
    let rsp = server
        .http
        .put(format!(
            "{}/certificates/issuers/{name}?api-version=7.5",
            server.base()
        ))
        .bearer_auth("test")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.status(), 200, "{}", rsp.text().await.unwrap());
}

/// The names in a directory's `meta.profiles`, sorted.
fn profile_names(directory: &Value) -> Vec<String> {
    let mut names: Vec<String> = directory["meta"]["profiles"]
        .as_object()
        .expect("meta.profiles")
        .keys()
        .cloned()
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn profiles_are_the_builtins_and_the_partner_issuers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let (_, d) = server.get_json("/acme/directory").await;
    assert_eq!(profile_names(&d), ["local", "shortlived"], "{d:#}");

    let partner = |provider: &str, enabled: bool| {
        json!({
            "provider": provider,
            "credentials": { "account_id": "acct", "pwd": "secret" },
            "attributes": { "enabled": enabled },
        })
    };
    put_issuer(&server, "dc-issuer", partner("DigiCert", true)).await;
    put_issuer(&server, "gs-off", partner("GlobalSign", false)).await;
    let (_, d) = server.get_json("/acme/directory").await;
    assert_eq!(
        profile_names(&d),
        ["dc-issuer", "local", "shortlived"],
        "a disabled issuer is not offered: {d:#}"
    );
    let description = d["meta"]["profiles"]["dc-issuer"].as_str().unwrap();
    assert!(description.contains("DigiCert"), "{description}");

    // Pinned: the same directory with that profile's new-order and only that profile.
    let (status, pinned) = server.get_json("/acme/dc-issuer/directory").await;
    assert_eq!(status, 200, "{pinned:#}");
    assert_eq!(profile_names(&pinned), ["dc-issuer"]);
    assert!(pinned["newOrder"]
        .as_str()
        .unwrap()
        .ends_with("/acme/dc-issuer/new-order"));
    let (status, unknown) = server.get_json("/acme/gs-off/directory").await;
    assert_eq!(status, 400, "{unknown:#}");
    assert_eq!(unknown["type"], "urn:ietf:params:acme:error:invalidProfile");

    let mut raw = Raw::new(server.http.clone(), &server.base());
    raw.create().await;
    let url = raw.url("new-order");
    let order = |profile: &str, identifier: Value| json!({ "identifiers": [identifier], "profile": profile });
    let dns = json!({ "type": "dns", "value": "p.example.test" });
    let answer = raw.post(&url, Some(&order("nope", dns.clone()))).await;
    assert_eq!(
        (answer.status, answer.problem()),
        (400, "invalidProfile"),
        "{}",
        answer.text
    );
    let ip = json!({ "type": "ip", "value": "192.0.2.7" });
    let answer = raw.post(&url, Some(&order("dc-issuer", ip))).await;
    assert_eq!(
        (answer.status, answer.problem()),
        (400, "rejectedIdentifier"),
        "{}",
        answer.text
    );
    // Issuer names compare case-insensitively; the order carries the issuer's own spelling.
    let answer = raw.post(&url, Some(&order("DC-ISSUER", dns))).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["profile"], "dc-issuer");
    server.stop().await;
}

/// The serials (lower-case hex) and reason codes a DER CRL lists.
fn crl_entries(der: &[u8]) -> Vec<(String, Option<u8>)> {
    let (_, crl) = CertificateRevocationList::from_der(der).expect("a DER CRL");
    crl.iter_revoked_certificates()
        .map(|r| {
            let hex: String = r.raw_serial().iter().map(|b| format!("{b:02x}")).collect();
            let serial = hex.trim_start_matches('0').to_string();
            let reason = r.reason_code().map(|(_, code)| code.0);
            (serial, reason)
        })
        .collect()
}

/// A `jwk`-signed revoke-cert request made with the certificate's own P-256 key.
async fn revoke_with_cert_key(
    server: &Server,
    raw: &Raw,
    key_pkcs8: &[u8],
    cert: &[u8],
    reason: u8,
) -> (u16, String) {
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, key_pkcs8).unwrap();
    let point = pair.public_key().as_ref().to_vec();
    let jwk =
        json!({ "kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65]) });
    let url = raw.url("revoke-cert");
    let protected = json!({ "alg": "ES256", "nonce": raw.nonce().await, "url": url, "jwk": jwk });
    let protected = b64(protected.to_string().as_bytes());
    let payload = b64(json!({ "certificate": b64(cert), "reason": reason })
        .to_string()
        .as_bytes());
    let sig = pair
        .sign(
            &SystemRandom::new(),
            format!("{protected}.{payload}").as_bytes(),
        )
        .unwrap();
    let answer = raw
        .send(
            &url,
            &json!({ "protected": protected, "payload": payload, "signature": b64(sig.as_ref()) }),
        )
        .await;
    let _ = server;
    (answer.status, answer.problem().to_string())
}

#[tokio::test]
async fn revocation_by_account_and_by_key_is_in_the_crl() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let owner = account(&server).await;
    let other = account(&server).await;
    let first = issue(&owner, &["r1.example.test"], Options::default()).await;
    let second = issue(&owner, &["r2.example.test"], Options::default()).await;

    let revoke = |account: &instant_acme::Account, der: &[u8], reason| {
        let account = account.clone();
        let der = der.to_vec();
        async move {
            let cert = CertificateDer::from(der);
            account
                .revoke(&RevocationRequest {
                    certificate: &cert,
                    reason: Some(reason),
                })
                .await
        }
    };
    // Another account may not.
    let err = revoke(&other, first.leaf(), RevocationReason::KeyCompromise)
        .await
        .unwrap_err();
    assert_eq!(problem_type(&err), "unauthorized", "{err}");
    // The owner may, once.
    revoke(&owner, first.leaf(), RevocationReason::KeyCompromise)
        .await
        .expect("revoked by its account");
    let err = revoke(&owner, first.leaf(), RevocationReason::KeyCompromise)
        .await
        .unwrap_err();
    assert_eq!(problem_type(&err), "alreadyRevoked", "{err}");

    // By the certificate's own key: reason 7 is unassigned, 11 does not exist.
    let raw = Raw::new(server.http.clone(), &server.base());
    for bad in [7, 11] {
        let (status, problem) =
            revoke_with_cert_key(&server, &raw, &second.key_pkcs8, second.leaf(), bad).await;
        assert_eq!(
            (status, problem.as_str()),
            (400, "badRevocationReason"),
            "reason {bad}"
        );
    }
    // A key that is not the certificate's is refused.
    let stranger = rcgen::KeyPair::generate().unwrap();
    let (status, problem) =
        revoke_with_cert_key(&server, &raw, &stranger.serialize_der(), second.leaf(), 4).await;
    assert_eq!((status, problem.as_str()), (403, "unauthorized"));
    let (status, problem) =
        revoke_with_cert_key(&server, &raw, &second.key_pkcs8, second.leaf(), 4).await;
    assert_eq!((status, problem.as_str()), (200, ""), "revoked by its key");

    // The CRL lists both with their reasons, signed by the issuing intermediate.
    let rsp = server
        .http
        .get(format!("{}/acme/crl", server.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.status(), 200);
    assert_eq!(rsp.headers()["content-type"], "application/pkix-crl");
    let der = rsp.bytes().await.unwrap();
    let mut entries = crl_entries(&der);
    entries.sort();
    let mut expected = vec![
        (first.serial_hex(), Some(1)),
        (second.serial_hex(), Some(4)),
    ];
    expected.sort();
    assert_eq!(entries, expected);
    let (_, crl) = CertificateRevocationList::from_der(&der).unwrap();
    let (_, intermediate) =
        x509_parser::certificate::X509Certificate::from_der(&first.chain[1]).unwrap();
    assert_eq!(crl.issuer(), intermediate.subject());
    crl.verify_signature(intermediate.public_key())
        .expect("the CRL is signed by the intermediate");

    // ARI: a revoked certificate should be replaced now (its window is already over).
    let (_, now) = server.get_json("/_admin/clock").await;
    let (status, info) = server
        .get_json(&format!("/acme/renewal-info/{}", first.cert_id()))
        .await;
    assert_eq!(status, 200, "{info:#}");
    let end = unix(info["suggestedWindow"]["end"].as_str().unwrap());
    let now = now["now"].as_i64().expect("the clock's now");
    assert!(end < now, "window {info:#} ends before {now}");
    server.stop().await;
}

/// `GET /acme/renewal-info/{certID}`: (start, end) and `Retry-After`.
async fn renewal_info(server: &Server, cert_id: &str) -> ((i64, i64), u64) {
    let rsp = server
        .http
        .get(format!("{}/acme/renewal-info/{cert_id}", server.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.status(), 200);
    let retry_after = rsp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = rsp.json().await.unwrap();
    let w = &body["suggestedWindow"];
    (
        (
            unix(w["start"].as_str().unwrap()),
            unix(w["end"].as_str().unwrap()),
        ),
        retry_after,
    )
}

#[tokio::test]
async fn ari_windows_admin_override_clock_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let owner = account(&server).await;
    let cert = issue(&owner, &["ari.example.test"], Options::default()).await;

    // Derived: ideal renewal one third of the lifetime before expiry, ± 1 % of it.
    let (nb, na) = cert.validity();
    let lifetime = na + 1 - nb;
    let ideal = na + 1 - lifetime / 3;
    let ((start, end), retry_after) = renewal_info(&server, &cert.cert_id()).await;
    assert_eq!(
        (start, end),
        (ideal - lifetime / 100, ideal + lifetime / 100)
    );
    assert_eq!(retry_after, 6 * 3600);
    // Unknown and malformed certIDs.
    let (status, body) = server.get_json("/acme/renewal-info/AAAA.AQID").await;
    assert_eq!(status, 404, "{body:#}");
    let (status, _) = server.get_json("/acme/renewal-info/not-a-cert-id").await;
    assert_eq!(status, 400);

    // The admin sets a window (by certID, then by serial).
    let put = |body: Value| {
        let (http, url) = (
            server.http.clone(),
            format!("{}/_admin/acme/renewal-info", server.base()),
        );
        async move {
            let rsp = http.put(url).json(&body).send().await.unwrap();
            (
                rsp.status().as_u16(),
                rsp.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, set) = put(json!({
        "certID": cert.cert_id(), "start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"
    }))
    .await;
    assert_eq!(status, 200, "{set:#}");
    assert_eq!(
        renewal_info(&server, &cert.cert_id()).await.0,
        (unix("2030-01-01T00:00:00Z"), unix("2030-01-02T00:00:00Z"))
    );
    let (status, _) = put(json!({
        "serial": cert.serial_hex().to_uppercase(), "start": "2031-01-01T00:00:00Z", "end": "2031-01-03T00:00:00Z"
    }))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        renewal_info(&server, &cert.cert_id()).await.0,
        (unix("2031-01-01T00:00:00Z"), unix("2031-01-03T00:00:00Z"))
    );
    for bad in [
        json!({ "certID": cert.cert_id(), "start": "2031-01-03T00:00:00Z", "end": "2031-01-01T00:00:00Z" }),
        json!({ "start": "2031-01-01T00:00:00Z", "end": "2031-01-03T00:00:00Z" }),
        json!({ "serial": "01", "certID": cert.cert_id(), "start": "2031-01-01T00:00:00Z", "end": "2031-01-03T00:00:00Z" }),
        json!({ "certID": cert.cert_id(), "start": "tomorrow", "end": "2031-01-03T00:00:00Z" }),
    ] {
        let (status, body) = put(bad.clone()).await;
        assert_eq!(status, 400, "{bad} → {body:#}");
    }
    let (status, _) = put(json!({
        "serial": "0abcdef", "start": "2031-01-01T00:00:00Z", "end": "2031-01-03T00:00:00Z"
    }))
    .await;
    assert_eq!(status, 404);

    // Windows follow the vault clock: a certificate issued 30 days later renews 30 days later.
    server.advance_clock(30 * 86400).await;
    let later = issue(&owner, &["ari-later.example.test"], Options::default()).await;
    let ((later_start, _), _) = renewal_info(&server, &later.cert_id()).await;
    let shift = later_start - start;
    assert!(
        (30 * 86400 - 120..=30 * 86400 + 120).contains(&shift),
        "the window moved with the clock by {shift} s"
    );

    // replaces: another account may not; a name in common is needed; then once only.
    let other = account(&server).await;
    let id = cert.cert_id();
    let unknown = cert_id(&later.chain[1]);
    for (who, name, replaces, problem) in [
        (&other, "ari.example.test", &id, "unauthorized"),
        (&owner, "elsewhere.example.test", &id, "malformed"),
        (&owner, "ari.example.test", &unknown, "malformed"),
    ] {
        let err = try_issue(who, &[name], Options::replacing(replaces))
            .await
            .err()
            .expect("refused");
        assert_eq!(
            problem_type(&err),
            problem,
            "{name} replacing {replaces}: {err}"
        );
    }
    let renewed = issue(&owner, &["ari.example.test"], Options::replacing(&id)).await;
    assert_ne!(renewed.cert_id(), id);
    let err = try_issue(&owner, &["ari.example.test"], Options::replacing(&id))
        .await
        .err()
        .expect("refused");
    assert_eq!(problem_type(&err), "alreadyReplaced", "{err}");
    server.stop().await;
}
