//! WoSign dialect: a client that signs every request per the documented HMAC recipe.

use crate::common;

use aws_lc_rs::{digest, hmac};
use common::*;
use serde_json::{json, Value};

pub(crate) struct Ws<'a> {
    sim: &'a Sim,
    account: &'a str,
    key: &'a str,
    skew: i64,
}

impl Ws<'_> {
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let r = self.send(method, path, body).await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// A signed request as sent (a dropped connection is an `Err`).
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Result<reqwest::Response> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let ts = (time::OffsetDateTime::now_utc().unix_timestamp() + self.skew).to_string();
        let body_hash = hex::encode(digest::digest(&digest::SHA256, body.as_bytes()));
        let key = hmac::Key::new(hmac::HMAC_SHA256, self.key.as_bytes());
        let sig = hex::encode(hmac::sign(
            &key,
            format!(
                "{}{}{}{}",
                method.as_str(),
                path.split('?').next().unwrap(),
                ts,
                body_hash
            )
            .as_bytes(),
        ));
        self.sim
            .client
            .request(method, format!("{}{path}", self.sim.url))
            .header("X-WoSign-AccountId", self.account)
            .header("X-WoSign-Timestamp", ts)
            .header("X-WoSign-Signature", sig)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
    }
}

pub(crate) fn ws(sim: &Sim) -> Ws<'_> {
    Ws {
        sim,
        account: "ws-sim-001",
        key: "sim-ws-key",
        skew: 0,
    }
}

pub(crate) fn order_body(cn: &str, csr: &str) -> Value {
    json!({"csr": csr, "commonName": cn, "subjectAltNames": [format!("www.{cn}")], "validityYears": 1,
           "contact": {"name": "Li Lei", "email": "li@example.cn", "phone": "+86 10 5555 0100"}})
}

