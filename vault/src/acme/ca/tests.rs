//! Unit tests of the local CA: persistence and sealing, what a leaf carries (read back with
//! x509-parser), both chains verified by the `openssl` CLI, the CRL, and the RFC 9773 certID.

use super::hierarchy::{CA_DIR, ROOT_FILE, STATE_FILE};
use super::*;
use crate::model::acme::Identifier;
use shared::crypto::{build_csr, CertProfile, KeySpec, PrivateKey};
use shared::models::{CurveName, KeyUsage, SubjectAlternativeNames};
use std::path::Path;
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{CertificateRevocationList, FromDer, X509Certificate};

const MASTER_A: &str = "0101010101010101010101010101010101010101010101010101010101010101";
const MASTER_B: &str = "0202020202020202020202020202020202020202020202020202020202020202";

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn dns(name: &str) -> Identifier {
    Identifier::dns(name)
}

fn ip(addr: &str) -> Identifier {
    Identifier::ip(addr)
}

fn p256() -> PrivateKey {
    PrivateKey::generate(KeySpec::Ec {
        curve: CurveName::P256,
    })
    .unwrap()
}

/// A CSR for `key`; its own names do not matter (the order's identifiers go into the leaf).
fn csr(key: &PrivateKey) -> Vec<u8> {
    let now = OffsetDateTime::now_utc();
    let profile = CertProfile {
        subject: "CN=ignored.example".into(),
        sans: SubjectAlternativeNames {
            dns_names: Some(vec!["ignored.example".into()]),
            ..Default::default()
        },
        ekus: Vec::new(),
        key_usage: vec![KeyUsage::DigitalSignature],
        not_before: now,
        not_after: now + Duration::days(1),
        is_ca: false,
        path_len: None,
    };
    build_csr(key, &profile).unwrap()
}

fn ca(dir: &Path) -> LocalCa {
    LocalCa::load_or_create(dir, Some(MASTER_A), now()).unwrap()
}

fn cert(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = X509Certificate::from_der(der).unwrap();
    assert!(rest.is_empty());
    cert
}

const CRL_URL: &str = "https://vault.localhost:8443/acme/crl";

#[test]
fn local_ca_is_send_sync() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<LocalCa>();
}

#[test]
fn the_hierarchy_persists_across_loads() {
    let dir = tempfile::tempdir().unwrap();
    let first = ca(dir.path());
    let second = ca(dir.path());
    assert_eq!(first.root_pem(), second.root_pem());
    assert_eq!(first.alternate_chains(), second.alternate_chains());
    let on_disk = std::fs::read_to_string(dir.path().join(CA_DIR).join(ROOT_FILE)).unwrap();
    assert_eq!(on_disk, first.root_pem());
    // The second instance signs under the same intermediate: its leaf's AKI is the same.
    let key = p256();
    let [a, b] = [&first, &second].map(|ca| {
        ca.issue(
            &csr(&key),
            &[dns("a.example")],
            now(),
            now() + 3600,
            CRL_URL,
        )
        .unwrap()
    });
    assert_eq!(a.chain[1], b.chain[1]);
    assert_eq!(
        a.ari_cert_id.split('.').next(),
        b.ari_cert_id.split('.').next()
    );
    assert_ne!(a.serial_hex, b.serial_hex);
}

#[test]
fn the_private_keys_are_sealed_and_another_master_key_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let root = ca(dir.path()).root_pem();
    let state = std::fs::read_to_string(dir.path().join(CA_DIR).join(STATE_FILE)).unwrap();
    assert!(!state.contains("PRIVATE KEY"));
    let err = LocalCa::load_or_create(dir.path(), Some(MASTER_B), now()).unwrap_err();
    assert!(
        matches!(&err, CaError::Storage(m) if m.contains("master")),
        "{err}"
    );
    // Nothing was replaced: the right key still opens the same CA.
    assert_eq!(ca(dir.path()).root_pem(), root);
}

