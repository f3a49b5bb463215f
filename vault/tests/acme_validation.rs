//! ACME challenge validation for real on loopback: `acme::validate::Validator` driven
//! directly against the test responders (`acme_support`): http-01 (redirect rules, body cap,
//! status, address policy), dns-01 (TXT records from a test authoritative server) and
//! tls-alpn-01 (RFC 8737 certificates, ALPN), each failure with its RFC problem type.

use crate::acme_support;

use acme_support::{
    acme_config, closed_port, loopback, AlpnCertificate, DnsServer, Http01Answer, Http01Responder,
    TlsAlpnResponder,
};
use std::net::IpAddr;
use std::time::Duration;
use vault::acme::validate::{reverse_name, txt_value, Validator, MAX_BODY, MAX_REDIRECTS};
use vault::config::{AcmeConfig, AcmeValidation};
use vault::model::acme::{ChallengeType, Identifier, IdentifierType, StoredProblem};

const TOKEN: &str = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
const KEY_AUTHORIZATION: &str =
    "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ";

fn dns(name: &str) -> Identifier {
    Identifier {
        kind: IdentifierType::Dns,
        value: name.to_string(),
    }
}

fn ip(value: &str) -> Identifier {
    Identifier {
        kind: IdentifierType::Ip,
        value: value.to_string(),
    }
}

fn validator(config: &AcmeConfig) -> Validator {
    Validator::new(config).expect("validator")
}

async fn check(
    validator: &Validator,
    kind: ChallengeType,
    identifier: &Identifier,
) -> Result<(), StoredProblem> {
    validator
        .validate(kind, identifier, TOKEN, KEY_AUTHORIZATION)
        .await
}

/// The failure, asserting its RFC short name and that the detail says `needle`.
#[track_caller]
fn assert_problem(outcome: Result<(), StoredProblem>, kind: &str, needle: &str) -> StoredProblem {
    let problem = outcome.expect_err("the validation must fail");
    assert_eq!(problem.kind, kind, "{problem:?}");
    assert!(
        problem.detail.contains(needle),
        "detail {:?} should mention {needle:?}",
        problem.detail
    );
    problem
}

// ---------------------------------------------------------------- http-01

#[tokio::test]
async fn http01_valid_for_a_name_from_acme_host_with_the_name_as_host() {
    let web = Http01Responder::start().await;
    web.set(TOKEN, KEY_AUTHORIZATION);
    let v = validator(&acme_config(
        Some(&web),
        None,
        None,
        &[("www.example.test", loopback())],
    ));
    check(&v, ChallengeType::Http01, &dns("www.example.test"))
        .await
        .expect("valid");
    assert_eq!(
        web.hosts_seen(),
        vec![format!("www.example.test:{}", web.port())]
    );
}

#[tokio::test]
async fn http01_trailing_whitespace_is_ignored() {
    let web = Http01Responder::start().await;
    web.set_answer(
        TOKEN,
        Http01Answer::Body(format!("{KEY_AUTHORIZATION}\r\n").into_bytes()),
    );
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    check(&v, ChallengeType::Http01, &dns("web.localhost"))
        .await
        .expect("valid");
}

#[tokio::test]
async fn http01_wrong_key_authorization_is_incorrect_response() {
    let web = Http01Responder::start().await;
    web.set(TOKEN, &format!("{TOKEN}.someone-elses-thumbprint"));
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    assert_problem(
        check(&v, ChallengeType::Http01, &dns("a.localhost")).await,
        "incorrectResponse",
        "someone-elses-thumbprint",
    );
}

#[tokio::test]
async fn http01_missing_token_is_unauthorized_with_the_status() {
    let web = Http01Responder::start().await;
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    assert_problem(
        check(&v, ChallengeType::Http01, &dns("a.localhost")).await,
        "unauthorized",
        "404",
    );
}

#[tokio::test]
async fn http01_nothing_listening_is_connection() {
    let v = validator(&acme_config(None, None, None, &[]));
    assert_problem(
        check(&v, ChallengeType::Http01, &dns("a.localhost")).await,
        "connection",
        "refused",
    );
}

#[tokio::test]
async fn http01_ip_identifier_connects_to_the_ip() {
    let web = Http01Responder::start().await;
    web.set(TOKEN, KEY_AUTHORIZATION);
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    check(&v, ChallengeType::Http01, &ip("127.0.0.1"))
        .await
        .expect("valid");
    assert_eq!(web.hosts_seen(), vec![format!("127.0.0.1:{}", web.port())]);
}

