//! Certificate and key checks: parsing X.509, comparing public keys, matching a PKCS#8 key to a
//! certificate, verifying signatures with aws-lc-rs (which covers P-521 and SHA-512, unlike
//! x509-parser's verifier).

use x509_parser::prelude::*;

/// Parses a DER certificate (panics on failure).
pub fn parse_cert(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = parse_x509_certificate(der).expect("parse X.509 certificate");
    assert!(rest.is_empty(), "trailing bytes after certificate DER");
    cert
}

/// The SPKI public key material of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpkiKey {
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// Curve OID (dotted) and the uncompressed point `04 || x || y`.
    Ec { curve_oid: String, point: Vec<u8> },
}

pub const OID_P256: &str = "1.2.840.10045.3.1.7";
pub const OID_P384: &str = "1.3.132.0.34";
pub const OID_P521: &str = "1.3.132.0.35";

pub fn strip_leading_zeros(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

pub fn spki_key(cert_der: &[u8]) -> SpkiKey {
    let cert = parse_cert(cert_der);
    let spki = cert.public_key();
    match spki.parsed().expect("parse SPKI") {
        x509_parser::public_key::PublicKey::RSA(rsa) => SpkiKey::Rsa {
            n: strip_leading_zeros(rsa.modulus),
            e: strip_leading_zeros(rsa.exponent),
        },
        x509_parser::public_key::PublicKey::EC(point) => {
            let curve_oid = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .expect("EC SPKI without named curve");
            SpkiKey::Ec {
                curve_oid,
                point: point.data().to_vec(),
            }
        }
        other => panic!("unexpected public key type in certificate: {other:?}"),
    }
}

/// Does the PKCS#8 private key belong to the certificate's public key?
/// Opens the PFX `pfx` of certificate `name` with the empty password and asserts it holds one
/// private key, the one of the certificate `der`; returns the archive.
pub fn open_pfx_of(pfx: &[u8], der: &[u8], name: &str) -> p12_keystore::Pkcs12Archive {
    let archive = p12_keystore::Pkcs12Archive::from_pkcs12(pfx, "")
        .unwrap_or_else(|err| panic!("{name}: PFX opens with the empty password: {err:?}"));
    assert_eq!(archive.keys.len(), 1, "{name}: one private key");
    assert!(
        private_key_matches_cert(archive.keys[0].key.as_der(), der),
        "{name}: the PFX key belongs to the certificate"
    );
    archive
}

pub fn private_key_matches_cert(pkcs8: &[u8], cert_der: &[u8]) -> bool {
    use aws_lc_rs::signature::{self, KeyPair as _};
    let cert = parse_cert(cert_der);
    let spki_bits = cert.public_key().subject_public_key.data.to_vec();
    match spki_key(cert_der) {
        SpkiKey::Rsa { .. } => {
            let key = signature::RsaKeyPair::from_pkcs8(pkcs8).expect("RSA PKCS#8");
            key.public_key().as_ref() == spki_bits.as_slice()
        }
        SpkiKey::Ec { curve_oid, .. } => {
            let alg = match curve_oid.as_str() {
                OID_P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                OID_P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
                OID_P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
                other => panic!("unsupported curve {other}"),
            };
            let key = signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8).expect("EC PKCS#8");
            key.public_key().as_ref() == spki_bits.as_slice()
        }
    }
}

/// Verifies a JWS-style signature (`ES256` raw r||s, `RS256`, `PS256`, ...) over `message` with
/// the certificate's public key.
pub fn verify_with_cert(cert_der: &[u8], alg: &str, message: &[u8], signature: &[u8]) -> bool {
    use aws_lc_rs::signature as sig;
    let cert = parse_cert(cert_der);
    let spki_bits = cert.public_key().subject_public_key.data.to_vec();
    let algorithm: &dyn sig::VerificationAlgorithm = match alg {
        "ES256" => &sig::ECDSA_P256_SHA256_FIXED,
        "ES384" => &sig::ECDSA_P384_SHA384_FIXED,
        "ES512" => &sig::ECDSA_P521_SHA512_FIXED,
        "RS256" => &sig::RSA_PKCS1_2048_8192_SHA256,
        "RS384" => &sig::RSA_PKCS1_2048_8192_SHA384,
        "RS512" => &sig::RSA_PKCS1_2048_8192_SHA512,
        "PS256" => &sig::RSA_PSS_2048_8192_SHA256,
        "PS384" => &sig::RSA_PSS_2048_8192_SHA384,
        "PS512" => &sig::RSA_PSS_2048_8192_SHA512,
        other => panic!("unsupported algorithm {other}"),
    };
    sig::UnparsedPublicKey::new(algorithm, &spki_bits)
        .verify(message, signature)
        .is_ok()
}

