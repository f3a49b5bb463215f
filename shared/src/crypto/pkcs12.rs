//! The two forms of the secret behind a Key Vault certificate, a key with its chain:
//! PKCS#12 (PFX) through p12-keystore, writing Key Vault's secret PFX (empty password,
//! PBES2/AES-256-CBC with PBKDF2-HMAC-SHA256, HMAC-SHA256 MAC, as OpenSSL 3 writes by default)
//! and reading what users import (PBES2/AES, legacy 3DES/RC2 with SHA-1 MAC, Java keytool);
//! the certificates of a key-less PFX that merge takes in `x5c` ([`pkcs12_certificates`], also
//! under the null password through [`super::pkcs12_null`]); and the `application/x-pem-file`
//! bundle ([`pem_bundle`]).

use super::error::CryptoError;
use super::keys::PrivateKey;
use super::pem::pem_encode;
use super::pkcs12_null::{read as read_null_password, Password};
use aws_lc_rs::digest;
use p12_keystore::error::Error as P12Error;
use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, Pkcs12Archive,
    PrivateKeyChain,
};

/// Iterations for both key derivations, the OpenSSL 3 default. The password is empty, so more
/// would only cost time.
const ITERATIONS: u32 = 2048;

fn map_err(e: P12Error) -> CryptoError {
    match e {
        P12Error::MacError(_) | P12Error::UnpadError => CryptoError::WrongPassword,
        P12Error::UnsupportedEncryptionScheme | P12Error::Pkcs5Error(_) => CryptoError::Pkcs12(
            "The PFX could not be decrypted: the password is wrong or the encryption scheme is not supported.".into(),
        ),
        P12Error::UnsupportedMacAlgorithm => CryptoError::Pkcs12("The PFX uses an unsupported MAC algorithm.".into()),
        P12Error::InvalidParameters => {
            CryptoError::Pkcs12("The PFX has unsupported parameters (for example an excessive iteration count).".into())
        }
        P12Error::InvalidPrivateKey => CryptoError::Pkcs12("The PFX holds an unreadable private key.".into()),
        _ => CryptoError::Pkcs12("The value is not a valid PKCS#12 (PFX) file.".into()),
    }
}