#[tokio::test]
async fn http01_localhost_names_resolve_to_loopback_without_dns() {
    let web = Http01Responder::start().await;
    web.set(TOKEN, KEY_AUTHORIZATION);
    // The resolver knows nothing: a lookup would be NXDOMAIN.
    let dns_server = DnsServer::start().await;
    let v = validator(&acme_config(Some(&web), None, Some(&dns_server), &[]));
    for name in ["localhost", "app.localhost", "deep.app.localhost"] {
        check(&v, ChallengeType::Http01, &dns(name))
            .await
            .unwrap_or_else(|p| panic!("{name}: {p:?}"));
    }
}

#[tokio::test]
async fn http01_names_resolve_through_the_configured_dns_server() {
    let web = Http01Responder::start().await;
    web.set(TOKEN, KEY_AUTHORIZATION);
    let dns_server = DnsServer::start().await;
    dns_server.set_a("app.example.test", loopback());
    let v = validator(&acme_config(Some(&web), None, Some(&dns_server), &[]));
    check(&v, ChallengeType::Http01, &dns("app.example.test"))
        .await
        .expect("valid");
    assert_problem(
        check(&v, ChallengeType::Http01, &dns("missing.example.test")).await,
        "dns",
        "NXDOMAIN",
    );
}

#[tokio::test]
async fn acme_host_wins_over_dns() {
    let web = Http01Responder::start().await;
    web.set(TOKEN, KEY_AUTHORIZATION);
    let dns_server = DnsServer::start().await;
    // DNS points at an address nothing listens on; the flag points at the responder.
    dns_server.set_a("app.example.test", IpAddr::from([127, 0, 0, 2]));
    let through_dns = validator(&acme_config(Some(&web), None, Some(&dns_server), &[]));
    assert_problem(
        check(
            &through_dns,
            ChallengeType::Http01,
            &dns("app.example.test"),
        )
        .await,
        "connection",
        "app.example.test",
    );
    let overridden = validator(&acme_config(
        Some(&web),
        None,
        Some(&dns_server),
        &[("app.example.test", loopback())],
    ));
    check(&overridden, ChallengeType::Http01, &dns("app.example.test"))
        .await
        .expect("valid");
}

fn challenge_url(name: &str, port: u16, token: &str) -> String {
    format!("http://{name}:{port}/.well-known/acme-challenge/{token}")
}

#[tokio::test]
async fn http01_follows_redirects_to_other_names_on_the_port() {
    let web = Http01Responder::start().await;
    web.set_answer(
        TOKEN,
        Http01Answer::Redirect(challenge_url("other.localhost", web.port(), "moved")),
    );
    web.set_answer(
        "moved",
        Http01Answer::Redirect("/.well-known/acme-challenge/final".into()),
    );
    web.set("final", KEY_AUTHORIZATION);
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    check(&v, ChallengeType::Http01, &dns("a.localhost"))
        .await
        .expect("valid");
    let port = web.port();
    assert_eq!(
        web.hosts_seen(),
        vec![
            format!("a.localhost:{port}"),
            format!("other.localhost:{port}"),
            format!("other.localhost:{port}"),
        ]
    );
}

#[tokio::test]
async fn http01_redirect_loop_is_connection() {
    let web = Http01Responder::start().await;
    web.set_answer(
        TOKEN,
        Http01Answer::Redirect("/.well-known/acme-challenge/b".into()),
    );
    web.set_answer(
        "b",
        Http01Answer::Redirect(format!("/.well-known/acme-challenge/{TOKEN}")),
    );
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    assert_problem(
        check(&v, ChallengeType::Http01, &dns("a.localhost")).await,
        "connection",
        "redirect loop",
    );
    assert_eq!(web.hosts_seen().len(), 2);
}

/// A chain of `hops` redirects from TOKEN to the key authorization.
fn redirect_chain(web: &Http01Responder, hops: usize) {
    let mut from = TOKEN.to_string();
    for hop in 0..hops {
        let to = format!("hop{hop}");
        web.set_answer(
            &from,
            Http01Answer::Redirect(format!("/.well-known/acme-challenge/{to}")),
        );
        from = to;
    }
    web.set(&from, KEY_AUTHORIZATION);
}