#[test]
fn without_a_configured_key_the_data_dirs_master_key_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let first = LocalCa::load_or_create(dir.path(), None, now()).unwrap();
    assert!(dir.path().join("master.key").exists());
    let second = LocalCa::load_or_create(dir.path(), None, now()).unwrap();
    assert_eq!(first.root_pem(), second.root_pem());
}

#[test]
fn a_corrupt_state_file_stops_the_load_instead_of_making_a_new_root() {
    let dir = tempfile::tempdir().unwrap();
    ca(dir.path());
    let path = dir.path().join(CA_DIR).join(STATE_FILE);
    std::fs::write(&path, b"{ not json").unwrap();
    let err = LocalCa::load_or_create(dir.path(), Some(MASTER_A), now()).unwrap_err();
    assert!(
        matches!(&err, CaError::Storage(m) if m.contains("corrupt")),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"{ not json");
}

#[test]
fn a_leaf_carries_the_orders_names_validity_crl_point_and_server_auth() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca(dir.path());
    let long = format!("{}.example", "a".repeat(60));
    let (nb, na) = (now() - 60, now() + 90 * 86_400);
    let ids = [long.as_str(), "www.example.com", "*.example.com"]
        .map(dns)
        .into_iter()
        .chain([ip("192.0.2.7"), ip("2001:db8::1")])
        .collect::<Vec<_>>();
    let issued = ca.issue(&csr(&p256()), &ids, nb, na, CRL_URL).unwrap();
    assert_eq!(issued.chain.len(), 3);
    assert_eq!((issued.not_before, issued.not_after), (nb, na));
    let leaf = cert(&issued.chain[0]);
    assert_eq!(leaf.validity().not_before.timestamp(), nb);
    assert_eq!(leaf.validity().not_after.timestamp(), na);
    // The first DNS name is over 64 characters: the next one is the CN.
    let cns: Vec<_> = leaf
        .subject()
        .iter_common_name()
        .map(|cn| cn.as_str().unwrap().to_string())
        .collect();
    assert_eq!(cns, ["www.example.com"]);
    let mut dns_names = Vec::new();
    let mut ips = Vec::new();
    let (mut crl_uris, mut server_auth, mut ca_flag) = (Vec::new(), false, None);
    for ext in leaf.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(n) => dns_names.push(n.to_string()),
                        GeneralName::IPAddress(b) => ips.push(b.to_vec()),
                        other => panic!("unexpected SAN {other:?}"),
                    }
                }
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for point in points.iter() {
                    if let Some(x509_parser::extensions::DistributionPointName::FullName(names)) =
                        &point.distribution_point
                    {
                        for name in names {
                            if let GeneralName::URI(uri) = name {
                                crl_uris.push(uri.to_string());
                            }
                        }
                    }
                }
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                server_auth = eku.server_auth;
                assert!(!eku.client_auth);
            }
            ParsedExtension::BasicConstraints(bc) => ca_flag = Some(bc.ca),
            _ => {}
        }
    }
    assert_eq!(
        dns_names,
        [long.as_str(), "www.example.com", "*.example.com"]
    );
    assert_eq!(
        ips,
        [
            vec![192, 0, 2, 7],
            "2001:db8::1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets()
                .to_vec()
        ]
    );
    assert_eq!(crl_uris, [CRL_URL]);
    assert!(server_auth);
    assert_eq!(ca_flag, Some(false));
    // Serial and certID are what the readers find in the DER.
    assert_eq!(issued.serial_hex, serial_hex(&issued.chain[0]).unwrap());
    assert_eq!(issued.ari_cert_id, ari_cert_id(&issued.chain[0]).unwrap());
    assert_eq!(issued.serial_hex.len(), 32);
    assert!(leaf.tbs_certificate.raw_serial()[0] < 0x80);
    // Signed by the intermediate, which the root signed.
    leaf.verify_signature(Some(cert(&issued.chain[1]).public_key()))
        .unwrap();
    cert(&issued.chain[1])
        .verify_signature(Some(cert(&issued.chain[2]).public_key()))
        .unwrap();
}

