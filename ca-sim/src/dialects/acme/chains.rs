//! Alternate chains (Pebble's `PEBBLE_ALTERNATE_ROOTS`, RFC 8555 §7.4.2): `n` more roots, each
//! cross-signing the ACME issuing intermediate (same subject, same key), so every leaf also
//! chains to them. Kept in `{data_dir}/ca/acme-alt/` (fresh under `--ephemeral`), remade when
//! the issuing intermediate changed.

use crate::ca::{ca_profile, Authority};
use crate::domain::acme::Alternate;
use crate::domain::Dialect;
use crate::error::Result;
use crate::store::files;
use shared::crypto::{self, KeySpec, PrivateKey};
use shared::models::CurveName;
use std::path::Path;

/// The `count` alternate chains of the ACME hierarchy, loaded from `dir` or made (and saved).
pub fn alternates(authority: &Authority, count: u8, dir: Option<&Path>) -> Result<Vec<Alternate>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let h = authority.get(Dialect::Acme)?;
    let issuing = h.issuing();
    let issuing_key = PrivateKey::from_pem(&issuing.key_pem())?;
    let issuing_spki = crypto::parse_certificate(&issuing.der)?.spki_der;
    let subject = format!("CN={}, O=ca-sim ACME, C=US", issuing.common_name);
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = Vec::new();
    for n in 1..=count {
        let (root_id, int_id) = (format!("alt{n}-root"), format!("alt{n}-int"));
        let loaded =
            dir.and_then(|d| Some((files::read_ca(d, &root_id)?, files::read_ca(d, &int_id)?)));
        let current = loaded.filter(|(_, (_, int_der))| {
            crypto::parse_certificate(int_der).is_ok_and(|c| c.spki_der == issuing_spki)
        });
        let ((root_key, root_der), int_der) = match current {
            Some((root, (_, int_der))) => (root, int_der),
            None => {
                let root_key = PrivateKey::generate(KeySpec::Ec {
                    curve: CurveName::P256,
                })?;
                let root_der = crypto::self_signed(
                    &root_key,
                    &ca_profile(
                        format!(
                            "CN=ca-sim ACME Alternate Root X{}, O=ca-sim ACME, C=US",
                            n + 1
                        ),
                        None,
                    ),
                )?;
                let int_der = crypto::issue_for_key(
                    &issuing_key,
                    &ca_profile(subject.clone(), Some(0)),
                    &root_key,
                    &root_der,
                )?;
                if let Some(d) = dir {
                    files::write_ca(d, &root_id, &root_key, &root_der)?;
                    files::write_ca(d, &int_id, &issuing_key, &int_der)?;
                }
                ((root_key, root_der), int_der)
            }
        };
        out.push(Alternate {
            root_pem: crypto::pem_encode("CERTIFICATE", &root_der),
            root_key_pem: root_key.pkcs8_pem(),
            intermediate_pem: crypto::pem_encode("CERTIFICATE", &int_der),
            intermediate_key_pem: issuing.key_pem(),
        });
    }
    Ok(out)
}
