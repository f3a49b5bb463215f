//! Encryption at rest: AES-256-GCM over private keys and issuer passwords, so a copied
//! database file leaks nothing (design.md §3). The master key comes from `VAULT_MASTER_KEY`
//! (base64 or hex of 32 bytes, via config) or from `master.key` in the data dir, created on
//! first start with mode 0600; a key file group or others may read or write stops the start.
//!
//! Sealed form: `0x01 || nonce (12) || ciphertext || tag (16)`. The associated data names the
//! row the value belongs to, so a ciphertext moved to another row fails to open.

use super::contract::{StoreError, StoreResult};
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// 32 bytes of master key material, wiped on drop.
type Secret = Zeroizing<[u8; 32]>;

const FORMAT_V1: u8 = 1;
const MASTER_KEY_FILE: &str = "master.key";

/// Seals and opens values with the master key.
pub struct Sealer {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// Uses `configured` (text of `VAULT_MASTER_KEY`) when given, else the key file in
    /// `data_dir`, creating it on first start.
    pub fn load(data_dir: &Path, configured: Option<&str>) -> StoreResult<Self> {
        let secret = match configured {
            Some(text) => parse_master_key(text)?,
            None => load_or_create_key_file(&data_dir.join(MASTER_KEY_FILE))?,
        };
        let unbound = UnboundKey::new(&AES_256_GCM, secret.as_slice())
            .map_err(|_| StoreError::Seal("invalid master key".into()))?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        })
    }

    pub fn seal(&self, context: &str, plaintext: &[u8]) -> StoreResult<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| StoreError::Seal("no randomness".into()))?;
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .map_err(|_| StoreError::Seal("encryption failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Ok(out)
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> StoreResult<Vec<u8>> {
        let bad = || {
            StoreError::Seal(format!(
                "cannot open sealed value for {context} (wrong master key?)"
            ))
        };
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != FORMAT_V1 {
            return Err(bad());
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[1..1 + NONCE_LEN]);
        let mut buf = sealed[1 + NONCE_LEN..].to_vec();
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .map_err(|_| bad())?;
        Ok(plain.to_vec())
    }
}

fn parse_master_key(text: &str) -> StoreResult<Secret> {
    let text = text.trim();
    let bytes = hex::decode(text)
        .ok()
        .or_else(|| shared::b64::decode_lenient(text).ok())
        .ok_or_else(|| {
            StoreError::Seal("VAULT_MASTER_KEY must be 32 bytes in hex or base64".into())
        })?;
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::Seal("VAULT_MASTER_KEY must be exactly 32 bytes".into()))?;
    Ok(Zeroizing::new(arr))
}

fn load_or_create_key_file(path: &Path) -> StoreResult<Secret> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            check_private(path)?;
            parse_master_key(&text)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut secret: Secret = Zeroizing::new([0u8; 32]);
            SystemRandom::new()
                .fill(secret.as_mut_slice())
                .map_err(|_| StoreError::Seal("no randomness".into()))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(path)?;
            file.write_all(hex::encode(secret.as_slice()).as_bytes())?;
            file.sync_all()?;
            Ok(secret)
        }
        Err(e) => Err(e.into()),
    }
}

/// Refuses a key file that group or others may read or write (unix): whoever can read it can
/// open every sealed private key, and whoever can write it can make the vault seal with a key
/// they know. Vault creates the file 0600; another mode means someone changed it.
fn check_private(path: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::Seal(format!(
                "the master key file {} has mode {mode:04o}: group or others may read or write \
                 it. Restrict it with `chmod 600 {}` and start again.",
                path.display(),
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_binds_context() {
        let dir = tempfile::tempdir().unwrap();
        let sealer = Sealer::load(dir.path(), None).unwrap();
        let sealed = sealer.seal("row-a", b"private key bytes").unwrap();
        assert!(!sealed.windows(7).any(|w| w == b"private"));
        assert_eq!(sealer.open("row-a", &sealed).unwrap(), b"private key bytes");
        assert!(sealer.open("row-b", &sealed).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let sealed = Sealer::load(dir.path(), None)
            .unwrap()
            .seal("c", b"x")
            .unwrap();
        let again = Sealer::load(dir.path(), None).unwrap();
        assert_eq!(again.open("c", &sealed).unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(MASTER_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_may_read_or_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        Sealer::load(dir.path(), None).unwrap();
        let path = dir.path().join(MASTER_KEY_FILE);
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o660] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = Sealer::load(dir.path(), None).unwrap_err().to_string();
            assert!(
                err.contains(&path.display().to_string())
                    && err.contains("chmod 600")
                    && err.contains(&format!("{mode:04o}")),
                "{mode:o}: {err}"
            );
        }
        for mode in [0o600, 0o400] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            assert!(Sealer::load(dir.path(), None).is_ok(), "{mode:o}");
        }
        // A configured key does not read the file at all.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(Sealer::load(dir.path(), Some(&"11".repeat(32))).is_ok());
    }

    #[test]
    fn configured_key_must_be_32_bytes() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Sealer::load(dir.path(), Some("abcd")).is_err());
        let hex_key = "11".repeat(32);
        assert!(Sealer::load(dir.path(), Some(&hex_key)).is_ok());
    }
}
