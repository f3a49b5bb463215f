//! Replays the committed corpora of ca-sim's fuzz targets (`fuzz/corpus/{digicert,globalsign,
//! wosign}`) through the functions the targets run (`ca_sim::fuzzing`), each against a real
//! ca-sim on a throwaway data dir, so every seed and every input the fuzzer kept (crashes it
//! found included) is checked by the normal suite on stable.

use ca_sim::fuzzing::{self, Sim};
use shared::fuzzing::replay;

fn sim() -> (tempfile::TempDir, Sim) {
    let dir = tempfile::tempdir().expect("temp data dir");
    let sim = Sim::start(dir.path()).expect("ca-sim starts");
    (dir, sim)
}

/// The committed corpus file `name` of `target`.
fn seed(target: &str, name: &str) -> Vec<u8> {
    shared::fuzzing::corpus(target)
        .into_iter()
        .find(|(file, _)| file.ends_with(&format!("/{name}")))
        .unwrap_or_else(|| panic!("seed {target}/{name} is missing"))
        .1
}

#[test]
fn digicert_corpus_replays() {
    let (_dir, sim) = sim();
    assert!(replay("digicert", |data| fuzzing::digicert(&sim, data)) > 0);
}

#[test]
fn globalsign_corpus_replays() {
    let (_dir, sim) = sim();
    assert!(replay("globalsign", |data| fuzzing::globalsign(&sim, data)) > 0);
}

#[test]
fn wosign_corpus_replays() {
    let (_dir, sim) = sim();
    assert!(replay("wosign", |data| fuzzing::wosign(&sim, data)) > 0);
}

/// The harness reaches the operations, not only the front door: the hand-written seeds that
/// place an order (`fuzz/corpus/<dialect>/`) get one, with the credentials the harness adds.
#[test]
fn seeds_place_orders() {
    let (_dir, sim) = sim();
    let (status, body) = fuzzing::digicert(&sim, &seed("digicert", "order-instant.txt"))
        .expect("a DigiCert request");
    assert_eq!(status, 201, "{body}");
    assert!(
        body.contains("\"certificate_id\""),
        "issued at once: {body}"
    );
    let (status, body) =
        fuzzing::wosign(&sim, &seed("wosign", "create.txt")).expect("a WoSign request");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"orderNo\""), "{body}");
    let (status, body) = fuzzing::globalsign(&sim, &seed("globalsign", "ovorder.txt"))
        .expect("a GlobalSign request");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<SuccessCode>0</SuccessCode>"), "{body}");
}

/// Found by the `digicert` target: an instant order (`skip_approval`) whose common name is not
/// ASCII was signed in the 201 itself, signing failed and the answer was a 500. A name the CA
/// cannot certify is now refused when the order is placed, in every dialect's own words.
#[test]
fn regression_non_ascii_names_are_refused_when_ordering() {
    let (_dir, sim) = sim();
    let crash = seed("digicert", "crash-non-ascii-common-name.txt");
    let (status, body) = fuzzing::digicert(&sim, &crash).expect("a DigiCert request");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid_dns_name"), "{body}");

    let text =
        |target: &str, name: &str| String::from_utf8(seed(target, name)).expect("a text seed");
    let wosign = text("wosign", "create.txt").replace("www.order.fuzz.test", "www.ördér.test");
    let (status, body) = fuzzing::wosign(&sim, wosign.as_bytes()).expect("a WoSign request");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"code\":2003"), "{body}");
    let globalsign = text("globalsign", "ovorder.txt")
        .replace("<OrderID>FUZZ0001</OrderID>", "<OrderID>FUZZNAME</OrderID>")
        .replace(
            "<SubjectAltName>www.order.fuzz.test</SubjectAltName>",
            "<SubjectAltName>www.ördér.test</SubjectAltName>",
        );
    let (status, body) =
        fuzzing::globalsign(&sim, globalsign.as_bytes()).expect("a GlobalSign request");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<ErrorCode>-104</ErrorCode>"), "{body}");
}
