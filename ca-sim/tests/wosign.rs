//! WoSign dialect: a client that signs every request per the documented HMAC recipe.

use crate::common;

use common::wosign::*;
use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn order_poll_download_cancel_revoke_and_distrust() {
    let sim = Sim::start(timed("fixed:5s", 50.0)).await;
    let w = ws(&sim);
    let (key, csr) = csr("ws.example.cn", &[]);
    let (s, v) = w.create(order_body("ws.example.cn", &csr)).await;
    assert_eq!(s, 200);
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["certType"], "OV");
    assert_eq!(v["data"]["status"], "PENDING_VALIDATION");
    let no = order_no(&v);
    assert!(no.starts_with("WS"));
    let (_, early) = w
        .get(&format!("/api/v1/orders/{no}/certificate?format=pem"))
        .await;
    assert_ne!(early["code"], 0);
    let d = eventually("ISSUED", || async {
        let v = w.detail(&no).await;
        (v["data"]["status"] == "ISSUED").then_some(v["data"].clone())
    })
    .await;
    assert_eq!(d["distrusted"], true);
    let (_, c) = w
        .get(&format!("/api/v1/orders/{no}/certificate?format=pem"))
        .await;
    assert_eq!(c["code"], 0);
    let leaf = ders(c["data"]["certificate"].as_str().unwrap()).remove(0);
    let chain: Vec<Vec<u8>> = c["data"]["chain"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| ders(p.as_str().unwrap()))
        .collect();
    assert_eq!(chain.len(), 2);
    verify_chain(
        &leaf,
        &chain[..1],
        &sim.root_pem("wosign"),
        &key,
        "www.ws.example.cn",
    );
    let roots = sim.admin_get("roots").await;
    assert_eq!(
        roots["wosign"]["distrusted"]["notBeforeAfter"],
        "2016-10-21T00:00:00Z"
    );
    let admin = sim.admin_get(&format!("orders/{no}")).await;
    assert_eq!(admin["distrusted"], true);
    // Revoke, and cancel after revoke is refused (code in a 200).
    let (_, r) = w
        .post(
            &format!("/api/v1/orders/{no}/revoke"),
            json!({"reason": "keyCompromise"}),
        )
        .await;
    assert_eq!(r["code"], 0);
    let v = w.detail(&no).await;
    assert_eq!(v["data"]["status"], "REVOKED");
    let (s, r) = w
        .post(
            &format!("/api/v1/orders/{no}/cancel"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(r["code"], 4009);
    // Cancel a pending order.
    let (_, csr2) = common::csr("ws2.example.cn", &[]);
    let (_, v) = w.create(order_body("ws2.example.cn", &csr2)).await;
    let no2 = order_no(&v);
    let (_, r) = w
        .post(
            &format!("/api/v1/orders/{no2}/cancel"),
            json!({"reason": "not needed"}),
        )
        .await;
    assert_eq!(r["code"], 0);
    let v = w.detail(&no2).await;
    assert_eq!(v["data"]["status"], "CANCELLED");
    sim.stop().await;
}

#[tokio::test]
async fn errors_are_codes_in_a_200_and_ev_comes_from_the_account() {
    let sim = Sim::start(|c| {
        c.accounts.push(ca_sim::config::Account {
            dialect: ca_sim::Dialect::Wosign,
            id: "ws-ev".into(),
            secret: "ev-key".into(),
            organizations: vec![],
            cert_type: Some("EV".into()),
            profile: Some("instant".into()),
            product_profiles: Default::default(),
            disabled: false,
        });
    })
    .await;
    let (_, csr) = csr("err.example.cn", &[]);
    let bad = Ws {
        key: "wrong",
        ..ws(&sim)
    };
    let (s, v) = bad.create(order_body("err.example.cn", &csr)).await;
    assert_eq!((s, v["code"].as_i64()), (200, Some(1001)));
    let stale = Ws {
        skew: -3600,
        ..ws(&sim)
    };
    let (_, v) = stale.get("/api/v1/orders/WS1").await;
    assert_eq!(v["code"], 1001);
    let unknown = Ws {
        account: "nobody",
        ..ws(&sim)
    };
    let (_, v) = unknown.get("/api/v1/orders/WS1").await;
    assert_eq!(v["code"], 1002);
    let (_, v) = ws(&sim).create(order_body("err.example.cn", "junk")).await;
    assert_eq!(v["code"], 2001);
    let (_, v) = ws(&sim).get("/api/v1/orders/WS404").await;
    assert_eq!(v["code"], 4004);
    sim.set_faults(json!([
        {"name": "balance", "dialect": "wosign", "operation": "order", "nth": 1, "action": {"kind": "vendor_error", "code": "3001", "message": "insufficient balance"}},
        {"name": "busy", "dialect": "wosign", "operation": "order", "nth": 2, "action": {"kind": "vendor_error"}},
        {"name": "reject", "dialect": "wosign", "operation": "order", "nth": 3, "action": {"kind": "reject", "reason": "domain not validated"}}
    ])).await;
    // vendor_error with its code, then the default code, then a CA-side rejection.
    for code in [3001, 9999, 0] {
        let (_, v) = ws(&sim).create(order_body("err.example.cn", &csr)).await;
        assert_eq!(v["code"], code, "{v}");
        if code == 0 {
            let v = ws(&sim).detail(&order_no(&v)).await;
            assert_eq!(v["data"]["status"], "REJECTED");
            assert_eq!(v["data"]["rejectReason"], "domain not validated");
        }
    }
    // EV by account; instant means ISSUED on the first poll.
    let ev = Ws {
        account: "ws-ev",
        key: "ev-key",
        ..ws(&sim)
    };
    let (_, v) = ev.create(order_body("ev.example.cn", &csr)).await;
    assert_eq!(v["data"]["certType"], "EV");
    let no = order_no(&v);
    let v = ev.detail(&no).await;
    assert_eq!(v["data"]["status"], "ISSUED");
    sim.stop().await;
}

#[tokio::test]
async fn client_order_id_finds_orders() {
    let sim = Sim::start(|_| {}).await;
    let w = ws(&sim);
    let (_, csr1) = csr("find.example.cn", &[]);
    let client_id = "vault op/1+2 é";
    let mut body = order_body("find.example.cn", &csr1);
    body["clientOrderId"] = json!(client_id);
    let (s, v) = w.create(body).await;
    assert_eq!((s, v["code"].as_i64()), (200, Some(0)), "{v}");
    let order_no = order_no(&v);
    // An order without a clientOrderId is never listed.
    let (_, csr2) = csr("plain.example.cn", &[]);
    let (_, v) = w.create(order_body("plain.example.cn", &csr2)).await;
    assert_eq!(v["code"], 0, "{v}");

    // The query is form-encoded; the signature covers the path without it.
    let encoded = "vault%20op%2F1%2B2%20%C3%A9";
    let path = format!("/api/v1/orders?clientOrderId={encoded}");
    let (s, v) = w.get(&path).await;
    assert_eq!((s, v["code"].as_i64()), (200, Some(0)), "{v}");
    let orders = v["data"]["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{v}");
    assert_eq!(orders[0]["orderNo"], order_no.as_str());
    assert_eq!(orders[0]["clientOrderId"], client_id);
    assert_eq!(orders[0]["commonName"], "find.example.cn");
    assert!(orders[0]["status"].is_string());
    // The same order as GET /orders/{orderNo} shows it.
    let one = w.detail(&order_no).await;
    assert_eq!(one["data"]["clientOrderId"], client_id);
    assert_eq!(one["data"]["orderNo"], orders[0]["orderNo"]);

    // Unknown id: an empty list.
    let (_, v) = w.get("/api/v1/orders?clientOrderId=nope").await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["orders"], json!([]));
    // Another account does not see ours.
    sim.put_account(
        json!({"dialect": "wosign", "id": "ws-other", "secret": "other-key", "profile": "instant"}),
    )
    .await;
    let other = Ws {
        sim: &sim,
        account: "ws-other",
        key: "other-key",
        skew: 0,
    };
    let (_, v) = other.get(&path).await;
    assert_eq!(v["data"]["orders"], json!([]), "{v}");
    // Signed like every call: a wrong key is 1001.
    let bad = Ws {
        key: "wrong",
        ..ws(&sim)
    };
    let (_, v) = bad.get(&path).await;
    assert_eq!(v["code"], 1001, "{v}");
    // Missing parameter, or a clientOrderId that is not a short string: 2003.
    let (_, v) = w.get("/api/v1/orders").await;
    assert_eq!(v["code"], 2003, "{v}");
    for bad_id in [json!(42), json!(""), json!("x".repeat(129))] {
        let mut body = order_body("bad.example.cn", &csr2);
        body["clientOrderId"] = bad_id.clone();
        let (_, v) = w.create(body).await;
        assert_eq!(v["code"], 2003, "{bad_id}: {v}");
    }
    // Lookups can be faulted on their own (operation "lookup").
    sim.set_faults(
        json!([{"dialect": "wosign", "operation": "lookup", "nth": 1,
                            "action": {"kind": "vendor_error", "code": "9999"}}]),
    )
    .await;
    let (_, v) = w.get(&path).await;
    assert_eq!(v["code"], 9999, "{v}");
    let (_, v) = w.get(&path).await;
    assert_eq!(v["code"], 0, "{v}");
    sim.stop().await;
}

