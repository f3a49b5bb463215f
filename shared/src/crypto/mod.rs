//! Crypto for the emulator: key generation and Key Vault style signing ([`keys`]), X.500 names
//! ([`dn`]), certificate profiles and their extensions ([`profile`]), the rules every subject
//! alternative name meets ([`san`]), certificate issuance ([`cert`]), PKCS#10 requests
//! ([`csr`]), certificate parsing ([`parse`]), the key-and-chain secret as PKCS#12 or PEM
//! bundle ([`pkcs12`]; [`pkcs12_null`] reads the null-password PFX .NET writes), a CA's name constraints ([`name_constraints`]), PEM text ([`pem`]) and the one error type ([`error`]). This file only declares the modules and re-exports everything public, so
//! callers write `shared::crypto::self_signed`; the modules import each other directly, never
//! through here.
//!
//! Private keys are RSA (2048..=8192 bits imported, 2048/3072/4096 generated) or EC P-256/384/521,
//! handled by aws-lc-rs. Certificates and requests are encoded by our own small DER writer
//! ([`der`]) so that names keep repeated attributes (`DC=contoso, DC=com`) and an issuer's name
//! is copied byte for byte from its certificate.

mod cert;
mod csr;
pub(crate) mod der;
mod dn;
mod error;
mod keys;
mod name_constraints;
mod parse;
mod pem;
mod pkcs12;
mod pkcs12_null;
mod profile;
mod san;
#[cfg(test)]
mod test_support;

pub use cert::{issue_for_key, self_signed, sign_csr};
pub use csr::{build_csr, parse_csr, CsrInfo};
pub use dn::{parse_dn, DistinguishedName, DnAttribute};
pub use error::CryptoError;
pub use keys::{verify_digest, KeySpec, PrivateKey};
pub use name_constraints::{permitted_names, self_signed_constrained, PermittedNames, Subtree};
pub use parse::{parse_certificate, verify_certificate_signature, x5t, CertInfo};
pub use pem::{pem_blocks, pem_encode};
pub use pkcs12::{
    looks_like_pkcs12, pem_bundle, pkcs12_build, pkcs12_certificates, pkcs12_parse,
    Pkcs12Certificates,
};
pub use profile::{validate_eku, CertProfile};
pub use san::{validate_san, validate_sans, SanKind};
