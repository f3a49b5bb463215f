//! DigiCert's ways to find an order after the fact, as the vendor offers them: the order list
//! (`GET order/certificate`, filtered and paged) and `status-changes`; both read dates on the
//! CA's own clock.

use crate::common;

use common::digicert::*;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The order ids listed by a raw `status-changes` query string.
async fn changed(dc: &Dc<'_>, query: &str) -> (StatusCode, Value) {
    dc.get(&format!("order/certificate/status-changes?{query}"))
        .await
}

#[tokio::test]
async fn status_changes_lists_orders_created_or_changed_in_the_window() {
    let sim = Sim::start(|_| {}).await;
    let dc = Dc::new(&sim);
    // Another account with its own order: never listed for ours.
    sim.put_account(
        json!({"dialect": "digicert", "id": "other-acct", "secret": "other-key", "profile": "instant",
               "organizations": [{"id": 300001, "name": "Other Inc", "validated": true}]}),
    )
    .await;
    let other = Dc::keyed(&sim, "other-key");
    let (s, v, _) = other
        .order("ssl_basic", "other.example.com", 300001, true)
        .await;
    assert_eq!(s, 201, "{v}");
    let other_id = v["id"].as_u64().unwrap();

    // Ours: one issued, one pending (unvalidated organization).
    let (key, csr_pem) = csr("sc.example.com", &[]);
    let (s, v) = dc
        .json(
            reqwest::Method::POST,
            "order/certificate/ssl_basic",
            Some(json!({
                "certificate": {"common_name": "sc.example.com", "csr": csr_pem, "signature_hash": "sha256"},
                "organization": {"id": 100001}, "order_validity": {"years": 1}, "skip_approval": true})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let issued = v["id"].as_u64().unwrap();
    let (s, v, _) = dc
        .order("ssl_basic", "pending.example.com", 100002, false)
        .await;
    assert_eq!(s, 201, "{v}");
    let pending = v["id"].as_u64().unwrap();
    let pending_request = v["requests"][0]["id"].as_u64().unwrap();
    let issued_detail = dc.poll_until(issued, "issued").await;
    // The order detail returns the submitted CSR (vault matches orders by it).
    let csr_back = issued_detail["certificate"]["csr"].as_str().unwrap();
    assert!(csr_back.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    assert_eq!(pem_body(csr_back), pem_body(&csr_pem));
    let _ = key;

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (from, to) = (mdt(now - 3600), mdt(now + 3600));
    let filter = "filters%5Bstatus_last_updated%5D";
    // The space written as '+', as '%20', and the brackets left raw; ISO 8601 with T/Z too.
    for query in [
        format!(
            "{filter}={}...{}",
            from.replace(' ', "+"),
            to.replace(' ', "+")
        ),
        format!(
            "{filter}={}...{}",
            from.replace(' ', "%20"),
            to.replace(' ', "%20")
        ),
        format!(
            "filters[status_last_updated]={}...{}",
            from.replace(' ', "+"),
            to.replace(' ', "+")
        ),
        format!("{filter}={}...{}", iso_utc(now - 3600), iso_utc(now + 3600)),
        "minutes=10".to_string(),
        "minutes=1&seconds=30".to_string(),
    ] {
        let (s, v) = changed(&dc, &query).await;
        assert_eq!(s, 200, "{query}: {v}");
        let listed = ids(&v, "order_id");
        assert_eq!(
            listed,
            [pending, issued],
            "{query}: newest first, ours only"
        );
        let by_id = |id: u64| {
            v["orders"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["order_id"] == id)
                .unwrap()
                .clone()
        };
        assert_eq!(by_id(issued)["status"], "issued");
        assert_eq!(
            by_id(issued)["certificate_id"],
            issued_detail["certificate"]["id"]
        );
        assert_eq!(by_id(pending)["status"], "pending");
        assert!(by_id(pending).get("certificate_id").is_none());
        assert!(!listed.contains(&other_id));
    }
    // The other account sees only its own order.
    let (_, v) = changed(&other, "minutes=10").await;
    assert_eq!(ids(&v, "order_id"), [other_id]);

    // MDT really is UTC-6: the same wall-clock digits read as UTC miss a window 6 h away.
    let (s, v) = changed(
        &dc,
        &format!(
            "{filter}={}...{}",
            mdt(now + 6 * 3600 - 600).replace(' ', "+"),
            mdt(now + 7 * 3600).replace(' ', "+")
        ),
    )
    .await;
    assert_eq!(s, 200);
    assert!(ids(&v, "order_id").is_empty(), "{v}");
    // A past window and a date-only window (yyyy-MM-dd...yyyy-MM-dd, whole days).
    let (_, v) = changed(
        &dc,
        &format!(
            "{filter}={}...{}",
            mdt(now - 3 * 86_400).replace(' ', "+"),
            mdt(now - 2 * 86_400).replace(' ', "+")
        ),
    )
    .await;
    assert!(ids(&v, "order_id").is_empty(), "{v}");
    let today = &mdt(now)[..10];
    let (s, v) = changed(&dc, &format!("{filter}={today}...{today}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v, "order_id"), [pending, issued]);

    // Exactly 7 days is allowed; wider is time_frame_too_long.
    let (s, _) = changed(
        &dc,
        &format!(
            "{filter}={}...{}",
            mdt(now - 7 * 86_400 + 60).replace(' ', "+"),
            mdt(now + 60).replace(' ', "+")
        ),
    )
    .await;
    assert_eq!(s, 200);
    for query in [
        format!(
            "{filter}={}...{}",
            mdt(now - 7 * 86_400 - 1).replace(' ', "+"),
            mdt(now).replace(' ', "+")
        ),
        "minutes=10081".to_string(),
    ] {
        let (s, v) = changed(&dc, &query).await;
        assert_eq!(s, 400, "{query}");
        assert_eq!(error_code(&v), "time_frame_too_long", "{v}");
        assert!(v["errors"][0]["message"].as_str().is_some());
    }
    for query in [
        String::new(),
        format!("{filter}=yesterday...today"),
        format!("{filter}={}", mdt(now).replace(' ', "+")),
        format!(
            "{filter}={}...{}",
            mdt(now).replace(' ', "+"),
            mdt(now - 60).replace(' ', "+")
        ),
        "minutes=ten".to_string(),
    ] {
        let (s, v) = changed(&dc, &query).await;
        assert_eq!(s, 400, "{query}: {v}");
        assert_eq!(error_code(&v), "bad_request_format", "{query}: {v}");
    }
    let (s, v) = sim
        .client
        .get(dc.url("order/certificate/status-changes?minutes=10"))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    assert_eq!(s, 401, "{:?}", v.text().await);

    // Simulated time 10 days ahead: the pending order is approved (a status change there)
    // and a new order is created. Windows are read on the CA's clock only, as DigiCert reads
    // them: one around simulated now lists those two; one around real now lists only what
    // happened then on the CA's clock (the later order is not in it).
    let r = sim
        .admin_send(reqwest::Method::POST, "clock", json!({"advance": "10d"}))
        .await;
    assert!(r.status().is_success());
    assert_eq!(dc.approve_request(pending_request).await, 204);
    let (s, v, _) = dc
        .order("ssl_basic", "later.example.com", 100001, false)
        .await;
    assert_eq!(s, 201, "{v}");
    let later = v["id"].as_u64().unwrap();
    let sim_now = now + 10 * 86_400;
    let (_, v) = changed(
        &dc,
        &format!(
            "{filter}={}...{}",
            mdt(sim_now - 3600).replace(' ', "+"),
            mdt(sim_now + 3600).replace(' ', "+")
        ),
    )
    .await;
    assert_eq!(ids(&v, "order_id"), [later, pending], "{v}");
    let (_, v) = changed(
        &dc,
        &format!("{filter}={}...{}", mdt(now - 3600), mdt(now + 3600)).replace(' ', "%20"),
    )
    .await;
    assert_eq!(ids(&v, "order_id"), [pending, issued], "{v}");
    // `minutes` counts back from the CA's now too.
    let (_, v) = changed(&dc, "minutes=10").await;
    assert_eq!(ids(&v, "order_id"), [later, pending], "{v}");
    sim.stop().await;
}

/// The `key` (`id` in the order list, `order_id` in status-changes) of every order in `v`.
fn ids(v: &Value, key: &str) -> Vec<u64> {
    v["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("no orders list: {v}"))
        .iter()
        .map(|o| o[key].as_u64().unwrap())
        .collect()
}

/// Pages `GET order/certificate?{query}` to the end as a client must: `offset` moves by what
/// each page held, until `page.total` is reached. Returns every id and the pages it took.
async fn all_pages(dc: &Dc<'_>, query: &str) -> (Vec<u64>, usize) {
    let (mut out, mut pages) = (Vec::new(), 0);
    loop {
        let (s, v) = dc
            .get(&format!("order/certificate?{query}&offset={}", out.len()))
            .await;
        assert_eq!(s, 200, "{query}: {v}");
        assert_eq!(v["page"]["offset"], out.len(), "{v}");
        let page = ids(&v, "id");
        pages += 1;
        out.extend(&page);
        if page.is_empty() || out.len() as u64 >= v["page"]["total"].as_u64().unwrap() {
            return (out, pages);
        }
    }
}

#[tokio::test]
async fn order_list_pages_to_the_end_and_reads_dates_on_the_cas_clock() {
    // A page cap of 4 (DigiCert's is 1000) so that 10 orders take three pages.
    let sim = Sim::start(|c| c.digicert_page_limit = 4).await;
    let dc = Dc::new(&sim);
    let mut created = Vec::new();
    for i in 0..10 {
        // Organization 100002 is not validated: the orders stay pending.
        let (s, v, _) = dc
            .order("ssl_basic", &format!("p{i:02}.list.test"), 100002, false)
            .await;
        assert_eq!(s, 201, "{v}");
        created.push(v["id"].as_u64().unwrap());
    }
    // Another account's order is never listed for ours.
    sim.put_account(json!({"dialect": "digicert", "id": "other-acct", "secret": "other-key",
                           "organizations": [{"id": 300001, "name": "Other Inc", "validated": true}]}))
        .await;
    let other = Dc::keyed(&sim, "other-key");
    let (s, v, _) = other
        .order("ssl_basic", "p99.list.test", 300001, false)
        .await;
    assert_eq!(s, 201, "{v}");

    // One page: at most the cap, newest first, with the vendor's page info. Asking for more
    // than the cap gets the cap.
    for query in ["", "?limit=1000"] {
        let (s, v) = dc.get(&format!("order/certificate{query}")).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(
            v["page"],
            json!({"total": 10, "limit": 4, "offset": 0}),
            "{v}"
        );
        let newest: Vec<u64> = created.iter().rev().take(4).copied().collect();
        assert_eq!(ids(&v, "id"), newest);
        let first = &v["orders"][0];
        assert_eq!(first["certificate"]["common_name"], "p09.list.test");
        assert_eq!(first["status"], "pending");
        assert_eq!(first["product"]["name_id"], "ssl_basic");
        assert!(first["date_created"].is_string());
        assert!(
            first["certificate"].get("csr").is_none(),
            "the list carries no CSR"
        );
    }
    // Paging to the end finds the oldest, on the last page; nothing twice.
    let (all, pages) = all_pages(&dc, "limit=4").await;
    assert_eq!(pages, 3);
    let mut newest_first = created.clone();
    newest_first.reverse();
    assert_eq!(all, newest_first);
    assert_eq!(all.last(), Some(&created[0]));
    let (_, v) = dc.get("order/certificate?limit=3&offset=9").await;
    assert_eq!(ids(&v, "id"), [created[0]]);
    // Ascending order (`+` arrives as a space when not encoded).
    for sort in ["date_created", "%2Bdate_created", "+order_id"] {
        let (_, v) = dc
            .get(&format!("order/certificate?sort={sort}&limit=2"))
            .await;
        assert_eq!(ids(&v, "id"), created[..2], "sort={sort}");
    }
    // Filters: common name (exact, or `%` as the wildcard), search by id or name, status.
    let (_, v) = dc
        .get("order/certificate?filters[common_name]=p03.list.test")
        .await;
    assert_eq!(ids(&v, "id"), [created[3]]);
    let (found, _) = all_pages(&dc, "filters%5Bcommon_name%5D=%25.list.test").await;
    assert_eq!(found.len(), 10);
    for search in [created[5].to_string(), "www.p05".to_string()] {
        let (_, v) = dc
            .get(&format!("order/certificate?filters[search]={search}"))
            .await;
        assert_eq!(ids(&v, "id"), [created[5]], "search {search}");
    }
    let (_, v) = dc.get("order/certificate?filters[status]=issued").await;
    assert_eq!(v["page"]["total"], 0, "{v}");

    // Dates are the CA's: move its clock 10 days ahead and order once more. A window around
    // real now lists the ten; a bound from the CA's now lists only the new one.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let r = sim
        .admin_send(reqwest::Method::POST, "clock", json!({"advance": "10d"}))
        .await;
    assert!(r.status().is_success());
    let ca_now = sim.admin_get("clock").await["nowMs"].as_i64().unwrap() / 1000;
    assert!(ca_now >= now + 10 * 86_400);
    let (s, v, _) = dc.order("ssl_basic", "late.list.test", 100002, false).await;
    assert_eq!(s, 201, "{v}");
    let late = v["id"].as_u64().unwrap();
    let around_real_now = format!(
        "filters%5Bdate_created%5D={}...{}",
        mdt(now - 3600),
        mdt(now + 3600)
    )
    .replace(' ', "+");
    let (found, _) = all_pages(&dc, &around_real_now).await;
    assert_eq!(
        found, newest_first,
        "the ten, not the one created on the CA's later day"
    );
    let since_ca_now =
        format!("filters[date_created]=>={}", mdt(ca_now - 3600)).replace(' ', "%20");
    let (found, _) = all_pages(&dc, &since_ca_now).await;
    assert_eq!(found, [late]);
    let (_, v) = dc
        .get(&format!(
            "order/certificate?filters[date_created]=<{}",
            mdt(ca_now - 86_400).replace(' ', "%20")
        ))
        .await;
    assert_eq!(v["page"]["total"], 10, "{v}");

    // What the list refuses (400 bad_request_format), and who may ask.
    for query in [
        "limit=many",
        "offset=-1",
        "sort=-price",
        "filters[date_created]=yesterday",
        "filters[date_created]=2026-01-03...2026-01-02",
    ] {
        let (s, v) = dc.get(&format!("order/certificate?{query}")).await;
        assert_eq!(
            (s, error_code(&v).as_str()),
            (StatusCode::BAD_REQUEST, "bad_request_format"),
            "{query}: {v}"
        );
    }
    let r = sim
        .client
        .get(dc.url("order/certificate"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // The list is a lookup to the fault rules.
    sim.set_faults(json!([{"operation": "lookup", "nth": 1, "action": {"kind": "server_error"}}]))
        .await;
    let (s, _) = dc.get("order/certificate").await;
    assert_eq!(s, 500);
    sim.stop().await;
}
