//! The `vault` binary as a user runs it: flags, the printed address, readiness, the admin
//! endpoints, and a clean exit on bad input.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn help_lists_the_documented_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_vault"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--data-dir",
        "--public-url",
        "--hostname",
        "--tls-cert",
        "--tls-key",
        "--log-format",
        "--self-signed-delay",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
}

#[test]
fn bad_flag_values_stop_start_up_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_vault"))
        .args(["--listen", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--listen"));
}

#[test]
fn binary_prints_bound_address_and_ca_path_then_ready() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vault"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let third = lines.next().unwrap().unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        first.starts_with("vault listening on https://127.0.0.1:"),
        "{first}"
    );
    assert!(!first.ends_with(":0"), "{first}");
    assert!(
        second.contains(&dir.path().join("tls").join("ca.pem").display().to_string()),
        "{second}"
    );
    assert_eq!(third, "ready");
    assert!(dir.path().join("tls/ca.pem").exists());
    assert!(dir.path().join("vault.db").exists());
}