#[test]
fn an_ip_only_leaf_has_an_empty_subject_and_a_critical_san() {
    let dir = tempfile::tempdir().unwrap();
    let issued = ca(dir.path())
        .issue(
            &csr(&p256()),
            &[ip("127.0.0.1")],
            now(),
            now() + 3600,
            CRL_URL,
        )
        .unwrap();
    let leaf = cert(&issued.chain[0]);
    assert_eq!(leaf.subject().iter().count(), 0);
    let san = leaf
        .extensions()
        .iter()
        .find(|e| {
            matches!(
                e.parsed_extension(),
                ParsedExtension::SubjectAlternativeName(_)
            )
        })
        .unwrap();
    assert!(san.critical);
}

#[test]
fn an_rsa_key_also_gets_key_encipherment() {
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate(KeySpec::Rsa { bits: 2048 }).unwrap();
    let issued = ca(dir.path())
        .issue(
            &csr(&key),
            &[dns("rsa.example")],
            now(),
            now() + 3600,
            CRL_URL,
        )
        .unwrap();
    let leaf = cert(&issued.chain[0]);
    let ku = leaf.key_usage().unwrap().unwrap().value;
    assert!(ku.digital_signature() && ku.key_encipherment());
    assert_eq!(leaf.public_key().raw, key.spki_der());
}

#[test]
fn a_csr_signed_by_another_key_or_garbage_is_a_bad_csr() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca(dir.path());
    let (signer, other) = (p256(), p256());
    // The request names `other`'s public key but carries `signer`'s signature.
    let good = csr(&signer);
    let at = good
        .windows(signer.spki_der().len())
        .position(|w| w == signer.spki_der())
        .unwrap();
    let mut forged = good.clone();
    forged[at..at + other.spki_der().len()].copy_from_slice(other.spki_der());
    for bad in [&forged[..], b"", b"junk", &good[..good.len() - 1]] {
        let err = ca
            .issue(bad, &[dns("a.example")], now(), now() + 3600, CRL_URL)
            .unwrap_err();
        assert!(matches!(err, CaError::BadCsr(_)), "{err:?}");
    }
    // Names that cannot go into a certificate are the caller's mistake too.
    for ids in [vec![], vec![dns("bad name.example")], vec![ip("not-an-ip")]] {
        let err = ca
            .issue(&good, &ids, now(), now() + 3600, CRL_URL)
            .unwrap_err();
        assert!(matches!(err, CaError::BadCsr(_)), "{err:?}");
    }
}

/// `openssl verify -CAfile root -untrusted chain leaf`, which must succeed.
fn openssl_verify(dir: &Path, root: &[u8], untrusted: &[u8], leaf: &[u8]) {
    let pem = |name: &str, der: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, shared::crypto::pem_encode("CERTIFICATE", der)).unwrap();
        path
    };
    let out = std::process::Command::new("openssl")
        .arg("verify")
        .arg("-purpose")
        .arg("sslserver")
        .arg("-CAfile")
        .arg(pem("root.pem", root))
        .arg("-untrusted")
        .arg(pem("untrusted.pem", untrusted))
        .arg(pem("leaf.pem", leaf))
        .output()
        .expect("the openssl CLI is needed for this test (.ci/run installs it)");
    assert!(
        out.status.success(),
        "openssl verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn openssl_verifies_the_default_and_the_alternate_chain() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca(dir.path());
    let issued = ca
        .issue(
            &csr(&p256()),
            &[dns("chain.example"), ip("192.0.2.1")],
            now() - 60,
            now() + 6 * 86_400,
            CRL_URL,
        )
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    openssl_verify(
        work.path(),
        &issued.chain[2],
        &issued.chain[1],
        &issued.chain[0],
    );
    let alternates = ca.alternate_chains();
    assert_eq!(alternates.len(), 1);
    let alternate = &alternates[0];
    assert_eq!(alternate.len(), 2);
    assert_ne!(alternate[1], issued.chain[2], "a root of its own");
    assert_ne!(alternate[0], issued.chain[1], "a cross-signed intermediate");
    openssl_verify(work.path(), &alternate[1], &alternate[0], &issued.chain[0]);
    // The root served is the default chain's.
    assert_eq!(
        shared::crypto::pem_blocks(&ca.root_pem())[0].1,
        issued.chain[2]
    );
}

