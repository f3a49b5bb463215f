//! The Python and JavaScript SDK apps of `tests/sdk-apps/`: [`sdk_apps`] installs their pinned
//! SDKs once per test process (through `tests/sdk-apps/install.sh`, into `target/sdk-apps`),
//! and [`run_app`] runs one unmodified app with nothing but an environment ([`AppEnv`]: proxy,
//! CA bundle, an identity ([`AppIdentity`]: client secret or managed identity), vault URL) and
//! returns the JSON summary it prints.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Stdio,
    sync::OnceLock,
    time::Duration,
};

use serde_json::Value;

/// Longest one app run may take: a token, a create polled to completion (the Python poller
/// waits 5 s between polls), a get, a list and a secret, each a fresh TLS tunnel.
pub const APP_TIMEOUT: Duration = Duration::from_secs(180);

/// Which SDK's app to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    /// `azure-identity` + `azure-keyvault-certificates` (+ `-secrets`), PyPI.
    Python,
    /// `@azure/identity` + `@azure/keyvault-certificates` (+ `-secrets`), npm.
    JavaScript,
}

/// Where the installed apps are.
#[derive(Debug)]
pub struct SdkApps {
    /// `target/sdk-apps/venv/bin/python`.
    pub python: PathBuf,
    /// `tests/sdk-apps/python/app.py`.
    pub python_app: PathBuf,
    /// `target/sdk-apps/js/app.mjs` (beside its `node_modules`).
    pub js_app: PathBuf,
}

/// Installs the apps' SDKs (once per test process; the script itself is idempotent across
/// processes) and returns where they are. Panics with the installer's output when Python 3,
/// Node.js or npm is missing or an install fails: these tests never skip.
pub fn sdk_apps() -> &'static SdkApps {
    static APPS: OnceLock<SdkApps> = OnceLock::new();
    APPS.get_or_init(|| {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk-apps");
        let out = target_dir().join("sdk-apps");
        let script = here.join("install.sh");
        let result = std::process::Command::new("bash")
            .arg(&script)
            .arg(&out)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|err| panic!("cannot run bash {}: {err}", script.display()));
        assert!(
            result.status.success(),
            "{} failed ({}); the Python/JavaScript SDK tests need python3 (>= 3.9, with venv), \
             node (>= 20) and npm on PATH and PyPI/npm reachable.\n--- stdout\n{}\n--- stderr\n{}",
            script.display(),
            result.status,
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
        SdkApps {
            python: out.join("venv").join("bin").join("python"),
            python_app: here.join("python").join("app.py"),
            js_app: out.join("js").join("app.mjs"),
        }
    })
}

/// The workspace's target dir: the test executable is `target/<profile>/deps/<test>`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.ancestors()
        .nth(3)
        .expect("test executable lives in target/<profile>/deps")
        .to_path_buf()
}

/// Everything an app is given: only environment variables, as a deployment would set them.
#[derive(Debug, Clone)]
pub struct AppEnv {
    /// vault's drop-in proxy (`HTTPS_PROXY=http://ADDR`).
    pub proxy: SocketAddr,
    /// vault's dev CA (`REQUESTS_CA_BUNDLE` / `SSL_CERT_FILE` / `NODE_EXTRA_CA_CERTS`).
    pub ca_file: PathBuf,
    /// Who `DefaultAzureCredential` finds in the environment.
    pub identity: AppIdentity,
    /// `VAULT_URL`, e.g. `https://myvault.vault.azure.net`.
    pub vault_url: String,
    /// A throwaway `HOME` (and working directory): no user config, caches or tool logins.
    pub home: PathBuf,
}

/// The identity an app's `DefaultAzureCredential` finds in its environment.
#[derive(Debug, Clone)]
pub enum AppIdentity {
    /// `AZURE_TENANT_ID` + `AZURE_CLIENT_ID` + `AZURE_CLIENT_SECRET` (its environment credential).
    ClientSecret {
        tenant_id: String,
        client_id: String,
        client_secret: String,
    },
    /// Managed identity, App Service style: `IDENTITY_ENDPOINT` (e.g.
    /// `http://127.0.0.1:PORT/msi/token`) + `IDENTITY_HEADER`.
    AppService {
        endpoint: String,
        header: String,
        /// `AZURE_CLIENT_ID`: a user-assigned identity; `None` is the system-assigned one.
        client_id: Option<String>,
    },
    /// Managed identity, IMDS style: `AZURE_POD_IDENTITY_AUTHORITY_HOST` (e.g.
    /// `http://127.0.0.1:PORT`) in place of `http://169.254.169.254`.
    Imds {
        authority_host: String,
        /// `AZURE_CLIENT_ID`: a user-assigned identity; `None` is the system-assigned one.
        client_id: Option<String>,
    },
}

