//! Exactly once and the ends of an order: the lookup after an unanswered newOrder, finalizing
//! after a restart, cancellation.

use super::harness::*;

#[tokio::test]
async fn after_an_unanswered_new_order_the_order_is_found_in_the_account_orders_list() {
    let ca = setup().await;
    let base = ca.server.uri();
    post(
        &ca.server,
        "/order",
        problem(503, "serverInternal", "gateway timeout"),
    )
    .await;
    let request = order("req-2", creds(), CertType::Ov);
    let err = ca.acme.submit(&request).await.unwrap_err();
    assert!(err.may_have_acted(), "{err:?}");

    // The account links its orders list; two pages (Link rel="next").
    mount_account(&ca).await;
    post(
        &ca.server,
        "/acct/1/orders",
        answer(200)
            .insert_header(
                "Link",
                format!("<{base}/acct/1/orders/2>;rel=\"next\"").as_str(),
            )
            .set_body_json(
                json!({"orders": [format!("{base}/order/other"), format!("{base}/order/old")]}),
            ),
    )
    .await;
    post(
        &ca.server,
        "/acct/1/orders/2",
        answer(200).set_body_json(json!({"orders": [format!("{base}/order/1")]})),
    )
    .await;
    let mut other = order_json(&base, "pending");
    other["identifiers"] = json!([{"type": "dns", "value": "other.example.net"}]);
    post(&ca.server, "/order/other", answer(200).set_body_json(other)).await;
    // An older order for the same names, expiring earlier.
    let mut old = order_json(&base, "pending");
    old["expires"] = json!("2029-12-01T00:00:00Z");
    post(&ca.server, "/order/old", answer(200).set_body_json(old)).await;
    mount_order(&ca, "/order/1", "ready").await;
    let found = ca.acme.find(&request).await.unwrap();
    assert_eq!(found, Some(ca.url("/order/1")));

    // The next poll finalizes the found order with this operation's CSR.
    expect_finalize(
        &ca,
        request.csr_der.clone(),
        order_json(&base, "processing"),
    )
    .await;
    let status = ca
        .acme
        .poll(&request.credentials, &ca.url("/order/1"))
        .await
        .unwrap();
    assert_eq!(
        status,
        OrderStatus::Pending {
            ca_status: "processing".into()
        }
    );
    // newOrder was sent once: the lookup found the order instead of ordering again.
    assert_eq!(ca.payloads("/order").await.len(), 1);
}

#[tokio::test]
async fn an_order_placed_before_a_restart_is_finalized_after_it() {
    let ca = setup().await;
    let base = ca.server.uri();
    mount_new_order(&ca).await;
    mount_order(&ca, "/order/1", "pending").await;
    mount_pending_authz(&ca).await;
    // The challenge answer fails: the submission returns the pending order at once.
    post(
        &ca.server,
        "/chall/http",
        problem(500, "serverInternal", "busy"),
    )
    .await;
    let request = order("req-r", creds(), CertType::Ov);
    let submitted = ca.acme.submit(&request).await.unwrap();
    assert_eq!(submitted.order_id, ca.url("/order/1"));
    assert!(
        matches!(&submitted.status, OrderStatus::Pending { ca_status } if ca_status.starts_with("pending")),
        "{submitted:?}"
    );

    // A new adapter on the same data dir (vault restarted) finds the CSR for the ready order.
    let restarted = adapter_with(&base, ca.dir.path(), Some(Http01Tokens::default()), None);
    Mock::given(method("POST"))
        .and(path("/order/1"))
        .respond_with(answer(200).set_body_json(order_json(&base, "ready")))
        .with_priority(1)
        .mount(&ca.server)
        .await;
    expect_finalize(
        &ca,
        request.csr_der.clone(),
        order_json(&base, "processing"),
    )
    .await;
    let status = restarted
        .poll(&request.credentials, &submitted.order_id)
        .await
        .unwrap();
    assert_eq!(
        status,
        OrderStatus::Pending {
            ca_status: "processing".into()
        }
    );
    // Finalized: the CSR file is gone.
    let pending = ca.dir.path().join("acme-client").join("pending");
    assert_eq!(std::fs::read_dir(pending).unwrap().count(), 0);
}

#[tokio::test]
async fn find_answers_none_when_no_listed_order_matches() {
    let ca = setup().await;
    let base = ca.server.uri();
    mount_account(&ca).await;
    post(
        &ca.server,
        "/acct/1/orders",
        answer(200).set_body_json(json!({"orders": [format!("{base}/order/v")]})),
    )
    .await;
    // A valid order for the same names, but its certificate is for another key: not ours.
    let mut valid = order_json(&base, "valid");
    valid["certificate"] = json!(format!("{base}/cert/v"));
    post(&ca.server, "/order/v", answer(200).set_body_json(valid)).await;
    let pem_chain: String = chain(0).iter().map(|c| pem(c)).collect();
    post(
        &ca.server,
        "/cert/v",
        answer(200).set_body_string(pem_chain),
    )
    .await;
    let found = ca
        .acme
        .find(&order("req-3", creds(), CertType::Ov))
        .await
        .unwrap();
    assert_eq!(found, None);
}

#[tokio::test]
async fn cancel_deactivates_the_authorizations() {
    let ca = setup().await;
    let base = ca.server.uri();
    mount_order(&ca, "/order/1", "pending").await;
    mount_pending_authz(&ca).await;
    Mock::given(method("POST"))
        .and(path("/authz/1"))
        .and(payload(move |p| p == &json!({"status": "deactivated"})))
        .respond_with(answer(200).set_body_json(json!({"status": "deactivated", "challenges": []})))
        .with_priority(1)
        .expect(1)
        .mount(&ca.server)
        .await;
    let outcome = ca.acme.cancel(&creds(), &ca.url("/order/1")).await.unwrap();
    assert_eq!(outcome, CancelOutcome::Cancelled);

    // Too late: an issued order is collected instead.
    let mut valid = order_json(&base, "valid");
    valid["certificate"] = json!(format!("{base}/cert/1"));
    post(&ca.server, "/order/2", answer(200).set_body_json(valid)).await;
    let outcome = ca.acme.cancel(&creds(), &ca.url("/order/2")).await.unwrap();
    assert_eq!(outcome, CancelOutcome::AlreadyIssued);
}
