use super::*;
use shared::models::{CertificatePolicy, OperationStatus};
use std::cell::Cell;

fn cert() -> Arc<CertRecord> {
    Arc::new(CertRecord {
        key: "web".into(),
        name: "Web".into(),
        policy: CertificatePolicy::default(),
        policy_created: 1,
        policy_updated: 1,
        deleted: None,
    })
}

fn op(status: OperationStatus) -> Arc<OperationRecord> {
    Arc::new(OperationRecord {
        key: "web".into(),
        version: "v1".into(),
        request_id: "r1".into(),
        issuer_name: "Unknown".into(),
        issuer_cty: None,
        cert_transparency: None,
        csr: Some(vec![1, 2, 3]),
        status,
        status_details: None,
        error: None,
        cancellation_requested: false,
        preserve_cert_order: false,
        policy: CertificatePolicy::default(),
        created: 1,
        updated: 1,
        next_run_at: 0,
        provider: None,
    })
}

/// The body `bodies` answers for `base`, `c` and `o`; a rendering (`base/name/status`) is
/// counted in `renders`.
fn poll(
    bodies: &PollBodies,
    renders: &Cell<usize>,
    base: &str,
    c: &Arc<CertRecord>,
    o: &Arc<OperationRecord>,
) -> Bytes {
    bodies
        .body(base, c, o, || {
            renders.set(renders.get() + 1);
            Ok(Bytes::from(format!("{base}/{}/{:?}", c.name, o.status)))
        })
        .unwrap()
}

#[test]
fn rendered_body_is_reused_only_for_the_same_records_and_base() {
    let bodies = PollBodies::default();
    let renders = Cell::new(0);
    let (c, pending) = (cert(), op(OperationStatus::InProgress));
    let first = poll(&bodies, &renders, "https://a", &c, &pending);
    let again = poll(&bodies, &renders, "https://a", &c, &pending);
    // Reuse means the very same buffer, rendered once.
    assert_eq!(first.as_ptr(), again.as_ptr());
    assert_eq!(renders.get(), 1);
    assert_eq!(first, "https://a/Web/InProgress");

    // Another base URL renders anew.
    let b = "https://b:8443";
    let other = poll(&bodies, &renders, b, &c, &pending);
    assert_eq!(other, "https://b:8443/Web/InProgress");
    assert_eq!(renders.get(), 2);

    // A replaced operation record (even with equal content) renders anew.
    let done = op(OperationStatus::Completed);
    let after = poll(&bodies, &renders, b, &c, &done);
    assert_eq!(after, "https://b:8443/Web/Completed");
    let copy = op(OperationStatus::Completed);
    let fresh = poll(&bodies, &renders, b, &c, &copy);
    assert_ne!(fresh.as_ptr(), after.as_ptr());
    assert_eq!(fresh, after);
    assert_eq!(renders.get(), 4);
}

#[test]
fn the_map_stays_bounded() {
    let bodies = PollBodies::default();
    let renders = Cell::new(0);
    let pending = op(OperationStatus::InProgress);
    for i in 0..(MAX_RENDERED * 2 + 5) {
        let c = Arc::new(CertRecord {
            key: format!("n{i}"),
            name: format!("n{i}"),
            ..(*cert()).clone()
        });
        poll(&bodies, &renders, "https://a", &c, &pending);
    }
    let len = bodies.entries.read().unwrap().len();
    assert!((1..=MAX_RENDERED).contains(&len), "{len} entries");
}
