//! The simulated CA hierarchies: per dialect a root and one or more intermediates, named after
//! the vendor's, kept in `{data_dir}/ca/{dialect}/` so trust anchors survive restarts (fresh
//! with `--ephemeral`). Leaves are signed for the CSR's public key with serverAuth+clientAuth,
//! random serials, AKI/SKI, AIA (OCSP and caIssuers) and a CRL distribution point pointing at
//! ca-sim. Every CA has a delegated OCSP responder ([`responder`]) that `crate::ocsp` signs
//! with.
//!
//! CA certificates come from `shared::crypto`; leaves and CRLs from rcgen, because the shared
//! profile has no AIA/CRL-distribution-point fields and no CRL signer.

pub mod der;
pub mod responder;

use crate::config::{CaConfig, CaKeyType};
use crate::domain::Dialect;
use crate::error::{Error, Result};
use crate::store::files;
use rcgen::{
    CertificateParams, CertificateRevocationListParams, CrlDistributionPoint, CustomExtension,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use responder::Responder;
use shared::crypto::{self, CertProfile, KeySpec, PrivateKey};
use shared::models::{CurveName, KeyUsage, SubjectAlternativeNames};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

/// WoSign certificates with notBefore after this instant are distrusted (Mozilla, 2016-10-21).
pub const WOSIGN_DISTRUST_AFTER: &str = "2016-10-21T00:00:00Z";
pub const WOSIGN_DISTRUST_AFTER_UNIX: i64 = 1_477_008_000;

/// One CA certificate with its key.
pub struct CaCert {
    /// `root`, `int1`, `int2`, ... (used in AIA and CRL URLs).
    pub id: String,
    pub common_name: String,
    pub der: Vec<u8>,
    pub pem: String,
    /// On disk, unless ephemeral.
    pub path: Option<PathBuf>,
    key: PrivateKey,
}

/// A dialect's hierarchy.
pub struct Hierarchy {
    pub dialect: Dialect,
    pub root: CaCert,
    /// Top-down: `intermediates[0]` is signed by the root; the last one issues leaves.
    pub intermediates: Vec<CaCert>,
    /// Each CA's delegated OCSP responder, by CA id.
    pub responders: BTreeMap<String, Responder>,
}

impl CaCert {
    /// The private key, PKCS#8 PEM (Pebble's management API serves CA keys to test suites).
    pub fn key_pem(&self) -> String {
        self.key.pkcs8_pem()
    }
}

impl Hierarchy {
    pub fn issuing(&self) -> &CaCert {
        self.intermediates.last().unwrap_or(&self.root)
    }

    /// Intermediates in chain order (issuing CA first), DER.
    pub fn chain_up(&self) -> Vec<Vec<u8>> {
        self.intermediates
            .iter()
            .rev()
            .map(|c| c.der.clone())
            .collect()
    }

    pub fn find(&self, id: &str) -> Option<&CaCert> {
        self.all().find(|c| c.id == id)
    }

    /// Every CA, top-down: the root, then the intermediates (each signed by the one before).
    pub fn all(&self) -> impl Iterator<Item = &CaCert> {
        std::iter::once(&self.root).chain(self.intermediates.iter())
    }

    /// Attaches a delegated OCSP responder to every CA (loaded from `dir` or made anew).
    fn with_responders(
        dialect: Dialect,
        root: CaCert,
        intermediates: Vec<CaCert>,
        dir: Option<&Path>,
    ) -> Result<Self> {
        let mut responders = BTreeMap::new();
        for ca in std::iter::once(&root).chain(intermediates.iter()) {
            let r = Responder::load_or_create(dir, &ca.id, &ca.common_name, &ca.key, &ca.der)?;
            responders.insert(ca.id.clone(), r);
        }
        Ok(Self {
            dialect,
            root,
            intermediates,
            responders,
        })
    }
}

fn names(dialect: Dialect, depth: usize) -> (String, String) {
    // (organization, common name) for depth 0 = root, 1.. = intermediates.
    let (org, root, ints): (&str, &str, &[&str]) = match dialect {
        Dialect::Digicert => (
            "ca-sim DigiCert Inc",
            "ca-sim DigiCert Global Root G2",
            &[
                "ca-sim DigiCert Global G2 TLS RSA SHA256 2020 CA1",
                "ca-sim DigiCert Secure Site OV G2 TLS CN RSA4096 SHA256 2022 CA1",
                "ca-sim DigiCert Issuing CA 3",
            ],
        ),
        Dialect::Globalsign => (
            "ca-sim GlobalSign nv-sa",
            "ca-sim GlobalSign Root CA - R3",
            &[
                "ca-sim GlobalSign RSA OV SSL CA 2018",
                "ca-sim GlobalSign GCC R3 OV TLS CA 2024",
                "ca-sim GlobalSign Issuing CA 3",
            ],
        ),
        Dialect::Wosign => (
            "ca-sim WoSign CA Limited",
            "ca-sim Certification Authority of WoSign",
            &[
                "ca-sim WoSign OV SSL CA",
                "ca-sim WoSign CA Free SSL Certificate G2",
                "ca-sim WoSign Issuing CA 3",
            ],
        ),
        Dialect::Acme => (
            "ca-sim ACME",
            "ca-sim ACME Root X1",
            &[
                "ca-sim ACME Intermediate R1",
                "ca-sim ACME Intermediate R2",
                "ca-sim ACME Intermediate R3",
            ],
        ),
    };
    let cn = if depth == 0 {
        root.to_string()
    } else {
        ints.get(depth - 1)
            .map(|s| s.to_string())
            .unwrap_or_else(|| format!("{org} Issuing CA {depth}"))
    };
    (org.to_string(), cn)
}

fn key_spec(kt: CaKeyType) -> KeySpec {
    match kt {
        CaKeyType::EcP256 => KeySpec::Ec {
            curve: CurveName::P256,
        },
        CaKeyType::EcP384 => KeySpec::Ec {
            curve: CurveName::P384,
        },
        CaKeyType::Rsa2048 => KeySpec::Rsa { bits: 2048 },
        CaKeyType::Rsa3072 => KeySpec::Rsa { bits: 3072 },
    }
}

/// A CA certificate's profile (every hierarchy of ca-sim, the ACME one's alternates too).
pub(crate) fn ca_profile(subject: String, path_len: Option<u8>) -> CertProfile {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    CertProfile {
        subject,
        sans: SubjectAlternativeNames::default(),
        ekus: Vec::new(),
        key_usage: vec![
            KeyUsage::KeyCertSign,
            KeyUsage::CrlSign,
            KeyUsage::DigitalSignature,
        ],
        // Back to 2010 so that simulated WoSign-era dates and advanced clocks still validate.
        not_before: now.replace_year(2010).unwrap_or(now) - Duration::days(1),
        not_after: now + Duration::days(365 * 25),
        is_ca: true,
        path_len,
    }
}

impl Hierarchy {
    /// Loads the hierarchy from `dir` when it is complete and has the configured shape, else
    /// creates (and, with a dir, saves) a new one.
    pub fn load_or_create(dialect: Dialect, cfg: &CaConfig, dir: Option<&Path>) -> Result<Self> {
        let depth = cfg.intermediates as usize;
        if let Some(dir) = dir {
            let ids: Vec<String> = std::iter::once("root".to_string())
                .chain((1..=depth).map(|i| format!("int{i}")))
                .collect();
            let loaded: Option<Vec<(PrivateKey, Vec<u8>)>> =
                ids.iter().map(|id| files::read_ca(dir, id)).collect();
            let extra_exists = files::ca_path(dir, &format!("int{}", depth + 1)).exists();
            if let (Some(pairs), false) = (loaded, extra_exists) {
                let mut certs = Vec::new();
                for ((key, der), id) in pairs.into_iter().zip(ids) {
                    let info = crypto::parse_certificate(&der)?;
                    certs.push(CaCert {
                        common_name: cn_of(&info.subject),
                        pem: crypto::pem_encode("CERTIFICATE", &der),
                        path: Some(files::ca_path(dir, &id)),
                        id,
                        der,
                        key,
                    });
                }
                let root = certs.remove(0);
                return Self::with_responders(dialect, root, certs, Some(dir));
            }
            files::clear_ca_dir(dir)?;
        }
        let spec = key_spec(cfg.key_type);
        let (org, cn) = names(dialect, 0);
        let root_key = PrivateKey::generate(spec)?;
        let root_der = crypto::self_signed(
            &root_key,
            &ca_profile(format!("CN={cn}, O={org}, C=US"), None),
        )?;
        let make = |id: &str, cn: String, key: PrivateKey, der: Vec<u8>| -> Result<CaCert> {
            let path = match dir {
                Some(dir) => Some(files::write_ca(dir, id, &key, &der)?),
                None => None,
            };
            Ok(CaCert {
                id: id.to_string(),
                common_name: cn,
                pem: crypto::pem_encode("CERTIFICATE", &der),
                der,
                key,
                path,
            })
        };
        let root = make("root", cn, root_key, root_der)?;
        let mut intermediates: Vec<CaCert> = Vec::new();
        for i in 1..=depth {
            let (org, cn) = names(dialect, i);
            let key = PrivateKey::generate(spec)?;
            let parent = intermediates.last().unwrap_or(&root);
            let path_len = Some((depth - i) as u8);
            let der = crypto::issue_for_key(
                &key,
                &ca_profile(format!("CN={cn}, O={org}, C=US"), path_len),
                &parent.key,
                &parent.der,
            )?;
            let c = make(&format!("int{i}"), cn, key, der)?;
            intermediates.push(c);
        }
        Self::with_responders(dialect, root, intermediates, dir)
    }
}

fn cn_of(subject: &str) -> String {
    subject
        .split(',')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("CN="))
        .unwrap_or(subject)
        .to_string()
}

