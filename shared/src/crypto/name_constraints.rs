//! The X.509 NameConstraints extension (RFC 5280 §4.2.1.10), permitted subtrees only: the DER
//! a constrained CA carries, reading it back from a certificate, and whether one set of
//! subtrees covers another. A dev CA constrained this way can sign for its own names and
//! loopback and nothing else, so trusting it trusts nothing else.
//!
//! Only the two name forms TLS clients match on are written: dNSName (a name and every name
//! below it) and iPAddress (address + mask). Other name forms stay unconstrained, which no
//! TLS server-name check reads.

use super::der;
use super::error::CryptoError;
use super::keys::PrivateKey;
use super::parse::parse_x509;
use super::profile::{extension, CertProfile};
use std::net::IpAddr;

pub(crate) const OID_NAME_CONSTRAINTS: &str = "2.5.29.30";

/// One permitted subtree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subtree {
    /// A DNS name and all names below it (lower case, no trailing dot, no wildcard).
    Dns(String),
    /// The addresses whose first `prefix` bits equal `addr`'s.
    Ip { addr: IpAddr, prefix: u8 },
}

impl Subtree {
    /// The subtree that holds exactly `host`: an IP address as /32 or /128, else the DNS name
    /// (a leading `*.` dropped, lower-cased), which also covers the names below it.
    pub fn for_host(host: &str) -> Subtree {
        match host.parse::<IpAddr>() {
            Ok(addr) => Subtree::Ip {
                addr,
                prefix: if addr.is_ipv4() { 32 } else { 128 },
            },
            Err(_) => {
                let name = host.trim().trim_end_matches('.').to_ascii_lowercase();
                Subtree::Dns(name.strip_prefix("*.").unwrap_or(&name).to_string())
            }
        }
    }

    /// Whether every name in `other` lies inside `self`.
    pub fn contains(&self, other: &Subtree) -> bool {
        match (self, other) {
            (Subtree::Dns(base), Subtree::Dns(name)) => {
                name == base
                    || base.is_empty()
                    || name
                        .strip_suffix(base.as_str())
                        .is_some_and(|head| head.ends_with('.'))
            }
            (
                Subtree::Ip { addr, prefix },
                Subtree::Ip {
                    addr: inner,
                    prefix: inner_prefix,
                },
            ) => {
                let (a, b) = (octets(*addr), octets(*inner));
                a.len() == b.len()
                    && prefix <= inner_prefix
                    && mask(&a, *prefix) == mask(&b, *prefix)
            }
            _ => false,
        }
    }

    fn general_subtree(&self) -> Result<Vec<u8>, CryptoError> {
        let base = match self {
            Subtree::Dns(name) => {
                if !name.is_ascii() || name.starts_with('*') {
                    return Err(CryptoError::InvalidName(format!(
                        "'{}' cannot be a name constraint (ASCII DNS names without wildcards only).",
                        name.escape_debug()
                    )));
                }
                der::tlv(der::ctx_prim(2), name.as_bytes())
            }
            Subtree::Ip { addr, prefix } => {
                let bytes = octets(*addr);
                if usize::from(*prefix) > bytes.len() * 8 {
                    return Err(CryptoError::InvalidName(format!(
                        "{addr}/{prefix} is not a valid address range."
                    )));
                }
                let mut content = mask(&bytes, *prefix);
                content.extend_from_slice(&mask(&vec![0xff; bytes.len()], *prefix));
                der::tlv(der::ctx_prim(7), &content)
            }
        };
        // minimum defaults to 0 and maximum is absent (RFC 5280: MUST), so only the base.
        Ok(der::sequence(&[&base]))
    }
}

impl std::fmt::Display for Subtree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subtree::Dns(name) => write!(f, "DNS:{name}"),
            Subtree::Ip { addr, prefix } => write!(f, "IP:{addr}/{prefix}"),
        }
    }
}

