//! DigiCert CertCentral dialect, driven by a client written from DigiCert's documented shapes
//! (raw JSON, `X-DC-DEVKEY`).

use crate::common;

use common::digicert::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn instant_skip_approval_issues_in_the_201_and_chain_verifies() {
    let sim = Sim::start(|_| {}).await;
    let dc = Dc::new(&sim);
    for product in [
        "ssl_basic",
        "ssl_securesite_flex",
        "ssl_ev_basic",
        "ssl_ev_securesite_flex",
    ] {
        let cn = format!("{product}.example.com").replace('_', "-");
        let (s, v, key) = dc.order(product, &cn, 100001, true).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["requests"][0]["status"], "approved");
        let chain = v["certificate_chain"].as_array().unwrap();
        assert_eq!(chain.len(), 3);
        let leaf = ders(chain[0]["pem"].as_str().unwrap()).remove(0);
        let inter = ders(chain[1]["pem"].as_str().unwrap());
        verify_chain(
            &leaf,
            &inter,
            &sim.root_pem("digicert"),
            &key,
            &format!("www.{cn}"),
        );
        assert_eq!(
            chain[2]["subject_common_name"],
            "ca-sim DigiCert Global Root G2"
        );
        let cert_id = v["certificate_id"].as_u64().unwrap();
        // Downloads: pem_all is leaf + intermediate + root in one file.
        let (s, pem_all) = dc.download(cert_id, "pem_all").await;
        assert_eq!(s, 200);
        let all = ders(&pem_all);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0], leaf);
        let (_, noroot) = dc.download(cert_id, "pem_noroot").await;
        assert_eq!(ders(&noroot).len(), 2);
        let (_, leaf_only) = dc.download(cert_id, "pem_nointermediate").await;
        assert_eq!(ders(&leaf_only), vec![leaf.clone()]);
        let (s, p7) = dc.download(cert_id, "p7b").await;
        assert_eq!(s, 200);
        assert!(p7.starts_with("-----BEGIN PKCS7-----"));
        let (s, ch) = dc.get(&format!("certificate/{cert_id}/chain")).await;
        assert_eq!(s, 200);
        assert_eq!(ch["intermediates"].as_array().unwrap().len(), 3);
        let order_id = v["id"].as_u64().unwrap();
        let (s, o) = dc.detail(order_id).await;
        assert_eq!(s, 200);
        assert_eq!(o["status"], "issued");
        assert_eq!(o["certificate"]["id"], cert_id);
        assert_eq!(o["product"]["name_id"], product);
        let (s, by_order) = dc
            .send(
                reqwest::Method::GET,
                &format!("certificate/download/order/{order_id}/format/pem_all"),
                None,
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(ders(&by_order)[0], leaf);
    }
    sim.stop().await;
}

#[tokio::test]
async fn fixed_profile_polls_pending_then_issued_by_the_worker() {
    let sim = Sim::start(timed("fixed:10s", 50.0)).await;
    let dc = Dc::new(&sim);
    let (s, v, key) = dc
        .order("ssl_basic", "poll.example.com", 100001, false)
        .await;
    assert_eq!(s, 201);
    assert_eq!(v["requests"][0]["status"], "pending");
    assert!(v.get("certificate_id").is_none());
    let id = v["id"].as_u64().unwrap();
    let (_, first) = dc.detail(format!("{id}?include_caa_status=true")).await;
    assert_eq!(first["status"], "pending");
    assert!(first["certificate"].get("id").is_none());
    assert!(first["caa_status_message"].is_object());
    let issued = dc.poll_until(id, "issued").await;
    let cert_id = issued["certificate"]["id"].as_u64().unwrap();
    let (_, pem) = dc.download(cert_id, "pem_all").await;
    let all = ders(&pem);
    verify_chain(
        &all[0],
        &all[1..2],
        &sim.root_pem("digicert"),
        &key,
        "poll.example.com",
    );
    sim.stop().await;
}

