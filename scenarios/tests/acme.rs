//! The ACME cases against a vault that validates challenges for real (`--acme-validation
//! real`): http-01 is answered by the runner's responder, which the services point vault at,
//! for names under `.localhost` (loopback, RFC 6761). A challenge the runner cannot answer
//! (tls-alpn-01) makes the order invalid, so validation did happen.

use crate::common;
use scenarios::report::{self, Progress};
use scenarios::runner::{self, Env};
use scenarios::services::{LocalOptions, LocalServices};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use vault::config::AcmeValidation;

fn case_file(name: &str) -> PathBuf {
    common::cases_dir().join(format!("{name}.toml"))
}

/// An order whose tls-alpn-01 challenge nobody answers.
const UNANSWERED: &str = r#"
name = "acme-unanswered-tls-alpn"

[[steps]]
do = "acme_account"

[[steps]]
do = "acme_order"
identifiers = ["unanswered.acme-real.localhost"]

[[steps]]
do = "acme_challenge"
type = "tls-alpn-01"
status = "invalid"
expect = { json = { "/status" = "invalid" } }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn http01_cases_pass_with_real_validation() {
    let mut cases =
        scenarios::case::load_paths(&[case_file("acme-local"), case_file("acme-revoke-ari")])
            .expect("case files parse");
    cases.push(
        scenarios::case::parse(UNANSWERED, Path::new("unanswered.toml"))
            .expect("the inline case parses"),
    );
    let services = LocalServices::start(LocalOptions {
        acme_validation: AcmeValidation::Real,
        ..LocalOptions::default()
    })
    .await
    .expect("start vault and ca-sim");
    assert!(
        services.endpoints.http01.is_some(),
        "started services come with the http-01 responder"
    );
    let env = Env::new(&services.endpoints).expect("clients");
    let reports = runner::run_all(&env, &cases, Arc::new(Progress { verbose: false }), 4).await;
    let table = report::summary_table(&reports);
    services.stop().await;
    common::assert_all_passed(&reports, &table);
    assert_eq!(reports.len(), 3, "{table}");
}

#[test]
fn acme_files_report_bad_fields_with_their_line() {
    let file = Path::new("cases/bad.toml");
    let parse = |text: &str| {
        scenarios::case::parse(text, file)
            .expect_err("a bad ACME step")
            .to_string()
    };
    let err = parse(
        "name = \"bad\"\n\n[[steps]]\ndo = \"acme_challenge\"\ntype = \"carrier-pigeon-01\"\n",
    );
    assert!(
        err.contains("cases/bad.toml:3:") && err.contains("carrier-pigeon-01"),
        "{err}"
    );
    let err = parse("name = \"bad\"\n\n[[steps]]\ndo = \"acme_revoke\"\nreason = \"boredom\"\n");
    assert!(
        err.contains("reason") && err.contains("keyCompromise"),
        "{err}"
    );
    // vault's own validation of the chaos document, before anything runs.
    let err = parse(
        "name = \"bad\"\n\n[[steps]]\ndo = \"acme_chaos\"\nchaos = { bad_nonce_rate = 2.0 }\n",
    );
    assert!(
        err.contains("cases/bad.toml:3:") && err.contains("bad_nonce_rate"),
        "{err}"
    );
    let err = parse(
        "name = \"bad\"\n\n[[steps]]\ndo = \"acme_order\"\nidentifiers = [\"a.example\"]\nexpect = { window_start_days_min = 1 }\n",
    );
    assert!(err.contains("acme_renewal_info"), "{err}");
}

#[test]
fn acme_chaos_runs_alone_and_profiles_are_issuer_resources() {
    let file = Path::new("x.toml");
    let chaos = "name = \"n\"\n\n[[steps]]\ndo = \"acme_chaos\"\nchaos = {}\n";
    let case = scenarios::case::parse(chaos, file).unwrap();
    assert!(case.is_exclusive() && case.touches_acme_chaos());
    let order = "name = \"n\"\n\n[[steps]]\ndo = \"acme_order\"\nidentifiers = [\"a.example\"]\nprofile = \"my-digicert\"\n";
    let case = scenarios::case::parse(order, file).unwrap();
    assert!(!case.is_exclusive());
    assert!(case.resources().contains("issuer:my-digicert"));
    let local = "name = \"n\"\n\n[[steps]]\ndo = \"acme_order\"\nidentifiers = [\"a.example\"]\nprofile = \"shortlived\"\n";
    assert!(scenarios::case::parse(local, file)
        .unwrap()
        .resources()
        .is_empty());
}
