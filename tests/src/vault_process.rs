//! [`VaultProcess`]: the real `vault` binary (built on demand by [`vault_binary`]), spawned on
//! `127.0.0.1:0` and killed on drop; for the tests that need a real process (kill -9, restart,
//! command-line flags). Its address is read from its output, its readiness from
//! `/_admin/health`.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use azure_security_keyvault_certificates::CertificateClient;
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::{
    raw_http::{trusting_client, Raw},
    sdk::certificate_client,
    wait::{eventually, DEADLINE},
};

/// The `vault` binary next to the test executable (`target/<profile>/vault`). Built once per
/// test process with `cargo build -p vault --bin vault` when cargo is available, so a plain
/// `cargo test -p e2e` does not run a stale or missing binary.
pub fn vault_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| workspace_binary("vault")).clone()
}

/// The `ca-sim` binary, found and built like [`vault_binary`], for the tests that run ca-sim
/// as its users do (its default data dir, its flags).
pub fn ca_sim_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| workspace_binary("ca-sim")).clone()
}

/// The binary named like its workspace `package`, in the test executable's profile dir,
/// rebuilt first unless prebuilt (`E2E_NO_BUILD`, CI).
fn workspace_binary(package: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> -> target/<profile>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps")
        .to_path_buf();
    let bin = profile_dir.join(format!("{package}{}", std::env::consts::EXE_SUFFIX));
    // `cargo test --workspace` (CI) has already built the binary with the tests; a
    // plain `cargo test -p e2e` may hold a stale one, so rebuild it then.
    let prebuilt = std::env::var_os("E2E_NO_BUILD").is_some()
        || std::env::var_os("CI").is_some_and(|v| v == "true" || v == "1");
    if !prebuilt {
        if let Some(cargo) = std::env::var_os("CARGO") {
            let mut cmd = std::process::Command::new(cargo);
            cmd.args(["build", "--quiet", "-p", package, "--bin", package]);
            if profile_dir.file_name().is_some_and(|n| n == "release") {
                cmd.arg("--release");
            }
            if let Some(target_dir) = profile_dir.parent() {
                cmd.arg("--target-dir").arg(target_dir);
            }
            let status = cmd
                .status()
                .unwrap_or_else(|err| panic!("run cargo build for the {package} binary: {err}"));
            assert!(
                status.success(),
                "cargo build -p {package} --bin {package} failed"
            );
        }
    }
    assert!(
        bin.is_file(),
        "{package} binary not found at {}; run `cargo build -p {package}` first",
        bin.display()
    );
    bin
}

/// The real `vault` binary listening on `127.0.0.1:0`; killed on drop.
pub struct VaultProcess {
    child: tokio::process::Child,
    addr: SocketAddr,
    ca_pem: String,
    output: Arc<Mutex<String>>,
}

impl VaultProcess {
    /// Spawns `vault --listen 127.0.0.1:0 --data-dir DIR`, waits for the bound address on its
    /// output and for `/_admin/health` to answer 200, then fetches the dev CA.
    pub async fn spawn(data_dir: &Path) -> VaultProcess {
        Self::spawn_with_args::<&str>(data_dir, &[]).await
    }