/// A PFX with an empty password: the key (if any, tied to the first certificate by
/// localKeyId) and the certificates in the given order, leaf first.
pub fn pkcs12_build(key: Option<&PrivateKey>, chain: &[Vec<u8>]) -> Result<Vec<u8>, CryptoError> {
    let certs = chain
        .iter()
        .map(|der| {
            Certificate::from_der(der).map_err(|_| {
                CryptoError::InvalidCertificate(
                    "A certificate for the PFX is not valid DER X.509.".into(),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut store = KeyStore::new();
    match key {
        Some(key) => {
            let id_source = chain.first().map_or(key.spki_der(), Vec::as_slice);
            let local_key_id = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, id_source)
                .as_ref()
                .to_vec();
            let p12_key = p12_keystore::PrivateKey::from_der(key.pkcs8_der()).map_err(|_| {
                CryptoError::Internal("the key could not be placed in the PFX".into())
            })?;
            store.add_entry(
                "1",
                KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, p12_key, certs)),
            );
        }
        None => {
            if certs.is_empty() {
                return Err(CryptoError::Pkcs12(
                    "A PFX needs a private key or at least one certificate.".into(),
                ));
            }
            // Entries are written in alias order; zero-padded aliases keep the chain order.
            for (i, cert) in certs.into_iter().enumerate() {
                store.add_entry(&format!("cert{i:04}"), KeyStoreEntry::Certificate(cert));
            }
        }
    }
    store
        .writer("")
        .encryption_algorithm(EncryptionAlgorithm::PbeWithHmacSha256AndAes256)
        .encryption_iterations(ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha256)
        .mac_iterations(ITERATIONS)
        .write()
        .map_err(|_| CryptoError::Internal("writing the PFX failed".into()))
}

/// Reads a PFX: the first private key (if any) and every certificate in file order. A MAC that
/// does not verify with `password` gives [`CryptoError::WrongPassword`]; pass `""` when there
/// is no password.
pub fn pkcs12_parse(
    der: &[u8],
    password: &str,
) -> Result<(Option<PrivateKey>, Vec<Vec<u8>>), CryptoError> {
    let archive = Pkcs12Archive::from_pkcs12(der, password).map_err(map_err)?;
    let key = match archive.keys.first() {
        Some(bag) => Some(PrivateKey::from_pkcs8_der(bag.key.as_der())?),
        None => None,
    };
    let certs = archive
        .certs
        .iter()
        .map(|bag| bag.cert.as_der().to_vec())
        .collect();
    Ok((key, certs))
}

/// Whether `der` is shaped like a PFX (`SEQUENCE { INTEGER 3, ... }`) rather than an X.509
/// certificate (`SEQUENCE { SEQUENCE tbsCertificate, ... }`), so a caller that takes either
/// (merge's `x5c`) can tell them apart before parsing. Any length form is allowed, as BER
/// writers use indefinite lengths.
pub fn looks_like_pkcs12(der: &[u8]) -> bool {
    let Some((&0x30, rest)) = der.split_first() else {
        return false;
    };
    let Some((&len, rest)) = rest.split_first() else {
        return false;
    };
    let skip = if len > 0x80 {
        usize::from(len & 0x7f)
    } else {
        0
    };
    rest.get(skip..skip + 3) == Some(&[0x02, 0x01, 0x03][..])
}

/// What a PFX brought only for its certificates holds (merge's `x5c` items, which .NET's
/// `X509Certificate2.Export(Pfx)` writes without a key).
#[derive(Debug)]
pub struct Pkcs12Certificates {
    /// The certificates in file order.
    pub certs: Vec<Vec<u8>>,
    /// How many private keys the PFX carries: counted, never returned, so a caller that takes
    /// certificates only can refuse a key without holding it.
    pub private_keys: usize,
}

/// Reads the certificates of a PFX (any scheme [`pkcs12_parse`] reads). An empty `password`
/// also opens a PFX written under the null password ([`super::pkcs12_null`]). A MAC that does
/// not verify with `password` gives [`CryptoError::WrongPassword`].
pub fn pkcs12_certificates(der: &[u8], password: &str) -> Result<Pkcs12Certificates, CryptoError> {
    match Pkcs12Archive::from_pkcs12(der, password) {
        Ok(archive) => Ok(Pkcs12Certificates {
            certs: archive
                .certs
                .iter()
                .map(|bag| bag.cert.as_der().to_vec())
                .collect(),
            private_keys: archive.keys.len(),
        }),
        // No password also means the null password, which .NET's `Export(Pfx)` writes and
        // p12-keystore cannot express; when that does not open the file either, the first
        // error is the one that explains it.
        Err(e) if password.is_empty() => match read_null_password(der, Password::Null) {
            Ok((certs, private_keys)) => Ok(Pkcs12Certificates {
                certs,
                private_keys,
            }),
            Err(_) => Err(map_err(e)),
        },
        Err(e) => Err(map_err(e)),
    }
}

/// Key Vault's PEM secret: the PKCS#8 key (if any), then the certificates in the given order.
pub fn pem_bundle(key: Option<&PrivateKey>, chain: &[Vec<u8>]) -> String {
    let mut out = key.map(PrivateKey::pkcs8_pem).unwrap_or_default();
    for cert in chain {
        out.push_str(&pem_encode("CERTIFICATE", cert));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::cert::{issue_for_key, self_signed};
    use crate::crypto::keys::KeySpec;
    use crate::crypto::parse::{parse_certificate, verify_certificate_signature};
    use crate::crypto::pem::pem_blocks;
    use crate::crypto::test_support::{
        ca_profile, fixture, leaf_profile, p256, rsa2048, FIXTURE_PASSWORD,
    };
    use crate::models::CurveName;

    fn chain() -> (PrivateKey, Vec<Vec<u8>>) {
        let root_key = rsa2048();
        let root = self_signed(&root_key, &ca_profile("CN=P12 Root", None)).unwrap();
        let leaf_key = p256();
        let leaf =
            issue_for_key(&leaf_key, &leaf_profile("CN=p12.example"), &root_key, &root).unwrap();
        (leaf_key, vec![leaf, root])
    }

    #[test]
    fn build_then_parse_round_trips() {
        let (key, certs) = chain();
        let pfx = pkcs12_build(Some(&key), &certs).unwrap();
        let (back_key, back_certs) = pkcs12_parse(&pfx, "").unwrap();
        assert_eq!(back_key.unwrap().pkcs8_der(), key.pkcs8_der());
        assert_eq!(back_certs, certs);
        assert!(matches!(
            pkcs12_parse(&pfx, "wrong"),
            Err(CryptoError::WrongPassword)
        ));

        let certs_only = pkcs12_build(None, &certs).unwrap();
        let (none, back) = pkcs12_parse(&certs_only, "").unwrap();
        assert!(none.is_none());
        assert_eq!(back, certs);

        let key_only = pkcs12_build(Some(&key), &[]).unwrap();
        let (k, c) = pkcs12_parse(&key_only, "").unwrap();
        assert_eq!(k.unwrap().spki_der(), key.spki_der());
        assert!(c.is_empty());

        assert!(pkcs12_build(None, &[]).is_err());
        assert!(matches!(
            pkcs12_build(None, &[b"junk".to_vec()]),
            Err(CryptoError::InvalidCertificate(_))
        ));
    }

    #[test]
    fn certificates_only_reading_counts_keys() {
        let (key, certs) = chain();
        let certs_only = pkcs12_build(None, &certs).unwrap();
        assert!(looks_like_pkcs12(&certs_only));
        let read = pkcs12_certificates(&certs_only, "").unwrap();
        assert_eq!((read.certs, read.private_keys), (certs.clone(), 0));

        let with_key = pkcs12_build(Some(&key), &certs).unwrap();
        let read = pkcs12_certificates(&with_key, "").unwrap();
        assert_eq!((read.certs.len(), read.private_keys), (2, 1));
        assert!(matches!(
            pkcs12_certificates(&with_key, "wrong"),
            Err(CryptoError::WrongPassword)
        ));

        // Files from other tools: OpenSSL's legacy and AES PFX, keytool's, a certificate-only one.
        for name in [
            "rsa-chain-legacy-3des.pfx",
            "rsa-chain-aes.pfx",
            "java-keytool.p12",
            "rsa-cert-only.pfx",
        ] {
            let der = fixture(name);
            assert!(looks_like_pkcs12(&der), "{name}");
            let read = pkcs12_certificates(&der, FIXTURE_PASSWORD).unwrap();
            assert!(!read.certs.is_empty(), "{name}");
            assert_eq!(
                read.private_keys,
                usize::from(name != "rsa-cert-only.pfx"),
                "{name}"
            );
        }

        // Certificates, PEM text, garbage and truncations are not PFX-shaped.
        for cert in &certs {
            assert!(!looks_like_pkcs12(cert));
        }
        for junk in [
            &b""[..],
            b"0",
            &[0x30, 0x82, 0x01],
            &[0x30, 0x80, 0x02, 0x01, 0x02],
        ] {
            assert!(!looks_like_pkcs12(junk), "{junk:?}");
        }
        assert!(looks_like_pkcs12(&[0x30, 0x80, 0x02, 0x01, 0x03]));
        assert!(!looks_like_pkcs12(&fixture("garbage.bin")));
        assert!(!looks_like_pkcs12(&fixture("rsa-cert-only.pem")));
    }

    #[test]
    fn garbage_is_an_error() {
        for junk in [&b""[..], b"junk", &[0x30, 0x03, 0x02, 0x01, 0x03]] {
            assert!(matches!(
                pkcs12_parse(junk, ""),
                Err(CryptoError::Pkcs12(_))
            ));
        }
        let garbage = fixture("garbage.bin");
        assert!(matches!(
            pkcs12_parse(&garbage, ""),
            Err(CryptoError::Pkcs12(_))
        ));
        let (key, certs) = chain();
        let mut pfx = pkcs12_build(Some(&key), &certs).unwrap();
        let n = pfx.len();
        pfx[n / 2] ^= 0xff;
        assert!(pkcs12_parse(&pfx, "").is_err());
        assert!(pkcs12_parse(&pfx[..n / 2], "").is_err());
    }

    #[test]
    fn fixtures_from_other_tools_parse() {
        let cases = [
            (
                "rsa-chain-aes.pfx",
                FIXTURE_PASSWORD,
                KeySpec::Rsa { bits: 2048 },
                3,
            ),
            (
                "rsa-chain-legacy-3des.pfx",
                FIXTURE_PASSWORD,
                KeySpec::Rsa { bits: 2048 },
                3,
            ),
            ("rsa-chain-nopass.pfx", "", KeySpec::Rsa { bits: 2048 }, 3),
            (
                "java-keytool.p12",
                FIXTURE_PASSWORD,
                KeySpec::Rsa { bits: 2048 },
                1,
            ),
            (
                "ec-chain-aes.pfx",
                FIXTURE_PASSWORD,
                KeySpec::Ec {
                    curve: CurveName::P256,
                },
                3,
            ),
        ];
        for (name, password, spec, n_certs) in cases {
            let der = fixture(name);
            let (key, certs) =
                pkcs12_parse(&der, password).unwrap_or_else(|e| panic!("{name}: {e}"));
            let key = key.unwrap_or_else(|| panic!("{name}: no key"));
            assert_eq!(key.spec(), spec, "{name}");
            assert_eq!(certs.len(), n_certs, "{name}");
            // Exactly one certificate carries the key.
            let infos: Vec<_> = certs
                .iter()
                .map(|c| parse_certificate(c).unwrap())
                .collect();
            assert_eq!(
                infos
                    .iter()
                    .filter(|i| i.spki_der == key.spki_der())
                    .count(),
                1,
                "{name}"
            );
            assert!(
                matches!(
                    pkcs12_parse(&der, "not-the-password"),
                    Err(CryptoError::WrongPassword)
                ),
                "{name}"
            );
        }
        let (key, certs) = pkcs12_parse(&fixture("rsa-cert-only.pfx"), FIXTURE_PASSWORD).unwrap();
        assert!(key.is_none());
        assert_eq!(certs.len(), 1);
    }

    #[test]
    fn fixture_pem_files_read() {
        let text = String::from_utf8(fixture("rsa-chain-pkcs8.pem")).unwrap();
        let key = PrivateKey::from_pem(&text).unwrap();
        let certs: Vec<Vec<u8>> = pem_blocks(&text)
            .into_iter()
            .filter(|(l, _)| l == "CERTIFICATE")
            .map(|(_, d)| d)
            .collect();
        assert_eq!(certs.len(), 3);
        let leaf = parse_certificate(&certs[0]).unwrap();
        assert_eq!(leaf.spki_der, key.spki_der());
        assert_eq!(leaf.subject, "CN=app.fixture.test, O=Fixtures");
        assert_eq!(leaf.issuer, "CN=Fixture Intermediate CA, O=Fixtures");
        assert_eq!(leaf.ekus, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
        assert_eq!(
            leaf.sans.dns_names,
            Some(vec![
                "app.fixture.test".to_string(),
                "www.fixture.test".to_string()
            ])
        );
        assert!(!leaf.is_ca && !leaf.self_issued);
        assert!(parse_certificate(&certs[2]).unwrap().self_issued);
        verify_certificate_signature(&certs[0], &certs[1]).unwrap();
        verify_certificate_signature(&certs[1], &certs[2]).unwrap();

        let ec_text = String::from_utf8(fixture("ec-chain-pkcs8.pem")).unwrap();
        assert_eq!(
            PrivateKey::from_pem(&ec_text).unwrap().spec(),
            KeySpec::Ec {
                curve: CurveName::P256
            }
        );
        let pkcs1 = String::from_utf8(fixture("rsa-pkcs1-key.pem")).unwrap();
        assert!(
            matches!(PrivateKey::from_pem(&pkcs1), Err(CryptoError::InvalidKey(m)) if m.contains("PKCS#8"))
        );
        let enc = String::from_utf8(fixture("rsa-encrypted-pkcs8.pem")).unwrap();
        assert!(
            matches!(PrivateKey::from_pem(&enc), Err(CryptoError::InvalidKey(m)) if m.contains("ncrypted"))
        );
        let expired = parse_certificate(
            &pem_blocks(&String::from_utf8(fixture("expired.pem")).unwrap())[0].1,
        )
        .unwrap();
        assert_eq!(expired.not_after, 1_609_459_200); // 2021-01-01T00:00:00Z
    }

    /// Runs a tool with `input` on stdin; `None` when the tool is not installed.
    fn run(cmd: &str, args: &[&str], input: &[u8]) -> Option<std::process::Output> {
        use std::io::Write;
        let mut child = std::process::Command::new(cmd)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(input).ok()?;
        child.wait_with_output().ok()
    }

    #[test]
    fn openssl_and_python_read_our_pfx() {
        let (key, certs) = chain();
        let pfx = pkcs12_build(Some(&key), &certs).unwrap();
        let dir = std::env::temp_dir().join(format!("shared-p12-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.pfx");
        std::fs::write(&path, &pfx).unwrap();
        let path_s = path.to_str().unwrap();
        if let Some(out) = run(
            "openssl",
            &[
                "pkcs12", "-in", path_s, "-passin", "pass:", "-nodes", "-info",
            ],
            b"",
        ) {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            eprintln!("openssl pkcs12 -info: {stderr}");
            assert!(out.status.success(), "openssl failed: {stderr}");
            assert!(
                stderr.contains("PBES2") && stderr.contains("AES-256-CBC"),
                "{stderr}"
            );
            assert!(stderr.contains("MAC: sha256"), "{stderr}");
            assert_eq!(stdout.matches("BEGIN CERTIFICATE").count(), 2);
            assert_eq!(stdout.matches("BEGIN PRIVATE KEY").count(), 1);
        }
        let script =
            "import sys\nfrom cryptography.hazmat.primitives.serialization import pkcs12\n\
            k, c, extra = pkcs12.load_key_and_certificates(open(sys.argv[1], 'rb').read(), None)\n\
            print(k is not None, c is not None, len(extra))\n";
        if let Some(out) = run("python3", &["-c", script, path_s], b"") {
            let stderr = String::from_utf8_lossy(&out.stderr);
            eprintln!("python: {} {stderr}", String::from_utf8_lossy(&out.stdout));
            if !stderr.contains("No module named") {
                assert!(out.status.success(), "python failed: {stderr}");
                assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "True True 1");
            }
        }
        // The PEM bundle reads back in OpenSSL too.
        let bundle = pem_bundle(Some(&key), &certs);
        if let Some(out) = run(
            "openssl",
            &["x509", "-noout", "-subject"],
            bundle.as_bytes(),
        ) {
            assert!(String::from_utf8_lossy(&out.stdout).contains("p12.example"));
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn bundle_puts_key_first() {
        let k = p256();
        let bundle = pem_bundle(Some(&k), &[b"leaf".to_vec(), b"root".to_vec()]);
        let blocks = pem_blocks(&bundle);
        let labels: Vec<&str> = blocks.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["PRIVATE KEY", "CERTIFICATE", "CERTIFICATE"]);
        assert_eq!(blocks[0].1, k.pkcs8_der());
        assert_eq!(blocks[2].1, b"root");
        assert_eq!(pem_bundle(None, &[]), "");
    }
}
