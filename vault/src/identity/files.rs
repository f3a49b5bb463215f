//! The token service's secrets on disk: files created once with mode 0600 and read back on
//! every later start (the signing key, the managed-identity header, the admin token), and the
//! random values they hold.

use crate::error::Error;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `DATA_DIR/identity`: where the token service keeps its files.
pub fn identity_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("identity")
}

/// `n` random bytes.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Internal("no randomness".into()))?;
    Ok(bytes)
}

/// A random UUID (version 4), as Entra's trace and correlation ids are.
pub fn random_uuid() -> String {
    let mut b = random_bytes::<16>().unwrap_or([0x5a; 16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    format_uuid(&b)
}

/// `8-4-4-4-12` lowercase hex of 16 bytes.
pub fn format_uuid(b: &[u8; 16]) -> String {
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A fresh secret: 32 random bytes as base64url (43 characters, header- and shell-safe).
pub fn random_secret() -> Result<String, Error> {
    Ok(shared::b64::url_encode(&random_bytes::<32>()?))
}

/// The content of `path`, created with `make()` (mode 0600) if it does not exist yet. Blocking.
/// Returns the content and whether it was created now.
pub fn read_or_create(
    path: &Path,
    make: impl FnOnce() -> Result<String, Error>,
) -> Result<(String, bool), Error> {
    let unreadable =
        |e: std::io::Error| Error::Config(format!("cannot read {}: {e}", path.display()));
    match std::fs::read_to_string(path) {
        Ok(text) => return Ok((text, false)),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(unreadable(e)),
        Err(_) => {}
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Config(format!("cannot create {}: {e}", dir.display())))?;
    }
    let text = make()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::Config(format!("cannot write {}: {e}", path.display())))?;
            Ok((text, true))
        }
        // Someone else created it in between: theirs wins.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok((std::fs::read_to_string(path).map_err(unreadable)?, false))
        }
        Err(e) => Err(Error::Config(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

/// A one-line secret: `configured` if given, else the file's (generated once). Blocking.
pub fn secret_file(path: &Path, configured: Option<&str>, what: &str) -> Result<String, Error> {
    if let Some(value) = configured {
        return Ok(value.to_string());
    }
    let (text, created) = read_or_create(path, || Ok(format!("{}\n", random_secret()?)))?;
    let value = text.trim().to_string();
    if value.is_empty() {
        return Err(Error::Config(format!("{} is empty", path.display())));
    }
    if created {
        tracing::info!(path = %path.display(), "generated the {what}");
    } else {
        tracing::info!(path = %path.display(), "using the {what}");
    }
    Ok(value)
}

/// The admin token of `--auth entra`: `--admin-token`, else `DATA_DIR/admin.token`
/// (generated once). Blocking.
pub fn admin_token(data_dir: &Path, configured: Option<&str>) -> Result<String, Error> {
    secret_file(&data_dir.join("admin.token"), configured, "admin token")
}
