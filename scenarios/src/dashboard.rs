//! Where the two dashboards are: vault's `/_admin/ui/` and ca-sim's `/admin/ui/`, as `demo --ui`
//! and `up` print them. In `--auth entra` mode vault's URL carries `?token=` (the admin token):
//! opening it sets the admin cookie and drops the token from the address bar.

use std::fmt;

/// vault's dashboard path (behind the admin gate).
pub const VAULT_UI_PATH: &str = "/_admin/ui/";
/// ca-sim's dashboard path (unauthenticated, like all of its `/admin/...`).
pub const CA_SIM_UI_PATH: &str = "/admin/ui/";

/// Both dashboards' URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardUrls {
    /// `https://127.0.0.1:PORT/_admin/ui/`, with `?token=…` when vault requires the admin token.
    pub vault: String,
    /// `https://127.0.0.1:PORT/admin/ui/`.
    pub ca_sim: String,
}

impl DashboardUrls {
    /// From the services' base URLs (trailing slashes ignored) and vault's admin token, given only
    /// when vault requires it (entra mode).
    pub fn new(vault_url: &str, ca_sim_url: &str, admin_token: Option<&str>) -> Self {
        let mut vault = format!("{}{VAULT_UI_PATH}", vault_url.trim_end_matches('/'));
        if let Some(token) = admin_token {
            vault.push_str("?token=");
            vault.push_str(
                &url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>(),
            );
        }
        Self {
            vault,
            ca_sim: format!("{}{CA_SIM_UI_PATH}", ca_sim_url.trim_end_matches('/')),
        }
    }
}

/// Two lines, `vault dashboard   URL` and `ca-sim dashboard  URL`; a width (`{:2}`) indents
/// both by that many spaces.
impl fmt::Display for DashboardUrls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let indent = " ".repeat(f.width().unwrap_or(0));
        write!(
            f,
            "{indent}vault dashboard   {}\n{indent}ca-sim dashboard  {}",
            self.vault, self.ca_sim
        )
    }
}

#[cfg(test)]
mod tests {
    use super::DashboardUrls;

    #[test]
    fn urls_and_the_entra_token() {
        let dev = DashboardUrls::new("https://127.0.0.1:1/", "https://127.0.0.1:2", None);
        assert_eq!(dev.vault, "https://127.0.0.1:1/_admin/ui/");
        assert_eq!(dev.ca_sim, "https://127.0.0.1:2/admin/ui/");
        let entra = DashboardUrls::new("https://127.0.0.1:1", "https://127.0.0.1:2", Some("a b+c"));
        assert_eq!(entra.vault, "https://127.0.0.1:1/_admin/ui/?token=a+b%2Bc");
        assert_eq!(
            format!("{dev:2}"),
            "  vault dashboard   https://127.0.0.1:1/_admin/ui/\n  ca-sim dashboard  https://127.0.0.1:2/admin/ui/"
        );
    }
}
