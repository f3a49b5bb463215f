//! Private keys: generation (RSA 2048/3072/4096, EC P-256/384/521 via aws-lc-rs), PKCS#8
//! import and export, SubjectPublicKeyInfo and public JWK, Key Vault `sign`/`verify` over a
//! caller-supplied digest, and the signing of DER structures (certificates, CSRs).

use super::error::CryptoError;
use super::{der, pem};
use crate::b64;
use crate::models::{CurveName, JsonWebKey, SignatureAlgorithm};
use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair as _, RsaEncoding, RsaKeyPair,
    UnparsedPublicKey, VerificationAlgorithm,
};
use std::fmt;
use zeroize::Zeroizing;

pub(crate) const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
pub(crate) const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";
const OID_SECP256K1: &str = "1.3.132.0.10";
const OID_ED25519: &str = "1.3.101.112";
const OID_SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const OID_ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";

/// The kind and size of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    Rsa { bits: u32 },
    Ec { curve: CurveName },
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySpec::Rsa { bits } => write!(f, "RSA {bits}"),
            KeySpec::Ec { curve } => write!(f, "EC {curve}"),
        }
    }
}

fn p256k_unsupported() -> CryptoError {
    CryptoError::Unsupported(
        "The EC curve P-256K (secp256k1) is not supported by this emulator; use P-256, P-384 or P-521.".into(),
    )
}

fn ecdsa_asn1(curve: CurveName) -> Result<&'static EcdsaSigningAlgorithm, CryptoError> {
    match curve {
        CurveName::P256 => Ok(&signature::ECDSA_P256_SHA256_ASN1_SIGNING),
        CurveName::P384 => Ok(&signature::ECDSA_P384_SHA384_ASN1_SIGNING),
        CurveName::P521 => Ok(&signature::ECDSA_P521_SHA512_ASN1_SIGNING),
        CurveName::P256K => Err(p256k_unsupported()),
    }
}

fn ecdsa_fixed(curve: CurveName) -> Result<&'static EcdsaSigningAlgorithm, CryptoError> {
    match curve {
        CurveName::P256 => Ok(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        CurveName::P384 => Ok(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        CurveName::P521 => Ok(&signature::ECDSA_P521_SHA512_FIXED_SIGNING),
        CurveName::P256K => Err(p256k_unsupported()),
    }
}

/// Byte length of one coordinate (and of r or s) on the curve.
fn coordinate_len(curve: CurveName) -> usize {
    match curve {
        CurveName::P256 | CurveName::P256K => 32,
        CurveName::P384 => 48,
        CurveName::P521 => 66,
    }
}

fn internal(what: &str) -> impl FnOnce(aws_lc_rs::error::Unspecified) -> CryptoError + '_ {
    move |_| CryptoError::Internal(what.to_string())
}

/// A private key. Holds the normalized PKCS#8 DER (zeroized on drop), its spec and the cached
/// public parts. `Debug` prints only the spec.
#[derive(Clone)]
pub struct PrivateKey {
    pkcs8: Zeroizing<Vec<u8>>,
    spec: KeySpec,
    spki: Vec<u8>,
    jwk: JsonWebKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

enum Loaded {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl PrivateKey {
    /// Generates a new key. CPU-bound (RSA takes tens of milliseconds): run it off the async
    /// executor.
    pub fn generate(spec: KeySpec) -> Result<Self, CryptoError> {
        match spec {
            KeySpec::Rsa { bits } => {
                let size = match bits {
                    2048 => KeySize::Rsa2048,
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    other => {
                        return Err(CryptoError::Unsupported(format!(
                            "RSA key size {other} is not supported; use 2048, 3072 or 4096."
                        )))
                    }
                };
                let kp =
                    RsaKeyPair::generate(size).map_err(internal("RSA key generation failed"))?;
                let pkcs8 = kp
                    .as_der()
                    .map_err(internal("RSA key serialization failed"))?;
                Self::from_rsa(&kp, pkcs8.as_ref())
            }
            KeySpec::Ec { curve } => {
                let kp = EcdsaKeyPair::generate(ecdsa_asn1(curve)?)
                    .map_err(internal("EC key generation failed"))?;
                Self::from_ec(&kp, curve)
            }
        }
    }

