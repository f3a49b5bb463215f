//! Replays the committed corpora of vault's fuzz targets (`fuzz/corpus/{pem_chain,policy,
//! request}`) through the functions the targets run (`vault::fuzzing`), so every seed and
//! every input the fuzzer kept (crashes it found included) is checked by the normal suite on
//! stable. The request corpus runs against one real vault on a throwaway data dir, in file
//! order, as one fuzzing process would.

use shared::fuzzing::replay;
use vault::fuzzing;

#[test]
fn pem_chain_corpus_replays() {
    assert!(replay("pem_chain", fuzzing::pem_chain) > 0);
}

#[test]
fn policy_corpus_replays() {
    assert!(replay("policy", fuzzing::policy) > 0);
}

#[test]
fn request_corpus_replays() {
    let dir = tempfile::tempdir().expect("temp data dir");
    let vault = fuzzing::Requests::start(dir.path()).expect("vault starts");
    assert!(replay("request", |data| fuzzing::request(&vault, data)) > 0);
}

/// The harness reaches the handlers, not only the front door: the seeded certificate is
/// readable, and the hand-written seeds that create (`fuzz/corpus/request/`) get a 202.
#[test]
fn seeds_reach_the_handlers() {
    let dir = tempfile::tempdir().expect("temp data dir");
    let vault = fuzzing::Requests::start(dir.path()).expect("vault starts");
    let seed = |name: &str| {
        shared::fuzzing::corpus("request")
            .into_iter()
            .find(|(file, _)| file.ends_with(&format!("/{name}")))
            .unwrap_or_else(|| panic!("seed request/{name} is missing"))
            .1
    };
    let (status, body) = fuzzing::request(&vault, &seed("get.txt")).expect("a request");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"id\":\"https://vault.test/certificates/fuzz-self/"),
        "{body}"
    );
    let (status, body) = fuzzing::request(&vault, &seed("create-self.txt")).expect("a request");
    assert_eq!(status, 202, "{body}");
    let (status, body) = fuzzing::request(&vault, &seed("no-auth.txt")).expect("a request");
    assert_eq!(status, 401, "{body}");
}

/// Found by the `policy` target (before the policy checks used the builder's SAN rules): an
/// email SAN the certificate builder refuses passed validation, so the create failed later
/// (500 or a failed operation). Validation must refuse it with a 400 now.
#[test]
fn regression_email_san_the_builder_refuses_is_a_policy_error() {
    let body = br#"{"policy":{"x509_props":{"subject":"CN=x","sans":{"emails":["a.b+c@fuzz.t=st"]}},"issuer":{"name":"Self"}}}"#;
    fuzzing::policy(body);
    let params: shared::models::CertificateCreateParameters =
        serde_json::from_slice(body).expect("the wire model reads it");
    let err = vault::certs::policy::complete(params.policy.expect("a policy"))
        .expect_err("validation refuses the email SAN");
    assert!(err.to_string().contains("a.b+c@fuzz.t=st"), "{err}");
}