/// Verifies `cert_der`'s signature with `issuer_der`'s public key (aws-lc-rs; unlike
/// x509-parser's verifier this covers P-521 and ecdsa-with-SHA512).
pub fn verify_cert_signed_by(cert_der: &[u8], issuer_der: &[u8]) -> Result<(), String> {
    use aws_lc_rs::signature as sig;
    let cert = parse_cert(cert_der);
    let issuer = parse_cert(issuer_der);
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    let issuer_key = spki_key(issuer_der);
    let curve = match &issuer_key {
        SpkiKey::Ec { curve_oid, .. } => curve_oid.as_str(),
        SpkiKey::Rsa { .. } => "rsa",
    };
    let alg: &dyn sig::VerificationAlgorithm = match (sig_oid.as_str(), curve) {
        ("1.2.840.113549.1.1.11", "rsa") => &sig::RSA_PKCS1_2048_8192_SHA256,
        ("1.2.840.113549.1.1.12", "rsa") => &sig::RSA_PKCS1_2048_8192_SHA384,
        ("1.2.840.113549.1.1.13", "rsa") => &sig::RSA_PKCS1_2048_8192_SHA512,
        ("1.2.840.10045.4.3.2", OID_P256) => &sig::ECDSA_P256_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", OID_P256) => &sig::ECDSA_P256_SHA384_ASN1,
        ("1.2.840.10045.4.3.2", OID_P384) => &sig::ECDSA_P384_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", OID_P384) => &sig::ECDSA_P384_SHA384_ASN1,
        ("1.2.840.10045.4.3.2", OID_P521) => &sig::ECDSA_P521_SHA256_ASN1,
        ("1.2.840.10045.4.3.3", OID_P521) => &sig::ECDSA_P521_SHA384_ASN1,
        ("1.2.840.10045.4.3.4", OID_P521) => &sig::ECDSA_P521_SHA512_ASN1,
        (oid, key) => return Err(format!("unsupported signature {oid} with key {key}")),
    };
    sig::UnparsedPublicKey::new(alg, &issuer.public_key().subject_public_key.data)
        .verify(cert.tbs_certificate.as_ref(), &cert.signature_value.data)
        .map_err(|_| format!("signature {sig_oid} does not verify"))
}

/// Extracts the raw private scalar `d` from an EC PKCS#8 key (SEC1 `ECPrivateKey`).
pub fn ec_private_scalar(pkcs8: &[u8]) -> Vec<u8> {
    // ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING, ... }
    let marker = [0x02, 0x01, 0x01, 0x04];
    let pos = pkcs8
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("ECPrivateKey version + OCTET STRING in PKCS#8");
    let len = pkcs8[pos + marker.len()] as usize;
    let start = pos + marker.len() + 1;
    pkcs8[start..start + len].to_vec()
}

/// The certificates of a PEM text (a secret's value), in order.
pub fn certificates_in_pem(pem: &str) -> Vec<Vec<u8>> {
    shared::crypto::pem_blocks(pem)
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der)
        .collect()
}

/// Checks an issued chain (leaf first) against the operation's CSR: the leaf carries the CSR's
/// key, and each certificate is signed by the next.
pub fn assert_chain_for_csr(chain: &[Vec<u8>], csr_der: &[u8]) {
    let leaf = parse_cert(&chain[0]);
    let csr_key = x509_parser::certification_request::X509CertificationRequest::from_der(csr_der)
        .map(|(_, r)| r.certification_request_info.subject_pki.raw.to_vec())
        .expect("the operation's CSR parses");
    assert_eq!(leaf.tbs_certificate.subject_pki.raw, &csr_key[..]);
    for pair in chain.windows(2) {
        verify_cert_signed_by(&pair[0], &pair[1]).expect("each certificate signs the one before");
    }
}

/// Signs the CSR's public key as a user's own CA would: a leaf for `CN=cn` with `dns` as its
/// one DNS name, issued by `issuer` (the CSR's own names are not copied).
pub fn sign_csr_with<K: rcgen::SigningKey>(
    csr_der: &[u8],
    issuer: &rcgen::Issuer<'_, K>,
    cn: &str,
    dns: &str,
) -> Vec<u8> {
    use x509_parser::prelude::FromDer as _;
    let (_, csr) = x509_parser::certification_request::X509CertificationRequest::from_der(csr_der)
        .expect("CSR");
    let spki =
        rcgen::SubjectPublicKeyInfo::from_der(csr.certification_request_info.subject_pki.raw)
            .expect("CSR SPKI");
    let mut params = rcgen::CertificateParams::new(vec![dns.to_string()]).expect("leaf params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    params
        .signed_by(&spki, issuer)
        .expect("sign")
        .der()
        .to_vec()
}