    fn from_rsa(kp: &RsaKeyPair, pkcs8: &[u8]) -> Result<Self, CryptoError> {
        let spki = kp
            .public_key()
            .as_der()
            .map_err(internal("RSA public key serialization failed"))?;
        let bits = u32::try_from(kp.public_modulus_len() * 8)
            .map_err(|_| CryptoError::InvalidKey("The RSA key is too large.".into()))?;
        Self::assemble(
            pkcs8.to_vec(),
            KeySpec::Rsa { bits },
            spki.as_ref().to_vec(),
        )
    }

    fn from_ec(kp: &EcdsaKeyPair, curve: CurveName) -> Result<Self, CryptoError> {
        let pkcs8 = kp
            .to_pkcs8v1()
            .map_err(internal("EC key serialization failed"))?;
        let spki = kp
            .public_key()
            .as_der()
            .map_err(internal("EC public key serialization failed"))?;
        Self::assemble(
            pkcs8.as_ref().to_vec(),
            KeySpec::Ec { curve },
            spki.as_ref().to_vec(),
        )
    }

    fn assemble(pkcs8: Vec<u8>, spec: KeySpec, spki: Vec<u8>) -> Result<Self, CryptoError> {
        let pkcs8 = Zeroizing::new(pkcs8);
        let jwk = jwk_from_spki(&spki)
            .ok_or_else(|| CryptoError::Internal("could not derive the public JWK".into()))?;
        Ok(PrivateKey {
            pkcs8,
            spec,
            spki,
            jwk,
        })
    }

    /// Reads an unencrypted PKCS#8 `PrivateKeyInfo` (RSA 2048..=8192 bits or EC P-256/384/521).
    /// The stored form is re-serialized by aws-lc-rs, so equal keys give equal bytes.
    pub fn from_pkcs8_der(der_bytes: &[u8]) -> Result<Self, CryptoError> {
        if let Ok(kp) = RsaKeyPair::from_pkcs8(der_bytes) {
            let pkcs8 = kp
                .as_der()
                .map_err(internal("RSA key serialization failed"))?;
            return Self::from_rsa(&kp, pkcs8.as_ref());
        }
        for curve in [CurveName::P256, CurveName::P384, CurveName::P521] {
            if let Ok(kp) = EcdsaKeyPair::from_pkcs8(ecdsa_asn1(curve)?, der_bytes) {
                return Self::from_ec(&kp, curve);
            }
        }
        Err(explain_rejected_pkcs8(der_bytes))
    }

