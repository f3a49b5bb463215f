//! Platform-managed issuance (a policy with `platformManaged`, `model::platform`): like
//! self-signed (key made here, or the one a renewal stored), but signed by the platform CA
//! (vault's built-in local CA). Names come from `metadata.sans`, else from `x509_props`, else
//! the certificate's own name; the EKUs from `certificateUsage`; the subject is the policy's,
//! else `CN=` the first DNS name that fits (else the certificate name). Everything else (key,
//! key usage, validity) is the policy's, with its usual defaults.

use super::profile;
use super::self_signed::Issued;
use super::worker::Issuance;
use crate::model::platform::{self, PlatformRequest};
use crate::model::OperationRecord;
use shared::crypto::CertProfile;

/// X.520 ub-common-name: a longer DNS name stays a SAN only.
const MAX_COMMON_NAME: usize = 64;

impl Issuance {
    /// Key generation and signing on the blocking pool, bounded by `crypto_permits`. Returns
    /// the key, the chain (leaf first) and the CSR kept on the operation.
    pub(super) async fn issue_platform(&self, op: &OperationRecord) -> Result<Issued, String> {
        let Some(ca) = self.platform_ca() else {
            return Err("No platform CA is configured in this vault process, so platform-managed certificates cannot be issued.".into());
        };
        let request = op
            .policy
            .platform_managed
            .as_ref()
            .ok_or("the operation's policy is not platform-managed")
            .and_then(|pm| {
                platform::parse(pm).map_err(|_| "its platformManaged member is invalid")
            })?;
        let cert_profile = platform_profile(
            profile::cert_profile(&op.policy, self.clock.now()),
            request,
            &op.key,
        );
        self.key_and_sign(op, cert_profile, move |key, profile| ca.issue(key, profile))
            .await
    }
}

/// The policy's profile with the platform request's names and EKUs.
fn platform_profile(
    mut profile: CertProfile,
    request: PlatformRequest,
    cert_name: &str,
) -> CertProfile {
    if !request.sans.is_empty() {
        profile.sans = request.sans;
    }
    if profile.sans.is_empty() && profile.subject.trim().is_empty() {
        profile.sans.dns_names = None;
        profile.subject = format!("CN={cert_name}");
    }
    if profile.subject.trim().is_empty() {
        profile.subject = profile
            .sans
            .dns_names
            .iter()
            .flatten()
            .find(|n| n.len() <= MAX_COMMON_NAME)
            .map(|n| format!("CN={n}"))
            .unwrap_or_default();
    }
    profile.ekus = request.ekus;
    profile
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> CertProfile {
        let policy = serde_json::from_value(json!({"x509_props": {"ekus": ["1.2.3.4"]}})).unwrap();
        profile::cert_profile(&policy, time::OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn names_from_metadata_and_ekus_from_usage() {
        let req = platform::parse(&json!({"certificateUsage": "PublicTLSClientAuth", "metadata": {"sans": {"dns_names": ["app.example.test"]}}})).unwrap();
        let p = platform_profile(base(), req, "web");
        assert_eq!(p.subject, "CN=app.example.test");
        assert_eq!(p.sans.dns_names, Some(vec!["app.example.test".to_string()]));
        assert_eq!(p.ekus, vec![platform::CLIENT_AUTH.to_string()]);
    }

    #[test]
    fn no_names_at_all_falls_back_to_the_certificate_name() {
        let req = platform::parse(&json!({"certificateUsage": "PublicTLSServerAuth"})).unwrap();
        let p = platform_profile(base(), req, "web");
        assert_eq!(p.subject, "CN=web");
        assert_eq!(p.ekus, vec![platform::SERVER_AUTH.to_string()]);
    }
}
