//! The files in the data dir: the dir itself, each dialect's CA hierarchy
//! (`ca/{dialect}/{id}.pem` + `{id}.key`, keys 0600) and the TLS dev material (`tls/`, kept by
//! `shared::devtls`). With `sqlite.rs`, the only code that touches the disk.

use crate::error::{Error, Result};
use shared::crypto::{self, PrivateKey};
use shared::devtls::DevTls;
use std::path::{Path, PathBuf};

/// Creates the data dir (and its parents) if missing.
pub fn create_data_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Config(format!("cannot create data dir {}: {e}", dir.display())))
}

/// The TLS dev CA and server certificate in `{data_dir}/tls/`, made on first use.
pub fn dev_tls(data_dir: &Path, ca_subject: &str, hostnames: &[String]) -> Result<DevTls> {
    shared::devtls::ensure(&data_dir.join("tls"), ca_subject, hostnames)
        .map_err(|e| Error::Config(format!("dev TLS material: {e}")))
}

/// The key and certificate (DER) of CA `id` in `dir`, if both are there and readable.
pub fn read_ca(dir: &Path, id: &str) -> Option<(PrivateKey, Vec<u8>)> {
    let cert = std::fs::read_to_string(ca_path(dir, id)).ok()?;
    let key = std::fs::read_to_string(dir.join(format!("{id}.key"))).ok()?;
    let der = crypto::pem_blocks(&cert)
        .into_iter()
        .find(|(l, _)| l == "CERTIFICATE")?
        .1;
    let key = PrivateKey::from_pem(&key).ok()?;
    Some((key, der))
}

/// Where CA `id`'s certificate lives in `dir`.
pub fn ca_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.pem"))
}

/// Creates `dir` and removes every CA certificate and key in it (before a new hierarchy).
pub fn clear_ca_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.extension().is_some_and(|e| e == "pem" || e == "key") {
            std::fs::remove_file(p)?;
        }
    }
    Ok(())
}

/// Writes CA `id`'s key (0600) and certificate to `dir`; returns the certificate's path.
pub fn write_ca(dir: &Path, id: &str, key: &PrivateKey, der: &[u8]) -> Result<PathBuf> {
    let path = ca_path(dir, id);
    shared::devtls::write_private(&dir.join(format!("{id}.key")), &key.pkcs8_pem())
        .map_err(|e| Error::Config(e.to_string()))?;
    std::fs::write(&path, crypto::pem_encode("CERTIFICATE", der))?;
    Ok(path)
}
