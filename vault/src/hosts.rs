//! What a host name means to vault: which vault it names, whether it is the identity
//! service's, and the challenge `resource` the Azure SDKs' own check accepts for it
//! (handbook spec/identity-and-access.md §1.2). Pure functions; the HTTP front end, the
//! token service and the drop-in proxy all read names through here.

/// The DNS suffix of real Key Vault vaults.
pub const AZURE_SUFFIX: &str = ".vault.azure.net";
/// The local suffix: any `NAME.vault.localhost` (browsers and curl resolve `*.localhost` to
/// loopback on their own).
pub const LOCAL_SUFFIX: &str = ".vault.localhost";
/// Microsoft Entra ID's host, answered by vault's token service.
pub const LOGIN_HOST: &str = "login.microsoftonline.com";
/// The audience real Key Vault tokens carry.
pub const AZURE_RESOURCE: &str = "https://vault.azure.net";

/// What a request's host (Host header or `:authority`, port included) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKind {
    /// `NAME.vault.azure.net` or `NAME.vault.localhost[:port]`; the name is lower-cased.
    Vault { name: String, local: bool },
    /// Entra ID's host (`login.microsoftonline.com`).
    Login,
    /// `localhost`, an IP address or any other name: the default vault.
    Default,
}

/// Splits `host[:port]` (IPv6 in brackets) into the lower-cased host and the port, if any.
pub fn split_host_port(authority: &str) -> (String, Option<u16>) {
    let authority = authority.trim();
    if let Some(rest) = authority.strip_prefix('[') {
        if let Some((ip, tail)) = rest.split_once(']') {
            let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
            return (ip.to_ascii_lowercase(), port);
        }
    }
    match authority.rsplit_once(':') {
        // One colon: host:port. More than one without brackets: a bare IPv6 address.
        Some((host, port)) if !host.contains(':') => (host.to_ascii_lowercase(), port.parse().ok()),
        _ => (authority.to_ascii_lowercase(), None),
    }
}

/// Classifies a request's authority (`host[:port]`).
pub fn classify(authority: &str) -> HostKind {
    let (host, _) = split_host_port(authority);
    let host = host.trim_end_matches('.');
    if host == LOGIN_HOST {
        return HostKind::Login;
    }
    for (suffix, local) in [(AZURE_SUFFIX, false), (LOCAL_SUFFIX, true)] {
        if let Some(label) = host.strip_suffix(suffix) {
            if !label.is_empty() && !label.contains('.') {
                return HostKind::Vault {
                    name: label.to_string(),
                    local,
                };
            }
        }
    }
    HostKind::Default
}

/// The challenge `resource` for a request that used `authority`: `https://vault.azure.net` for
/// `*.vault.azure.net`, `https://vault.localhost[:port]` for `*.vault.localhost[:port]` (the
/// SDK check compares host *and port*), else `base` (`https://` + the authority, as before).
pub fn challenge_resource(authority: &str, base: &str) -> String {
    match classify(authority) {
        HostKind::Vault { local: false, .. } => AZURE_RESOURCE.to_string(),
        HostKind::Vault { local: true, .. } => match split_host_port(authority).1 {
            Some(port) => format!("https://vault.localhost:{port}"),
            None => "https://vault.localhost".to_string(),
        },
        HostKind::Login | HostKind::Default => base.to_string(),
    }
}

/// Key Vault's vault-name rule: 3–24 characters, letters, digits and hyphens, starting with a
/// letter, ending with a letter or digit, no two hyphens in a row.
pub fn valid_vault_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=24).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && !name.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_name_vaults_login_or_the_default() {
        assert_eq!(
            classify("MyVault.vault.azure.net"),
            HostKind::Vault {
                name: "myvault".into(),
                local: false
            }
        );
        assert_eq!(
            classify("web.vault.localhost:8443"),
            HostKind::Vault {
                name: "web".into(),
                local: true
            }
        );
        assert_eq!(classify("login.microsoftonline.com:443"), HostKind::Login);
        assert_eq!(classify("127.0.0.1:8443"), HostKind::Default);
        assert_eq!(classify("[::1]:8443"), HostKind::Default);
        assert_eq!(classify("localhost"), HostKind::Default);
        // Not one label before the suffix: not a vault.
        assert_eq!(classify("a.b.vault.azure.net"), HostKind::Default);
        assert_eq!(classify("vault.azure.net"), HostKind::Default);
    }

    #[test]
    fn challenge_resources_pass_the_sdk_suffix_check() {
        assert_eq!(
            challenge_resource("myvault.vault.azure.net", "https://myvault.vault.azure.net"),
            "https://vault.azure.net"
        );
        assert_eq!(
            challenge_resource(
                "web.vault.localhost:8443",
                "https://web.vault.localhost:8443"
            ),
            "https://vault.localhost:8443"
        );
        assert_eq!(
            challenge_resource("127.0.0.1:8443", "https://127.0.0.1:8443"),
            "https://127.0.0.1:8443"
        );
        assert_eq!(split_host_port("[::1]:9"), ("::1".to_string(), Some(9)));
        assert_eq!(split_host_port("::1"), ("::1".to_string(), None));
    }

    #[test]
    fn vault_names_follow_key_vault_rules() {
        for ok in ["abc", "my-vault-1", "a23456789012345678901234"] {
            assert!(valid_vault_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "1abc",
            "abc-",
            "a--b",
            "a_b",
            "a2345678901234567890123456",
        ] {
            assert!(!valid_vault_name(bad), "{bad}");
        }
    }
}
