//! Unit tests of the access document's loading and of the decisions of both models.

use super::actions::{lookup, Category, OPERATIONS};
use super::caller::Caller;
use super::doc::{AccessDoc, Principal};
use super::load;
use super::state::Access;
use crate::error::Error;
use axum::http::Method;

#[test]
fn derived_object_ids_are_stable_uuids() {
    let p = Principal {
        name: "app".into(),
        client_id: "11111111-1111-1111-1111-111111111111".into(),
        ..Default::default()
    };
    let a = p.object_id_or_derived("t1");
    assert_eq!(a, p.object_id_or_derived("t1"));
    assert_ne!(a, p.object_id_or_derived("t2"));
    assert_eq!(a.len(), 36);
    assert_eq!(a.as_bytes()[14], b'8');
    let explicit = Principal {
        object_id: Some("oid-1".into()),
        ..p
    };
    assert_eq!(explicit.object_id_or_derived("t1"), "oid-1");
}

#[test]
fn every_operation_is_found_by_its_own_route() {
    for op in OPERATIONS {
        let path = op
            .route
            .replace("{name}", "web")
            .replace("{version}", "v1")
            .replace("{issuer}", "dc");
        let found = lookup(&op.method, &path).expect(&path);
        assert!(std::ptr::eq(found.op, op), "{} {path}", op.method);
    }
    assert_eq!(
        lookup(&Method::GET, "/certificates/issuers").map(|n| n.op.category),
        Some(Category::Certificates)
    );
    assert!(lookup(&Method::GET, "/nothing").is_none());
    let _ = (Access::new(AccessDoc::default()), load::parse_scope("/"));
    let _: Option<Caller> = None;
    let _: Option<Error> = None;
}