fn octets(addr: IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// `bytes` with every bit after the first `prefix` cleared.
fn mask(bytes: &[u8], prefix: u8) -> Vec<u8> {
    bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let keep = usize::from(prefix).saturating_sub(i * 8).min(8);
            if keep == 0 {
                0
            } else {
                b & (0xffu8 << (8 - keep))
            }
        })
        .collect()
}

/// The value of a NameConstraints extension with these permitted subtrees.
pub(crate) fn name_constraints_value(permitted: &[Subtree]) -> Result<Vec<u8>, CryptoError> {
    let subtrees = permitted
        .iter()
        .map(Subtree::general_subtree)
        .collect::<Result<Vec<_>, _>>()?;
    let parts: Vec<&[u8]> = subtrees.iter().map(Vec::as_slice).collect();
    // permittedSubtrees [0] IMPLICIT GeneralSubtrees (a SEQUENCE OF, so constructed).
    Ok(der::sequence(&[&der::cons(der::ctx_cons(0), &parts)]))
}

/// A self-signed CA certificate for `key` that carries a critical NameConstraints extension
/// permitting only `permitted` (there must be at least one subtree).
pub fn self_signed_constrained(
    key: &PrivateKey,
    profile: &CertProfile,
    permitted: &[Subtree],
) -> Result<Vec<u8>, CryptoError> {
    if permitted.is_empty() || !profile.is_ca {
        return Err(CryptoError::InvalidCertificate(
            "Name constraints need a CA certificate and at least one permitted subtree.".into(),
        ));
    }
    // RFC 5280: conforming CAs MUST mark this extension as critical.
    let ext = extension(
        OID_NAME_CONSTRAINTS,
        true,
        &name_constraints_value(permitted)?,
    )?;
    super::cert::self_signed_with(key, profile, vec![ext])
}

/// What a certificate's NameConstraints extension permits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermittedNames {
    pub critical: bool,
    /// The permitted subtrees of the forms [`Subtree`] knows, in certificate order.
    pub subtrees: Vec<Subtree>,
    /// The extension also has excluded subtrees or permitted name forms other than DNS and IP.
    pub other: bool,
}

impl PermittedNames {
    /// Whether every one of `wanted` lies inside one of the permitted subtrees.
    pub fn covers(&self, wanted: &[Subtree]) -> bool {
        wanted
            .iter()
            .all(|w| self.subtrees.iter().any(|s| s.contains(w)))
    }
}