#[tokio::test]
async fn http01_follows_at_most_ten_redirects() {
    let web = Http01Responder::start().await;
    redirect_chain(&web, MAX_REDIRECTS);
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    check(&v, ChallengeType::Http01, &dns("a.localhost"))
        .await
        .expect("ten redirects are followed");

    let web = Http01Responder::start().await;
    redirect_chain(&web, MAX_REDIRECTS + 1);
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    assert_problem(
        check(&v, ChallengeType::Http01, &dns("a.localhost")).await,
        "connection",
        "too many redirects",
    );
    assert_eq!(web.hosts_seen().len(), MAX_REDIRECTS + 1);
}

#[tokio::test]
async fn http01_redirects_only_to_the_allowed_ports_schemes_and_hosts() {
    let web = Http01Responder::start().await;
    let port = web.port();
    let other_port = closed_port();
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    let cases = [
        (
            challenge_url("a.localhost", other_port, "x"),
            format!("port {other_port}"),
        ),
        (
            "https://a.localhost:8443/x".to_string(),
            "port 8443".to_string(),
        ),
        ("ftp://a.localhost/x".to_string(), "scheme ftp".to_string()),
        (
            challenge_url("127.0.0.1", port, "x"),
            "never another IP address".to_string(),
        ),
        (
            challenge_url("[::1]", port, "x"),
            "never another IP address".to_string(),
        ),
    ];
    for (location, needle) in cases {
        web.set_answer(TOKEN, Http01Answer::Redirect(location.clone()));
        let problem = assert_problem(
            check(&v, ChallengeType::Http01, &dns("a.localhost")).await,
            "connection",
            &needle,
        );
        assert!(problem.detail.contains(&location), "{problem:?}");
    }
    // Only the first request of each case was made: no refused redirect was followed.
    assert_eq!(web.hosts_seen().len(), 5);
}

#[tokio::test]
async fn http01_redirect_to_the_identifiers_own_ip_is_followed() {
    let web = Http01Responder::start().await;
    web.set_answer(
        TOKEN,
        Http01Answer::Redirect(challenge_url("127.0.0.1", web.port(), "moved")),
    );
    web.set("moved", KEY_AUTHORIZATION);
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    check(&v, ChallengeType::Http01, &ip("127.0.0.1"))
        .await
        .expect("valid");
}

#[tokio::test]
async fn http01_oversized_body_is_refused() {
    let web = Http01Responder::start().await;
    let mut body = KEY_AUTHORIZATION.as_bytes().to_vec();
    body.resize(MAX_BODY + 1, b' ');
    web.set_answer(TOKEN, Http01Answer::Body(body));
    let v = validator(&acme_config(Some(&web), None, None, &[]));
    assert_problem(
        check(&v, ChallengeType::Http01, &dns("a.localhost")).await,
        "incorrectResponse",
        &format!("over {MAX_BODY} bytes"),
    );
    // At the cap exactly, the trimmed body is the key authorization.
    let mut body = KEY_AUTHORIZATION.as_bytes().to_vec();
    body.resize(MAX_BODY, b'\n');
    web.set_answer(TOKEN, Http01Answer::Body(body));
    check(&v, ChallengeType::Http01, &dns("a.localhost"))
        .await
        .expect("valid at the cap");
}

#[tokio::test]
async fn http01_silent_server_is_bounded_by_the_attempt_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let config = AcmeConfig {
        http01_port: port,
        ..acme_config(None, None, None, &[])
    };
    let v = validator(&config).with_attempt_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    assert_problem(
        check(&v, ChallengeType::Http01, &dns("a.localhost")).await,
        "connection",
        "within 300 ms",
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    hold.abort();
}

// ---------------------------------------------------------------- dns-01

#[tokio::test]
async fn dns01_valid_when_one_txt_record_matches() {
    let dns_server = DnsServer::start().await;
    dns_server.set_txt(
        "_acme-challenge.example.test",
        &["unrelated", &txt_value(KEY_AUTHORIZATION)],
    );
    let v = validator(&acme_config(None, None, Some(&dns_server), &[]));
    check(&v, ChallengeType::Dns01, &dns("example.test"))
        .await
        .expect("valid");
}

#[tokio::test]
async fn dns01_txt_value_is_base64url_sha256_of_the_key_authorization() {
    // RFC 8555 §8.4's construction, computed independently.
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, KEY_AUTHORIZATION.as_bytes());
    assert_eq!(
        txt_value(KEY_AUTHORIZATION),
        shared::b64::url_encode(digest.as_ref())
    );
    assert_eq!(txt_value(KEY_AUTHORIZATION).len(), 43);
}