#[tokio::test]
async fn order_poll_download_cancel_revoke_and_distrust() {
    let sim = Sim::start(|c| {
        c.time_scale = 50.0;
        for a in &mut c.accounts {
            a.profile = Some("fixed:5s".into());
        }
    })
    .await;
    let w = ws(&sim);
    let (key, csr) = csr("ws.example.cn", &[]);
    let (s, v) = w
        .call(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order_body("ws.example.cn", &csr)),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["certType"], "OV");
    assert_eq!(v["data"]["status"], "PENDING_VALIDATION");
    let no = v["data"]["orderNo"].as_str().unwrap().to_string();
    assert!(no.starts_with("WS"));
    let (_, early) = w
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/orders/{no}/certificate?format=pem"),
            None,
        )
        .await;
    assert_ne!(early["code"], 0);
    let d = eventually("ISSUED", || async {
        let (_, v) = w
            .call(reqwest::Method::GET, &format!("/api/v1/orders/{no}"), None)
            .await;
        (v["data"]["status"] == "ISSUED").then_some(v["data"].clone())
    })
    .await;
    assert_eq!(d["distrusted"], true);
    let (_, c) = w
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/orders/{no}/certificate?format=pem"),
            None,
        )
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
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{no}/revoke"),
            Some(json!({"reason": "keyCompromise"})),
        )
        .await;
    assert_eq!(r["code"], 0);
    let (_, v) = w
        .call(reqwest::Method::GET, &format!("/api/v1/orders/{no}"), None)
        .await;
    assert_eq!(v["data"]["status"], "REVOKED");
    let (s, r) = w
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{no}/cancel"),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(r["code"], 4009);
    // Cancel a pending order.
    let (_, csr2) = common::csr("ws2.example.cn", &[]);
    let (_, v) = w
        .call(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order_body("ws2.example.cn", &csr2)),
        )
        .await;
    let no2 = v["data"]["orderNo"].as_str().unwrap().to_string();
    let (_, r) = w
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{no2}/cancel"),
            Some(json!({"reason": "not needed"})),
        )
        .await;
    assert_eq!(r["code"], 0);
    let (_, v) = w
        .call(reqwest::Method::GET, &format!("/api/v1/orders/{no2}"), None)
        .await;
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
    let (s, v) = bad
        .call(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order_body("err.example.cn", &csr)),
        )
        .await;
    assert_eq!((s, v["code"].as_i64()), (200, Some(1001)));
    let stale = Ws {
        skew: -3600,
        ..ws(&sim)
    };
    let (_, v) = stale
        .call(reqwest::Method::GET, "/api/v1/orders/WS1", None)
        .await;
    assert_eq!(v["code"], 1001);
    let unknown = Ws {
        account: "nobody",
        ..ws(&sim)
    };
    let (_, v) = unknown
        .call(reqwest::Method::GET, "/api/v1/orders/WS1", None)
        .await;
    assert_eq!(v["code"], 1002);
    let (_, v) = ws(&sim)
        .call(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order_body("err.example.cn", "junk")),
        )
        .await;
    assert_eq!(v["code"], 2001);
    let (_, v) = ws(&sim)
        .call(reqwest::Method::GET, "/api/v1/orders/WS404", None)
        .await;
    assert_eq!(v["code"], 4004);
    sim.set_faults(json!([
        {"name": "balance", "dialect": "wosign", "operation": "order", "nth": 1, "action": {"kind": "vendor_error", "code": "3001", "message": "insufficient balance"}},
        {"name": "busy", "dialect": "wosign", "operation": "order", "nth": 2, "action": {"kind": "vendor_error"}},
        {"name": "reject", "dialect": "wosign", "operation": "order", "nth": 3, "action": {"kind": "reject", "reason": "domain not validated"}}
    ])).await;
    let (_, v) = ws(&sim)
        .call(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order_body("err.example.cn", &csr)),
        )
        .await;
    assert_eq!(v["code"], 3001);
    let (_, v) = ws(&sim)
        .call(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order_body("err.example.cn", &csr)),
        )
        .await;
    assert_eq!(v["code"], 9999);
    let (_, v) = ws(&sim)
        .call(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order_body("err.example.cn", &csr)),
        )
        .await;
    let no = v["data"]["orderNo"].as_str().unwrap().to_string();
    let (_, v) = ws(&sim)
        .call(reqwest::Method::GET, &format!("/api/v1/orders/{no}"), None)
        .await;
    assert_eq!(v["data"]["status"], "REJECTED");
    assert_eq!(v["data"]["rejectReason"], "domain not validated");
    // EV by account; instant means ISSUED on the first poll.
    let ev = Ws {
        account: "ws-ev",
        key: "ev-key",
        ..ws(&sim)
    };
    let (_, v) = ev
        .call(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order_body("ev.example.cn", &csr)),
        )
        .await;
    assert_eq!(v["data"]["certType"], "EV");
    let no = v["data"]["orderNo"].as_str().unwrap().to_string();
    let (_, v) = ev
        .call(reqwest::Method::GET, &format!("/api/v1/orders/{no}"), None)
        .await;
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
    let (s, v) = w
        .call(reqwest::Method::POST, "/api/v1/orders", Some(body))
        .await;
    assert_eq!((s, v["code"].as_i64()), (200, Some(0)), "{v}");
    let order_no = v["data"]["orderNo"].as_str().unwrap().to_string();
    // An order without a clientOrderId is never listed.
    let (_, csr2) = csr("plain.example.cn", &[]);
    let (_, v) = w
        .call(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order_body("plain.example.cn", &csr2)),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");

    // The query is form-encoded; the signature covers the path without it.
    let encoded = "vault%20op%2F1%2B2%20%C3%A9";
    let path = format!("/api/v1/orders?clientOrderId={encoded}");
    let (s, v) = w.call(reqwest::Method::GET, &path, None).await;
    assert_eq!((s, v["code"].as_i64()), (200, Some(0)), "{v}");
    let orders = v["data"]["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{v}");
    assert_eq!(orders[0]["orderNo"], order_no.as_str());
    assert_eq!(orders[0]["clientOrderId"], client_id);
    assert_eq!(orders[0]["commonName"], "find.example.cn");
    assert!(orders[0]["status"].is_string());
    // The same order as GET /orders/{orderNo} shows it.
    let (_, one) = w
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/orders/{order_no}"),
            None,
        )
        .await;
    assert_eq!(one["data"]["clientOrderId"], client_id);
    assert_eq!(one["data"]["orderNo"], orders[0]["orderNo"]);

    // Unknown id: an empty list.
    let (_, v) = w
        .call(
            reqwest::Method::GET,
            "/api/v1/orders?clientOrderId=nope",
            None,
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["orders"], json!([]));
    // Another account does not see ours.
    let r = sim
        .admin_send(
            reqwest::Method::PUT,
            "accounts",
            json!({"dialect": "wosign", "id": "ws-other", "secret": "other-key", "profile": "instant"}),
        )
        .await;
    assert!(r.status().is_success());
    let other = Ws {
        sim: &sim,
        account: "ws-other",
        key: "other-key",
        skew: 0,
    };
    let (_, v) = other.call(reqwest::Method::GET, &path, None).await;
    assert_eq!(v["data"]["orders"], json!([]), "{v}");
    // Signed like every call: a wrong key is 1001.
    let bad = Ws {
        key: "wrong",
        ..ws(&sim)
    };
    let (_, v) = bad.call(reqwest::Method::GET, &path, None).await;
    assert_eq!(v["code"], 1001, "{v}");
    // Missing parameter, or a clientOrderId that is not a short string: 2003.
    let (_, v) = w.call(reqwest::Method::GET, "/api/v1/orders", None).await;
    assert_eq!(v["code"], 2003, "{v}");
    for bad_id in [json!(42), json!(""), json!("x".repeat(129))] {
        let mut body = order_body("bad.example.cn", &csr2);
        body["clientOrderId"] = bad_id.clone();
        let (_, v) = w
            .call(reqwest::Method::POST, "/api/v1/orders", Some(body))
            .await;
        assert_eq!(v["code"], 2003, "{bad_id}: {v}");
    }
    // Lookups can be faulted on their own (operation "lookup").
    sim.set_faults(
        json!([{"dialect": "wosign", "operation": "lookup", "nth": 1,
                            "action": {"kind": "vendor_error", "code": "9999"}}]),
    )
    .await;
    let (_, v) = w.call(reqwest::Method::GET, &path, None).await;
    assert_eq!(v["code"], 9999, "{v}");
    let (_, v) = w.call(reqwest::Method::GET, &path, None).await;
    assert_eq!(v["code"], 0, "{v}");
    sim.stop().await;
}