/// What goes into a leaf.
#[derive(Debug, Clone)]
pub struct LeafRequest {
    pub common_name: String,
    pub organization: Option<String>,
    pub country: Option<String>,
    pub dns_names: Vec<String>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// SubjectPublicKeyInfo of the certified key (the CSR's, or another under `wrong_key`).
    pub spki_der: Vec<u8>,
}

/// A revoked certificate for a CRL.
pub struct Revoked {
    pub serial_hex: String,
    pub revoked_at: OffsetDateTime,
    pub reason: Option<String>,
}

/// Every hierarchy plus the base URL written into AIA and CRL distribution points.
pub struct Authority {
    pub hierarchies: BTreeMap<Dialect, Hierarchy>,
    pub base_url: String,
}

impl Authority {
    pub fn get(&self, dialect: Dialect) -> Result<&Hierarchy> {
        self.hierarchies
            .get(&dialect)
            .ok_or_else(|| Error::Internal(format!("no hierarchy for {dialect}")))
    }

    pub fn crl_url(&self, dialect: Dialect, ca_id: &str) -> String {
        format!("{}/crl/{dialect}/{ca_id}.crl", self.base_url)
    }

    pub fn ca_issuers_url(&self, dialect: Dialect, ca_id: &str) -> String {
        format!("{}/ca/{dialect}/{ca_id}.crt", self.base_url)
    }

