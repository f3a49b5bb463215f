//! Minting access tokens: the claims Entra ID puts in an application's v1 access token, the
//! resources this service issues tokens for, and the lifetime (3599 s of real time; SDK
//! token caches run on real time, so vault's shiftable clock is not used here).

use super::files::random_bytes;
use super::jwt::AccessClaims;
use super::service::{issuer, Identity};
use super::verify::unix_now;
use crate::access::Principal;
use crate::error::Error;
use crate::hosts::{self, split_host_port};

/// Seconds an access token lives (Entra's `expires_in` for app tokens).
pub const LIFETIME_SECS: i64 = 3599;

/// A minted token and the values responses repeat.
pub struct Minted {
    pub access_token: String,
    pub resource: String,
    pub not_before: i64,
    pub expires_on: i64,
}

/// How the client proved who it is (`appidacr`): `"1"` secret, `"2"` certificate or managed
/// identity.
#[derive(Debug, Clone, Copy)]
pub enum Proof {
    Secret,
    Certificate,
    ManagedIdentity,
}

impl Identity {
    /// An RS256 access token for `principal` in `tenant`, audience `resource`.
    pub fn mint(
        &self,
        principal: &Principal,
        tenant: &str,
        resource: &str,
        proof: Proof,
    ) -> Result<Minted, Error> {
        let now = unix_now();
        let oid = principal.object_id_or_derived(tenant);
        let iss = issuer(tenant);
        let claims = AccessClaims {
            aud: resource.to_string(),
            iss: iss.clone(),
            iat: now,
            nbf: now,
            exp: now + LIFETIME_SECS,
            appid: principal.client_id.clone(),
            appidacr: match proof {
                Proof::Secret => "1",
                Proof::Certificate | Proof::ManagedIdentity => "2",
            }
            .into(),
            idp: iss,
            idtyp: "app".into(),
            sub: oid.clone(),
            oid,
            tid: tenant.to_string(),
            uti: shared::b64::url_encode(&random_bytes::<16>()?),
            ver: "1.0".into(),
        };
        Ok(Minted {
            access_token: self.key.sign(&claims)?,
            resource: resource.to_string(),
            not_before: now,
            expires_on: now + LIFETIME_SECS,
        })
    }

    /// The audience for a requested resource, if this service issues tokens for it:
    /// `https://vault.azure.net`, `https://vault.localhost[:port]`, and `https://{host}` for
    /// hosts vault answers for (loopback, `localhost`, `*.vault.localhost`, `--hostname`s).
    /// The audience is the resource as requested, without a trailing slash.
    pub fn resource_audience(&self, resource: &str) -> Option<String> {
        let trimmed = resource.trim().trim_end_matches('/');
        let rest = trimmed.strip_prefix("https://")?;
        if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
            return None;
        }
        let (host, port) = split_host_port(rest);
        let azure = hosts::AZURE_RESOURCE.trim_start_matches("https://");
        let ok = if host == azure {
            port.is_none() || port == Some(443)
        } else {
            host == "vault.localhost"
                || host.ends_with(hosts::LOCAL_SUFFIX)
                || host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
                || self.hostnames.contains(&host)
        };
        ok.then(|| trimmed.to_string())
    }
}
