//! The servers under test: vault's release binary, ca-sim's release binary (its ACME
//! dialect) and Debian's `pebble` (with `pebble-challtestsrv` for its DNS), each a fresh
//! process on free loopback ports with its state in a temp dir, killed on drop; their CPU time
//! read from `/proc`.

use crate::common::cpu_secs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a server may take to answer its directory after start.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A server process under test: its directory URL and the TLS root its clients trust.
pub struct Server {
    pub label: &'static str,
    pub directory: String,
    /// PEM file holding the one root that signs the server's TLS certificate.
    pub tls_root: PathBuf,
    /// The server, and for Pebble with real validation its DNS helper; killed on drop.
    pub children: Vec<tokio::process::Child>,
}

impl Server {
    /// The server process's user+system CPU seconds so far.
    pub fn cpu_secs(&self) -> Option<f64> {
        cpu_secs(&self.children.first()?.id()?.to_string())
    }
}

/// Which server a run starts.
#[derive(Clone, Copy)]
pub enum Kind {
    Vault,
    CaSim,
    Pebble,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Vault => "vault",
            Kind::CaSim => "ca-sim",
            Kind::Pebble => "pebble",
        }
    }

    /// A fresh server of this kind with its state in `dir`; `http01_port` set: real http-01
    /// validation against that port.
    pub async fn start(self, dir: &Path, http01_port: Option<u16>) -> Server {
        match self {
            Kind::Vault => start_vault(dir, http01_port)
                .await
                .expect("vault served an ACME directory when probed"),
            Kind::CaSim => start_ca_sim(dir, http01_port).await,
            Kind::Pebble => start_pebble(dir, http01_port).await,
        }
    }
}