/// The NameConstraints of a certificate (DER); `None` when it has none.
pub fn permitted_names(cert_der: &[u8]) -> Result<Option<PermittedNames>, CryptoError> {
    let cert = parse_x509(cert_der)?;
    let Some(ext) = cert
        .tbs_certificate
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == OID_NAME_CONSTRAINTS)
    else {
        return Ok(None);
    };
    let bad = || {
        CryptoError::InvalidCertificate(
            "The certificate has a malformed nameConstraints extension.".into(),
        )
    };
    let outer = der::single(ext.value, der::TAG_SEQUENCE).ok_or_else(bad)?;
    let mut out = PermittedNames {
        critical: ext.critical,
        subtrees: Vec::new(),
        other: false,
    };
    let mut parts = der::Reader::new(outer.content);
    while !parts.is_empty() {
        let part = parts.next_element().ok_or_else(bad)?;
        if part.tag != der::ctx_cons(0) {
            out.other = true; // excludedSubtrees
            continue;
        }
        let mut subtrees = der::Reader::new(part.content);
        while !subtrees.is_empty() {
            let subtree = subtrees.next_tagged(der::TAG_SEQUENCE).ok_or_else(bad)?;
            let base = der::Reader::new(subtree.content)
                .next_element()
                .ok_or_else(bad)?;
            match (base.tag, base.content.len()) {
                (0x82, _) => out.subtrees.push(Subtree::Dns(
                    String::from_utf8(base.content.to_vec())
                        .map_err(|_| bad())?
                        .to_ascii_lowercase(),
                )),
                (0x87, 8) | (0x87, 32) => {
                    let (addr, mask) = base.content.split_at(base.content.len() / 2);
                    let addr = match addr.len() {
                        4 => IpAddr::from(<[u8; 4]>::try_from(addr).map_err(|_| bad())?),
                        _ => IpAddr::from(<[u8; 16]>::try_from(addr).map_err(|_| bad())?),
                    };
                    let prefix = mask.iter().map(|b| b.leading_ones()).sum::<u32>();
                    out.subtrees.push(Subtree::Ip {
                        addr,
                        prefix: u8::try_from(prefix).map_err(|_| bad())?,
                    });
                }
                _ => out.other = true,
            }
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_become_the_subtrees_that_hold_them() {
        assert_eq!(
            Subtree::for_host("*.Example.test."),
            Subtree::Dns("example.test".into())
        );
        let v4 = Subtree::for_host("10.1.2.3");
        assert_eq!(v4.to_string(), "IP:10.1.2.3/32");
        assert_eq!(Subtree::for_host("::1").to_string(), "IP:::1/128");
        let loopback = Subtree::Ip {
            addr: "127.0.0.0".parse().unwrap(),
            prefix: 8,
        };
        assert!(loopback.contains(&Subtree::for_host("127.9.9.9")));
        assert!(!loopback.contains(&Subtree::for_host("128.0.0.1")));
        assert!(!loopback.contains(&Subtree::for_host("::1")));
        let azure = Subtree::Dns("vault.azure.net".into());
        assert!(azure.contains(&Subtree::for_host("x.vault.azure.net")));
        assert!(azure.contains(&azure));
        assert!(!azure.contains(&Subtree::for_host("evilvault.azure.net")));
        assert!(!azure.contains(&Subtree::for_host("vault.azure.net.evil.com")));
    }

    #[test]
    fn the_extension_encodes_and_reads_back() {
        let permitted = vec![
            Subtree::Dns("vault.azure.net".into()),
            Subtree::Ip {
                addr: "127.0.0.0".parse().unwrap(),
                prefix: 8,
            },
            Subtree::for_host("::1"),
        ];
        let value = name_constraints_value(&permitted).unwrap();
        // SEQUENCE { [0] { SEQUENCE { [2] "vault.azure.net" } ... } }
        assert_eq!(&value[..6], &[0x30, 0x45, 0xa0, 0x43, 0x30, 0x11]);
        assert_eq!(&value[6..8], &[0x82, 0x0f]);
        let ip = [0x30, 0x0a, 0x87, 0x08, 127, 0, 0, 0, 0xff, 0, 0, 0];
        assert!(value.windows(ip.len()).any(|w| w == ip));

        let key = PrivateKey::generate(super::super::keys::KeySpec::Ec {
            curve: crate::models::CurveName::P256,
        })
        .unwrap();
        let now = time::OffsetDateTime::now_utc();
        let profile = CertProfile {
            subject: "CN=Constrained".into(),
            sans: Default::default(),
            ekus: vec![],
            key_usage: vec![crate::models::KeyUsage::KeyCertSign],
            not_before: now,
            not_after: now + time::Duration::days(1),
            is_ca: true,
            path_len: Some(0),
        };
        let der = self_signed_constrained(&key, &profile, &permitted).unwrap();
        let read = permitted_names(&der).unwrap().unwrap();
        assert!(read.critical && !read.other);
        assert_eq!(read.subtrees, permitted);
        assert!(read.covers(&[Subtree::for_host("a.vault.azure.net")]));
        assert!(!read.covers(&[Subtree::for_host("example.com")]));
        let plain = super::super::cert::self_signed(&key, &profile).unwrap();
        assert_eq!(permitted_names(&plain).unwrap(), None);
        assert!(self_signed_constrained(&key, &profile, &[]).is_err());
    }
}
