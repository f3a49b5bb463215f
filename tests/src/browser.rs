//! [`Browser`]: headless Chromium driven through chromedriver (WebDriver, the `fantoccini`
//! crate), for the dashboard tests. It starts Debian's `chromedriver` on a free loopback port,
//! opens one session with a fresh profile and no route to anything but loopback, and kills
//! both on drop. The page helpers (waiting for a selector, text or attribute with a deadline,
//! clicks, forms, the console and resource checks, screenshots) are in `browser_page.rs`.
//!
//! Browser tests run one at a time (a process-wide turn, held by the [`Browser`]): each
//! Chromium takes a core's worth of CPU while it renders, and the machine has two.

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use fantoccini::{wd::Capabilities, Client, ClientBuilder};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::wait::DEADLINE;

/// Where Debian's `chromium-driver` installs the driver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Chromium's real binary (the `/usr/bin/chromium` wrapper script adds flags of its own from
/// `/etc/chromium.d`; the tests want exactly theirs).
const CHROMIUM_BINARIES: [&str; 2] = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

/// A headless Chromium session and the chromedriver serving it; both are killed on drop.
pub struct Browser {
    pub(crate) client: Client,
    driver: tokio::process::Child,
    driver_port: u16,
    session_id: Option<String>,
    driver_output: Arc<Mutex<String>>,
    /// Every console entry read so far (reading chromedriver's log empties it).
    pub(crate) console: Mutex<Vec<Value>>,
    profile: TempDir,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session (waits its turn behind any other
    /// browser test of this process).
    pub async fn start() -> Browser {
        static TURN: OnceLock<Arc<tokio::sync::Mutex<()>>> = OnceLock::new();
        let turn = TURN
            .get_or_init(Default::default)
            .clone()
            .lock_owned()
            .await;

        let profile = tempfile::Builder::new()
            .prefix("e2e-chromium-")
            .tempdir()
            .expect("create a Chromium profile dir");
        let (mut driver, driver_port, driver_output) = spawn_chromedriver().await;
        let webdriver = format!("http://127.0.0.1:{driver_port}");
        // Straight to loopback, whatever proxy the environment names.
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("HTTP client");
        crate::wait::eventually(DEADLINE, "chromedriver's /status to say ready", || {
            let status = http.get(format!("{webdriver}/status"));
            async move {
                let body: Value = status.send().await.ok()?.json().await.ok()?;
                (body["value"]["ready"] == true).then_some(())
            }
        })
        .await;

        let mut builder = ClientBuilder::rustls().expect("rustls connector for chromedriver");
        builder.capabilities(capabilities(profile.path()));
        let client = match builder.connect(&webdriver).await {
            Ok(client) => client,
            Err(err) => {
                let _ = driver.start_kill();
                panic!(
                    "no Chromium session through chromedriver: {err}\nchromedriver said:\n{}",
                    driver_output.lock().unwrap()
                );
            }
        };
        let session_id = client.session_id().await.ok().flatten();
        Browser {
            client,
            driver,
            driver_port,
            session_id,
            driver_output,
            console: Mutex::new(Vec::new()),
            profile,
            _turn: turn,
        }
    }

    /// The WebDriver client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Ends the session (Chromium quits), then drops the driver.
    pub async fn close(mut self) {
        if self.session_id.take().is_some() {
            let _ = tokio::time::timeout(DEADLINE, self.client.clone().close()).await;
        }
    }

    /// What chromedriver printed so far (for failure messages).
    pub fn driver_output(&self) -> String {
        self.driver_output.lock().unwrap().clone()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Drop cannot await: end the session with a plain blocking request so chromedriver
        // quits Chromium, then kill the driver and whatever of this profile's Chromium is left.
        if let Some(id) = self.session_id.take() {
            delete_session_blocking(self.driver_port, &id);
        }
        let _ = self.driver.start_kill();
        kill_processes_using(self.profile.path());
    }
}

/// The session's capabilities: Chromium headless with exactly the flags, a fresh
/// profile, host names resolving to nothing (anything fetched from outside fails loudly),
/// the dev CAs' TLS accepted, and the browser console kept for [`Browser::console_errors`].
fn capabilities(profile: &Path) -> Capabilities {
    let mut args: Vec<String> = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1366,900",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ]
    .map(String::from)
    .to_vec();
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut options = json!({ "args": args });
    if let Some(binary) = CHROMIUM_BINARIES.iter().find(|b| Path::new(b).is_file()) {
        options["binary"] = json!(binary);
    }
    let caps = json!({
        "browserName": "chrome",
        "acceptInsecureCerts": true,
        "goog:chromeOptions": options,
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// Spawns `chromedriver --port=0` and reads the port it bound from its output.
async fn spawn_chromedriver() -> (tokio::process::Child, u16, Arc<Mutex<String>>) {
    assert!(
        Path::new(CHROMEDRIVER).is_file(),
        "{CHROMEDRIVER} is missing: install Debian's chromium and chromium-driver \
         (apt-get install chromium chromium-driver; .ci/run does)"
    );
    let mut child = tokio::process::Command::new(CHROMEDRIVER)
        .args(["--port=0", "--allowed-ips=127.0.0.1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|err| panic!("spawn {CHROMEDRIVER}: {err}"));
    let output = Arc::new(Mutex::new(String::new()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u16>();
    for stream in [
        Box::new(child.stdout.take().expect("stdout"))
            as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let output = output.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(port) = started_port(&line) {
                    let _ = tx.send(port);
                }
                let mut out = output.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
            }
        });
    }
    drop(tx);
    match tokio::time::timeout(DEADLINE, rx.recv()).await {
        Ok(Some(port)) => (child, port, output),
        _ => {
            let _ = child.start_kill();
            panic!(
                "chromedriver did not say which port it listens on; output:\n{}",
                output.lock().unwrap()
            );
        }
    }
}

/// The port of chromedriver's "ChromeDriver was started successfully on port N." line.
fn started_port(line: &str) -> Option<u16> {
    let rest = line.split("started successfully on port ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|p| *p != 0)
}

/// `DELETE /session/{id}` over a plain blocking socket (for [`Drop`]).
fn delete_session_blocking(port: u16, id: &str) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    }
}

/// Kills the processes whose command line names `profile` (this session's Chromium, should
/// chromedriver have left any behind); only ever ours, since the profile dir is fresh.
fn kill_processes_using(profile: &Path) {
    let needle = format!("--user-data-dir={}", profile.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let pid = entry.file_name();
        let Some(pid) = pid
            .to_str()
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let mine = cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == needle.as_bytes());
        if mine {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", pid])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `target/` of this build (the test executable lives in `target/<profile>/deps`).
pub(crate) fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

#[cfg(test)]
mod tests {
    use super::started_port;

    #[test]
    fn reads_chromedrivers_port_line() {
        assert_eq!(
            started_port("ChromeDriver was started successfully on port 36515."),
            Some(36515)
        );
        assert_eq!(started_port("Only local connections are allowed."), None);
    }
}