    /// The OCSP responder of every CA of `dialect` (POST, or GET with the request appended).
    pub fn ocsp_url(&self, dialect: Dialect) -> String {
        format!("{}/ocsp/{dialect}", self.base_url)
    }

    /// Signs a leaf with the dialect's issuing CA. Returns (DER, serial hex).
    pub fn issue_leaf(&self, dialect: Dialect, req: &LeafRequest) -> Result<(Vec<u8>, String)> {
        let h = self.get(dialect)?;
        let ca = h.issuing();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        if let Some(c) = &req.country {
            dn.push(DnType::CountryName, c.as_str());
        }
        if let Some(o) = &req.organization {
            dn.push(DnType::OrganizationName, o.as_str());
        }
        dn.push(DnType::CommonName, req.common_name.as_str());
        params.distinguished_name = dn;
        let mut sans = Vec::new();
        for name in &req.dns_names {
            if let Ok(ip) = name.parse::<std::net::IpAddr>() {
                sans.push(SanType::IpAddress(ip));
            } else {
                let ia5 = name
                    .as_str()
                    .try_into()
                    .map_err(|_| Error::Internal(format!("'{name}' is not a DNS name")))?;
                sans.push(SanType::DnsName(ia5));
            }
        }
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        let spki = rcgen::SubjectPublicKeyInfo::from_der(&req.spki_der)?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if spki_is_rsa(&req.spki_der) {
            params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
        }
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.not_before = req.not_before;
        params.not_after = req.not_after;
        let serial = der::random_serial()?;
        let serial_hex = hex::encode_upper(&serial);
        params.serial_number = Some(serial);
        params.use_authority_key_identifier_extension = true;
        params.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![self.crl_url(dialect, &ca.id)],
        }];
        params.custom_extensions = vec![CustomExtension::from_oid_content(
            der::OID_AIA,
            der::aia(
                &self.ocsp_url(dialect),
                &self.ca_issuers_url(dialect, &ca.id),
            ),
        )];
        let key = KeyPair::try_from(ca.key.pkcs8_der())?;
        let issuer = Issuer::from_ca_cert_der(&ca.der.clone().into(), key)?;
        let cert = params.signed_by(&spki, &issuer)?;
        Ok((cert.der().to_vec(), serial_hex))
    }

    /// The CRL of CA `ca_id` of `dialect` (DER), listing `revoked`.
    pub fn crl(
        &self,
        dialect: Dialect,
        ca_id: &str,
        revoked: &[Revoked],
        now: OffsetDateTime,
        number: u64,
    ) -> Result<Option<Vec<u8>>> {
        let h = self.get(dialect)?;
        let Some(ca) = h.find(ca_id) else {
            return Ok(None);
        };
        let revoked_certs = revoked
            .iter()
            .filter_map(|r| {
                Some(RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&hex::decode(&r.serial_hex).ok()?),
                    revocation_time: r.revoked_at,
                    reason_code: r.reason.as_deref().map(reason_code),
                    invalidity_date: None,
                })
            })
            .collect();
        let params = CertificateRevocationListParams {
            this_update: now - Duration::minutes(1),
            next_update: now + Duration::days(7),
            crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        let key = KeyPair::try_from(ca.key.pkcs8_der())?;
        let issuer = Issuer::from_ca_cert_der(&ca.der.clone().into(), key)?;
        Ok(Some(params.signed_by(&issuer)?.der().to_vec()))
    }
}

