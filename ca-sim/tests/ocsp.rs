//! OCSP and CRLs of every dialect, read with the openssl CLI (its own parsers and signature
//! checks, none of ca-sim's code): certificates issued through DigiCert, GlobalSign, WoSign and
//! ACME carry the AIA OCSP and caIssuers URLs and the CRL distribution point; OCSP says `good`
//! before and `revoked` (time and reason on ca-sim's clock) after a revocation through
//! DigiCert's revoke, GlobalSign's ModifyOrder, ACME's revokeCert (with `instant-acme`) or the
//! admin API, and the CRL lists the same;
//! `unknown` for a serial the CA never issued; POST and GET forms; the nonce echoed; the
//! delegated responder's signature verifies against the root alone.

use crate::common;

use common::digicert::Dc;
use common::wosign::{self, ws};
use common::*;
use common::{acme, globalsign};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A certificate ca-sim issued, as files openssl reads.
struct Issued {
    serial: String,
    leaf: String,
    issuer: String,
    root: String,
}

/// Waits for the order of `cn` to be issued; writes its leaf, issuing CA and root to `dir`.
async fn issued(sim: &Sim, cn: &str, dir: &Path) -> Issued {
    let o = eventually("issued", || async {
        sim.orders_for(cn)
            .await
            .into_iter()
            .find(|o| o["status"] == "issued")
    })
    .await;
    let cert = &o["cert"];
    let pem = |v: &Value| v.as_str().unwrap().to_string();
    let (leaf, issuer) = (pem(&cert["pem"]), pem(&cert["intermediates"][0]));
    Issued::write(
        dir,
        cn,
        pem(&cert["serial_hex"]),
        [&leaf, &issuer, &pem(&cert["root"])],
    )
}

impl Issued {
    /// Writes the leaf, issuing CA and root PEMs as `{dir}/{name}-{leaf,issuer,root}.pem`.
    fn write(dir: &Path, name: &str, serial: String, [leaf, issuer, root]: [&str; 3]) -> Issued {
        let write = |part: &str, pem: &str| -> String {
            let p: PathBuf = dir.join(format!("{name}-{part}.pem"));
            std::fs::write(&p, pem).unwrap();
            p.display().to_string()
        };
        Issued {
            serial,
            leaf: write("leaf", leaf),
            issuer: write("issuer", issuer),
            root: write("root", root),
        }
    }
}

/// Runs openssl; (success, stdout + stderr).
async fn openssl(args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new("openssl")
        .args(args)
        .output()
        .await
        .expect("the openssl CLI is installed (.ci/run)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Asks the responder named in the leaf's AIA (unless `extra` names one) about it (POST, with a
/// nonce); checks the signature verified against the root; returns openssl's text.
async fn ocsp(c: &Issued, extra: &[&str]) -> String {
    let (ok, uri) = openssl(&["x509", "-in", &c.leaf, "-noout", "-ocsp_uri"]).await;
    assert!(ok, "{uri}");
    let mut args = vec![
        "ocsp",
        "-issuer",
        &c.issuer,
        "-CAfile",
        &c.root,
        "-resp_text",
    ];
    if !extra.contains(&"-url") {
        args.extend_from_slice(&["-url", uri.trim()]);
    }
    args.extend_from_slice(extra);
    if !extra.contains(&"-serial") {
        args.extend_from_slice(&["-cert", &c.leaf]);
    }
    let (ok, text) = openssl(&args).await;
    assert!(ok, "{text}");
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(!text.contains("WARNING"), "{text}");
    text
}

/// The status openssl's summary gives `what` (`good`, `revoked`, `unknown`).
fn status_of<'a>(text: &'a str, what: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{what}: ")))
        .unwrap_or_else(|| panic!("no status for {what} in {text}"))
        .trim()
}

/// The value after `label` on the first line that has it.
fn field<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no '{label}' in {text}"))
        .trim()
}

/// openssl's `Dec  6 21:03:04 2026 GMT` as RFC 3339 up to the seconds.
fn rfc3339_prefix(openssl_time: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p: Vec<&str> = openssl_time.split_whitespace().collect();
    let month = MONTHS.iter().position(|m| *m == p[0]).unwrap() + 1;
    format!(
        "{}-{month:02}-{:02}T{}",
        p[3],
        p[1].parse::<u32>().unwrap(),
        p[2]
    )
}

