//! The dashboard's server side: the compiled-in page (types, CSP, no external URL, every test
//! hook the browser tests rely on), the admin API additions it uses (one-rule edit and
//! removal, request detail), secrets masked in the request history of every dialect, and the
//! live feed (SSE) delivering changes.

use crate::common;
use crate::common::digicert::{order_body, Dc, KEY};
use common::{globalsign, wosign};

use common::{csr, Sim, DEADLINE};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Instant;

/// A client that does not follow redirects (to see the 308).
fn raw_client(sim: &Sim) -> reqwest::Client {
    let certs = reqwest::Certificate::from_pem_bundle(sim.handle.ca_pem.as_bytes()).unwrap();
    reqwest::Client::builder()
        .tls_certs_only(certs)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(DEADLINE)
        .no_proxy()
        .build()
        .unwrap()
}

/// Every served asset: (path, content type, body).
async fn assets(sim: &Sim) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for path in [
        "/admin/ui/",
        "/admin/ui/app.js",
        "/admin/ui/app.css",
        "/admin/ui/favicon.svg",
    ] {
        let r = sim
            .client
            .get(format!("{}{path}", sim.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = |n: &str| {
            r.headers()
                .get(n)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        assert_eq!(h("cache-control"), "no-cache", "{path}");
        assert!(
            h("content-security-policy").starts_with("default-src 'self'"),
            "{path}: {}",
            h("content-security-policy")
        );
        let ty = h("content-type");
        out.push((path.to_string(), ty, r.text().await.unwrap()));
    }
    out
}

#[tokio::test]
async fn page_is_served_compiled_in_with_types_csp_and_no_external_url() {
    let sim = Sim::start(|_| {}).await;
    let raw = raw_client(&sim);
    let r = raw
        .get(format!("{}/admin/ui", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()["location"], "/admin/ui/");
    let missing = raw
        .get(format!("{}/admin/ui/nope.js", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let all = assets(&sim).await;
    let types: Vec<&str> = all.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "text/html; charset=utf-8",
            "text/javascript; charset=utf-8",
            "text/css; charset=utf-8",
            "image/svg+xml"
        ]
    );
    for (path, _, body) in &all {
        // The SVG's namespace name is an identifier, never fetched.
        let body = body.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        for external in ["http://", "https://", "//cdn", "url(", "@import"] {
            assert!(!body.contains(external), "{path} contains {external}");
        }
    }
    let html = &all[0].2;
    // No inline script or style (the CSP would refuse them): one external script, no
    // handlers in attributes.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains(r#"<script src="app.js" defer></script>"#));
    for inline in [" onclick=", " onchange=", " onsubmit=", " style=", "<style"] {
        assert!(!html.contains(inline), "index.html has {inline}");
    }
    assert!(html.contains(r#"<html lang="en">"#));
    sim.stop().await;
}

/// The hooks of /work/tools/p17/CONTRACT.md (ca-sim part), as the browser tests select them.
#[tokio::test]
async fn every_contract_hook_is_present() {
    let sim = Sim::start(|_| {}).await;
    let all = assets(&sim).await;
    let (html, js) = (&all[0].2, &all[1].2);
    for route in ["#/orders", "#/faults", "#/requests", "#/roots", "#/clock"] {
        assert!(
            html.contains(&format!("href=\"{route}\"")),
            "nav link {route}"
        );
    }
    for id in [
        "orders-dialect",
        "fault-add",
        "fault-add-btn",
        "fault-seed",
        "req-dialect",
        "clock-now",
        "clock-advance",
        "clock-advance-btn",
        "header-clock",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id}");
    }
    assert!(html.contains(r#"data-testid="live""#));
    for d in ["all", "digicert", "globalsign", "wosign", "acme"] {
        assert!(html.contains(&format!("<option value=\"{d}\">")), "{d}");
    }
    // The fault form's controls carry the FaultRule JSON names, each with a label.
    for name in [
        "name",
        "dialect",
        "operation",
        "account",
        "common_name",
        "nth",
        "every",
        "probability",
        "times",
        "phase",
        "action",
        "code",
        "message",
        "status",
        "retry_after",
        "ms",
        "reason",
    ] {
        let at = html
            .find(&format!("name=\"{name}\""))
            .unwrap_or_else(|| panic!("no control named {name}"));
        let tag_start = html[..at].rfind('<').unwrap();
        let id_at = html[tag_start..].find("id=\"").unwrap() + tag_start + 4;
        let id = &html[id_at..id_at + html[id_at..].find('"').unwrap()];
        assert!(
            html.contains(&format!("<label for=\"{id}\">")),
            "control {name} (#{id}) has no label"
        );
    }
    for kind in [
        "vendor_error",
        "rate_limit",
        "server_error",
        "delay",
        "drop",
        "malformed",
        "reject",
        "cancel",
        "chain_wrong_order",
        "chain_missing_intermediate",
        "chain_crlf",
        "wrong_key",
    ] {
        assert!(
            html.contains(&format!("<option value=\"{kind}\">")),
            "{kind}"
        );
    }
    // Rows and in-row controls are built by app.js.
    for hook in [
        r#""data-testid": "order-row""#,
        r#""data-testid": "order-state""#,
        r#""data-dialect": o.dialect"#,
        r#"btn("approve""#,
        r#"btn("reject""#,
        r#"btn("issue-now""#,
        r#""data-testid": "fault-row", "data-name": name"#,
        r#""data-testid": "fault-matched""#,
        r#""data-testid": "fault-fired""#,
        r#""data-action": "edit""#,
        r#""data-action": "remove""#,
        r#""data-testid": "request-row""#,
        r#"new EventSource("/admin/events")"#,
        r#"setLive("open""#,
    ] {
        assert!(js.contains(hook), "app.js lacks {hook}");
    }
    sim.stop().await;
}

/// The history entry of the newest request of `dialect`/`operation`, with its exchange.
async fn detail(sim: &Sim, dialect: &str, operation: &str) -> Value {
    let list = sim.history(dialect, operation).await;
    let seq = list
        .last()
        .unwrap_or_else(|| panic!("no {dialect} {operation}"))["seq"]
        .as_u64()
        .unwrap();
    let d = sim.admin_get(&format!("requests/{seq}")).await;
    assert!(d["exchange"].is_object(), "{d}");
    d
}

fn header(d: &Value, side: &str, name: &str) -> String {
    d["exchange"][format!("{side}_headers")]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| h[1].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {side} header {name} in {d}"))
}

fn assert_absent(d: &Value, secrets: &[&str]) {
    let text = d.to_string();
    for s in secrets {
        assert!(!text.contains(s), "{s} is in the history: {text}");
    }
}

#[tokio::test]
async fn request_history_masks_secrets_in_every_dialect() {
    use base64::Engine;
    let hmac = [7u8; 32];
    let hmac_b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hmac);
    let sim = Sim::start(|c| {
        c.acme.validation = ca_sim::config::AcmeValidation::AlwaysValid;
        c.acme.eab_keys.insert("kid-1".into(), hmac_b64.clone());
    })
    .await;

    // DigiCert: the API key header, an `api_key` and a private key in the body.
    let dc = Dc::new(&sim);
    let (_, csr_pem) = csr("mask.example.com", &["mask.example.com"]);
    let mut body = order_body("mask.example.com", &csr_pem, 100001, true);
    body["password"] = json!("hunter2-dc");
    body["private_key"] =
        json!("-----BEGIN PRIVATE KEY-----\nSECRETKEYDATA\n-----END PRIVATE KEY-----\n");
    let (s, v) = dc
        .json(Method::POST, "order/certificate/ssl_basic", Some(body))
        .await;
    assert_eq!(s, 201, "{v}");
    let d = detail(&sim, "digicert", "order").await;
    assert_eq!(header(&d, "request", "x-dc-devkey"), "***");
    assert_absent(
        &d,
        &[KEY, "hunter2-dc", "SECRETKEYDATA", "clients sometimes send"],
    );
    let req_body: Value =
        serde_json::from_str(d["exchange"]["request_body"].as_str().unwrap()).unwrap();
    assert_eq!(req_body["password"], "***");
    assert_eq!(req_body["certificate"]["common_name"], "mask.example.com");
    let resp_body: Value =
        serde_json::from_str(d["exchange"]["response_body"].as_str().unwrap()).unwrap();
    assert_eq!(resp_body["id"], v["id"], "the answer is recorded as sent");

    // GlobalSign: the SOAP AuthToken's password.
    let (_, gs_csr) = csr("gs-mask.example.com", &[]);
    let (s, text) = globalsign::ssl(
        &sim,
        globalsign::ov_order("gs-mask.example.com", &gs_csr, 12, "OV_SHA2"),
    )
    .await;
    assert_eq!(s, 200, "{text}");
    let d = detail(&sim, "globalsign", "order").await;
    assert_absent(&d, &["sim-gs-pass"]);
    let shown = d["exchange"]["request_body"].as_str().unwrap();
    assert!(shown.contains("<Password>***</Password>"), "{shown}");
    assert!(
        shown.contains("<UserName>PAR_SIM_API</UserName>"),
        "{shown}"
    );
    assert!(d["exchange"]["response_body"]
        .as_str()
        .unwrap()
        .contains("OrderID"));

    // WoSign: the HMAC signature header (the key itself never travels).
    let (_, ws_csr) = csr("ws-mask.example.com", &[]);
    let (s, v) = wosign::ws(&sim)
        .create(wosign::order_body("ws-mask.example.com", &ws_csr))
        .await;
    assert_eq!((s, v["code"].as_i64()), (200, Some(0)), "{v}");
    let d = detail(&sim, "wosign", "order").await;
    assert_eq!(header(&d, "request", "x-wosign-signature"), "***");
    assert_eq!(header(&d, "request", "x-wosign-accountid"), "ws-sim-001");
    assert_absent(&d, &["sim-ws-key"]);

    // ACME: newAccount with an external account binding, shown decoded, its HMAC masked.
    let eab = instant_acme::ExternalAccountKey::new("kid-1".into(), &hmac);
    let _account = instant_acme::Account::builder_with_root(&sim.handle.ca_path)
        .unwrap()
        .create(
            &instant_acme::NewAccount {
                contact: &[],
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            format!("{}/acme/directory", sim.url),
            Some(&eab),
        )
        .await
        .expect("bound account");
    let d = detail(&sim, "acme", "newAccount").await;
    let jws: Value = serde_json::from_str(d["exchange"]["request_body"].as_str().unwrap()).unwrap();
    let binding = &jws["payload"]["externalAccountBinding"];
    assert_eq!(binding["protected"]["kid"], "kid-1", "{jws}");
    assert_eq!(binding["signature"], "***", "{jws}");
    assert_eq!(jws["payload"]["termsOfServiceAgreed"], true);
    assert_absent(&d, &[&hmac_b64]);
    sim.stop().await;
}

#[tokio::test]
async fn one_rule_is_edited_or_removed_and_lists_take_a_limit() {
    let sim = Sim::start(|_| {}).await;
    sim.set_faults(json!([
        {"name": "a", "operation": "poll", "action": {"kind": "drop"}, "nth": 99},
        {"operation": "user", "action": {"kind": "rate_limit"}, "nth": 99},
        {"name": "c", "operation": "user", "action": {"kind": "server_error"}, "nth": 99}
    ]))
    .await;
    // Two `user` requests count against both user rules.
    let dc = Dc::new(&sim);
    for _ in 0..2 {
        let (s, _) = dc.get("user/me").await;
        assert_eq!(s, 200);
    }
    let edited = sim
        .admin_send(
            Method::PUT,
            "faults/rule-1",
            json!({"name": "b", "operation": "user", "action": {"kind": "rate_limit", "retry_after": 5}, "nth": 50}),
        )
        .await;
    assert_eq!(edited.status(), 200);
    let v: Value = edited.json().await.unwrap();
    let rules = v["rules"].as_array().unwrap();
    assert_eq!(
        rules
            .iter()
            .map(|r| (r["name"].as_str().unwrap(), r["matched"].as_u64().unwrap()))
            .collect::<Vec<_>>(),
        [("a", 0), ("b", 0), ("c", 2)],
        "edited in place; its counters restart, the others keep theirs"
    );
    assert_eq!(rules[1]["action"]["retry_after"], 5);
    let gone = sim
        .admin_send(Method::DELETE, "faults/a", json!(null))
        .await;
    assert_eq!(gone.status(), 200);
    let v: Value = gone.json().await.unwrap();
    assert_eq!(v["rules"].as_array().unwrap().len(), 2);
    assert_eq!(v["rules"][1]["matched"], 2);
    for (method, path, body, status) in [
        (Method::DELETE, "faults/a", json!(null), 404),
        (
            Method::PUT,
            "faults/zz",
            json!({"action": {"kind": "drop"}}),
            404,
        ),
        (
            Method::PUT,
            "faults/b",
            json!({"phase": "after", "action": {"kind": "reject"}}),
            400,
        ),
        (Method::GET, "requests/x", json!(null), 400),
        (Method::GET, "requests/999999", json!(null), 404),
    ] {
        let r = sim.admin_send(method.clone(), path, body).await;
        assert_eq!(r.status(), status, "{method} {path}");
        let e: Value = r.json().await.unwrap();
        assert!(e["error"].is_string(), "{e}");
    }

    // `limit` keeps the newest, `after` the ones past a sequence number.
    let all = sim.admin_get("requests").await["requests"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(all.len(), 2);
    let last = sim.admin_get("requests?limit=1").await["requests"].clone();
    assert_eq!(last.as_array().unwrap().len(), 1);
    assert_eq!(last[0]["seq"], all[1]["seq"]);
    let after = sim
        .admin_get(&format!("requests?after={}", all[0]["seq"]))
        .await;
    assert_eq!(after["requests"], last);
    for cn in ["l1.example.com", "l2.example.com"] {
        let (s, _, _) = dc.order("ssl_basic", cn, 100001, true).await;
        assert_eq!(s, 201);
    }
    let newest = sim.admin_get("orders?limit=1").await["orders"].clone();
    assert_eq!(newest.as_array().unwrap().len(), 1);
    assert_eq!(newest[0]["common_name"], "l2.example.com");
    sim.stop().await;
}

/// Reads the SSE stream until `want` says it saw what it waits for (deadline: DEADLINE).
async fn read_until(resp: &mut reqwest::Response, seen: &mut String, want: impl Fn(&str) -> bool) {
    let start = Instant::now();
    while !want(seen) {
        let left = DEADLINE.saturating_sub(start.elapsed());
        let chunk = tokio::time::timeout(left, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("not seen in time; stream so far:\n{seen}"))
            .unwrap()
            .unwrap_or_else(|| panic!("stream ended; so far:\n{seen}"));
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// The `data:` of every `event: KIND` message seen.
fn messages(seen: &str, kind: &str) -> Vec<Value> {
    seen.split("\n\n")
        .filter(|m| m.lines().any(|l| l == format!("event: {kind}")))
        .filter_map(|m| m.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect()
}

#[tokio::test]
async fn live_feed_delivers_orders_requests_faults_and_the_clock() {
    let sim = Sim::start_profiled("stuck").await;
    let mut resp = sim
        .client
        .get(format!("{}/admin/events", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut seen = String::new();
    read_until(&mut resp, &mut seen, |s| s.contains(": open")).await;

    let dc = Dc::new(&sim);
    let (s, v, _) = dc
        .order("ssl_basic", "live.example.com", 100001, true)
        .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].to_string();
    let is_order = |status: &'static str| {
        let id = id.clone();
        move |s: &str| {
            messages(s, "order")
                .iter()
                .any(|o| o["id"] == id && o["status"] == status)
        }
    };
    read_until(&mut resp, &mut seen, is_order("needs_approval")).await;
    read_until(&mut resp, &mut seen, |s| {
        messages(s, "request")
            .iter()
            .any(|r| r["dialect"] == "digicert" && r["operation"] == "order")
    })
    .await;

    // An admin action changes the order: the feed says so.
    let r = sim
        .admin_send(Method::POST, &format!("orders/{id}/approve"), json!({}))
        .await;
    assert_eq!(r.status(), 200);
    read_until(&mut resp, &mut seen, is_order("issued")).await;

    sim.set_faults(
        json!([{"name": "live-rule", "operation": "poll", "action": {"kind": "drop"}, "nth": 9}]),
    )
    .await;
    read_until(&mut resp, &mut seen, |s| {
        messages(s, "faults")
            .iter()
            .any(|f| f["rules"][0]["name"] == "live-rule" && f["rules"][0]["matched"] == 0)
    })
    .await;
    let (s, _) = dc.detail(&id).await;
    assert_eq!(s, 200);
    read_until(&mut resp, &mut seen, |s| {
        messages(s, "faults")
            .iter()
            .any(|f| f["rules"][0]["matched"] == 1)
    })
    .await;

    let before = sim.admin_get("clock").await["nowMs"].as_i64().unwrap();
    let r = sim
        .admin_send(Method::POST, "clock", json!({"advance": "2d"}))
        .await;
    assert_eq!(r.status(), 200);
    read_until(&mut resp, &mut seen, |s| {
        messages(s, "clock")
            .iter()
            .any(|c| c["nowMs"].as_i64().unwrap_or(0) >= before + 2 * 86_400_000)
    })
    .await;
    // The stream ends with the server (no waiting out the shutdown grace).
    let stop = Instant::now();
    sim.stop().await;
    assert!(stop.elapsed() < std::time::Duration::from_secs(5));
}
