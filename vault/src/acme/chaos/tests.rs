//! Unit tests of the chaos engine: off by default, each knob acting, seeded replay, the
//! limits' windows and keys, the document's validation and effective form.

use super::doc::{ChaosDoc, Span};
use super::domain::registered_domain;
use super::endpoint::Endpoint;
use super::engine::Chaos;
use super::fault::{DropConnection, Fault};
use crate::model::acme::Identifier;
use shared::acme::problem::ErrorType;
use std::time::Duration;

fn doc(json: &str) -> ChaosDoc {
    ChaosDoc::parse(json.as_bytes()).unwrap()
}

fn dns(name: &str) -> Identifier {
    Identifier::dns(name)
}

fn ip(addr: &str) -> Identifier {
    Identifier::ip(addr)
}

#[test]
fn everything_is_off_by_default() {
    let chaos = Chaos::default();
    for e in Endpoint::ALL {
        for _ in 0..100 {
            assert_eq!(chaos.before(e), None);
        }
    }
    assert!(chaos.reuse_authz());
    assert_eq!(chaos.validation_delay(), Duration::ZERO);
    assert_eq!(chaos.finalize_delay(), Duration::ZERO);
    let ids = [dns("a.example.com")];
    for _ in 0..1000 {
        chaos.check_new_order("acct", &ids, 0).unwrap();
        chaos.record_issued(&ids, 0);
        chaos.record_failed_validation("acct", &ids[0], 0);
    }
    chaos.check_validation("acct", &ids[0], 0).unwrap();
    assert!(chaos.document().is_off());
    assert!(Chaos::from_config(None).unwrap().document().is_off());
}

#[test]
fn endpoint_faults_act_only_where_set() {
    let chaos = Chaos::new(&doc(r#"{"endpoints":{"newOrder":{"server_error":1.0},
            "finalize":{"server_error":1.0,"status":503,"retry_after":"7s"},
            "order":{"rate_limited":1.0,"retry_after":"1m"},
            "newAccount":{"drop":1.0}}}"#));
    assert_eq!(
        chaos.before(Endpoint::NewOrder),
        Some(Fault::ServerError {
            status: 500,
            retry_after: 5
        })
    );
    assert_eq!(
        chaos.before(Endpoint::Finalize),
        Some(Fault::ServerError {
            status: 503,
            retry_after: 7
        })
    );
    assert_eq!(
        chaos.before(Endpoint::Order),
        Some(Fault::RateLimited { retry_after: 60 })
    );
    assert_eq!(chaos.before(Endpoint::NewAccount), Some(Fault::Drop));
    assert_eq!(chaos.before(Endpoint::Directory), None);
    assert_eq!(chaos.before(Endpoint::Authz), None);
}

#[test]
fn the_star_applies_to_every_endpoint_not_named() {
    let chaos = Chaos::new(&doc(
        r#"{"endpoints":{"*":{"rate_limited":1.0},"directory":{"drop":0.0,"server_error":1.0}}}"#,
    ));
    assert!(matches!(
        chaos.before(Endpoint::Crl),
        Some(Fault::RateLimited { .. })
    ));
    assert!(matches!(
        chaos.before(Endpoint::Directory),
        Some(Fault::ServerError { .. })
    ));
}

#[test]
fn faults_render_as_problems_with_their_headers() {
    let r = Fault::ServerError {
        status: 503,
        retry_after: 9,
    }
    .into_response(Some("nonce1"));
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "9");
    assert_eq!(r.headers()["replay-nonce"], "nonce1");
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    let r = Fault::ServerError {
        status: 500,
        retry_after: 9,
    }
    .into_response(None);
    assert_eq!(r.status(), 500);
    assert!(r.headers().get("retry-after").is_none());

    let r = Fault::RateLimited { retry_after: 30 }.into_response(None);
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "30");
    assert_eq!(
        Fault::RateLimited { retry_after: 30 }.problem().kind,
        ErrorType::RateLimited
    );

    let r = Fault::BadNonce.into_response(Some("n2"));
    assert_eq!(r.status(), 400);
    assert_eq!(Fault::BadNonce.problem().kind, ErrorType::BadNonce);

    let r = Fault::Drop.into_response(None);
    assert!(r.extensions().get::<DropConnection>().is_some());
    let r = Fault::BadNonce.into_response(None);
    assert!(r.extensions().get::<DropConnection>().is_none());
}

