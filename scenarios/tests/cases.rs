//! Runs every scenario file in `scenarios/cases/` against in-process services and asserts that
//! all of them pass; also checks that bad files are reported with file, line and field.

use crate::common;
use scenarios::report::{self, Progress};
use scenarios::runner::{self, Env};
use scenarios::services::{LocalOptions, LocalServices};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_case_file_passes() {
    let cases = scenarios::case::load_paths(&[common::cases_dir()]).expect("case files parse");
    assert!(
        cases.len() >= 25,
        "expected at least 25 cases, found {}",
        cases.len()
    );
    let services = LocalServices::start(LocalOptions::default())
        .await
        .expect("start vault and ca-sim");
    let env = Env::new(&services.endpoints).expect("clients");
    let started = Instant::now();
    let reports = runner::run_all(&env, &cases, Arc::new(Progress { verbose: false }), 8).await;
    let table = report::summary_table(&reports);
    println!("{table}");
    println!("total {:.1}s", started.elapsed().as_secs_f64());
    services.stop().await;
    common::assert_all_passed(&reports, &table);
}

#[test]
fn bad_files_name_file_line_and_field() {
    let file = Path::new("cases/bad.toml");
    let text = "name = \"bad\"\n\n[[steps]]\ndo = \"poll_until\"\nname = \"x\"\ndeadline = \"2 fortnights\"\n";
    let err = scenarios::case::parse(text, file).unwrap_err().to_string();
    assert!(err.starts_with("cases/bad.toml:"), "{err}");
    assert!(
        err.contains("deadline") || err.contains("duration"),
        "{err}"
    );
    // The one duration grammar (`shared::duration`) names the forms it accepts.
    assert!(err.contains("ms, s, m, h or d"), "{err}");

    let text =
        "name = \"bad\"\n\n[[steps]]\ndo = \"get\"\nname = \"x\"\nexpect = { staus = 200 }\n";
    let err = scenarios::case::parse(text, file).unwrap_err().to_string();
    assert!(err.contains("cases/bad.toml:6:"), "{err}");
    assert!(err.contains("staus"), "{err}");

    let text = "name = \"bad\"\n\n[[steps]]\ndo = \"teleport\"\nname = \"x\"\n";
    let err = scenarios::case::parse(text, file).unwrap_err().to_string();
    assert!(err.contains("cases/bad.toml:"), "{err}");
    assert!(err.contains("teleport"), "{err}");

    let text = "name = \"bad\"\n\n[[setup.faults]]\noperation = \"poll\"\naction = { kind = \"explode\" }\n\n[[steps]]\ndo = \"get\"\nname = \"x\"\n";
    let err = scenarios::case::parse(text, file).unwrap_err().to_string();
    assert!(err.contains("explode"), "{err}");

    let text = "name = \"bad\"\ntimeout = 5\n\n[[steps]]\ndo = \"get\"\nname = \"x\"\nexpect = { error_message = \"([\" }\n";
    let err = scenarios::case::parse(text, file).unwrap_err().to_string();
    assert!(
        err.contains(":7:") && err.contains("error_message"),
        "{err}"
    );
}

#[test]
fn clock_contacts_and_whole_outbox_scenarios_run_alone() {
    let cases = scenarios::case::load_paths(&[common::cases_dir()]).expect("case files parse");
    let lifetime: Vec<_> = cases
        .iter()
        .filter(|c| c.name.starts_with("lifetime-"))
        .collect();
    assert!(lifetime.len() >= 5, "the lifetime cases");
    for c in cases
        .iter()
        .filter(|c| c.moves_vault_clock() || c.changes_contacts())
    {
        assert!(c.is_exclusive(), "{} changes global state", c.name);
    }

    let file = Path::new("x.toml");
    let one = "name = \"n\"\n\n[[steps]]\ndo = \"notifications\"\nname = \"c\"\nexpect = { notifications = [{ kind = \"renewed\", count = 1 }] }\n";
    assert!(!scenarios::case::parse(one, file).unwrap().is_exclusive());
    let all = "name = \"n\"\n\n[[steps]]\ndo = \"notifications\"\nexpect = { notifications = [{ kind = \"renewed\" }] }\n";
    assert!(scenarios::case::parse(all, file).unwrap().is_exclusive());
    let misplaced = "name = \"n\"\n\n[[steps]]\ndo = \"get\"\nname = \"c\"\nexpect = { notifications = [{ kind = \"renewed\" }] }\n";
    let err = scenarios::case::parse(misplaced, file)
        .unwrap_err()
        .to_string();
    assert!(err.contains("notifications"), "{err}");
}
