//! The local CA's material in `DATA_DIR/acme/`: created on first start, loaded on every later
//! one, so the root clients trust stays the same across restarts.
//!
//! Everything lives in one file, `ca.json` (the certificates as PEM, the EC P-256 private keys
//! sealed with the store's master key, AES-256-GCM with the key's role as associated data),
//! written atomically (temp file + rename), so a crash mid-creation leaves either no CA or a
//! whole one. `root.pem` beside it is a copy of the root for clients' trust settings.
//! A `ca.json` that is unreadable, corrupt or sealed with another master key stops the start
//! with the reason: silently making a new root would break every client that trusts the old.

use super::error::CaError;
use crate::store::seal::Sealer;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

/// The folder under the data dir.
pub const CA_DIR: &str = "acme";
/// The CA's state file in [`CA_DIR`].
pub const STATE_FILE: &str = "ca.json";
/// The root's PEM, a copy of what `/_admin/acme/root.pem` serves.
pub const ROOT_FILE: &str = "root.pem";

const FORMAT: u32 = 1;
/// CA certificates outlive any clock shift a test makes (`/_admin/clock`).
const CA_VALIDITY_DAYS: i64 = 365 * 25;

/// Associated data of each sealed key: a key moved to another field fails to open.
const SEAL_ROOT: &str = "acme-ca:root";
const SEAL_ALTERNATE_ROOT: &str = "acme-ca:alternate-root";
const SEAL_INTERMEDIATE: &str = "acme-ca:intermediate";

/// The loaded hierarchy: the certificates (DER) and the one key signed with afterwards (the
/// roots' keys stay sealed on disk; nothing signs with them after creation).
pub struct Material {
    pub root: Vec<u8>,
    pub alternate_root: Vec<u8>,
    /// Signed by `root`; issues every leaf and the CRL.
    pub intermediate: Vec<u8>,
    /// The same subject and key as `intermediate`, signed by `alternate_root`.
    pub intermediate_cross: Vec<u8>,
    pub intermediate_key: KeyPair,
}

/// `ca.json`.
#[derive(Serialize, Deserialize)]
struct StoredCa {
    format: u32,
    root: String,
    alternate_root: String,
    intermediate: String,
    intermediate_cross: String,
    /// Base64 of the sealed PKCS#8 keys.
    root_key: String,
    alternate_root_key: String,
    intermediate_key: String,
}