/// Revoked in the OCSP answer with `reason` (openssl's word) at the time `cert-status` shows.
async fn assert_revoked(sim: &Sim, c: &Issued, reason: Option<&str>) {
    let text = ocsp(c, &[]).await;
    assert_eq!(status_of(&text, &c.leaf), "revoked", "{text}");
    // Unspecified is no reason at all (RFC 5280 §5.3.1), in OCSP as in the CRL.
    let reason = reason.filter(|r| *r != "unspecified");
    match reason {
        Some(r) => assert_eq!(field(&text, "Reason:"), r, "{text}"),
        None => assert!(!text.contains("Reason:"), "{text}"),
    }
    let at = field(&text, "Revocation Time:").to_string();
    let st = sim.admin_get(&format!("cert-status/{}", c.serial)).await;
    assert_eq!(st["status"], "revoked");
    assert!(
        st["revokedAt"]
            .as_str()
            .unwrap()
            .starts_with(&rfc3339_prefix(&at)),
        "{st} vs {at}"
    );
    assert!(text.contains("OCSP Nonce"), "nonce echoed: {text}");
    // The CRL at the leaf's distribution point lists it with the same time and reason.
    let crl_text = crl(sim, c).await;
    let entry = crl_text
        .split("Serial Number: ")
        .find(|e| e.starts_with(&c.serial))
        .unwrap_or_else(|| panic!("{} not in {crl_text}", c.serial));
    assert_eq!(field(entry, "Revocation Date:"), at, "{entry}");
    match reason {
        Some("keyCompromise") => assert!(entry.contains("Key Compromise"), "{entry}"),
        Some(other) => panic!("{other}"),
        None => assert!(!entry.contains("CRL Reason Code"), "{entry}"),
    }
}

/// Writes the OCSP answer `r` next to the leaf and reads it with openssl as the answer to the
/// request in `req`: (success, text).
async fn read_answer(c: &Issued, req: &str, r: reqwest::Response) -> (bool, String) {
    let resp = format!("{}.resp", c.leaf);
    std::fs::write(&resp, r.bytes().await.unwrap()).unwrap();
    openssl(&[
        "ocsp",
        "-reqin",
        req,
        "-respin",
        &resp,
        "-CAfile",
        &c.root,
        "-resp_text",
    ])
    .await
}

/// The CRL named in the leaf's CRL distribution point, as `openssl crl -text` reads it after
/// checking its signature with the issuing CA.
async fn crl(sim: &Sim, c: &Issued) -> String {
    let (ok, text) = openssl(&["x509", "-in", &c.leaf, "-noout", "-text"]).await;
    assert!(ok, "{text}");
    let url = text
        .lines()
        .skip_while(|l| !l.contains("X509v3 CRL Distribution Points"))
        .find_map(|l| l.trim().strip_prefix("URI:"))
        .unwrap_or_else(|| panic!("no CRL DP in {text}"))
        .to_string();
    let der = sim.client.get(&url).send().await.unwrap();
    let der = der.bytes().await.unwrap();
    let path = format!("{}.crl", c.leaf);
    std::fs::write(&path, &der).unwrap();
    let (ok, text) = openssl(&[
        "crl", "-inform", "DER", "-in", &path, "-CAfile", &c.issuer, "-text", "-noout",
    ])
    .await;
    assert!(ok, "{text}");
    assert!(text.contains("verify OK"), "{text}");
    text
}

/// An order through each vendor dialect's own API.
async fn order_everywhere(sim: &Sim) -> (u64, String) {
    let (_, v, _) = Dc::new(sim).order_basic("ocsp-dc.example.com").await;
    let dc_id = v["id"].as_u64().unwrap();
    let (_, csr_pem) = csr("ocsp-gs.example.com", &[]);
    let doc = globalsign::ov_order("ocsp-gs.example.com", &csr_pem, 12, "OV_SHA2");
    let (s, body) = globalsign::ssl(sim, doc).await;
    assert_eq!(s, 200, "{body}");
    let gs_id = globalsign::tag(&body, "OrderID").unwrap_or_else(|| panic!("{body}"));
    ws_order(sim, "ocsp-ws.example.cn").await;
    (dc_id, gs_id)
}