    /// Reads the first private key of PEM text. Only PKCS#8 (`BEGIN PRIVATE KEY`) is accepted,
    /// as in Key Vault.
    pub fn from_pem(text: &str) -> Result<Self, CryptoError> {
        for (label, der_bytes) in pem::pem_blocks(text) {
            match label.as_str() {
                "PRIVATE KEY" => return Self::from_pkcs8_der(&der_bytes),
                "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                    return Err(CryptoError::InvalidKey(format!(
                        "The private key is in the '{label}' (PKCS#1/SEC1) format; a PKCS#8 key ('BEGIN PRIVATE KEY') is required. Convert it with 'openssl pkcs8 -topk8 -nocrypt'."
                    )))
                }
                "ENCRYPTED PRIVATE KEY" => {
                    return Err(CryptoError::InvalidKey(
                        "Encrypted PEM private keys are not supported; provide an unencrypted PKCS#8 key ('BEGIN PRIVATE KEY') or a password-protected PFX.".into(),
                    ))
                }
                _ => {}
            }
        }
        Err(CryptoError::InvalidKey(
            "No private key was found in the PEM content; a PKCS#8 key ('BEGIN PRIVATE KEY') is required.".into(),
        ))
    }

    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    /// PKCS#8 `PrivateKeyInfo` DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// `-----BEGIN PRIVATE KEY-----` PEM.
    pub fn pkcs8_pem(&self) -> String {
        pem::pem_encode("PRIVATE KEY", &self.pkcs8)
    }

    /// SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The public key as a JWK (`kid` unset, `key_ops` empty).
    pub fn public_jwk(&self) -> JsonWebKey {
        self.jwk.clone()
    }

    fn load(&self, fixed_ecdsa: bool) -> Result<Loaded, CryptoError> {
        match self.spec {
            KeySpec::Rsa { .. } => RsaKeyPair::from_pkcs8(&self.pkcs8)
                .map(Loaded::Rsa)
                .map_err(|_| CryptoError::Internal("stored RSA key could not be loaded".into())),
            KeySpec::Ec { curve } => {
                let alg = if fixed_ecdsa {
                    ecdsa_fixed(curve)?
                } else {
                    ecdsa_asn1(curve)?
                };
                EcdsaKeyPair::from_pkcs8(alg, &self.pkcs8)
                    .map(Loaded::Ec)
                    .map_err(|_| CryptoError::Internal("stored EC key could not be loaded".into()))
            }
        }
    }

    /// Key Vault `sign`: `digest` is already the SHA-256/384/512 hash that `alg` names.
    /// RS* are PKCS#1 v1.5, PS* are PSS with salt length = hash length, ES* are ECDSA with the
    /// JWS `r||s` output.
    pub fn sign_digest(
        &self,
        alg: SignatureAlgorithm,
        digest_bytes: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        check_alg_fits(alg, self.spec)?;
        let digest = import_digest(alg, digest_bytes)?;
        match self.load(true)? {
            Loaded::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign_digest(rsa_encoding(alg)?, &digest, &mut sig)
                    .map_err(internal("RSA signing failed"))?;
                Ok(sig)
            }
            Loaded::Ec(kp) => {
                let sig = kp
                    .sign_digest(&digest)
                    .map_err(internal("ECDSA signing failed"))?;
                Ok(sig.as_ref().to_vec())
            }
        }
    }

    /// The AlgorithmIdentifier this key signs certificates and CSRs with:
    /// sha256WithRSAEncryption, or ecdsa-with-SHA256/384/512 matching the curve.
    pub(crate) fn x509_signature_algorithm(&self) -> Result<Vec<u8>, CryptoError> {
        let (oid, with_null) = match self.spec {
            KeySpec::Rsa { .. } => (OID_SHA256_WITH_RSA, true),
            KeySpec::Ec {
                curve: CurveName::P256,
            } => (OID_ECDSA_SHA256, false),
            KeySpec::Ec {
                curve: CurveName::P384,
            } => (OID_ECDSA_SHA384, false),
            KeySpec::Ec {
                curve: CurveName::P521,
            } => (OID_ECDSA_SHA512, false),
            KeySpec::Ec {
                curve: CurveName::P256K,
            } => return Err(p256k_unsupported()),
        };
        let oid = der::oid_from_str(oid)
            .ok_or_else(|| CryptoError::Internal("bad OID constant".into()))?;
        Ok(if with_null {
            der::sequence(&[&oid, &der::null()])
        } else {
            der::sequence(&[&oid])
        })
    }

    /// Signs `data` for an X.509 structure (see [`Self::x509_signature_algorithm`]); ECDSA
    /// signatures are DER `Ecdsa-Sig-Value`.
    pub(crate) fn sign_x509(&self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let rng = SystemRandom::new();
        match self.load(false)? {
            Loaded::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(&signature::RSA_PKCS1_SHA256, &rng, data, &mut sig)
                    .map_err(internal("RSA signing failed"))?;
                Ok(sig)
            }
            Loaded::Ec(kp) => Ok(kp
                .sign(&rng, data)
                .map_err(internal("ECDSA signing failed"))?
                .as_ref()
                .to_vec()),
        }
    }
}

/// Says why a PKCS#8 blob was refused, naming unsupported algorithms.
fn explain_rejected_pkcs8(der_bytes: &[u8]) -> CryptoError {
    let Some((alg, param)) = pkcs8_algorithm(der_bytes) else {
        return CryptoError::InvalidKey(
            "The private key is not a valid unencrypted PKCS#8 key.".into(),
        );
    };
    match (alg.as_str(), param.as_deref()) {
        (OID_EC_PUBLIC_KEY, Some(OID_SECP256K1)) => p256k_unsupported(),
        (OID_EC_PUBLIC_KEY, Some(other)) => CryptoError::Unsupported(format!(
            "The EC curve {other} is not supported; use P-256, P-384 or P-521."
        )),
        (OID_RSA_ENCRYPTION, _) => CryptoError::InvalidKey(
            "The RSA private key is invalid or its size is outside 2048 to 8192 bits.".into(),
        ),
        (OID_ED25519, _) => {
            CryptoError::Unsupported("Ed25519 keys are not supported; use an RSA or EC key.".into())
        }
        (other, _) => CryptoError::Unsupported(format!(
            "Private keys of algorithm {other} are not supported."
        )),
    }
}