/// Faults after the act: WoSign creates or cancels, then the answer is lost. The client's
/// `clientOrderId` finds the order; the admin view shows it once.
#[tokio::test]
async fn after_phase_faults_lose_the_answer_once_the_ca_acted() {
    // Orders stay open (an hour of simulated time) so that they can be cancelled.
    let sim = Sim::start_profiled("fixed:1h").await;
    let w = ws(&sim);
    sim.set_faults(json!([
        {"name": "lost-create", "dialect": "wosign", "operation": "order",
         "common_name": "lost.ws.test", "phase": "after",
         "action": {"kind": "server_error", "status": 502}},
        {"name": "garbled-create", "operation": "order", "common_name": "garbled.ws.test",
         "phase": "after", "action": {"kind": "malformed"}},
        {"name": "refused-create", "operation": "order", "common_name": "before.ws.test",
         "action": {"kind": "server_error"}},
        {"name": "dropped-cancel", "operation": "cancel", "common_name": "cancel.ws.test",
         "phase": "after", "action": {"kind": "drop"}}
    ]))
    .await;
    let order = |cn: &str, client_id: &str| {
        let mut body = order_body(cn, &csr(cn, &[]).1);
        body["clientOrderId"] = json!(client_id);
        body
    };

    let create_raw = |body| w.send(reqwest::Method::POST, "/api/v1/orders", Some(body));

    // server_error after create: a 502, yet the order exists, once, under our clientOrderId.
    let r = create_raw(order("lost.ws.test", "op-lost")).await.unwrap();
    assert_eq!(r.status(), 502);
    let lost = sim.only_order("lost.ws.test").await;
    let (_, v) = w.get("/api/v1/orders?clientOrderId=op-lost").await;
    assert_eq!(v["code"], 0, "{v}");
    let found = v["data"]["orders"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{v}");
    assert_eq!(found[0]["orderNo"], lost["id"]);
    let entry = sim.history("wosign", "order").await.remove(0);
    assert_eq!(entry["fault_phase"], "after", "{entry}");

    // malformed after create: 200 with a truncated body; the order exists.
    let r = create_raw(order("garbled.ws.test", "op-garbled"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    sim.only_order("garbled.ws.test").await;

    // The default phase is before: refused before the act, no order.
    let r = create_raw(order("before.ws.test", "op-before"))
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert!(sim.orders_for("before.ws.test").await.is_empty());
    let (_, v) = w.get("/api/v1/orders?clientOrderId=op-before").await;
    assert_eq!(v["data"]["orders"], json!([]), "{v}");

    // drop after cancel: no answer, the order is cancelled.
    let (_, v) = w.create(order("cancel.ws.test", "op-cancel")).await;
    assert_eq!(v["code"], 0, "{v}");
    let no = order_no(&v);
    let dropped = w
        .send(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{no}/cancel"),
            Some(json!({"reason": "lost"})),
        )
        .await;
    assert!(
        dropped.is_err(),
        "the connection must close without an answer"
    );
    let order = sim.only_order("cancel.ws.test").await;
    assert_eq!(order["status"], "canceled", "{order:#}");
    let v = w.detail(&no).await;
    assert_eq!(v["data"]["status"], "CANCELLED", "{v}");
    sim.stop().await;
}
