//! The local CA as the platform CA of platform-managed certificates (issue 18): vault's
//! issuance worker hands it a key and a full certificate profile (`model::platform`), and it
//! signs with the intermediate, so such certificates chain to the same root ACME clients
//! trust (`/_admin/acme/root.pem`). The leaf carries the profile's names, EKUs and key usage;
//! no CRL distribution point (these certificates are never revoked through ACME).

use super::local::LocalCa;
use crate::model::platform::PlatformCa;
use shared::crypto::{CertProfile, PrivateKey};

impl PlatformCa for LocalCa {
    fn issue(&self, key: &PrivateKey, profile: &CertProfile) -> Result<Vec<Vec<u8>>, String> {
        let leaf =
            shared::crypto::issue_for_key(key, profile, &self.platform_key, &self.intermediate)
                .map_err(|e| e.to_string())?;
        Ok(vec![leaf, self.intermediate.clone(), self.root.clone()])
    }
}
