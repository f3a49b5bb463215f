//! certbot from PyPI (pinned in `tests/sdk-apps/certbot/requirements.txt`, installed by
//! `tests/sdk-apps/install.sh` into `target/sdk-apps/venv`) against the real `ca-sim` binary's
//! ACME dialect, running **the command printed in ca-sim/README.md** (its ACME section) as it
//! stands: the test reads it from the README and changes only ca-sim's port, the http-01 port
//! and the certbot dirs (`/tmp/cb` → the same path under a temp dir), and runs it from a temp
//! dir, so `REQUESTS_CA_BUNDLE=data/ca-sim/tls/ca.pem` lands there. ca-sim is started the
//! README's way (`ca-sim` with its defaults: data in `data/ca-sim`, real validation), plus
//! `--listen 127.0.0.1:0` and `--acme-http01-port` = certbot's `--http-01-port` in place of the
//! default 5002 the README relies on; validation is real http-01 against certbot's
//! `--standalone` server, `web.localhost` resolving to loopback.
//!
//! Then: the lineage (the leaf names exactly the domain, `privkey.pem` is its key, the chain
//! verifies up to `GET /admin/acme/root.pem`, 90 days), ca-sim's own views of it (one valid ACME
//! order for the name, `cert-status-by-serial` says `Valid` and holds the same leaf).
//!
//! certbot missing (no python3/venv, PyPI unreachable) fails the test with the installer's
//! output; it never skips.

use std::path::{Path, PathBuf};

use e2e::{
    ca_sim_binary, certbot_binary, check_lineage, flag_value, free_port, parse_cert, pem_blocks,
    readme_sh_block, run_certbot, spawn_captured, trusting_client, with_flag, Captured,
    CertbotCommand, DEADLINE,
};
use reqwest::StatusCode;
use serde_json::Value;

/// The README's ACME section.
const README_SECTION: &str = "## ACME (`/acme/directory`)";
/// ca-sim's address in the README's command (its default `--listen`).
const README_CASIM: &str = "https://127.0.0.1:9443";
/// ca-sim's default `--acme-http01-port`, which the README's `--http-01-port` relies on.
const DEFAULT_HTTP01_PORT: &str = "5002";
const DAY: i64 = 86_400;

/// The `ca-sim` binary, run from `cwd` with `args`; killed on drop.
struct CaSimProcess {
    _child: tokio::process::Child,
    /// `https://127.0.0.1:PORT`, as printed on its `ca-sim listening on` line.
    base: String,
    http: reqwest::Client,
}

impl CaSimProcess {
    /// Spawns ca-sim and waits for its `ready` line; its TLS CA is read from the default data
    /// dir under `cwd` (`data/ca-sim/tls/ca.pem`, which it prints as the one to trust).
    async fn spawn(cwd: &Path, args: &[String]) -> CaSimProcess {
        let bin = tokio::task::spawn_blocking(ca_sim_binary)
            .await
            .expect("locate the ca-sim binary");
        let mut command = tokio::process::Command::new(&bin);
        command.args(args).current_dir(cwd);
        let Captured {
            mut child,
            output,
            lines: mut rx,
        } = spawn_captured(&mut command, &bin);
        let started = async {
            let mut base = None;
            while let Some(line) = rx.recv().await {
                if let Some(url) = line.strip_prefix("ca-sim listening on ") {
                    base = Some(url.trim().trim_end_matches('/').to_string());
                }
                if line.trim() == "ready" {
                    return base;
                }
            }
            None
        };
        let base = match tokio::time::timeout(DEADLINE, started).await {
            Ok(Some(base)) => base,
            _ => panic!(
                "ca-sim printed no `listening on` and `ready` (exit: {:?}); output:\n{}",
                child.try_wait().ok().flatten(),
                output.lock().expect("output lock")
            ),
        };
        let ca_pem = std::fs::read_to_string(cwd.join("data/ca-sim/tls/ca.pem"))
            .expect("ca-sim's TLS CA in its default data dir");
        CaSimProcess {
            _child: child,
            base,
            http: trusting_client(&ca_pem, None),
        }
    }

    /// `GET /admin/{path}`: status and body.
    async fn admin(&self, path: &str) -> (StatusCode, String) {
        let url = format!("{}/admin/{path}", self.base);
        let rsp = self
            .http
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|err| panic!("GET {url}: {err}"));
        let status = rsp.status();
        (status, rsp.text().await.unwrap_or_default())
    }

    /// `GET /admin/{path}` answering 200 with JSON.
    async fn admin_json(&self, path: &str) -> Value {
        let (status, body) = self.admin(path).await;
        assert_eq!(status, StatusCode::OK, "GET /admin/{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|err| panic!("/admin/{path}: {err}: {body}"))
    }
}

