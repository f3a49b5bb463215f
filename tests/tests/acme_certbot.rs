//! certbot from PyPI (5.x, pinned in `tests/sdk-apps/certbot/requirements.txt`, installed by
//! `tests/sdk-apps/install.sh` into `target/sdk-apps/venv`) against the real `vault` binary,
//! running **the command printed in README.md** (its "ACME" section) as it stands: the test
//! reads it from the README, changes only the ports (vault's and the http-01 one) and the
//! domain, and runs it from a temp dir, so its relative paths (`data/vault/tls/ca.pem` for
//! `REQUESTS_CA_BUNDLE`, certbot's config/work/logs dirs) land there. vault is started the
//! README's way too (its default data dir, `--acme-http01-port N`), so validation is real
//! http-01 against certbot's `--standalone` server, the `.localhost` name resolving to
//! loopback.
//!
//! Then: the issued files (the leaf names exactly the domain, its key is `privkey.pem`, the
//! chain verifies up to `/_admin/acme/root.pem`, 90 days); the same command with
//! `--preferred-profile shortlived` (a 6-day certificate, the order carrying the profile); and
//! `certbot renew` without `--force-renewal` after `PUT /_admin/acme/renewal-info` moved the
//! first certificate's ARI window into the past: certbot renews that lineage (its certificate
//! is weeks from certbot's own renewal time, so only ARI can have said so) and leaves the
//! short-lived one (its window is ahead), and vault's admin order list shows the new order.
//! certbot 5.8 does not send `replaces` on renewal, so none is asserted.
//!
//! certbot missing (no python3/venv, PyPI unreachable) fails the test with the installer's
//! output; it never skips.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use e2e::{
    parse_cert, pem_blocks, private_key_matches_cert, sdk_apps, verify_cert_signed_by, VaultProcess,
};
use serde_json::{json, Value};
use x509_parser::extensions::GeneralName;

/// Longest one certbot run may take (account, order, http-01, finalize, download).
const CERTBOT_TIMEOUT: Duration = Duration::from_secs(180);
/// The README's section that holds the command.
const README_SECTION: &str = "## ACME: certbot, lego, instant-acme";
/// What the README's command uses for vault's port and the http-01 port.
const README_VAULT: &str = "https://127.0.0.1:8443";
const DAY: i64 = 86_400;

/// A certbot command line of the README: its environment assignments and its arguments.
struct Certbot {
    env: Vec<(String, String)>,
    args: Vec<String>,
}

/// The README's ACME block: how it starts vault and the certbot commands it prints.
struct Readme {
    /// The flags the README starts vault with (after `--`).
    vault_args: Vec<String>,
    /// `certbot certonly …`.
    certonly: Certbot,
    /// `certbot renew …`.
    renew: Certbot,
}

/// Reads the first ```sh block of [`README_SECTION`] that runs `certbot certonly`, joining
/// backslash-continued lines: the line starting `cargo run` gives vault's flags, the lines
/// running `certbot certonly` and `certbot renew` the commands.
fn readme() -> Readme {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let section = readme
        .split_once(README_SECTION)
        .unwrap_or_else(|| panic!("README.md has no section `{README_SECTION}`"))
        .1;
    let block = section
        .split("```sh")
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(block, _)| block))
        .find(|block| block.contains("certbot certonly"))
        .expect("a ```sh block with `certbot certonly` in the README's ACME section");
    let lines: Vec<String> = block
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let vault_line = lines
        .iter()
        .find(|l| l.starts_with("cargo run"))
        .expect("a `cargo run ... -p vault -- FLAGS` line before the certbot command");
    let vault_args = vault_line
        .split_once(" -- ")
        .map(|(_, flags)| flags.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let command = |subcommand: &str| {
        let line = lines
            .iter()
            .find(|l| l.contains(&format!("certbot {subcommand}")))
            .unwrap_or_else(|| panic!("the README's block has no `certbot {subcommand}`"));
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
        Certbot {
            env,
            args: words.map(str::to_string).collect(),
        }
    };
    Readme {
        vault_args,
        certonly: command("certonly"),
        renew: command("renew"),
    }
}

/// The value after `flag` in `args`.
fn flag_value<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("the README's command has no {flag}: {args:?}"));
    args.get(at + 1)
        .unwrap_or_else(|| panic!("{flag} has no value"))
}

/// `args` with the value after `flag` replaced.
fn with_flag(mut args: Vec<String>, flag: &str, value: &str) -> Vec<String> {
    let at = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("the README's command has no {flag}: {args:?}"));
    args[at + 1] = value.to_string();
    args
}

/// One certbot run's outcome.
struct Run {
    ok: bool,
    output: String,
}