impl AppIdentity {
    /// The variables that set this identity, and `NO_PROXY`: empty for a client secret (the
    /// token requests go to `login.microsoftonline.com` through the proxy), the managed-identity
    /// endpoint's host otherwise, so those plain-HTTP calls go direct (the JavaScript SDK would
    /// send them to `HTTPS_PROXY` too, which only tunnels HTTPS).
    fn vars(&self) -> Vec<(&'static str, String)> {
        let user_assigned = |client_id: &Option<String>| {
            client_id
                .iter()
                .map(|id| ("AZURE_CLIENT_ID", id.clone()))
                .collect::<Vec<_>>()
        };
        match self {
            AppIdentity::ClientSecret {
                tenant_id,
                client_id,
                client_secret,
            } => vec![
                ("NO_PROXY", String::new()),
                ("AZURE_TENANT_ID", tenant_id.clone()),
                ("AZURE_CLIENT_ID", client_id.clone()),
                ("AZURE_CLIENT_SECRET", client_secret.clone()),
            ],
            AppIdentity::AppService {
                endpoint,
                header,
                client_id,
            } => [
                ("NO_PROXY", host_of(endpoint)),
                ("IDENTITY_ENDPOINT", endpoint.clone()),
                ("IDENTITY_HEADER", header.clone()),
            ]
            .into_iter()
            .chain(user_assigned(client_id))
            .collect(),
            AppIdentity::Imds {
                authority_host,
                client_id,
            } => [
                ("NO_PROXY", host_of(authority_host)),
                ("AZURE_POD_IDENTITY_AUTHORITY_HOST", authority_host.clone()),
            ]
            .into_iter()
            .chain(user_assigned(client_id))
            .collect(),
        }
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| panic!("managed-identity endpoint {url} has no host"))
}

/// One finished app run.
#[derive(Debug)]
pub struct AppRun {
    pub sdk: Sdk,
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// The JSON summary the app printed on stdout.
    pub summary: Value,
    pub stderr: String,
}

impl AppRun {
    /// The summary, asserting the app succeeded.
    pub fn ok(&self) -> &Value {
        assert!(
            self.code == Some(0) && self.summary["ok"] == true,
            "{:?} app failed (exit {:?}): {:#}\n--- stderr\n{}",
            self.sdk,
            self.code,
            self.summary,
            self.stderr
        );
        &self.summary
    }

    /// The summary's `error`, asserting the app failed with one (exit 1).
    pub fn error(&self) -> &Value {
        assert!(
            self.code == Some(1)
                && self.summary["ok"] == false
                && self.summary["error"].is_object(),
            "{:?} app should have failed with an error (exit {:?}): {:#}\n--- stderr\n{}",
            self.sdk,
            self.code,
            self.summary,
            self.stderr
        );
        &self.summary["error"]
    }
}

/// Runs `sdk`'s app with `scenario` (`full`, `create`, `read`) for certificate `name`, in a
/// cleared environment holding only [`AppEnv`] (plus `PATH`, to find `node`). Bounded by
/// [`APP_TIMEOUT`]; the process is killed if it overruns.
pub async fn run_app(sdk: Sdk, env: &AppEnv, scenario: &str, name: &str) -> AppRun {
    let apps = tokio::task::spawn_blocking(sdk_apps)
        .await
        .expect("install the SDK apps");
    let mut cmd = match sdk {
        Sdk::Python => {
            let mut cmd = tokio::process::Command::new(&apps.python);
            cmd.arg(&apps.python_app);
            cmd
        }
        Sdk::JavaScript => {
            let mut cmd = tokio::process::Command::new("node");
            cmd.arg(&apps.js_app);
            cmd
        }
    };
    cmd.args([scenario, name])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &env.home)
        .env("HTTPS_PROXY", format!("http://{}", env.proxy))
        .envs(env.identity.vars())
        .env("VAULT_URL", &env.vault_url)
        .current_dir(&env.home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    match sdk {
        Sdk::Python => cmd
            .env("REQUESTS_CA_BUNDLE", &env.ca_file)
            .env("SSL_CERT_FILE", &env.ca_file),
        Sdk::JavaScript => cmd.env("NODE_EXTRA_CA_CERTS", &env.ca_file),
    };
    let child = cmd
        .spawn()
        .unwrap_or_else(|err| panic!("spawn the {sdk:?} app: {err}"));
    let output = tokio::time::timeout(APP_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| {
            panic!("the {sdk:?} app `{scenario} {name}` ran longer than {APP_TIMEOUT:?}")
        })
        .expect("wait for the app");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let summary = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!(
            "the {sdk:?} app `{scenario} {name}` printed no JSON summary ({err}; exit {:?})\n\
             --- stdout\n{stdout}\n--- stderr\n{stderr}",
            output.status.code()
        )
    });
    AppRun {
        sdk,
        code: output.status.code(),
        summary,
        stderr,
    }
}