/// Faults after the act: WoSign creates or cancels, then the answer is lost. The client's
/// `clientOrderId` finds the order; the admin view shows it once.
#[tokio::test]
async fn after_phase_faults_lose_the_answer_once_the_ca_acted() {
    // Orders stay open (an hour of simulated time) so that they can be cancelled.
    let sim = Sim::start(|c| {
        for a in &mut c.accounts {
            a.profile = Some("fixed:1h".into());
        }
    })
    .await;
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

    // server_error after create: a 502, yet the order exists, once, under our clientOrderId.
    let r = w
        .send(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order("lost.ws.test", "op-lost")),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let orders = sim.orders_for("lost.ws.test").await;
    assert_eq!(
        orders.len(),
        1,
        "exactly one order although the client got a 5xx"
    );
    let (_, v) = w
        .call(
            reqwest::Method::GET,
            "/api/v1/orders?clientOrderId=op-lost",
            None,
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let found = v["data"]["orders"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{v}");
    assert_eq!(found[0]["orderNo"], orders[0]["id"]);
    let entry = sim.history("wosign", "order").await.remove(0);
    assert_eq!(entry["fault_phase"], "after", "{entry}");

    // malformed after create: 200 with a truncated body; the order exists.
    let r = w
        .send(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order("garbled.ws.test", "op-garbled")),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(sim.orders_for("garbled.ws.test").await.len(), 1);

    // The default phase is before: refused before the act, no order.
    let r = w
        .send(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order("before.ws.test", "op-before")),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert!(sim.orders_for("before.ws.test").await.is_empty());
    let (_, v) = w
        .call(
            reqwest::Method::GET,
            "/api/v1/orders?clientOrderId=op-before",
            None,
        )
        .await;
    assert_eq!(v["data"]["orders"], json!([]), "{v}");

    // drop after cancel: no answer, the order is cancelled.
    let (_, v) = w
        .call(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(order("cancel.ws.test", "op-cancel")),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let no = v["data"]["orderNo"].as_str().unwrap().to_string();
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
    let orders = sim.orders_for("cancel.ws.test").await;
    assert_eq!(orders[0]["status"], "canceled", "{:#}", orders[0]);
    let (_, v) = w
        .call(reqwest::Method::GET, &format!("/api/v1/orders/{no}"), None)
        .await;
    assert_eq!(v["data"]["status"], "CANCELLED", "{v}");
    sim.stop().await;
}