#[test]
fn bad_nonces_only_where_requests_carry_one() {
    let chaos = Chaos::new(&doc(r#"{"bad_nonce_rate":1.0}"#));
    assert_eq!(chaos.before(Endpoint::NewOrder), Some(Fault::BadNonce));
    assert_eq!(chaos.before(Endpoint::Challenge), Some(Fault::BadNonce));
    for e in [
        Endpoint::Directory,
        Endpoint::NewNonce,
        Endpoint::RenewalInfo,
        Endpoint::Crl,
    ] {
        assert_eq!(chaos.before(e), None, "{e:?}");
    }
}

fn decisions(chaos: &Chaos, n: usize) -> Vec<Option<Fault>> {
    (0..n).map(|_| chaos.before(Endpoint::NewOrder)).collect()
}

#[test]
fn a_seed_replays_the_same_decisions() {
    let text = r#"{"seed":42,"endpoints":{"newOrder":{"server_error":0.5}}}"#;
    let a = decisions(&Chaos::new(&doc(text)), 400);
    let b = decisions(&Chaos::new(&doc(text)), 400);
    assert_eq!(a, b);
    // About half fire (0.5 of 400: far outside this band is a broken generator).
    let fired = a.iter().filter(|d| d.is_some()).count();
    assert!((150..=250).contains(&fired), "{fired} of 400");

    // Putting the same document again restarts the sequence.
    let chaos = Chaos::new(&doc(text));
    let first = decisions(&chaos, 50);
    chaos.put(&doc(text));
    assert_eq!(decisions(&chaos, 50), first);

    // Another seed decides differently.
    let c = decisions(
        &Chaos::new(&doc(
            r#"{"seed":43,"endpoints":{"newOrder":{"server_error":0.5}}}"#,
        )),
        400,
    );
    assert_ne!(a, c);
}

#[test]
fn one_draw_splits_drop_server_error_and_rate_limited() {
    let chaos = Chaos::new(&doc(
        r#"{"seed":7,"endpoints":{"newOrder":{"drop":0.25,"server_error":0.25,"rate_limited":0.5}}}"#,
    ));
    let d = decisions(&chaos, 2000);
    let count = |f: fn(&Option<Fault>) -> bool| d.iter().filter(|x| f(x)).count();
    let drops = count(|x| matches!(x, Some(Fault::Drop)));
    let errors = count(|x| matches!(x, Some(Fault::ServerError { .. })));
    let limited = count(|x| matches!(x, Some(Fault::RateLimited { .. })));
    assert_eq!(
        drops + errors + limited,
        2000,
        "rates summing to 1 always fire"
    );
    assert!((400..=600).contains(&drops), "{drops}");
    assert!((400..=600).contains(&errors), "{errors}");
    assert!((900..=1100).contains(&limited), "{limited}");
}

#[test]
fn authz_reuse_and_delays() {
    let chaos = Chaos::new(&doc(
        r#"{"seed":1,"authz_reuse_rate":0.0,"validation_delay":"1500ms","finalize_delay":"2s"}"#,
    ));
    assert!((0..50).all(|_| !chaos.reuse_authz()));
    assert_eq!(chaos.validation_delay(), Duration::from_millis(1500));
    assert_eq!(chaos.finalize_delay(), Duration::from_secs(2));

    let half = Chaos::new(&doc(r#"{"seed":1,"authz_reuse_rate":0.5}"#));
    let reused = (0..400).filter(|_| half.reuse_authz()).count();
    assert!((150..=250).contains(&reused), "{reused}");
    assert!(Chaos::new(&doc(r#"{"authz_reuse_rate":1.0}"#)).reuse_authz());
}

#[test]
fn orders_per_account_slide_with_the_clock() {
    let chaos = Chaos::new(&doc(
        r#"{"limits":{"orders_per_account":{"count":3,"window":"3h"}}}"#,
    ));
    let ids = [dns("www.example.com")];
    let t0 = 1_000_000;
    for i in 0..3 {
        chaos.check_new_order("a1", &ids, t0 + i * 60).unwrap();
    }
    let refused = chaos.check_new_order("a1", &ids, t0 + 600).unwrap_err();
    assert_eq!(refused.kind, ErrorType::RateLimited);
    assert_eq!(refused.status, 429);
    // The first order leaves the window 3h after it was placed.
    assert_eq!(refused.retry_after, Some(3 * 3600 - 600));
    // Another account is not limited; a refused order was not counted.
    chaos.check_new_order("a2", &ids, t0 + 600).unwrap();
    // Free again exactly when Retry-After said.
    assert!(chaos
        .check_new_order("a1", &ids, t0 + 3 * 3600 - 1)
        .is_err());
    chaos.check_new_order("a1", &ids, t0 + 3 * 3600).unwrap();
    // Now orders 2, 3 and 4 are in the window.
    let refused = chaos
        .check_new_order("a1", &ids, t0 + 3 * 3600 + 1)
        .unwrap_err();
    assert_eq!(refused.retry_after, Some(60 - 1));
}

#[test]
fn certificates_per_registered_domain() {
    let chaos = Chaos::new(&doc(
        r#"{"limits":{"certificates_per_domain":{"count":2}}}"#,
    ));
    let t0 = 5_000_000;
    chaos.record_issued(&[dns("a.example.com"), dns("b.example.com")], t0);
    chaos.record_issued(&[dns("*.example.com")], t0 + 10);
    let refused = chaos
        .check_new_order("acct", &[dns("other.test"), dns("c.EXAMPLE.com")], t0 + 20)
        .unwrap_err();
    assert!(refused.detail.contains("example.com"), "{}", refused.detail);
    assert_eq!(refused.retry_after, Some(7 * 86_400 - 20));
    chaos
        .check_new_order("acct", &[dns("example.org")], t0 + 20)
        .unwrap();
    chaos
        .check_new_order("acct", &[dns("c.example.com")], t0 + 7 * 86_400 + 1)
        .unwrap();
}

#[test]
fn failed_validations_block_the_identifier_for_that_account() {
    let chaos = Chaos::new(&doc(
        r#"{"limits":{"failed_validations":{"count":2,"window":"1h"}}}"#,
    ));
    let name = dns("flaky.example.com");
    let t0 = 9_000_000;
    chaos.record_failed_validation("a1", &name, t0);
    chaos.check_validation("a1", &name, t0).unwrap();
    chaos.record_failed_validation("a1", &dns("*.flaky.example.com"), t0 + 5);
    let refused = chaos.check_validation("a1", &name, t0 + 10).unwrap_err();
    assert_eq!(refused.retry_after, Some(3600 - 10));
    assert!(chaos
        .check_new_order("a1", std::slice::from_ref(&name), t0 + 10)
        .is_err());
    chaos.check_validation("a2", &name, t0 + 10).unwrap();
    chaos
        .check_validation("a1", &dns("other.example.com"), t0 + 10)
        .unwrap();
    chaos.check_validation("a1", &name, t0 + 3601).unwrap();
}

#[test]
fn putting_a_document_empties_the_windows() {
    let text = r#"{"limits":{"orders_per_account":{"count":1}}}"#;
    let chaos = Chaos::new(&doc(text));
    chaos.check_new_order("a", &[dns("x.test")], 0).unwrap();
    assert!(chaos.check_new_order("a", &[dns("x.test")], 1).is_err());
    chaos.put(&doc(text));
    chaos.check_new_order("a", &[dns("x.test")], 2).unwrap();
    chaos.put(&ChaosDoc::default());
    for t in 3..10 {
        chaos.check_new_order("a", &[dns("x.test")], t).unwrap();
    }
}

#[test]
fn registered_domains() {
    let cases = [
        (dns("www.example.com"), "example.com"),
        (dns("example.com"), "example.com"),
        (dns("*.a.b.Example.COM."), "example.com"),
        (dns("localhost"), "localhost"),
        (dns("app.localhost"), "app.localhost"),
        (dns("shop.example.co.uk"), "example.co.uk"),
        (dns("example.co.uk"), "example.co.uk"),
        (dns("co.uk"), "co.uk"),
        (dns("me.github.io"), "me.github.io"),
        (dns("x.me.github.io"), "me.github.io"),
        (ip("192.0.2.7"), "192.0.2.7"),
        (ip("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64"),
        (ip("2001:db8:1:2::9"), "2001:db8:1:2::/64"),
    ];
    for (id, want) in cases {
        assert_eq!(registered_domain(&id), want, "{id:?}");
    }
}

#[test]
fn invalid_documents_name_the_field() {
    let cases = [
        (r#"{"bad_nonce_rate":1.5}"#, "bad_nonce_rate"),
        (r#"{"authz_reuse_rate":-0.1}"#, "authz_reuse_rate"),
        (r#"{"endpoints":{"newOrdr":{"drop":1}}}"#, "newOrdr"),
        (
            r#"{"endpoints":{"newOrder":{"drop":0.6,"server_error":0.6}}}"#,
            "at most 1",
        ),
        (
            r#"{"endpoints":{"newOrder":{"server_error":1,"status":404}}}"#,
            "status",
        ),
        (
            r#"{"endpoints":{"newOrder":{"rate_limited":1,"retry_after":"0s"}}}"#,
            "retry_after",
        ),
        (r#"{"validation_delay":"2h"}"#, "validation_delay"),
        (r#"{"finalize_delay":"5 parsecs"}"#, "parsecs"),
        (r#"{"limits":{"orders_per_account":{"count":0}}}"#, "count"),
        (
            r#"{"limits":{"orders_per_account":{"window":"0s"}}}"#,
            "window",
        ),
        (r#"{"limits":{"orders":{}}}"#, "orders"),
        (r#"{"chaos":true}"#, "chaos"),
        (r#"[1]"#, "chaos document"),
    ];
    for (text, needle) in cases {
        let err = ChaosDoc::parse(text.as_bytes()).unwrap_err();
        assert!(err.contains(needle), "{text}: {err}");
    }
    let value = serde_json::json!({"bad_nonce_rate": 2});
    let err = Chaos::from_config(Some(&value)).err().unwrap();
    assert!(err.starts_with("--acme-chaos"), "{err}");
}

#[test]
fn the_effective_document_fills_seed_and_le_defaults() {
    let chaos = Chaos::new(&doc(
        r#"{"limits":{"orders_per_account":{},"failed_validations":{"count":9}},
            "endpoints":{"crl":{"drop":0}}}"#,
    ));
    let effective = chaos.document();
    assert!(effective.seed.is_some());
    let json = serde_json::to_value(&effective).unwrap();
    assert_eq!(
        json["limits"],
        serde_json::json!({
            "orders_per_account": {"count": 300, "window": "3h"},
            "failed_validations": {"count": 9, "window": "1h"},
        })
    );
    // An endpoint without any fault is left out.
    assert!(json.get("endpoints").is_none(), "{json}");
    // The effective document reads back as itself.
    let again: ChaosDoc = serde_json::from_value(json).unwrap();
    assert_eq!(again, effective);
    assert_eq!(Chaos::new(&again).document(), effective);
}

#[test]
fn spans_print_in_the_largest_exact_unit() {
    for (ms, text) in [
        (0, "0ms"),
        (250, "250ms"),
        (1500, "1500ms"),
        (5000, "5s"),
        (120_000, "2m"),
        (7_200_000, "2h"),
        (604_800_000, "7d"),
        (90_000_000, "25h"),
    ] {
        let s = serde_json::to_value(Span(Duration::from_millis(ms))).unwrap();
        assert_eq!(s, text);
    }
}

#[test]
fn every_route_template_names_its_endpoint() {
    let paths = [
        ("/acme/directory", Endpoint::Directory),
        ("/acme/shortlived/directory", Endpoint::Directory),
        ("/acme/new-nonce", Endpoint::NewNonce),
        ("/acme/new-account", Endpoint::NewAccount),
        ("/acme/acct/a1", Endpoint::Account),
        ("/acme/acct/a1/orders", Endpoint::Orders),
        ("/acme/key-change", Endpoint::KeyChange),
        ("/acme/new-order", Endpoint::NewOrder),
        ("/acme/local/new-order", Endpoint::NewOrder),
        ("/acme/order/o1", Endpoint::Order),
        ("/acme/order/o1/finalize", Endpoint::Finalize),
        ("/acme/new-authz", Endpoint::NewAuthz),
        ("/acme/authz/z1", Endpoint::Authz),
        ("/acme/chall/z1/c1", Endpoint::Challenge),
        ("/acme/cert/c1", Endpoint::Certificate),
        ("/acme/cert/c1/1", Endpoint::Certificate),
        ("/acme/revoke-cert", Endpoint::RevokeCert),
        ("/acme/renewal-info/abc.def", Endpoint::RenewalInfo),
        ("/acme/crl", Endpoint::Crl),
    ];
    for (path, want) in paths {
        let template = crate::acme::routes::endpoint(path);
        assert_eq!(Endpoint::from_template(template), Some(want), "{path}");
    }
    assert_eq!(
        Endpoint::from_template(crate::acme::routes::endpoint("/acme/nothing/here/at/all")),
        None
    );
    // Every endpoint is reachable from some path above.
    for e in Endpoint::ALL {
        assert!(paths.iter().any(|(_, w)| *w == e), "{e:?}");
    }
}