#[test]
fn the_crl_lists_revoked_serials_with_reasons_and_its_number_grows() {
    let dir = tempfile::tempdir().unwrap();
    let ca = ca(dir.path());
    let t = now();
    let a = ca
        .issue(&csr(&p256()), &[dns("a.example")], t, t + 3600, CRL_URL)
        .unwrap();
    let b = ca
        .issue(&csr(&p256()), &[dns("b.example")], t, t + 3600, CRL_URL)
        .unwrap();
    let revoked = vec![
        (a.serial_hex.clone(), t - 10, 1u8),
        (b.serial_hex.clone(), t - 5, 0u8),
        ("not hex".to_string(), t, 4u8),
    ];
    let der = ca.crl(&revoked, t).unwrap();
    let (rest, crl) = CertificateRevocationList::from_der(&der).unwrap();
    assert!(rest.is_empty());
    let intermediate = cert(&a.chain[1]);
    crl.verify_signature(intermediate.public_key()).unwrap();
    assert_eq!(crl.issuer(), intermediate.subject());
    assert_eq!(crl.last_update().timestamp(), t);
    assert_eq!(crl.next_update().unwrap().timestamp(), t + 86_400);
    let entries: Vec<(String, i64, Option<u8>)> = crl
        .iter_revoked_certificates()
        .map(|r| {
            (
                hex::encode(r.raw_serial()),
                r.revocation_date.timestamp(),
                r.reason_code().map(|(_, code)| code.0),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (a.serial_hex.clone(), t - 10, Some(1)),
            // Unspecified (0) is left out of the entry, as RFC 5280 §5.3.1 asks.
            (b.serial_hex.clone(), t - 5, None),
        ]
    );
    let first = crl.crl_number().unwrap().clone();
    let (_, again) = CertificateRevocationList::from_der(&ca.crl(&[], t).unwrap())
        .map(|(r, c)| (r.len(), c.crl_number().unwrap().clone()))
        .unwrap();
    assert!(again > first, "{again} > {first}");
    assert_eq!(
        CertificateRevocationList::from_der(&ca.crl(&[], t).unwrap())
            .unwrap()
            .1
            .iter_revoked_certificates()
            .count(),
        0
    );
}

#[test]
fn ari_cert_id_is_rfc_9773s_example() {
    // RFC 9773 §4.1: AKI keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4
    // and serial 00:87:65:43:21 give "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE".
    let aki = hex::decode("69885b6b87464041e1b37b847ba0ae2cde01c8d4").unwrap();
    let issuer_key = rcgen::KeyPair::generate().unwrap();
    let mut issuer_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    issuer_params.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(aki);
    let issuer = rcgen::Issuer::new(issuer_params, issuer_key);
    let mut params = rcgen::CertificateParams::new(vec!["ari.example".to_string()]).unwrap();
    // Positive with the top bit set: DER adds the 00 octet RFC 9773's example shows.
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x87, 0x65, 0x43, 0x21]));
    params.use_authority_key_identifier_extension = true;
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let der = params.signed_by(&leaf_key, &issuer).unwrap().der().to_vec();
    assert_eq!(
        ari_cert_id(&der).unwrap(),
        "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"
    );
    assert_eq!(serial_hex(&der).unwrap(), "87654321");
    // No AKI, or not a certificate: the caller's input is unusable.
    params.use_authority_key_identifier_extension = false;
    let bare = params.signed_by(&leaf_key, &issuer).unwrap().der().to_vec();
    assert!(matches!(ari_cert_id(&bare), Err(CaError::BadCsr(_))));
    assert!(matches!(ari_cert_id(b"junk"), Err(CaError::BadCsr(_))));
    assert!(matches!(serial_hex(b"junk"), Err(CaError::BadCsr(_))));
}