    /// Like [`VaultProcess::spawn`], with extra command-line arguments appended (e.g.
    /// `--provider-endpoint DigiCert=URL`).
    pub async fn spawn_with_args<S: AsRef<std::ffi::OsStr>>(
        data_dir: &Path,
        extra_args: &[S],
    ) -> VaultProcess {
        let bin = tokio::task::spawn_blocking(vault_binary)
            .await
            .expect("locate vault binary");
        let mut command = tokio::process::Command::new(&bin);
        command
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .args(extra_args);
        let Captured {
            mut child,
            output,
            mut lines,
        } = spawn_captured(&mut command, &bin);

        // Ports that appear in the arguments (e.g. a provider endpoint) are echoed by the
        // start-up log line; they are not the vault's own port.
        let arg_ports: Vec<u16> = extra_args
            .iter()
            .filter_map(|a| find_loopback_port(&a.as_ref().to_string_lossy()))
            .collect();
        let wait_port = async {
            while let Some(line) = lines.recv().await {
                // The plain-HTTP identity listener (`--identity-listen`) is logged on stderr
                // before vault's own address reaches stdout; its port is not vault's.
                if line.contains("identity listening") {
                    continue;
                }
                match find_loopback_port(&line) {
                    Some(port) if !arg_ports.contains(&port) => return Some(port),
                    _ => continue,
                }
            }
            None
        };
        let port = match tokio::time::timeout(DEADLINE, wait_port).await {
            Ok(Some(port)) => port,
            _ => {
                let status = child.try_wait().ok().flatten();
                panic!(
                    "vault binary printed no 127.0.0.1:PORT address (exit: {status:?}); output:\n{}",
                    output.lock().unwrap()
                );
            }
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let base = format!("https://127.0.0.1:{port}");

        // Bootstrap trust: the CA comes from the server itself, then is used strictly.
        let insecure = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(5))
            .no_proxy()
            .build()
            .expect("client");
        let ca_pem = eventually(DEADLINE, "the vault binary to become healthy", || {
            let insecure = insecure.clone();
            let base = base.clone();
            async move {
                let health = insecure
                    .get(format!("{base}/_admin/health"))
                    .send()
                    .await
                    .ok()?;
                if health.status() != StatusCode::OK {
                    return None;
                }
                let ca = insecure
                    .get(format!("{base}/_admin/ca.pem"))
                    .send()
                    .await
                    .ok()?;
                if ca.status() != StatusCode::OK {
                    return None;
                }
                ca.text().await.ok()
            }
        })
        .await;
        let this = VaultProcess {
            child,
            addr,
            ca_pem,
            output,
        };
        let rsp = this
            .http()
            .get(format!("{base}/_admin/health"))
            .send()
            .await
            .expect("health through a client that trusts only the served CA");
        assert_eq!(rsp.status(), StatusCode::OK);
        this
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn http(&self) -> reqwest::Client {
        trusting_client(&self.ca_pem, None)
    }

    pub fn raw(&self) -> Raw {
        Raw::new(self.http(), self.base_url())
    }

    pub fn certificate_client(&self) -> CertificateClient {
        certificate_client(&self.base_url(), &self.ca_pem)
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// SIGKILL (no graceful shutdown) and wait for the exit.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("kill vault process");
    }
}

/// A spawned binary and what it printed: see [`spawn_captured`].
pub struct Captured {
    pub child: tokio::process::Child,
    /// Every line of stdout and stderr so far.
    pub output: Arc<Mutex<String>>,
    /// Each line of stdout and stderr as it is printed.
    pub lines: tokio::sync::mpsc::UnboundedReceiver<String>,
}

/// Spawns `command` (the binary `bin`, its arguments set) with stdin closed, `RUST_LOG` unset
/// and its output piped, killed on drop; collects and forwards every line it prints.
pub fn spawn_captured(command: &mut tokio::process::Command, bin: &Path) -> Captured {
    let mut child = command
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|err| panic!("spawn {}: {err}", bin.display()));
    let output = Arc::new(Mutex::new(String::new()));
    let (tx, lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    drain(
        child.stdout.take().expect("stdout"),
        output.clone(),
        tx.clone(),
    );
    drain(child.stderr.take().expect("stderr"), output.clone(), tx);
    Captured {
        child,
        output,
        lines,
    }
}

/// Appends each line of `stream` to `output` and sends it on `lines`.
fn drain(
    stream: impl AsyncRead + Unpin + Send + 'static,
    output: Arc<Mutex<String>>,
    lines: tokio::sync::mpsc::UnboundedSender<String>,
) {
    tokio::spawn(async move {
        let mut reader = BufReader::new(stream).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            let _ = lines.send(line.clone());
            let mut out = output.lock().expect("output lock");
            out.push_str(&line);
            out.push('\n');
        }
    });
}

/// Finds `127.0.0.1:PORT` (with or without `https://`) in a line of output.
pub fn find_loopback_port(line: &str) -> Option<u16> {
    let mut rest = line;
    while let Some(pos) = rest.find("127.0.0.1:") {
        let after = &rest[pos + "127.0.0.1:".len()..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(port) = digits.parse::<u16>() {
            if port != 0 {
                return Some(port);
            }
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ports_in_various_wordings() {
        assert_eq!(
            find_loopback_port("listening on https://127.0.0.1:43210"),
            Some(43210)
        );
        assert_eq!(find_loopback_port("addr=127.0.0.1:8443 ready"), Some(8443));
        assert_eq!(
            find_loopback_port("--listen 127.0.0.1:0 then 127.0.0.1:5"),
            Some(5)
        );
        assert_eq!(find_loopback_port("nothing here"), None);
    }
}