/// Runs certbot with `args` in `cwd`, with a cleared environment holding `env`, `PATH` and a
/// throwaway `HOME`. A failure's message includes certbot's output and its log's tail.
async fn certbot(certbot: &Path, cwd: &Path, env: &[(String, String)], args: &[String]) -> Run {
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
    Run {
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

impl Run {
    fn assert_ok(&self, logs: &Path) {
        assert!(self.ok, "{}\n--- log\n{}", self.output, log_tail(logs));
    }
}

fn log_tail(logs: &Path) -> String {
    let text = std::fs::read_to_string(logs.join("letsencrypt.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(80)..].join("\n")
}

/// A lineage's files, parsed and checked against vault's ACME root: the leaf names exactly
/// `domain`, `privkey.pem` is its key, and each certificate of `chain.pem` signs the one
/// before, the last signed by the root. Returns the leaf's DER.
fn check_lineage(live: &Path, domain: &str, root_der: &[u8]) -> Vec<u8> {
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
        verify_cert_signed_by(child, root_der)
            .expect("the chain's top is signed by /_admin/acme/root.pem");
    }
    leaf
}

/// The leaf's validity in seconds and its serial (lower-case hex, no leading zeros).
fn validity_and_serial(leaf: &[u8]) -> (i64, String) {
    let cert = parse_cert(leaf);
    let v = cert.validity();
    let secs = v.not_after.timestamp() - v.not_before.timestamp();
    let serial = format!("{:x}", cert.tbs_certificate.serial);
    (secs, serial)
}

/// The certificate files of a lineage's archive (`certN.pem`), sorted.
fn archived_certs(config: &Path, domain: &str) -> Vec<PathBuf> {
    let dir = config.join("archive").join(domain);
    let mut certs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("cert") && name.ends_with(".pem")
        })
        .collect();
    certs.sort();
    certs
}

/// Every order of the vault's ACME gateway (`GET /_admin/acme/orders`, all pages).
async fn admin_orders(vault: &VaultProcess) -> Vec<Value> {
    let http = vault.http();
    let mut url = format!("{}/_admin/acme/orders", vault.base_url());
    let mut orders = Vec::new();
    loop {
        let rsp = http
            .get(&url)
            .send()
            .await
            .expect("GET /_admin/acme/orders");
        assert_eq!(rsp.status().as_u16(), 200, "GET {url}");
        let page: Value = rsp.json().await.expect("orders JSON");
        orders.extend(page["orders"].as_array().cloned().unwrap_or_default());
        match page["next"].as_str() {
            Some(next) => url = next.to_string(),
            None => return orders,
        }
    }
}

/// The orders naming `domain`.
fn orders_for<'a>(orders: &'a [Value], domain: &str) -> Vec<&'a Value> {
    orders
        .iter()
        .filter(|o| {
            o["identifiers"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|i| i["value"] == domain))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certbot_readme_command_profile_and_ari_renewal() {
    let apps = tokio::task::spawn_blocking(sdk_apps)
        .await
        .expect("install the SDK apps and certbot");
    let certbot_bin = apps.python.with_file_name("certbot");
    assert!(
        certbot_bin.is_file(),
        "{} missing: tests/sdk-apps/install.sh installs certbot into the venv",
        certbot_bin.display()
    );
    let readme = readme();
    let work = tempfile::tempdir().expect("temp dir");
    let cwd = work.path();

    // vault as the README starts it, on free ports.
    let http01 = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let readme_http01 = flag_value(&readme.certonly.args, "--http-01-port").to_string();
    let vault_args: Vec<String> = readme
        .vault_args
        .iter()
        .map(|a| {
            if *a == readme_http01 {
                http01.to_string()
            } else {
                a.clone()
            }
        })
        .collect();
    assert!(
        vault_args
            .windows(2)
            .any(|w| w[0] == "--acme-http01-port" && w[1] == http01.to_string()),
        "the README starts vault with --acme-http01-port = certbot's --http-01-port: {:?}",
        readme.vault_args
    );
    // vault's default data dir (README "Flags"), relative to where the README's commands run.
    let data_dir = cwd.join("data").join("vault");
    let vault = VaultProcess::spawn_with_args(&data_dir, &vault_args).await;

    let root_pem = vault
        .http()
        .get(format!("{}/_admin/acme/root.pem", vault.base_url()))
        .send()
        .await
        .expect("GET /_admin/acme/root.pem");
    assert_eq!(root_pem.status().as_u16(), 200, "/_admin/acme/root.pem");
    let root_der = pem_blocks(&root_pem.text().await.expect("root.pem text"))
        .into_iter()
        .next()
        .expect("root.pem holds a certificate")
        .1;

    // The README's command, only ports and domain changed.
    let server =
        flag_value(&readme.certonly.args, "--server").replace(README_VAULT, &vault.base_url());
    assert!(
        server.ends_with("/acme/directory"),
        "--server is the directory URL: {server}"
    );
    let args = with_flag(readme.certonly.args.clone(), "--server", &server);
    let args = with_flag(args, "--http-01-port", &http01.to_string());
    let ca_bundle = readme
        .certonly
        .env
        .iter()
        .find(|(k, _)| k == "REQUESTS_CA_BUNDLE")
        .expect("the README's command sets REQUESTS_CA_BUNDLE");
    assert_eq!(
        std::fs::read_to_string(cwd.join(&ca_bundle.1)).expect("REQUESTS_CA_BUNDLE file"),
        vault.ca_pem(),
        "REQUESTS_CA_BUNDLE names vault's TLS CA"
    );
    let config = cwd.join(flag_value(&args, "--config-dir"));
    let logs = cwd.join(flag_value(&args, "--logs-dir"));

    // 1. certonly, the default profile: 90 days.
    let domain = "www.certbot.localhost";
    let first = with_flag(args.clone(), "-d", domain);
    certbot(&certbot_bin, cwd, &readme.certonly.env, &first)
        .await
        .assert_ok(&logs);
    let live = config.join("live").join(domain);
    let leaf = check_lineage(&live, domain, &root_der);
    let (secs, serial) = validity_and_serial(&leaf);
    assert!(
        (89 * DAY..=91 * DAY).contains(&secs),
        "the default profile issues 90-day certificates, got {secs} s"
    );

    // 2. --preferred-profile shortlived: 6 days, and the order says so.
    let short = "short.certbot.localhost";
    let mut second = with_flag(args.clone(), "-d", short);
    second.extend(["--preferred-profile".to_string(), "shortlived".to_string()]);
    certbot(&certbot_bin, cwd, &readme.certonly.env, &second)
        .await
        .assert_ok(&logs);
    let short_leaf = check_lineage(&config.join("live").join(short), short, &root_der);
    let (short_secs, _) = validity_and_serial(&short_leaf);
    assert!(
        (5 * DAY..=7 * DAY).contains(&short_secs),
        "shortlived issues 6-day certificates, got {short_secs} s"
    );
    let orders = admin_orders(&vault).await;
    let short_orders = orders_for(&orders, short);
    assert_eq!(short_orders.len(), 1, "one order for {short}: {orders:#?}");
    assert_eq!(short_orders[0]["profile"], "shortlived");
    assert_eq!(short_orders[0]["status"], "valid");

    // 3. ARI: the first certificate's window moved into the past → `certbot renew` renews it
    // (and only it), without --force-renewal.
    let now = time::OffsetDateTime::now_utc();
    let rfc3339 = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("format RFC 3339")
    };
    let window = json!({
        "serial": serial,
        "start": rfc3339(now - time::Duration::hours(2)),
        "end": rfc3339(now - time::Duration::hours(1)),
    });
    let put = vault
        .http()
        .put(format!("{}/_admin/acme/renewal-info", vault.base_url()))
        .json(&window)
        .send()
        .await
        .expect("PUT /_admin/acme/renewal-info");
    let status = put.status().as_u16();
    let body = put.text().await.unwrap_or_default();
    assert_eq!(status, 200, "PUT /_admin/acme/renewal-info: {body}");

    // The README's renew command as written: the same dirs, no --force-renewal.
    let renew = &readme.renew;
    assert_eq!(renew.args[0], "renew");
    assert!(!renew.args.iter().any(|a| a == "--force-renewal"));
    for flag in ["--config-dir", "--work-dir", "--logs-dir"] {
        assert_eq!(flag_value(&renew.args, flag), flag_value(&args, flag));
    }
    let run = certbot(&certbot_bin, cwd, &renew.env, &renew.args).await;
    run.assert_ok(&logs);
    assert_eq!(
        archived_certs(&config, domain).len(),
        2,
        "the ARI window renewed {domain}\n{}",
        run.output
    );
    assert_eq!(
        archived_certs(&config, short).len(),
        1,
        "{short} (window ahead) was left alone\n{}",
        run.output
    );
    let renewed = check_lineage(&live, domain, &root_der);
    let (renewed_secs, renewed_serial) = validity_and_serial(&renewed);
    assert_ne!(renewed_serial, serial, "a new certificate");
    assert!((89 * DAY..=91 * DAY).contains(&renewed_secs));
    let orders = admin_orders(&vault).await;
    let mine = orders_for(&orders, domain);
    assert_eq!(mine.len(), 2, "two orders for {domain}: {mine:#?}");
    assert!(mine.iter().all(|o| o["status"] == "valid"), "{mine:#?}");
}