/// Loads `data_dir/acme/ca.json`, creating the hierarchy (valid from a day before `now`)
/// when there is none. Blocking (file I/O, key generation).
pub fn load_or_create(
    data_dir: &Path,
    master_key: Option<&str>,
    now: i64,
) -> Result<Material, CaError> {
    let sealer = Sealer::load(data_dir, master_key).map_err(|e| CaError::Storage(e.to_string()))?;
    let dir = data_dir.join(CA_DIR);
    let path = dir.join(STATE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => load(&path, &bytes, &sealer),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(&dir, &sealer, now),
        Err(e) => Err(CaError::Storage(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn load(path: &Path, bytes: &[u8], sealer: &Sealer) -> Result<Material, CaError> {
    let corrupt = |what: String| CaError::Storage(format!("{} is corrupt: {what}", path.display()));
    let stored: StoredCa = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    if stored.format != FORMAT {
        return Err(corrupt(format!("unknown format {}", stored.format)));
    }
    let cert = |name: &str, pem: &str| -> Result<Vec<u8>, CaError> {
        match shared::crypto::pem_blocks(pem).into_iter().next() {
            Some((label, der)) if label == "CERTIFICATE" => Ok(der),
            _ => Err(corrupt(format!("`{name}` is not a PEM certificate"))),
        }
    };
    let sealed = shared::b64::decode_lenient(&stored.intermediate_key)
        .map_err(|_| corrupt("`intermediate_key` is not base64".into()))?;
    let pkcs8 = Zeroizing::new(sealer.open(SEAL_INTERMEDIATE, &sealed).map_err(|e| {
        CaError::Storage(format!(
            "{}: {e} (the ACME CA was created with another VAULT_MASTER_KEY / master.key)",
            path.display()
        ))
    })?);
    let intermediate_key = KeyPair::try_from(pkcs8.as_slice())
        .map_err(|e| corrupt(format!("the intermediate key: {e}")))?;
    let material = Material {
        root: cert("root", &stored.root)?,
        alternate_root: cert("alternate_root", &stored.alternate_root)?,
        intermediate: cert("intermediate", &stored.intermediate)?,
        intermediate_cross: cert("intermediate_cross", &stored.intermediate_cross)?,
        intermediate_key,
    };
    let spki = shared::crypto::parse_certificate(&material.intermediate)
        .map_err(|e| corrupt(format!("the intermediate: {e}")))?
        .spki_der;
    if spki != material.intermediate_key.subject_public_key_info() {
        return Err(corrupt(
            "the intermediate key does not match its certificate".into(),
        ));
    }
    Ok(material)
}

fn create(dir: &Path, sealer: &Sealer, now: i64) -> Result<Material, CaError> {
    // Valid from a day before the earlier of the vault's clock and the host's, so both a
    // vault clock set ahead and clients checking with the host clock accept the chain.
    let host_now = OffsetDateTime::now_utc().unix_timestamp();
    let not_before = at(now.min(host_now))? - Duration::days(1);
    let not_after = at(now.max(host_now))? + Duration::days(CA_VALIDITY_DAYS);
    // A suffix per installation, as Pebble does, so two data dirs' roots never share a name
    // in one trust store.
    let mut tag = [0u8; 3];
    random(&mut tag)?;
    let tag = hex::encode(tag);

    let root_key = new_key()?;
    let root_params = ca_params(
        &format!("vault ACME Root CA {tag}"),
        BasicConstraints::Unconstrained,
        not_before,
        not_after,
    )?;
    let root = root_params.self_signed(&root_key)?.der().to_vec();
    let alternate_root_key = new_key()?;
    let alternate_root_params = ca_params(
        &format!("vault ACME Alternate Root CA {tag}"),
        BasicConstraints::Unconstrained,
        not_before,
        not_after,
    )?;
    let alternate_root = alternate_root_params
        .self_signed(&alternate_root_key)?
        .der()
        .to_vec();

    let intermediate_key = new_key()?;
    let intermediate_name = format!("vault ACME Intermediate CA {tag}");
    // The intermediate as issued by one root. The cross-signed twin has the same subject and
    // key (so the same leaves chain to it), its own serial, and the alternate root as issuer.
    let intermediate_by = |issuer: &Issuer<'_, &KeyPair>| -> Result<Vec<u8>, CaError> {
        let mut params = ca_params(
            &intermediate_name,
            BasicConstraints::Constrained(0),
            not_before,
            not_after,
        )?;
        params.use_authority_key_identifier_extension = true;
        Ok(params.signed_by(&intermediate_key, issuer)?.der().to_vec())
    };
    let intermediate = intermediate_by(&Issuer::from_params(&root_params, &root_key))?;
    let intermediate_cross = intermediate_by(&Issuer::from_params(
        &alternate_root_params,
        &alternate_root_key,
    ))?;

    let seal = |context: &str, key: &KeyPair| -> Result<String, CaError> {
        let pkcs8 = Zeroizing::new(key.serialize_der());
        let sealed = sealer
            .seal(context, &pkcs8)
            .map_err(|e| CaError::Storage(e.to_string()))?;
        Ok(shared::b64::std_encode(&sealed))
    };
    let pem = |der: &[u8]| shared::crypto::pem_encode("CERTIFICATE", der);
    let stored = StoredCa {
        format: FORMAT,
        root: pem(&root),
        alternate_root: pem(&alternate_root),
        intermediate: pem(&intermediate),
        intermediate_cross: pem(&intermediate_cross),
        root_key: seal(SEAL_ROOT, &root_key)?,
        alternate_root_key: seal(SEAL_ALTERNATE_ROOT, &alternate_root_key)?,
        intermediate_key: seal(SEAL_INTERMEDIATE, &intermediate_key)?,
    };
    let json = serde_json::to_vec_pretty(&stored)
        .map_err(|e| CaError::Storage(format!("encoding {STATE_FILE}: {e}")))?;
    std::fs::create_dir_all(dir)
        .map_err(|e| CaError::Storage(format!("cannot create {}: {e}", dir.display())))?;
    // The state file is the commit point; root.pem is only a copy of part of it.
    write_atomically(&dir.join(STATE_FILE), &json)?;
    write_atomically(&dir.join(ROOT_FILE), stored.root.as_bytes())?;
    Ok(Material {
        root,
        alternate_root,
        intermediate,
        intermediate_cross,
        intermediate_key,
    })
}

fn ca_params(
    common_name: &str,
    constraints: BasicConstraints,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<CertificateParams, CaError> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "vault ACME gateway");
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(constraints);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(SerialNumber::from_slice(&random_serial()?));
    Ok(params)
}

fn new_key() -> Result<KeyPair, CaError> {
    Ok(KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?)
}

/// A positive 128-bit random serial whose first octet is non-zero, so its DER content bytes
/// are exactly these 16 (what the certID and `serial_hex` read back).
pub(super) fn random_serial() -> Result<[u8; 16], CaError> {
    let mut serial = [0u8; 16];
    random(&mut serial)?;
    serial[0] = (serial[0] & 0x7f).max(1);
    Ok(serial)
}

fn random(buf: &mut [u8]) -> Result<(), CaError> {
    aws_lc_rs::rand::fill(buf).map_err(|_| CaError::Crypto("no randomness".into()))
}

/// Unix seconds as a certificate time.
pub(super) fn at(unix: i64) -> Result<OffsetDateTime, CaError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .map_err(|_| CaError::Crypto(format!("{unix} is outside the representable time range")))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CaError> {
    let fail =
        |e: std::io::Error| CaError::Storage(format!("cannot write {}: {e}", path.display()));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}
