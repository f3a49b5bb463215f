//! What goes into a leaf the local CA signs (the ACME order decides the names, the CSR only
//! the key): SANs from the order's identifiers, the first DNS name that fits as CN, serverAuth,
//! the key usages the key type allows, AKI/SKI and the vault's CRL distribution point.

use super::error::CaError;
use super::hierarchy::at;
use crate::model::acme::{Identifier, IdentifierType};
use rcgen::{
    CertificateParams, CrlDistributionPoint, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    IsCa, KeyUsagePurpose, SanType, SerialNumber,
};
use shared::crypto::SanKind;

/// X.520 ub-common-name: a longer name cannot be the CN (CA/B BRs §7.1.4.3 keep it a SAN).
const MAX_COMMON_NAME: usize = 64;

/// The certificate's contents for `identifiers`, valid [`not_before`, `not_after`].
/// `rsa` adds keyEncipherment (RSA key transport); EC and EdDSA keys only sign.
pub fn params(
    identifiers: &[Identifier],
    not_before: i64,
    not_after: i64,
    crl_url: &str,
    serial: &[u8],
    rsa: bool,
) -> Result<CertificateParams, CaError> {
    if identifiers.is_empty() {
        return Err(CaError::BadCsr("no identifiers to certify".into()));
    }
    if not_after <= not_before {
        return Err(CaError::Crypto(format!(
            "validity ends ({not_after}) before it starts ({not_before})"
        )));
    }
    let mut params = CertificateParams::default();
    params.subject_alt_names = identifiers.iter().map(san).collect::<Result<Vec<_>, _>>()?;
    // Without a CN the subject is empty and rcgen marks the SAN critical (RFC 5280 §4.2.1.6).
    let mut dn = DistinguishedName::new();
    if let Some(cn) = identifiers
        .iter()
        .find(|id| id.kind == IdentifierType::Dns && id.value.len() <= MAX_COMMON_NAME)
    {
        dn.push(DnType::CommonName, cn.value.as_str());
    }
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if rsa {
        params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
    }
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = at(not_before)?;
    params.not_after = at(not_after)?;
    params.serial_number = Some(SerialNumber::from_slice(serial));
    params.use_authority_key_identifier_extension = true;
    params.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![crl_url.to_string()],
    }];
    Ok(params)
}

fn san(id: &Identifier) -> Result<SanType, CaError> {
    match id.kind {
        IdentifierType::Ip => id
            .value
            .parse()
            .map(SanType::IpAddress)
            .map_err(|_| CaError::BadCsr(format!("'{}' is not an IP address", id.value))),
        IdentifierType::Dns => shared::crypto::validate_san(SanKind::Dns, &id.value)
            .ok()
            .and_then(|()| id.value.as_str().try_into().ok())
            .map(SanType::DnsName)
            .ok_or_else(|| CaError::BadCsr(format!("'{}' is not a DNS name", id.value))),
    }
}