fn spki_is_rsa(spki: &[u8]) -> bool {
    // rsaEncryption OID 1.2.840.113549.1.1.1
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    spki.windows(RSA.len()).any(|w| w == RSA)
}

/// RFC 5280 reason names (DigiCert uses the same words, snake_case).
pub fn reason_code(text: &str) -> RevocationReason {
    match text.to_ascii_lowercase().replace(['_', ' '], "").as_str() {
        "keycompromise" => RevocationReason::KeyCompromise,
        "cacompromise" => RevocationReason::CaCompromise,
        "affiliationchanged" => RevocationReason::AffiliationChanged,
        "superseded" => RevocationReason::Superseded,
        "cessationofoperation" => RevocationReason::CessationOfOperation,
        "certificatehold" => RevocationReason::CertificateHold,
        "privilegewithdrawn" => RevocationReason::PrivilegeWithdrawn,
        "aacompromise" => RevocationReason::AaCompromise,
        _ => RevocationReason::Unspecified,
    }
}

/// Builds every dialect's hierarchy (in `{data_dir}/ca/{dialect}` unless `ephemeral`).
pub fn build(
    data_dir: &Path,
    ephemeral: bool,
    cfg: impl Fn(Dialect) -> CaConfig,
    base_url: String,
) -> Result<Authority> {
    let mut hierarchies = BTreeMap::new();
    for d in Dialect::ALL {
        let dir = data_dir.join("ca").join(d.as_str());
        let h = Hierarchy::load_or_create(d, &cfg(d), (!ephemeral).then_some(dir.as_path()))?;
        hierarchies.insert(d, h);
    }
    Ok(Authority {
        hierarchies,
        base_url,
    })
}