#[tokio::test]
async fn unvalidated_org_stays_pending_until_admin_approves() {
    let sim = Sim::start(|_| {}).await;
    let dc = Dc::new(&sim);
    let (s, v, _) = dc
        .order("ssl_basic", "unval.example.com", 100002, true)
        .await;
    assert_eq!(s, 201);
    assert!(v.get("certificate_chain").is_none());
    let id = v["id"].as_u64().unwrap();
    let (_, o) = dc.detail(id).await;
    assert_eq!(o["status"], "pending");
    let r = sim
        .admin_send(
            reqwest::Method::POST,
            &format!("orders/{id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    dc.poll_until(id, "issued").await;
    // An admin reject on another order.
    let (_, v, _) = dc
        .order("ssl_basic", "unval2.example.com", 100002, true)
        .await;
    let id = v["id"].as_u64().unwrap();
    sim.admin_send(
        reqwest::Method::POST,
        &format!("orders/{id}/reject"),
        json!({"reason": "vetting failed"}),
    )
    .await;
    let o = dc.poll_until(id, "rejected").await;
    assert_eq!(o["requests"][0]["processor_comment"], "vetting failed");
    sim.stop().await;
}

#[tokio::test]
async fn cancel_and_revoke() {
    let sim = Sim::start_profiled("stuck").await;
    let dc = Dc::new(&sim);
    let (_, v, _) = dc.order_basic("cancel.example.com").await;
    let id = v["id"].as_u64().unwrap();
    let (_, o) = dc.detail(id).await;
    assert_eq!(o["status"], "needs_approval");
    let status = format!("order/certificate/{id}/status");
    let (s, body) = dc.put(&status, json!({"status": "Canceled"})).await;
    assert_eq!(s, 400, "{body}");
    let (s, _) = dc
        .put(
            &status,
            json!({"status": "canceled", "note": "no longer needed", "send_emails": false}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, o) = dc.detail(id).await;
    assert_eq!(o["status"], "canceled");
    let (s, e) = dc.put(&status, json!({"status": "canceled"})).await;
    assert_eq!(s, 400);
    assert_eq!(error_code(&e), "invalid_order_status");

    // Revoke: approve the order through the request endpoint, then revoke with and without
    // skip_approval.
    let (id, o) = dc.order_approved("revoke.example.com").await;
    let cert_id = o["certificate"]["id"].as_u64().unwrap();
    let serial = o["certificate"]["serial_number"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, rr) = dc
        .put(
            &format!("certificate/{cert_id}/revoke"),
            json!({"comments": "key lost", "revocation_reason": "key_compromise"}),
        )
        .await;
    assert_eq!(s, 201);
    assert_eq!(rr["type"], "revoke");
    assert_eq!(rr["status"], "pending");
    let (_, o) = dc.detail(id).await;
    assert_eq!(o["status"], "issued");
    let st = sim.admin_get(&format!("cert-status/{serial}")).await;
    assert_eq!(st["status"], "good");
    assert_eq!(dc.approve_request(&rr["id"]).await, 204);
    let (_, o) = dc.detail(id).await;
    assert_eq!(o["status"], "revoked");
    let st = sim.admin_get(&format!("cert-status/{serial}")).await;
    assert_eq!(st["status"], "revoked");
    // The CRL of the issuing CA lists it.
    let crl = sim
        .get("/crl/digicert/int1.crl")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(crl_lists(&crl, &hex_decode(&serial)));
    let revoke = format!("order/certificate/{id}/revoke");
    let (s, e) = dc.put(&revoke, json!({"skip_approval": true})).await;
    assert_eq!(s, 400);
    assert_eq!(error_code(&e), "invalid_order_status");

    // skip_approval revokes at once with 204.
    let (id, _) = dc.order_approved("revoke2.example.com").await;
    let (s, _) = dc
        .put(
            &format!("order/certificate/{id}/revoke"),
            json!({"revocation_reason": "superseded", "skip_approval": true}),
        )
        .await;
    assert_eq!(s, 204);
    dc.poll_until(id, "revoked").await;
    sim.stop().await;
}

fn crl_lists(der: &[u8], serial: &[u8]) -> bool {
    use x509_parser::prelude::FromDer;
    let (_, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(der).unwrap();
    let found = crl
        .iter_revoked_certificates()
        .any(|r| r.raw_serial() == serial);
    found
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[tokio::test]
async fn error_paths() {
    let sim = Sim::start(|_| {}).await;
    let dc = Dc::new(&sim);
    // Auth.
    let bad = Dc::keyed(&sim, "nope");
    let (s, e) = bad.get("user/me").await;
    assert_eq!(s, 401);
    assert_eq!(error_code(&e), "access_denied|invalid_api_key");
    assert_eq!(sim.get("/services/v2/user/me").await.status(), 401);
    // user/me carries the account id.
    let (s, me) = dc.get("user/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["account_id"], "sim-dc-account");
    // Bad JSON.
    let (s, t) = dc
        .send(reqwest::Method::POST, "order/certificate/ssl_basic", None)
        .await;
    assert_eq!(s, 400, "{t}");
    // Flip a byte inside a CSR's signature: the CSR no longer verifies.
    let mut broken = ders_csr(&csr("a.example.com", &[]).1);
    let n = broken.len() - 3;
    broken[n] ^= 0x55;
    let broken = shared::crypto::pem_encode("CERTIFICATE REQUEST", &broken);
    let good = csr("a.example.com", &[]).1;
    let order = |body: Value| {
        (
            reqwest::Method::POST,
            "order/certificate/ssl_basic",
            Some(body),
        )
    };
    let get = |path| (reqwest::Method::GET, path, None);
    // Unknown product, route, order, certificate; missing organization, unknown
    // organization, bad CSR, validity.
    for ((method, path, body), status, code) in [
        (
            (
                reqwest::Method::POST,
                "order/certificate/ssl_nope",
                Some(json!({})),
            ),
            StatusCode::NOT_FOUND,
            "not_found|product",
        ),
        (
            get("no/such/route"),
            StatusCode::NOT_FOUND,
            "not_found|route",
        ),
        (
            get("order/certificate/5999999"),
            StatusCode::NOT_FOUND,
            "not_found|order",
        ),
        (
            get("certificate/45999999/download/format/pem_all"),
            StatusCode::NOT_FOUND,
            "not_found|certificate",
        ),
        (
            order(json!({"certificate": {"common_name": "a.example.com", "csr": good}})),
            StatusCode::BAD_REQUEST,
            "bad_request_format",
        ),
        (
            order(
                json!({"certificate": {"common_name": "a.example.com", "csr": good}, "organization": {"id": 4242}}),
            ),
            StatusCode::NOT_FOUND,
            "not_found|organization",
        ),
        (
            order(
                json!({"certificate": {"common_name": "a.example.com", "csr": "garbage"}, "organization": {"id": 100001}}),
            ),
            StatusCode::BAD_REQUEST,
            "csr_invalid_cannot_parse",
        ),
        (
            order(
                json!({"certificate": {"common_name": "a.example.com", "csr": broken}, "organization": {"id": 100001}}),
            ),
            StatusCode::BAD_REQUEST,
            "csr_invalid_cannot_parse",
        ),
        (
            order(
                json!({"certificate": {"common_name": "a.example.com", "csr": good, "cert_validity": {"days": 400}}, "organization": {"id": 100001}, "order_validity": {"days": 300}}),
            ),
            StatusCode::BAD_REQUEST,
            "cert_validity_exceeds_order_validity",
        ),
    ] {
        let (s, e) = dc.json(method, path, body).await;
        assert_eq!((s, error_code(&e).as_str()), (status, code), "{path}: {e}");
    }
    // Validity capped at 397 days.
    let (s, v) = dc.post_order(json!({"certificate": {"common_name": "cap.example.com", "csr": csr("cap.example.com", &[]).1}, "organization": {"id": 100001}, "order_validity": {"years": 3}, "skip_approval": true})).await;
    assert_eq!(s, 201);
    let leaf = ders(v["certificate_chain"][0]["pem"].as_str().unwrap()).remove(0);
    let info = shared::crypto::parse_certificate(&leaf).unwrap();
    assert_eq!(info.not_after - info.not_before, 397 * 86400);
    // Another account cannot see the order.
    sim.put_account(json!({"dialect": "digicert", "id": "other", "secret": "other-key", "organizations": [{"id": 7, "name": "O", "validated": true}]})).await;
    let other = Dc::keyed(&sim, "other-key");
    assert_eq!(other.detail(&v["id"]).await.0, 404);
    sim.stop().await;
}

fn ders_csr(pem: &str) -> Vec<u8> {
    shared::crypto::pem_blocks(pem).remove(0).1
}

#[tokio::test]
async fn rate_limits_answer_429_request_limit_exceeded() {
    let sim = Sim::start(|c| {
        c.digicert_rate_limits = vec![ca_sim::config::RateWindow {
            requests: 5,
            seconds: 60.0,
        }];
    })
    .await;
    let dc = Dc::new(&sim);
    for _ in 0..5 {
        let (s, _) = dc.get("user/me").await;
        assert_eq!(s, 200);
    }
    let (s, e) = dc.get("user/me").await;
    assert_eq!(s, 429);
    assert_eq!(error_code(&e), "request_limit_exceeded");
    sim.stop().await;
}

#[tokio::test]
async fn fault_kinds() {
    let sim = Sim::start(|_| {}).await;
    let dc = Dc::new(&sim);
    sim.set_faults(json!([
        {"name": "caa", "dialect": "digicert", "operation": "order", "common_name": "caa.*", "action": {"kind": "vendor_error", "code": "caa_check_failed|caa.example.com", "message": "CAA forbids", "status": 400}},
        {"name": "throttle", "operation": "user", "nth": 1, "action": {"kind": "rate_limit", "retry_after": 7}},
        {"name": "boom", "operation": "user", "nth": 2, "action": {"kind": "server_error", "status": 503}},
        {"name": "garbled", "operation": "user", "nth": 3, "action": {"kind": "malformed"}},
        {"name": "drop", "operation": "user", "nth": 4, "action": {"kind": "drop"}},
        {"name": "slow", "operation": "user", "nth": 5, "action": {"kind": "delay", "ms": 150}},
        {"name": "reject", "operation": "order", "common_name": "reject.*", "action": {"kind": "reject", "reason": "Vetting failed"}},
        {"name": "ca-cancel", "operation": "order", "common_name": "cacancel.*", "action": {"kind": "cancel", "reason": "Duplicate order"}},
        {"name": "wrongkey", "operation": "order", "common_name": "wrongkey.*", "action": {"kind": "wrong_key"}},
        {"name": "reorder", "operation": "order", "common_name": "order.*", "action": {"kind": "chain_wrong_order"}},
        {"name": "nointer", "operation": "download", "common_name": "nointer.*", "action": {"kind": "chain_missing_intermediate"}},
        {"name": "crlf", "operation": "order", "common_name": "crlf.*", "action": {"kind": "chain_crlf"}}
    ])).await;
    let (s, v, _) = dc.order_basic("caa.example.com").await;
    assert_eq!(
        (s, error_code(&v).as_str()),
        (StatusCode::BAD_REQUEST, "caa_check_failed|caa.example.com")
    );
    let r = dc
        .request(reqwest::Method::GET, "user/me")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
    let (s, _) = dc.get("user/me").await;
    assert_eq!(s, 503);
    let (s, t) = dc.send(reqwest::Method::GET, "user/me", None).await;
    assert_eq!(s, 200);
    assert!(serde_json::from_str::<Value>(&t).is_err());
    let dropped = dc.request(reqwest::Method::GET, "user/me").send().await;
    assert!(dropped.is_err(), "connection must be dropped");
    let start = std::time::Instant::now();
    let (s, _) = dc.get("user/me").await;
    assert_eq!(s, 200);
    assert!(start.elapsed() >= std::time::Duration::from_millis(150));
    // CA-side reject and cancel.
    let (s, v, _) = dc.order_basic("reject.example.com").await;
    assert_eq!(s, 201);
    let o = dc.poll_until(v["id"].as_u64().unwrap(), "rejected").await;
    assert_eq!(o["requests"][0]["processor_comment"], "Vetting failed");
    let (_, v, _) = dc.order_basic("cacancel.example.com").await;
    dc.poll_until(v["id"].as_u64().unwrap(), "canceled").await;
    // Wrong key.
    let (_, v, key) = dc.order_basic("wrongkey.example.com").await;
    let leaf = ders(v["certificate_chain"][0]["pem"].as_str().unwrap()).remove(0);
    assert_ne!(
        shared::crypto::parse_certificate(&leaf).unwrap().spki_der,
        key.spki_der()
    );
    // Chain shapes.
    let (_, v, _) = dc.order_basic("order.example.com").await;
    assert_eq!(
        v["certificate_chain"][0]["subject_common_name"],
        "ca-sim DigiCert Global Root G2"
    );
    let (_, v, _) = dc.order_basic("nointer.example.com").await;
    let (_, pem) = dc.download(&v["certificate_id"], "pem_all").await;
    assert_eq!(ders(&pem).len(), 2);
    let (_, v, _) = dc.order_basic("crlf.example.com").await;
    let (_, pem) = dc.download(&v["certificate_id"], "pem_all").await;
    assert!(pem.contains("\r\n"));
    // History shows what happened.
    let statuses: Vec<u64> = sim
        .history("digicert", "user")
        .await
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![429, 503, 200, 0, 200]);
    let faults = sim.admin_get("faults").await;
    assert_eq!(faults["rules"][1]["fired"], 1);
    sim.stop().await;
}

async fn probability_run(seed: u64) -> Vec<u16> {
    let sim = Sim::start(|c| c.seed = seed).await;
    sim.set_faults(json!([{"name": "flaky", "operation": "user", "probability": 0.5, "action": {"kind": "server_error"}}])).await;
    let dc = Dc::new(&sim);
    let mut out = Vec::new();
    for _ in 0..24 {
        out.push(dc.get("user/me").await.0.as_u16());
    }
    sim.stop().await;
    out
}

#[tokio::test]
async fn same_seed_same_outcomes() {
    let a = probability_run(42).await;
    let b = probability_run(42).await;
    let c = probability_run(43).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.contains(&500) && a.contains(&200));
}

#[tokio::test]
async fn orders_certificates_and_trust_survive_a_restart() {
    let (_keep, dir) = tempdir();
    let slow = timed("fixed:20s", 20.0);
    let sim = Sim::start_in(&dir, slow).await;
    let root_before = sim.root_pem("digicert");
    let dc = Dc::new(&sim);
    let (_, v, _) = dc.order_basic("persist.example.com").await;
    let pending_id = v["id"].as_u64().unwrap();
    sim.put_account(json!({"dialect": "digicert", "id": "added", "secret": "added-key", "organizations": [{"id": 9, "name": "O", "validated": true}], "profile": "instant"})).await;
    sim.stop().await;

    let sim = Sim::start_in(&dir, slow).await;
    assert_eq!(sim.root_pem("digicert"), root_before);
    let dc = Dc::new(&sim);
    // The pending order resumes on the simulated clock.
    let (_, o) = dc.detail(pending_id).await;
    assert!(o["status"] == "pending" || o["status"] == "issued", "{o}");
    let o = dc.poll_until(pending_id, "issued").await;
    assert!(o["certificate"]["serial_number"].is_string());
    // The account added through the admin API is still there.
    let added = Dc::keyed(&sim, "added-key");
    let (s, _) = added.get("user/me").await;
    assert_eq!(s, 200);
    sim.stop().await;
}

/// Faults after the act: the CA creates, cancels or approves, then the answer is lost. The
/// admin view shows the act happened exactly once; the client finds its order by what it sent.
#[tokio::test]
async fn after_phase_faults_lose_the_answer_once_the_ca_acted() {
    let sim = Sim::start(|_| {}).await;
    let dc = Dc::new(&sim);
    sim.set_faults(json!([
        {"name": "lost-create", "dialect": "digicert", "operation": "order",
         "common_name": "lost.after.test", "phase": "after",
         "action": {"kind": "server_error", "status": 502}},
        {"name": "garbled-create", "operation": "order", "common_name": "garbled.after.test",
         "phase": "after", "action": {"kind": "malformed"}},
        {"name": "late-create", "operation": "order", "common_name": "late.after.test",
         "phase": "after", "action": {"kind": "delay", "ms": 1500}},
        {"name": "refused-create", "operation": "order", "common_name": "before.after.test",
         "action": {"kind": "server_error", "status": 503}},
        {"name": "dropped-cancel", "operation": "cancel", "common_name": "cancel.after.test",
         "phase": "after", "action": {"kind": "drop"}},
        {"name": "lost-approve", "operation": "approve", "common_name": "approve.after.test",
         "phase": "after", "action": {"kind": "server_error"}}
    ]))
    .await;
    let faults = sim.admin_get("faults").await;
    assert_eq!(faults["rules"][0]["phase"], "after", "{faults}");
    assert_eq!(faults["rules"][3]["phase"], "before", "{faults}");

    // server_error after create: a 502 in DigiCert's error shape, yet the order exists, once.
    let (csr_pem, body) = basic_order_body("lost.after.test");
    let (s, v) = dc.post_order(body).await;
    assert_eq!(s, 502, "{v}");
    assert_eq!(error_code(&v), "internal_error");
    let lost = sim.only_order("lost.after.test").await;
    // The client finds it by what it sent: the order list by common name, then the CSR.
    let (s, list) = dc
        .get("order/certificate?filters[common_name]=lost.after.test")
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["page"]["total"], 1, "{list}");
    let id = list["orders"][0]["id"].as_u64().unwrap();
    assert_eq!(id.to_string(), lost["id"].as_str().unwrap());
    let (_, detail) = dc.detail(id).await;
    assert_eq!(
        pem_body(detail["certificate"]["csr"].as_str().unwrap()),
        pem_body(&csr_pem)
    );
    let entry = sim.history("digicert", "order").await.pop().unwrap();
    assert_eq!(
        (
            &entry["status"],
            &entry["fault"],
            &entry["fault_phase"],
            &entry["order_id"]
        ),
        (
            &json!(502),
            &json!("lost-create"),
            &json!("after"),
            &lost["id"]
        ),
        "{entry}"
    );

    // malformed after create: the success status with a truncated body; the order exists.
    let (_, body) = basic_order_body("garbled.after.test");
    let (s, text) = dc
        .send(
            reqwest::Method::POST,
            "order/certificate/ssl_basic",
            Some(body),
        )
        .await;
    assert_eq!(s, 201);
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    sim.only_order("garbled.after.test").await;

    // delay after create, longer than the client waits: the client times out, the order
    // exists.
    let late = dc
        .request(reqwest::Method::POST, "order/certificate/ssl_basic")
        .timeout(std::time::Duration::from_millis(300))
        .body(basic_order_body("late.after.test").1.to_string())
        .send()
        .await;
    assert!(
        late.is_err_and(|e| e.is_timeout()),
        "the answer comes too late"
    );
    sim.only_order("late.after.test").await;

    // The default phase is before: the CA refuses before acting, no order.
    let (s, _, _) = dc.order_basic("before.after.test").await;
    assert_eq!(s, 503);
    assert!(sim.orders_for("before.after.test").await.is_empty());

    // drop after cancel: the connection closes without an answer; the order is cancelled.
    let (s, v, _) = dc
        .order("ssl_basic", "cancel.after.test", 100002, false)
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_u64().unwrap();
    let dropped = dc
        .request(
            reqwest::Method::PUT,
            &format!("order/certificate/{id}/status"),
        )
        .body(json!({"status": "canceled", "note": "lost"}).to_string())
        .send()
        .await;
    assert!(
        dropped.is_err(),
        "the connection must close without an answer"
    );
    let order = sim.only_order("cancel.after.test").await;
    assert_eq!(order["status"], "canceled", "{order:#}");
    let (_, o) = dc.detail(id).await;
    assert_eq!(o["status"], "canceled");

    // server_error after approving a request: a 500, yet the order goes on to be issued.
    let (s, v, _) = dc
        .order("ssl_basic", "approve.after.test", 100002, false)
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(dc.approve_request(&v["requests"][0]["id"]).await, 500);
    dc.poll_until(v["id"].as_u64().unwrap(), "issued").await;

    let faults = sim.admin_get("faults").await;
    let fired: Vec<&Value> = faults["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["fired"])
        .collect();
    assert_eq!(fired, [1, 1, 1, 1, 1, 1], "{faults}");
    sim.stop().await;
}

/// `disable_ct` is kept on the order: the admin view and the order detail show what was sent.
#[tokio::test]
async fn disable_ct_is_kept_and_shown() {
    let sim = Sim::start(|_| {}).await;
    let dc = Dc::new(&sim);
    for (cn, sent, shown) in [
        ("ct-off.example.com", json!(true), true),
        ("ct-on.example.com", json!(false), false),
        ("ct-default.example.com", Value::Null, false),
    ] {
        let (_, mut body) = basic_order_body(cn);
        if !sent.is_null() {
            body["disable_ct"] = sent;
        }
        let (s, v) = dc.post_order(body).await;
        assert_eq!(s, 201, "{v}");
        let admin = sim.orders_for(cn).await;
        assert_eq!(admin[0]["extra"]["disable_ct"], shown, "{cn}");
        let (_, o) = dc.detail(&v["id"]).await;
        assert_eq!(o["disable_ct"], shown, "{cn}");
    }
    let (_, mut body) = basic_order_body("ct-bad.example.com");
    body["disable_ct"] = json!("yes");
    let (s, v) = dc.post_order(body).await;
    assert_eq!(
        (s, error_code(&v).as_str()),
        (StatusCode::BAD_REQUEST, "bad_request_format")
    );
    sim.stop().await;
}
