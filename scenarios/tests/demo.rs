//! `scenarios demo` in CI: the showcase runs end to end, passes, and stays well under a minute.

use crate::common;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demo_passes_well_under_a_minute() {
    let outcome = scenarios::demo::run(scenarios::demo::DemoOptions {
        quiet: false,
        ..Default::default()
    })
    .await
    .expect("demo starts");
    let failed = common::failures(&outcome.reports);
    assert!(
        failed.is_empty(),
        "demo scenarios failed:\n{}",
        failed.join("\n")
    );
    assert_eq!(outcome.reports.len(), scenarios::demo::SHOWCASE.len());
    assert!(
        outcome.duration < Duration::from_secs(45),
        "the demo took {:?}",
        outcome.duration
    );
}

#[test]
fn showcase_files_parse() {
    let cases = scenarios::demo::showcase().expect("showcase parses");
    assert!(cases.len() >= 9);
}
