//! certbot (PyPI, installed into the SDK apps' venv by `tests/sdk-apps/install.sh`) as the
//! tests run it against an ACME server: [`certbot_binary`] (installed on demand, never
//! skipped), a README command line split into its environment and arguments
//! ([`CertbotCommand`]), one run in a throwaway `HOME` ([`run_certbot`]), and the check of a
//! lineage certbot wrote ([`check_lineage`]).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use x509_parser::extensions::GeneralName;

use crate::bytes::pem_blocks;
use crate::crypto::{parse_cert, private_key_matches_cert, verify_cert_signed_by};
use crate::sdk_apps::sdk_apps;

/// Longest one certbot run may take (account, order, http-01, finalize, download).
pub const CERTBOT_TIMEOUT: Duration = Duration::from_secs(180);

/// `certbot` of the venv; installs it first (once per test process). A missing python3/venv
/// or an unreachable PyPI fails with the installer's output: the tests never skip.
pub async fn certbot_binary() -> PathBuf {
    let apps = tokio::task::spawn_blocking(sdk_apps)
        .await
        .expect("install the SDK apps and certbot");
    let bin = apps.python.with_file_name("certbot");
    assert!(
        bin.is_file(),
        "{} missing: tests/sdk-apps/install.sh installs certbot into the venv",
        bin.display()
    );
    bin
}

/// A certbot command line of a README: its environment assignments and its arguments.
#[derive(Debug, Clone)]
pub struct CertbotCommand {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
}

impl CertbotCommand {
    /// Splits `NAME=VALUE … certbot ARGS…` (one line, continuations already joined).
    pub fn parse(line: &str) -> CertbotCommand {
        let mut env = Vec::new();
        let mut words = line.split_whitespace().peekable();
        while let Some((name, value)) = words.peek().and_then(|w| w.split_once('=')) {
            env.push((name.to_string(), value.to_string()));
            words.next();
        }
        assert_eq!(
            words.next(),
            Some("certbot"),
            "the command runs certbot: {line}"
        );
        CertbotCommand {
            env,
            args: words.map(str::to_string).collect(),
        }
    }

    /// The value of environment assignment `name`.
    pub fn env_value(&self, name: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("the README's command sets no {name}: {:?}", self.env))
    }
}

/// The lines of the first ```sh block after `section` in `readme` that contains `needle`,
/// backslash continuations joined, blank and comment lines dropped.
pub fn readme_sh_block(readme: &Path, section: &str, needle: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(readme).unwrap_or_else(|err| panic!("{}: {err}", readme.display()));
    let after = text
        .split_once(section)
        .unwrap_or_else(|| panic!("{} has no section `{section}`", readme.display()))
        .1;
    let block = after
        .split("```sh")
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(block, _)| block))
        .find(|block| block.contains(needle))
        .unwrap_or_else(|| panic!("no ```sh block with `{needle}` after `{section}`"));
    block
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// The value after `flag` in `args`.
pub fn flag_value<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("the README's command has no {flag}: {args:?}"));
    args.get(at + 1)
        .unwrap_or_else(|| panic!("{flag} has no value"))
}

/// `args` with the value after `flag` replaced.
pub fn with_flag(mut args: Vec<String>, flag: &str, value: &str) -> Vec<String> {
    let at = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("the README's command has no {flag}: {args:?}"));
    args[at + 1] = value.to_string();
    args
}

/// One certbot run's outcome.
pub struct CertbotRun {
    pub ok: bool,
    /// The command, its exit code, stdout and stderr.
    pub output: String,
}

impl CertbotRun {
    /// Panics unless certbot succeeded, with its output and the tail of its log in `logs`.
    pub fn assert_ok(&self, logs: &Path) {
        assert!(self.ok, "{}\n--- log\n{}", self.output, log_tail(logs));
    }
}

/// Runs certbot with `args` in `cwd`, with a cleared environment holding `env`, `PATH` and a
/// throwaway `HOME` (`cwd`), so nothing of the user's certbot setup leaks in.
pub async fn run_certbot(
    certbot: &Path,
    cwd: &Path,
    env: &[(String, String)],
    args: &[String],
) -> CertbotRun {
    let child = tokio::process::Command::new(certbot)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|err| panic!("spawn {}: {err}", certbot.display()));
    let out = tokio::time::timeout(CERTBOT_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("certbot {args:?} ran longer than {CERTBOT_TIMEOUT:?}"))
        .expect("wait for certbot");
    CertbotRun {
        ok: out.status.success(),
        output: format!(
            "certbot {}\n--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The last 80 lines of certbot's log in `logs`.
fn log_tail(logs: &Path) -> String {
    let text = std::fs::read_to_string(logs.join("letsencrypt.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(80)..].join("\n")
}

/// A lineage's files (`live/<domain>/`), parsed and checked against the CA's ACME root: the
/// leaf names exactly `domain`, `privkey.pem` is its key, `fullchain.pem` = leaf + `chain.pem`,
/// and each certificate of `chain.pem` signs the one before, the last signed by (or being)
/// `root_der`. Returns the leaf's DER.
pub fn check_lineage(live: &Path, domain: &str, root_der: &[u8]) -> Vec<u8> {
    let read = |file: &str| {
        std::fs::read_to_string(live.join(file))
            .unwrap_or_else(|err| panic!("{}: {err}", live.join(file).display()))
    };
    let leaf = pem_blocks(&read("cert.pem"));
    assert_eq!(leaf.len(), 1, "cert.pem holds the leaf only");
    let leaf = leaf[0].1.clone();
    let chain: Vec<Vec<u8>> = pem_blocks(&read("chain.pem"))
        .into_iter()
        .map(|(_, der)| der)
        .collect();
    assert!(!chain.is_empty(), "chain.pem holds the intermediate(s)");
    let full: Vec<Vec<u8>> = pem_blocks(&read("fullchain.pem"))
        .into_iter()
        .map(|(_, der)| der)
        .collect();
    assert_eq!(full[0], leaf, "fullchain.pem starts with the leaf");
    assert_eq!(full[1..], chain[..], "fullchain.pem = leaf + chain.pem");

    let cert = parse_cert(&leaf);
    let sans: Vec<String> = cert
        .subject_alternative_name()
        .expect("SAN extension parses")
        .expect("the leaf has a SAN extension")
        .value
        .general_names
        .iter()
        .map(|n| match n {
            GeneralName::DNSName(d) => d.to_string(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        sans,
        vec![domain.to_string()],
        "the leaf names exactly {domain}"
    );
    let key = pem_blocks(&read("privkey.pem"));
    assert_eq!(key[0].0, "PRIVATE KEY", "certbot writes PKCS#8");
    assert!(
        private_key_matches_cert(&key[0].1, &leaf),
        "privkey.pem is the leaf's key"
    );

    let mut child = &leaf;
    for issuer in &chain {
        verify_cert_signed_by(child, issuer).expect("each certificate signs the one before");
        child = issuer;
    }
    if child.as_slice() != root_der {
        verify_cert_signed_by(child, root_der).expect("the chain's top is signed by the root");
    }
    leaf
}