#[tokio::test]
async fn dns01_wildcard_authorization_checks_the_base_name() {
    // A `*.example.test` authorization is stored for `example.test`.
    let dns_server = DnsServer::start().await;
    dns_server.set_txt(
        "_acme-challenge.example.test",
        &[&txt_value(KEY_AUTHORIZATION)],
    );
    let v = validator(&acme_config(None, None, Some(&dns_server), &[]));
    check(&v, ChallengeType::Dns01, &dns("example.test"))
        .await
        .expect("valid");
}

#[tokio::test]
async fn dns01_nxdomain_is_dns() {
    let dns_server = DnsServer::start().await;
    let v = validator(&acme_config(None, None, Some(&dns_server), &[]));
    assert_problem(
        check(&v, ChallengeType::Dns01, &dns("example.test")).await,
        "dns",
        "NXDOMAIN",
    );
}

#[tokio::test]
async fn dns01_name_without_txt_records_is_dns() {
    let dns_server = DnsServer::start().await;
    dns_server.set_a("_acme-challenge.example.test", loopback());
    let v = validator(&acme_config(None, None, Some(&dns_server), &[]));
    assert_problem(
        check(&v, ChallengeType::Dns01, &dns("example.test")).await,
        "dns",
        "no TXT record at _acme-challenge.example.test",
    );
}

#[tokio::test]
async fn dns01_mismatch_is_incorrect_response_and_a_fixed_record_is_seen_at_once() {
    let dns_server = DnsServer::start().await;
    dns_server.set_txt("_acme-challenge.example.test", &["stale-value"]);
    let v = validator(&acme_config(None, None, Some(&dns_server), &[]));
    assert_problem(
        check(&v, ChallengeType::Dns01, &dns("example.test")).await,
        "incorrectResponse",
        "stale-value",
    );
    // Nothing is cached: the corrected record counts on the next attempt.
    dns_server.set_txt(
        "_acme-challenge.example.test",
        &[&txt_value(KEY_AUTHORIZATION)],
    );
    check(&v, ChallengeType::Dns01, &dns("example.test"))
        .await
        .expect("valid after the fix");
}

#[tokio::test]
async fn dns01_ip_identifier_is_malformed() {
    let dns_server = DnsServer::start().await;
    let v = validator(&acme_config(None, None, Some(&dns_server), &[]));
    assert_problem(
        check(&v, ChallengeType::Dns01, &ip("127.0.0.1")).await,
        "malformed",
        "RFC 8738",
    );
}

#[tokio::test]
async fn dns01_silent_resolver_is_dns_within_the_attempt_bound() {
    // A resolver address that takes queries and never answers.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let config = AcmeConfig {
        dns_resolver: Some(silent.local_addr().unwrap()),
        ..acme_config(None, None, None, &[])
    };
    let v = validator(&config).with_attempt_timeout(Duration::from_millis(300));
    assert_problem(
        check(&v, ChallengeType::Dns01, &dns("example.test")).await,
        "dns",
        "within 300 ms",
    );
}

// ---------------------------------------------------------------- tls-alpn-01

