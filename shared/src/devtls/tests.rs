//! The dev CA's life cycle: created once, server certificate re-issued for new names, a CA
//! constrained on request and replaced when its constraints fall short.

use super::*;

#[test]
fn material_is_created_once_and_reissued_for_new_names() {
    let dir = tempfile::tempdir().unwrap();
    let first = ensure(dir.path(), "CN=Test Dev CA", &[]).unwrap();
    let again = ensure(dir.path(), "CN=Test Dev CA", &[]).unwrap();
    assert_eq!(first.ca_pem, again.ca_pem);
    assert_eq!(first.chain, again.chain);
    let more = ensure(dir.path(), "CN=Test Dev CA", &["vault.test".into()]).unwrap();
    assert_eq!(first.ca_pem, more.ca_pem, "same CA");
    assert_ne!(first.chain[0], more.chain[0], "new server certificate");
    let info = crypto::parse_certificate(&more.chain[0]).unwrap();
    let dns = info.sans.dns_names.unwrap();
    assert!(dns.contains(&"vault.test".to_string()), "{dns:?}");
    crypto::verify_certificate_signature(&more.chain[0], &more.chain[1]).unwrap();
    assert!(dns.contains(&"*.localhost".to_string()), "{dns:?}");
    assert!(first.ca_replaced.is_none() && more.ca_replaced.is_none());
    assert_eq!(crypto::permitted_names(&more.chain[1]).unwrap(), None);
}

fn constrained<'a>(permitted: &'a [Subtree]) -> DevTlsOptions<'a> {
    DevTlsOptions {
        ca_subject: "CN=Constrained Dev CA",
        dns_names: &["*.svc.test", "login.test"],
        permitted: Some(permitted),
    }
}

#[test]
fn an_unconstrained_or_narrower_ca_is_replaced_once() {
    let dir = tempfile::tempdir().unwrap();
    let old = ensure(dir.path(), "CN=Old Dev CA", &[]).unwrap();
    let base = [
        Subtree::for_host("svc.test"),
        Subtree::for_host("login.test"),
        Subtree::for_host("localhost"),
    ];
    let new = ensure_with(dir.path(), &constrained(&base), &[]).unwrap();
    assert_ne!(old.ca_pem, new.ca_pem, "new CA");
    assert!(new.ca_replaced.unwrap().contains("no name constraints"));
    let names = crypto::permitted_names(&new.chain[1]).unwrap().unwrap();
    assert!(names.critical);
    assert_eq!(names.subtrees, base);
    crypto::verify_certificate_signature(&new.chain[0], &new.chain[1]).unwrap();
    let sans = crypto::parse_certificate(&new.chain[0]).unwrap().sans;
    let dns = sans.dns_names.unwrap();
    for d in ["localhost", "*.svc.test", "login.test"] {
        assert!(dns.contains(&d.to_string()), "{d} in {dns:?}");
    }
    // webpki rejects a constrained chain whose leaf has a two-label wildcard.
    assert!(!dns.contains(&"*.localhost".to_string()), "{dns:?}");

    // Same request: kept. A hostname inside a subtree: kept, only the server certificate
    // changes. A hostname outside: replaced again, and the constraint grows by it.
    let same = ensure_with(dir.path(), &constrained(&base), &[]).unwrap();
    assert!(same.ca_replaced.is_none());
    assert_eq!(same.chain, new.chain);
    let inside = ensure_with(dir.path(), &constrained(&base), &["a.svc.test".into()]).unwrap();
    assert!(inside.ca_replaced.is_none());
    assert_eq!(inside.ca_pem, new.ca_pem);
    assert_ne!(inside.chain[0], new.chain[0]);
    let hosts = vec!["other.example".to_string(), "10.0.0.7".to_string()];
    let outside = ensure_with(dir.path(), &constrained(&base), &hosts).unwrap();
    let why = outside.ca_replaced.unwrap();
    assert!(
        why.contains("DNS:other.example") && why.contains("IP:10.0.0.7/32"),
        "{why}"
    );
    let names = crypto::permitted_names(&outside.chain[1]).unwrap().unwrap();
    assert!(names.covers(&[
        Subtree::for_host("other.example"),
        Subtree::for_host("10.0.0.7")
    ]));
    crypto::verify_certificate_signature(&outside.chain[0], &outside.chain[1]).unwrap();
}