/// A WoSign order for `cn`; its order number.
async fn ws_order(sim: &Sim, cn: &str) -> String {
    let (_, csr_pem) = csr(cn, &[]);
    let (_, v) = ws(sim).create(wosign::order_body(cn, &csr_pem)).await;
    assert_eq!(v["code"], 0, "{v}");
    wosign::order_no(&v)
}

#[tokio::test]
async fn every_dialect_good_then_revoked_in_ocsp_and_crl() {
    let sim = Sim::start(|_| {}).await;
    let (_tmp, dir) = tempdir();
    let (dc_id, gs_id) = order_everywhere(&sim).await;
    let dc = issued(&sim, "ocsp-dc.example.com", &dir).await;
    let gs = issued(&sim, "ocsp-gs.example.com", &dir).await;
    let ws = issued(&sim, "ocsp-ws.example.cn", &dir).await;

    // AIA (OCSP first, then caIssuers) and the CRL DP, per dialect.
    for (c, d) in [(&dc, "digicert"), (&gs, "globalsign"), (&ws, "wosign")] {
        let (_, text) = openssl(&["x509", "-in", &c.leaf, "-noout", "-text"]).await;
        assert!(
            text.contains(&format!("OCSP - URI:{}/ocsp/{d}", sim.url)),
            "{text}"
        );
        assert!(
            text.contains(&format!("CA Issuers - URI:{}/ca/{d}/int1.crt", sim.url)),
            "{text}"
        );
        assert!(
            text.contains(&format!("URI:{}/crl/{d}/int1.crl", sim.url)),
            "{text}"
        );
        let text = ocsp(c, &[]).await;
        assert_eq!(status_of(&text, &c.leaf), "good", "{d}: {text}");
        assert!(text.contains("OCSP Nonce"), "nonce echoed: {text}");
        assert!(!crl(&sim, c).await.contains(&c.serial));
    }

    // A serial the CA never issued is unknown; without a nonce, none comes back.
    let text = ocsp(&dc, &["-serial", "0x1234567890", "-no_nonce"]).await;
    assert_eq!(status_of(&text, "0x1234567890"), "unknown", "{text}");
    assert!(!text.contains("OCSP Nonce"), "{text}");

    // DigiCert's revoke (skip_approval revokes at once).
    let (s, _) = Dc::new(&sim)
        .put(
            &format!("order/certificate/{dc_id}/revoke"),
            json!({"revocation_reason": "key_compromise", "skip_approval": true}),
        )
        .await;
    assert_eq!(s, 204);
    assert_revoked(&sim, &dc, Some("keyCompromise")).await;

    // GlobalSign's ModifyOrder REVOKE.
    let (s, body) = globalsign::ssl(&sim, globalsign::modify(&gs_id, "REVOKE")).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("<SuccessCode>0</SuccessCode>"), "{body}");
    assert_revoked(&sim, &gs, Some("unspecified")).await;

    // The admin API, by serial, a day later on ca-sim's clock: the revocation time is the
    // simulated one, not the wall clock's.
    let r = sim
        .admin_send(reqwest::Method::POST, "clock", json!({"advance": "1d"}))
        .await;
    assert_eq!(r.status(), 200);
    let r = sim
        .admin_send(
            reqwest::Method::POST,
            &format!("certificates/{}/revoke", ws.serial),
            json!({"reason": "superseded"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let st: Value = r.json().await.unwrap();
    assert_eq!(st["status"], "revoked");
    assert_eq!(st["reason"], "superseded");
    let revoked_at = st["revokedAt"].as_str().unwrap().to_string();
    let tomorrow = time::OffsetDateTime::now_utc() + time::Duration::hours(23);
    assert!(
        revoked_at.as_str()
            > format!(
                "{:04}-{:02}-{:02}",
                tomorrow.year(),
                tomorrow.month() as u8,
                tomorrow.day()
            )
            .as_str(),
        "{revoked_at}"
    );
    // thisUpdate is a day ahead of the wall clock openssl checks it with: allow for that.
    let text = ocsp(&ws, &["-validity_period", "172800"]).await;
    assert_eq!(status_of(&text, &ws.leaf), "revoked", "{text}");
    assert_eq!(field(&text, "Reason:"), "superseded");
    assert!(revoked_at.starts_with(&rfc3339_prefix(field(&text, "Revocation Time:"))));
    assert!(revoked_at.starts_with(&rfc3339_prefix(field(&text, "This Update:"))[..10]));
    let crl_text = crl(&sim, &ws).await;
    assert!(crl_text.contains(&ws.serial), "{crl_text}");

    // Again: 409; an unknown serial: 404; a bad reason: 400.
    for (serial, body, status) in [
        (ws.serial.as_str(), json!({}), 409),
        ("0BADC0FFEE", json!({}), 404),
        (dc.serial.as_str(), json!({"reason": "bored"}), 400),
    ] {
        let r = sim
            .admin_send(
                reqwest::Method::POST,
                &format!("certificates/{serial}/revoke"),
                body,
            )
            .await;
        assert_eq!(r.status(), status);
    }
    sim.stop().await;
}

#[tokio::test]
async fn get_form_wrong_issuer_and_malformed_requests() {
    let sim = Sim::start(|_| {}).await;
    let (_tmp, dir) = tempdir();
    let no = ws_order(&sim, "ocsp-get.example.cn").await;
    let c = issued(&sim, "ocsp-get.example.cn", &dir).await;
    let req = format!("{}.req", c.leaf);
    let (ok, req_text) = openssl(&[
        "ocsp",
        "-issuer",
        &c.issuer,
        "-cert",
        &c.leaf,
        "-reqout",
        &req,
        "-req_text",
    ])
    .await;
    assert!(ok, "{req_text}");
    let nonce = field(&req_text, "OCSP Nonce:").to_string();
    let nonce = if nonce.is_empty() {
        req_text
            .lines()
            .skip_while(|l| !l.contains("OCSP Nonce"))
            .nth(1)
            .unwrap()
            .trim()
            .to_string()
    } else {
        nonce
    };

    // GET: base64, URL-encoded, after the responder URL (RFC 6960 A.1).
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&req).unwrap());
    let escaped = b64
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let r = sim.get(&format!("/ocsp/wosign/{escaped}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/ocsp-response"
    );
    let (ok, text) = read_answer(&c, &req, r).await;
    assert!(ok, "{text}");
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(text.contains("Cert Status: good"), "{text}");
    assert!(text.contains(&nonce), "the nonce {nonce} echoed: {text}");

    // Clients that append the base64 unescaped (with '/' and '+') are served too.
    let r = sim.get(&format!("/ocsp/wosign/{b64}")).await;
    let (ok, text) = read_answer(&c, &req, r).await;
    assert!(ok && text.contains("Cert Status: good"), "{text}");

    // The root's responder answers for the intermediate it signed (good) and nothing else.
    let text = ocsp(
        &Issued {
            serial: String::new(),
            leaf: c.issuer.clone(),
            issuer: c.root.clone(),
            root: c.root.clone(),
        },
        &["-url", &format!("{}/ocsp/wosign", sim.url)],
    )
    .await;
    assert_eq!(status_of(&text, &c.issuer), "good", "{text}");

    // WoSign's own revoke: the next answer, GET or POST, says revoked.
    let (_, v) = ws(&sim)
        .post(
            &format!("/api/v1/orders/{no}/revoke"),
            json!({"reason": "cessationOfOperation"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let text = ocsp(&c, &[]).await;
    assert_eq!(status_of(&text, &c.leaf), "revoked", "{text}");
    assert_eq!(field(&text, "Reason:"), "cessationOfOperation", "{text}");

    // The admin view names the responder URL and shows the delegated responder certificate:
    // OCSPSigning, no-check, issued by the issuing CA.
    let roots = sim.admin_get("roots").await;
    assert_eq!(roots["wosign"]["ocsp"], format!("{}/ocsp/wosign", sim.url));
    let responder = dir.join("responder.pem");
    std::fs::write(
        &responder,
        roots["wosign"]["intermediates"][0]["ocspResponder"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let (ok, text) = openssl(&[
        "x509",
        "-in",
        responder.to_str().unwrap(),
        "-noout",
        "-text",
    ])
    .await;
    assert!(ok, "{text}");
    assert!(text.contains("OCSP Signing"), "{text}");
    assert!(text.contains("OCSP No Check"), "{text}");
    let (ok, text) = openssl(&[
        "verify",
        "-CAfile",
        &c.root,
        "-untrusted",
        &c.issuer,
        "-purpose",
        "ocsphelper",
        responder.to_str().unwrap(),
    ])
    .await;
    assert!(ok && text.contains(": OK"), "{text}");

    // Another dialect's CA is not this responder's: unauthorized.
    let other = dir.join("dc-root.pem");
    std::fs::write(&other, sim.root_pem("digicert")).unwrap();
    let (_, text) = openssl(&[
        "ocsp",
        "-issuer",
        other.to_str().unwrap(),
        "-serial",
        "0x10",
        "-url",
        &format!("{}/ocsp/wosign", sim.url),
        "-resp_text",
    ])
    .await;
    assert!(text.contains("unauthorized"), "{text}");

    // Garbage: malformedRequest (an OCSPResponse with status 1), never an HTTP error.
    let r = sim
        .client
        .post(format!("{}/ocsp/wosign", sim.url))
        .header("Content-Type", "application/ocsp-request")
        .body("not DER")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        &[0x30, 0x03, 0x0a, 0x01, 0x01]
    );
    let r = sim.get("/ocsp/wosign/%%%").await;
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        &[0x30, 0x03, 0x0a, 0x01, 0x01]
    );
    let r = sim
        .client
        .post(format!("{}/ocsp/nosuchca", sim.url))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    sim.stop().await;
}

#[tokio::test]
async fn revocations_and_responders_survive_a_restart() {
    let (_tmp, dir) = tempdir();
    let data = dir.join("data");
    let sim = Sim::start_in(&data, |c| {
        set_profile(c, "instant");
    })
    .await;
    ws_order(&sim, "ocsp-restart.example.cn").await;
    let c = issued(&sim, "ocsp-restart.example.cn", &dir).await;
    let r = sim
        .admin_send(
            reqwest::Method::POST,
            &format!("certificates/0x{}/revoke", c.serial.to_lowercase()),
            json!({"reason": 1}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let before = ocsp(&c, &[]).await;
    sim.stop().await;
    let sim = Sim::start_in(&data, |_| {}).await;
    // The certificates name the old port; ask the new listener.
    let after = ocsp(&c, &["-url", &format!("{}/ocsp/wosign", sim.url)]).await;
    assert_eq!(status_of(&after, &c.leaf), "revoked");
    assert_eq!(field(&after, "Reason:"), "keyCompromise");
    assert_eq!(
        field(&after, "Revocation Time:"),
        field(&before, "Revocation Time:")
    );
    assert_eq!(
        field(&after, "Responder Id:"),
        field(&before, "Responder Id:")
    );
    sim.stop().await;
}

#[tokio::test]
async fn acme_revoke_cert_shows_in_ocsp_and_crl() {
    use instant_acme::{RevocationReason, RevocationRequest};
    let sim = Sim::start(acme::always_valid).await;
    let (_tmp, dir) = tempdir();
    let (account, _) = acme::account(&sim).await;
    let (_, _, pem) = acme::issue(&account, &["ocsp-acme.example.com"]).await;
    let chain = ders(&pem);
    let root = acme::root_pem(&sim).await;
    let serial = shared::crypto::parse_certificate(&chain[0])
        .unwrap()
        .serial_hex;
    let pem = |der: &[u8]| shared::crypto::pem_encode("CERTIFICATE", der);
    let c = Issued::write(
        &dir,
        "acme",
        serial,
        [&pem(&chain[0]), &pem(&chain[1]), &root],
    );
    let (_, text) = openssl(&["x509", "-in", &c.leaf, "-noout", "-text"]).await;
    assert!(
        text.contains(&format!("OCSP - URI:{}/ocsp/acme", sim.url)),
        "{text}"
    );
    let text = ocsp(&c, &[]).await;
    assert_eq!(status_of(&text, &c.leaf), "good", "{text}");

    account
        .revoke(&RevocationRequest {
            certificate: &rustls::pki_types::CertificateDer::from(chain[0].clone()),
            reason: Some(RevocationReason::KeyCompromise),
        })
        .await
        .unwrap();
    assert_revoked(&sim, &c, Some("keyCompromise")).await;
    sim.stop().await;
}
