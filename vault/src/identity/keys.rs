//! The token service's signing key: RSA-2048, generated once into
//! `DATA_DIR/identity/signing-key.pem` (0600) together with a self-signed certificate for it,
//! so the JWKS can publish `x5c` and the key id is the certificate's thumbprint, as Entra's
//! are. Signs access tokens (RS256) and verifies them.

use super::files::read_or_create;
use super::jwt;
use crate::error::Error;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaKeyPair};
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{KeyUsage, SubjectAlternativeNames};
use std::path::Path;

/// The key file's name inside `DATA_DIR/identity`.
pub const KEY_FILE: &str = "signing-key.pem";

pub struct SigningKey {
    pair: RsaKeyPair,
    public: ParsedPublicKey,
    /// `kid` and `x5t`: base64url SHA-1 thumbprint of `cert_der` (Entra's key ids are).
    pub kid: String,
    pub cert_der: Vec<u8>,
    /// The JWK members of the public key.
    pub n: String,
    pub e: String,
}

impl SigningKey {
    /// Reads `dir/signing-key.pem`, generating it (key and certificate) on first start.
    /// Blocking: RSA generation takes a while, call it on `spawn_blocking`.
    pub fn load_or_generate(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(KEY_FILE);
        let (pem, created) = read_or_create(&path, generate_pem)?;
        if created {
            tracing::info!(path = %path.display(), "generated the token signing key");
        }
        Self::from_pem(&pem)
            .map_err(|e| Error::Config(format!("{} is not usable: {e}", path.display())))
    }

    /// A key from PEM text holding a PKCS#8 RSA key and its certificate.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let key = PrivateKey::from_pem(pem).map_err(|e| e.to_string())?;
        if !matches!(key.spec(), KeySpec::Rsa { .. }) {
            return Err("the signing key must be RSA".into());
        }
        let cert_der = crypto::pem_blocks(pem)
            .into_iter()
            .find(|(label, _)| label == "CERTIFICATE")
            .map(|(_, der)| der)
            .ok_or("no CERTIFICATE block")?;
        let info = crypto::parse_certificate(&cert_der).map_err(|e| e.to_string())?;
        if info.spki_der != key.spki_der() {
            return Err("the certificate is not the key's".into());
        }
        let pair = RsaKeyPair::from_pkcs8(key.pkcs8_der()).map_err(|e| e.to_string())?;
        let public = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, key.spki_der())
            .map_err(|e| e.to_string())?;
        let jwk = key.public_jwk();
        Ok(SigningKey {
            pair,
            public,
            kid: crypto::x5t(&cert_der),
            cert_der,
            n: jwk.n.unwrap_or_default(),
            e: jwk.e.unwrap_or_default(),
        })
    }

    /// A signed RS256 JWT with the Entra header (`typ`, `alg`, `x5t`, `kid`).
    pub fn sign<C: serde::Serialize>(&self, claims: &C) -> Result<String, Error> {
        let header = jwt::Header {
            typ: Some("JWT".into()),
            alg: "RS256".into(),
            x5t: Some(self.kid.clone()),
            kid: Some(self.kid.clone()),
            x5t_s256: None,
        };
        let input = jwt::signing_input(&header, claims);
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| Error::Internal("token signing failed".into()))?;
        Ok(jwt::finish(input, &sig))
    }

    /// Does `signature` (RS256) over `signed` verify with this key?
    pub fn verifies(&self, signed: &[u8], signature: &[u8]) -> bool {
        self.public.verify_sig(signed, signature).is_ok()
    }
}

/// A fresh RSA-2048 key and a 20-year self-signed certificate for it, as PEM.
fn generate_pem() -> Result<String, Error> {
    let internal = |e: crypto::CryptoError| Error::Internal(format!("signing key: {e}"));
    let key = PrivateKey::generate(KeySpec::Rsa { bits: 2048 }).map_err(internal)?;
    let now = time::OffsetDateTime::now_utc();
    let profile = CertProfile {
        subject: "CN=vault token service".into(),
        sans: SubjectAlternativeNames::default(),
        ekus: Vec::new(),
        key_usage: vec![KeyUsage::DigitalSignature],
        not_before: now - time::Duration::days(1),
        not_after: now + time::Duration::days(365 * 20),
        is_ca: false,
        path_len: None,
    };
    let cert = crypto::self_signed(&key, &profile).map_err(internal)?;
    Ok(format!(
        "{}{}",
        key.pkcs8_pem(),
        crypto::pem_encode("CERTIFICATE", &cert)
    ))
}