/// The algorithm OID and (if an OID) its parameter from a PKCS#8 PrivateKeyInfo.
fn pkcs8_algorithm(der_bytes: &[u8]) -> Option<(String, Option<String>)> {
    let outer = der::single(der_bytes, der::TAG_SEQUENCE)?;
    let mut r = der::Reader::new(outer.content);
    r.next_tagged(der::TAG_INTEGER)?;
    algorithm_identifier(r.next_tagged(der::TAG_SEQUENCE)?.content)
}

fn algorithm_identifier(content: &[u8]) -> Option<(String, Option<String>)> {
    let mut r = der::Reader::new(content);
    let alg = der::oid_to_string(r.next_tagged(der::TAG_OID)?.content)?;
    let param = r
        .next_element()
        .filter(|e| e.tag == der::TAG_OID)
        .and_then(|e| der::oid_to_string(e.content));
    Some((alg, param))
}

/// Splits a SubjectPublicKeyInfo into (algorithm OID, parameter OID, key bits).
pub(crate) fn spki_parts(spki: &[u8]) -> Option<(String, Option<String>, &[u8])> {
    let outer = der::single(spki, der::TAG_SEQUENCE)?;
    let mut r = der::Reader::new(outer.content);
    let (alg, param) = algorithm_identifier(r.next_tagged(der::TAG_SEQUENCE)?.content)?;
    let bits = r.next_tagged(der::TAG_BIT_STRING)?.content;
    let (unused, key) = bits.split_first()?;
    if *unused != 0 || !r.is_empty() {
        return None;
    }
    Some((alg, param, key))
}

/// (n, e) of an RSAPublicKey, without leading zero bytes.
fn rsa_public_numbers(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let seq = der::single(key, der::TAG_SEQUENCE)?;
    let mut r = der::Reader::new(seq.content);
    let n = r.next_tagged(der::TAG_INTEGER)?.content;
    let e = r.next_tagged(der::TAG_INTEGER)?.content;
    let trim = |v: &[u8]| -> usize { v.iter().take_while(|b| **b == 0).count() };
    let (n, e) = (&n[trim(n)..], &e[trim(e)..]);
    (!n.is_empty() && !e.is_empty()).then_some((n, e))
}

fn curve_from_oid(oid: &str) -> Option<CurveName> {
    match oid {
        OID_P256 => Some(CurveName::P256),
        OID_P384 => Some(CurveName::P384),
        OID_P521 => Some(CurveName::P521),
        OID_SECP256K1 => Some(CurveName::P256K),
        _ => None,
    }
}

/// The key spec of a SubjectPublicKeyInfo; `None` for other algorithms or malformed input.
/// RSA size is the modulus bit length.
pub(crate) fn spki_key_spec(spki: &[u8]) -> Option<KeySpec> {
    let (alg, param, key) = spki_parts(spki)?;
    match alg.as_str() {
        OID_RSA_ENCRYPTION => {
            let (n, _) = rsa_public_numbers(key)?;
            let bits = (n.len() as u32 - 1) * 8 + (8 - n[0].leading_zeros());
            Some(KeySpec::Rsa { bits })
        }
        OID_EC_PUBLIC_KEY => Some(KeySpec::Ec {
            curve: curve_from_oid(param.as_deref()?)?,
        }),
        _ => None,
    }
}

/// The public JWK of a SubjectPublicKeyInfo (RSA or uncompressed EC point).
pub(crate) fn jwk_from_spki(spki: &[u8]) -> Option<JsonWebKey> {
    let spec = spki_key_spec(spki)?;
    let (_, _, key) = spki_parts(spki)?;
    match spec {
        KeySpec::Rsa { .. } => {
            let (n, e) = rsa_public_numbers(key)?;
            Some(JsonWebKey {
                kty: "RSA".into(),
                n: Some(b64::url_encode(n)),
                e: Some(b64::url_encode(e)),
                ..Default::default()
            })
        }
        KeySpec::Ec { curve } => {
            let len = coordinate_len(curve);
            let (&tag, xy) = key.split_first()?;
            if tag != 0x04 || xy.len() != 2 * len {
                return None;
            }
            Some(JsonWebKey {
                kty: "EC".into(),
                crv: Some(curve),
                x: Some(b64::url_encode(&xy[..len])),
                y: Some(b64::url_encode(&xy[len..])),
                ..Default::default()
            })
        }
    }
}

