//! Where the ACME accounts' keys live: one P-256 key per (provider, issuer), generated on first
//! use and kept in `<data dir>/acme-client/<sha256(provider, issuer)>.key`, sealed with the
//! vault's master key (`store::seal`, associated data naming the provider and issuer, so a
//! file copied to another name does not open). The key must survive a restart: the account,
//! and every order of it, is reachable only by signing with it.

use super::jws::AccountKey;
use crate::store::seal::Sealer;
use aws_lc_rs::digest;
use shared::crypto::{KeySpec, PrivateKey};
use shared::models::CurveName;
use std::path::PathBuf;

pub(crate) struct KeyStore {
    dir: PathBuf,
    sealer: Sealer,
}

impl KeyStore {
    /// `data_dir` is the vault's; `master_key` the configured `VAULT_MASTER_KEY` text, if any
    /// (else the data dir's `master.key`, as the store uses).
    pub(crate) fn open(
        data_dir: &std::path::Path,
        master_key: Option<&str>,
    ) -> Result<Self, String> {
        let sealer = Sealer::load(data_dir, master_key)
            .map_err(|e| format!("ACME client account keys: {e}"))?;
        Ok(KeyStore {
            dir: data_dir.join("acme-client"),
            sealer,
        })
    }

    /// The account key of `issuer` at `provider`, created on first use. Callers serialize
    /// calls per adapter, so two first uses cannot race to create two keys.
    pub(crate) fn load_or_create(
        &self,
        provider: &str,
        issuer: &str,
    ) -> Result<AccountKey, String> {
        let context = format!("acme-client-account:{provider}:{issuer}");
        let name = hex::encode(digest::digest(&digest::SHA256, context.as_bytes()).as_ref());
        let path = self.dir.join(format!("{name}.key"));
        let key = match std::fs::read(&path) {
            Ok(sealed) => {
                let der = self
                    .sealer
                    .open(&context, &sealed)
                    .map_err(|e| format!("ACME account key {}: {e}", path.display()))?;
                PrivateKey::from_pkcs8_der(&der)
                    .map_err(|e| format!("ACME account key {}: {e}", path.display()))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = PrivateKey::generate(KeySpec::Ec {
                    curve: CurveName::P256,
                })
                .map_err(|e| format!("cannot generate an ACME account key: {e}"))?;
                let sealed = self
                    .sealer
                    .seal(&context, key.pkcs8_der())
                    .map_err(|e| format!("cannot seal the ACME account key: {e}"))?;
                self.write(&path, &sealed)?;
                key
            }
            Err(e) => return Err(format!("ACME account key {}: {e}", path.display())),
        };
        AccountKey::new(key)
    }

    /// Writes through a temporary file and a rename, so a crash leaves no half key.
    fn write(&self, path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot store the ACME account key: {e}");
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(fail)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
        }
        std::fs::rename(&tmp, path).map_err(fail)
    }
}