/// `path` of the README (absolute, e.g. `/tmp/cb`) moved under `root`.
fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certbot_readme_command_against_ca_sim_acme() {
    let certbot = certbot_binary().await;
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ca-sim/README.md");
    let lines = readme_sh_block(&readme, README_SECTION, "certbot certonly");
    let command = CertbotCommand::parse(
        lines
            .iter()
            .find(|l| l.contains("certbot certonly"))
            .expect("the block's certbot line"),
    );
    let work = tempfile::tempdir().expect("temp dir");
    let cwd = work.path();

    // ca-sim with its defaults, on a free port, validating http-01 on certbot's port.
    assert_eq!(
        flag_value(&command.args, "--http-01-port"),
        DEFAULT_HTTP01_PORT,
        "the README's --http-01-port is ca-sim's default --acme-http01-port"
    );
    let http01 = free_port().to_string();
    let ca = CaSimProcess::spawn(
        cwd,
        &[
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--acme-http01-port".into(),
            http01.clone(),
        ],
    )
    .await;
    let (status, served_ca) = ca.admin("ca.pem").await;
    assert_eq!(status, StatusCode::OK, "/admin/ca.pem");
    assert_eq!(
        std::fs::read_to_string(cwd.join(command.env_value("REQUESTS_CA_BUNDLE")))
            .expect("the REQUESTS_CA_BUNDLE file"),
        served_ca,
        "REQUESTS_CA_BUNDLE names ca-sim's TLS CA"
    );
    let (status, root_pem) = ca.admin("acme/root.pem").await;
    assert_eq!(status, StatusCode::OK, "/admin/acme/root.pem: {root_pem}");
    let root_der = pem_blocks(&root_pem)
        .into_iter()
        .next()
        .expect("root.pem holds a certificate")
        .1;

    // The README's command: ports and dirs changed, nothing else.
    let server = flag_value(&command.args, "--server");
    assert!(
        server.starts_with(README_CASIM) && server.ends_with("/acme/directory"),
        "--server is ca-sim's directory URL: {server}"
    );
    let server = server.replace(README_CASIM, &ca.base);
    let mut args = with_flag(command.args.clone(), "--server", &server);
    args = with_flag(args, "--http-01-port", &http01);
    for flag in ["--config-dir", "--work-dir", "--logs-dir"] {
        let dir = under(cwd, flag_value(&args, flag));
        args = with_flag(args, flag, &dir.to_string_lossy());
    }
    let config = PathBuf::from(flag_value(&args, "--config-dir"));
    let logs = PathBuf::from(flag_value(&args, "--logs-dir"));
    let domain = flag_value(&args, "-d").to_string();
    assert!(
        domain.ends_with(".localhost"),
        "a .localhost name, which ca-sim resolves to loopback: {domain}"
    );

    run_certbot(&certbot, cwd, &command.env, &args)
        .await
        .assert_ok(&logs);

    // The lineage, up to ca-sim's ACME root; ca-sim's default validity.
    let leaf = check_lineage(&config.join("live").join(&domain), &domain, &root_der);
    let cert = parse_cert(&leaf);
    let validity = cert.validity();
    let secs = validity.not_after.timestamp() - validity.not_before.timestamp();
    assert!(
        (89 * DAY..=91 * DAY).contains(&secs),
        "ca-sim's ACME certificates last 90 days, got {secs} s"
    );

    // ca-sim's views: one valid order for the name; the serial's status and certificate.
    let orders = ca.admin_json("acme/orders").await;
    let mine: Vec<&Value> = orders["orders"]
        .as_array()
        .expect("orders list")
        .iter()
        .filter(|o| {
            o["identifiers"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|i| i["value"] == domain.as_str()))
        })
        .collect();
    assert_eq!(mine.len(), 1, "one ACME order for {domain}: {orders:#}");
    assert_eq!(mine[0]["status"], "valid", "{:#}", mine[0]);
    let serial = format!("{:x}", cert.tbs_certificate.serial);
    let status = ca
        .admin_json(&format!("acme/cert-status-by-serial/{serial}"))
        .await;
    assert_eq!(status["Status"], "Valid", "{status:#}");
    let held = pem_blocks(status["Certificate"].as_str().unwrap_or_default());
    assert_eq!(
        held.first().map(|(_, der)| der.as_slice()),
        Some(leaf.as_slice()),
        "ca-sim holds the leaf certbot saved"
    );
}
