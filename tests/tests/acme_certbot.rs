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

use e2e::{
    certbot_binary, check_lineage, flag_value, parse_cert, pem_blocks, readme_sh_block,
    run_certbot as certbot, with_flag, CertbotCommand as Certbot, VaultProcess,
};
use serde_json::{json, Value};

/// The README's section that holds the command.
const README_SECTION: &str = "## ACME: certbot, lego, instant-acme";
/// What the README's command uses for vault's port and the http-01 port.
const README_VAULT: &str = "https://127.0.0.1:8443";
const DAY: i64 = 86_400;

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
    let lines = readme_sh_block(&path, README_SECTION, "certbot certonly");
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
        Certbot::parse(line)
    };
    Readme {
        vault_args,
        certonly: command("certonly"),
        renew: command("renew"),
    }
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
    let certbot_bin = certbot_binary().await;
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