/// Where a server's output goes: discarded, or appended to `$BENCH_LOG_DIR/NAME.log`.
fn server_log(name: &str) -> Stdio {
    let Some(dir) = std::env::var_os("BENCH_LOG_DIR") else {
        return Stdio::null();
    };
    let path = Path::new(&dir).join(format!("{name}.log"));
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map(Stdio::from)
        .unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A loopback port nobody listens on right now (the servers take fixed ports on their
/// command line or config file).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// An HTTPS client trusting `root_pem`, for readiness checks.
fn https_client(root_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(root_pem.as_bytes()).expect("root pem")])
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

/// Polls `url` until it answers 200 (the server is up), failing after [`START_DEADLINE`].
async fn wait_ready(client: &reqwest::Client, url: &str, child: &mut tokio::process::Child) {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Ok(rsp) = client.get(url).send().await {
            if rsp.status().is_success() {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{url}: the server exited ({status}) before answering");
        }
        assert!(Instant::now() < deadline, "{url} did not answer in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// vault's release binary on a free port with a fresh data dir; `http01_port` set: real
/// validation against that port, else `--acme-validation always-valid`. `None` (with a line
/// saying why) when this build of vault serves no ACME directory.
pub async fn start_vault(dir: &Path, http01_port: Option<u16>) -> Option<Server> {
    let port = free_port();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_vault"));
    cmd.arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir);
    match http01_port {
        Some(p) => cmd.arg("--acme-http01-port").arg(p.to_string()),
        None => cmd.args(["--acme-validation", "always-valid"]),
    };
    let mut child = cmd
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(server_log("vault"))
        .stderr(server_log("vault"))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn vault");
    let ca_path = dir.join("tls").join("ca.pem");
    let ca_pem = wait_for_pem(&ca_path, "vault").await;
    let base = format!("https://127.0.0.1:{port}");
    let client = https_client(&ca_pem);
    wait_ready(&client, &format!("{base}/_admin/health"), &mut child).await;
    let directory = format!("{base}/acme/directory");
    let status = client.get(&directory).send().await.map(|r| r.status());
    if !matches!(&status, Ok(s) if s.is_success()) {
        println!("vault: GET {directory} answered {status:?}; the vault column is skipped");
        return None;
    }
    Some(Server {
        label: "vault",
        directory,
        tls_root: ca_path,
        children: vec![child],
    })
}

/// ca-sim's release binary beside vault's (`target/release/ca-sim`), built first when the
/// bench runs under cargo (vault's benches cannot name another package's binary); `None`,
/// with a line saying why, when it cannot be had.
pub fn ca_sim_binary() -> Option<PathBuf> {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(build_ca_sim).clone()
}

fn build_ca_sim() -> Option<PathBuf> {
    let bin = Path::new(env!("CARGO_BIN_EXE_vault"))
        .with_file_name(format!("ca-sim{}", std::env::consts::EXE_SUFFIX));
    if let Some(cargo) = std::env::var_os("CARGO") {
        let mut cmd = std::process::Command::new(cargo);
        cmd.args(["build", "--quiet", "-p", "ca-sim", "--bin", "ca-sim"]);
        let profile_dir = bin.parent();
        if profile_dir.is_some_and(|d| d.file_name().is_some_and(|n| n == "release")) {
            cmd.arg("--release");
        }
        if let Some(target_dir) = profile_dir.and_then(Path::parent) {
            cmd.arg("--target-dir").arg(target_dir);
        }
        match cmd.status() {
            Ok(status) if status.success() => {}
            other => println!("ca-sim: `cargo build -p ca-sim` failed ({other:?})"),
        }
    }
    if bin.is_file() {
        Some(bin)
    } else {
        println!(
            "ca-sim: no binary at {} (cargo build --release -p ca-sim); the ca-sim column is \
             skipped",
            bin.display()
        );
        None
    }
}

/// ca-sim's release binary on a free port with a fresh data dir (orders in its SQLite store,
/// as by default; ACME timing `instant`, no faults); `http01_port` set: real validation
/// against that port (`--acme-http01-port`, `*.localhost` → loopback), else
/// `--acme-validation always-valid`.
async fn start_ca_sim(dir: &Path, http01_port: Option<u16>) -> Server {
    let bin = ca_sim_binary().expect("the ca-sim binary, found when the servers were chosen");
    let port = free_port();
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--data-dir")
        .arg(dir);
    match http01_port {
        Some(p) => cmd.arg("--acme-http01-port").arg(p.to_string()),
        None => cmd.args(["--acme-validation", "always-valid"]),
    };
    let mut child = cmd
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(server_log("ca-sim"))
        .stderr(server_log("ca-sim"))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn ca-sim");
    let ca_path = dir.join("tls").join("ca.pem");
    let ca_pem = wait_for_pem(&ca_path, "ca-sim").await;
    let directory = format!("https://127.0.0.1:{port}/acme/directory");
    wait_ready(&https_client(&ca_pem), &directory, &mut child).await;
    Server {
        label: "ca-sim",
        directory,
        tls_root: ca_path,
        children: vec![child],
    }
}

/// The TLS CA a server writes into its data dir before its listener binds, polled until
/// complete.
async fn wait_for_pem(path: &Path, server: &str) -> String {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if let Ok(pem) = std::fs::read_to_string(path) {
            if pem.contains("END CERTIFICATE") {
                return pem;
            }
        }
        assert!(Instant::now() < deadline, "{server} wrote no {path:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `pebble` from PATH on free ports with its TLS material from a throwaway dev CA;
/// `http01_port` set: real validation on that port, names resolved by `pebble-challtestsrv`.
async fn start_pebble(dir: &Path, http01_port: Option<u16>) -> Server {
    let tls = shared::devtls::ensure(&dir.join("tls"), "CN=acme_orders bench Pebble CA", &[])
        .expect("pebble's TLS material");
    let port = free_port();
    let config = serde_json::json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{port}"),
        "managementListenAddress": format!("127.0.0.1:{}", free_port()),
        "certificate": dir.join("tls").join("server.pem"),
        "privateKey": dir.join("tls").join("server.key"),
        "httpPort": http01_port.unwrap_or(5002),
        "tlsPort": 5001,
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false,
    }});
    let config_path = dir.join("pebble-config.json");
    std::fs::write(&config_path, config.to_string()).expect("write pebble config");
    let mut children = Vec::new();
    let mut cmd = tokio::process::Command::new("pebble");
    cmd.arg("-config").arg(&config_path);
    if http01_port.is_some() {
        let dns = free_port();
        children.push(
            tokio::process::Command::new("pebble-challtestsrv")
                .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
                .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
                .arg("-dns01")
                .arg(format!("127.0.0.1:{dns}"))
                .arg("-management")
                .arg(format!("127.0.0.1:{}", free_port()))
                .stdin(Stdio::null())
                .stdout(server_log("pebble-challtestsrv"))
                .stderr(server_log("pebble-challtestsrv"))
                .kill_on_drop(true)
                .spawn()
                .expect("spawn pebble-challtestsrv"),
        );
        cmd.arg("-dnsserver").arg(format!("127.0.0.1:{dns}"));
    } else {
        cmd.env("PEBBLE_VA_ALWAYS_VALID", "1");
    }
    let mut child = cmd
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .env("PEBBLE_AUTHZREUSE", "0")
        .stdin(Stdio::null())
        .stdout(server_log("pebble"))
        .stderr(server_log("pebble"))
        .kill_on_drop(true)
        .spawn()
        .expect("spawn pebble");
    let directory = format!("https://127.0.0.1:{port}/dir");
    wait_ready(&https_client(&tls.ca_pem), &directory, &mut child).await;
    children.insert(0, child);
    Server {
        label: "pebble",
        directory,
        tls_root: tls.ca_path,
        children,
    }
}

/// Whether `program` runs from PATH.
pub fn on_path(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("-h")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}