fn hash_for(alg: SignatureAlgorithm) -> &'static digest::Algorithm {
    use SignatureAlgorithm::*;
    match alg {
        Rs256 | Ps256 | Es256 => &digest::SHA256,
        Rs384 | Ps384 | Es384 => &digest::SHA384,
        Rs512 | Ps512 | Es512 => &digest::SHA512,
    }
}

fn import_digest(alg: SignatureAlgorithm, digest_bytes: &[u8]) -> Result<Digest, CryptoError> {
    let hash = hash_for(alg);
    Digest::import_less_safe(digest_bytes, hash).map_err(|_| {
        CryptoError::Unsupported(format!(
            "The digest for {alg} must be {} bytes long, got {}.",
            hash.output_len(),
            digest_bytes.len()
        ))
    })
}

fn rsa_encoding(alg: SignatureAlgorithm) -> Result<&'static dyn RsaEncoding, CryptoError> {
    use SignatureAlgorithm::*;
    Ok(match alg {
        Rs256 => &signature::RSA_PKCS1_SHA256,
        Rs384 => &signature::RSA_PKCS1_SHA384,
        Rs512 => &signature::RSA_PKCS1_SHA512,
        Ps256 => &signature::RSA_PSS_SHA256,
        Ps384 => &signature::RSA_PSS_SHA384,
        Ps512 => &signature::RSA_PSS_SHA512,
        Es256 | Es384 | Es512 => {
            return Err(CryptoError::InvalidKey(format!(
                "The algorithm {alg} needs an EC key."
            )))
        }
    })
}

/// RS*/PS* need RSA; ES256/384/512 need P-256/P-384/P-521.
fn check_alg_fits(alg: SignatureAlgorithm, spec: KeySpec) -> Result<(), CryptoError> {
    use SignatureAlgorithm::*;
    let needed = match alg {
        Rs256 | Rs384 | Rs512 | Ps256 | Ps384 | Ps512 => None,
        Es256 => Some(CurveName::P256),
        Es384 => Some(CurveName::P384),
        Es512 => Some(CurveName::P521),
    };
    let fits = match (needed, spec) {
        (None, KeySpec::Rsa { .. }) => true,
        (Some(curve), KeySpec::Ec { curve: have }) => curve == have,
        _ => false,
    };
    if fits {
        return Ok(());
    }
    let need = match needed {
        None => "an RSA key".to_string(),
        Some(c) => format!("an EC {c} key"),
    };
    Err(CryptoError::InvalidKey(format!(
        "The algorithm {alg} needs {need}; this key is {spec}."
    )))
}

fn verification_algorithm(alg: SignatureAlgorithm) -> &'static dyn VerificationAlgorithm {
    use SignatureAlgorithm::*;
    match alg {
        Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
        Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
        Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
        Es256 => &signature::ECDSA_P256_SHA256_FIXED,
        Es384 => &signature::ECDSA_P384_SHA384_FIXED,
        Es512 => &signature::ECDSA_P521_SHA512_FIXED,
    }
}

/// Key Vault `verify`: checks `signature` (JWS form, see [`PrivateKey::sign_digest`]) over the
/// already-hashed `digest`. `Ok(false)` for a signature that does not verify; an error when the
/// key cannot be read, `alg` does not fit the key, or the digest has the wrong length.
pub fn verify_digest(
    spki_der: &[u8],
    alg: SignatureAlgorithm,
    digest_bytes: &[u8],
    signature_bytes: &[u8],
) -> Result<bool, CryptoError> {
    let spec = spki_key_spec(spki_der).ok_or_else(|| {
        CryptoError::InvalidKey("The public key is not a valid RSA or EC key.".into())
    })?;
    check_alg_fits(alg, spec)?;
    let digest = import_digest(alg, digest_bytes)?;
    let key = UnparsedPublicKey::new(verification_algorithm(alg), spki_der);
    Ok(key.verify_digest(&digest, signature_bytes).is_ok())
}

#[cfg(test)]
mod tests;