#[test]
fn reverse_names_follow_rfc_8738() {
    assert_eq!(
        reverse_name("192.0.2.5".parse().unwrap()),
        "5.2.0.192.in-addr.arpa"
    );
    // RFC 8738 §6's example address.
    assert_eq!(
        reverse_name("2001:db8::567:89ab".parse().unwrap()),
        "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    );
}

#[tokio::test]
async fn tlsalpn01_valid_for_a_name() {
    let tls = TlsAlpnResponder::start().await;
    tls.set("www.example.test", KEY_AUTHORIZATION);
    let v = validator(&acme_config(
        None,
        Some(&tls),
        None,
        &[("www.example.test", loopback())],
    ));
    check(&v, ChallengeType::TlsAlpn01, &dns("www.example.test"))
        .await
        .expect("valid");
}

#[tokio::test]
async fn tlsalpn01_valid_for_a_localhost_name_and_an_ip_by_its_reverse_name() {
    let tls = TlsAlpnResponder::start().await;
    tls.set("svc.localhost", KEY_AUTHORIZATION);
    tls.set("127.0.0.1", KEY_AUTHORIZATION);
    let v = validator(&acme_config(None, Some(&tls), None, &[]));
    check(&v, ChallengeType::TlsAlpn01, &dns("svc.localhost"))
        .await
        .expect("valid by name");
    check(&v, ChallengeType::TlsAlpn01, &ip("127.0.0.1"))
        .await
        .expect("valid by IP (SNI 1.0.0.127.in-addr.arpa)");
}

#[tokio::test]
async fn tlsalpn01_wrong_certificates_are_incorrect_response() {
    let tls = TlsAlpnResponder::start().await;
    let v = validator(&acme_config(None, Some(&tls), None, &[]));
    let name = "svc.localhost";
    let cases = [
        (
            AlpnCertificate::rfc8737(name, "someone.else"),
            "not the SHA-256 of this challenge's key authorization",
        ),
        (
            AlpnCertificate {
                critical: false,
                ..AlpnCertificate::rfc8737(name, KEY_AUTHORIZATION)
            },
            "not marked critical",
        ),
        (
            AlpnCertificate {
                key_authorization: None,
                ..AlpnCertificate::rfc8737(name, KEY_AUTHORIZATION)
            },
            "no id-pe-acmeIdentifier extension",
        ),
        (
            AlpnCertificate {
                sans: vec![name.to_string(), "extra.localhost".to_string()],
                ..AlpnCertificate::rfc8737(name, KEY_AUTHORIZATION)
            },
            "2 subjectAltName entries",
        ),
        (
            AlpnCertificate::rfc8737("other.localhost", KEY_AUTHORIZATION),
            "names DNS:other.localhost, not svc.localhost",
        ),
    ];
    for (certificate, needle) in cases {
        tls.set_certificate(name, certificate);
        assert_problem(
            check(&v, ChallengeType::TlsAlpn01, &dns(name)).await,
            "incorrectResponse",
            needle,
        );
    }
}

#[tokio::test]
async fn tlsalpn01_server_without_acme_tls_alpn_is_tls() {
    // No ALPN at all: the handshake completes without a protocol.
    let plain = TlsAlpnResponder::start_with_alpn(Vec::new()).await;
    plain.set("svc.localhost", KEY_AUTHORIZATION);
    let v = validator(&acme_config(None, Some(&plain), None, &[]));
    assert_problem(
        check(&v, ChallengeType::TlsAlpn01, &dns("svc.localhost")).await,
        "tls",
        "not acme-tls/1",
    );
    // Another protocol only: the server refuses the handshake.
    let h2 = TlsAlpnResponder::start_with_alpn(vec![b"h2".to_vec()]).await;
    h2.set("svc.localhost", KEY_AUTHORIZATION);
    let v = validator(&acme_config(None, Some(&h2), None, &[]));
    assert_problem(
        check(&v, ChallengeType::TlsAlpn01, &dns("svc.localhost")).await,
        "tls",
        "must offer ALPN acme-tls/1",
    );
}

#[tokio::test]
async fn tlsalpn01_unknown_server_name_is_tls() {
    let tls = TlsAlpnResponder::start().await;
    let v = validator(&acme_config(None, Some(&tls), None, &[]));
    assert_problem(
        check(&v, ChallengeType::TlsAlpn01, &dns("nobody.localhost")).await,
        "tls",
        "SNI nobody.localhost",
    );
}

#[tokio::test]
async fn tlsalpn01_nothing_listening_is_connection() {
    let v = validator(&acme_config(None, None, None, &[]));
    assert_problem(
        check(&v, ChallengeType::TlsAlpn01, &dns("svc.localhost")).await,
        "connection",
        "acme-tls/1",
    );
}

#[tokio::test]
async fn tlsalpn01_unresolvable_name_is_dns() {
    let tls = TlsAlpnResponder::start().await;
    let dns_server = DnsServer::start().await;
    let v = validator(&acme_config(None, Some(&tls), Some(&dns_server), &[]));
    assert_problem(
        check(&v, ChallengeType::TlsAlpn01, &dns("nowhere.example.test")).await,
        "dns",
        "NXDOMAIN",
    );
}

// ---------------------------------------------------------------- always-valid

#[tokio::test]
async fn always_valid_checks_nothing() {
    let config = AcmeConfig {
        validation: AcmeValidation::AlwaysValid,
        ..acme_config(None, None, None, &[])
    };
    let v = validator(&config);
    assert!(v.always_valid());
    for kind in [
        ChallengeType::Http01,
        ChallengeType::Dns01,
        ChallengeType::TlsAlpn01,
    ] {
        check(&v, kind, &dns("nothing.listens.test"))
            .await
            .expect("always valid");
    }
    assert!(!validator(&acme_config(None, None, None, &[])).always_valid());
}
