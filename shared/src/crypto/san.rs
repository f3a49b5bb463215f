//! The rules a subject alternative name must meet, in one place. The SAN encoder
//! ([`super::profile`]) calls [`validate_san`] before it encodes each name, and the vault
//! validates a policy's `x509_props.sans` with [`validate_sans`] when the policy is given
//! (create, policy update, import): a name that passes policy validation never fails later in
//! the certificate or CSR builder, and one that would fail is a 400 naming the member and value.
//!
//! The rules follow what each name's ASN.1 type can carry (RFC 5280 §4.2.1.6): `dNSName`,
//! `rfc822Name` and `uniformResourceIdentifier` are IA5String (ASCII), a UPN is an otherName
//! holding a UTF8String, an IP address is 4 or 16 octets. Values are taken as given: no
//! trimming, so what is validated is exactly what is encoded.

use super::error::CryptoError;
use crate::models::SubjectAlternativeNames;
use std::net::IpAddr;

/// The kinds of subject alternative name a policy carries, in encoding order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SanKind {
    Dns,
    Email,
    Upn,
    Uri,
    Ip,
}

impl SanKind {
    pub const ALL: [SanKind; 5] = [
        SanKind::Dns,
        SanKind::Email,
        SanKind::Upn,
        SanKind::Uri,
        SanKind::Ip,
    ];

    /// The member of `x509_props.sans` on the wire.
    pub fn field(self) -> &'static str {
        match self {
            SanKind::Dns => "dns_names",
            SanKind::Email => "emails",
            SanKind::Upn => "upns",
            SanKind::Uri => "uris",
            SanKind::Ip => "ipAddresses",
        }
    }

    /// The names of this kind in `sans` (empty when the member is absent).
    pub fn values(self, sans: &SubjectAlternativeNames) -> &[String] {
        let list = match self {
            SanKind::Dns => &sans.dns_names,
            SanKind::Email => &sans.emails,
            SanKind::Upn => &sans.upns,
            SanKind::Uri => &sans.uris,
            SanKind::Ip => &sans.ip_addresses,
        };
        list.as_deref().unwrap_or_default()
    }

    /// What a valid name of this kind looks like, for the error message.
    fn expected(self) -> &'static str {
        match self {
            SanKind::Dns => {
                "a valid DNS name (letters, digits, '-', '.', '*' and '_', at most 253 characters)"
            }
            SanKind::Email => {
                "a valid email address (ASCII user@domain, no spaces or control characters)"
            }
            SanKind::Upn => {
                "a valid user principal name (user@domain, no spaces or control characters)"
            }
            SanKind::Uri => {
                "a valid absolute URI (scheme:rest in ASCII, no spaces or control characters)"
            }
            SanKind::Ip => "a valid IPv4 or IPv6 address",
        }
    }
}

/// Checks one name of kind `kind`; the error names the policy member and the value.
pub fn validate_san(kind: SanKind, value: &str) -> Result<(), CryptoError> {
    let ok = match kind {
        SanKind::Dns => is_dns_name(value),
        SanKind::Email => is_mailbox(value, true),
        SanKind::Upn => is_mailbox(value, false),
        SanKind::Uri => is_absolute_uri(value),
        SanKind::Ip => value.parse::<IpAddr>().is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err(CryptoError::InvalidName(format!(
            "x509_props.sans.{} contains '{}', which is not {}.",
            kind.field(),
            shown(value),
            kind.expected()
        )))
    }
}

/// Checks every name in `sans`; the first invalid one is the error.
pub fn validate_sans(sans: &SubjectAlternativeNames) -> Result<(), CryptoError> {
    for kind in SanKind::ALL {
        for value in kind.values(sans) {
            validate_san(kind, value)?;
        }
    }
    Ok(())
}

/// A value as it appears in a message: control characters escaped, at most 100 characters.
fn shown(value: &str) -> String {
    const MAX: usize = 100;
    let mut out: String = value
        .chars()
        .take(MAX)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().count() > MAX {
        out.push('…');
    }
    out
}

fn is_dns_name(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 253
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*' | '_'))
}

/// `user@domain` with exactly one `@`, no whitespace or control characters; `ascii` for an
/// rfc822Name (IA5String), whose domain must also be a host name.
fn is_mailbox(value: &str, ascii: bool) -> bool {
    let Some((user, domain)) = value.split_once('@') else {
        return false;
    };
    let clean = |s: &str| {
        !s.is_empty()
            && !s.contains('@')
            && s.chars().all(|c| !c.is_whitespace() && !c.is_control())
    };
    if !clean(user) || !clean(domain) {
        return false;
    }
    !ascii
        || (user.is_ascii()
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.')))
}

/// RFC 3986 `scheme ":" rest`: the scheme a letter then letters, digits, `+`, `-`, `.`; the
/// whole value visible ASCII; an authority (`//…`) must name a host.
fn is_absolute_uri(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let visible = value.chars().all(|c| c.is_ascii_graphic());
    let authority_ok = match rest.strip_prefix("//") {
        Some(after) => !after.starts_with(['/', '?', '#']) && !after.is_empty(),
        None => true,
    };
    scheme_ok && visible && !rest.is_empty() && authority_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_of_every_kind_pass() {
        let cases = [
            (SanKind::Dns, "a.contoso.com"),
            (SanKind::Dns, "*.contoso.com"),
            (SanKind::Dns, "_srv.contoso.com"),
            (SanKind::Email, "admin@contoso.com"),
            (SanKind::Email, "first.last+tag@sub.contoso-x.com"),
            (SanKind::Upn, "user@contoso.com"),
            (SanKind::Upn, "josé@contoso.com"),
            (SanKind::Uri, "https://contoso.com/id"),
            (SanKind::Uri, "spiffe://contoso/ns/app"),
            (
                SanKind::Uri,
                "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
            ),
            (SanKind::Ip, "10.1.2.3"),
            (SanKind::Ip, "2001:db8::1"),
        ];
        for (kind, value) in cases {
            assert!(validate_san(kind, value).is_ok(), "{kind:?} {value}");
        }
    }

    #[test]
    fn invalid_names_name_the_member_and_the_value() {
        let cases = [
            (SanKind::Dns, "bad name"),
            (SanKind::Dns, ""),
            (SanKind::Dns, "exämple.com"),
            (SanKind::Email, "a b@x.test"),
            (SanKind::Email, "josé@x.test"),
            (SanKind::Email, "nobody"),
            (SanKind::Email, "@x.test"),
            (SanKind::Email, "a@"),
            (SanKind::Email, "a@b@x.test"),
            (SanKind::Email, " a@x.test"),
            (SanKind::Email, "a@x_y.test"),
            (SanKind::Upn, " "),
            (SanKind::Upn, "a b@x.test"),
            (SanKind::Upn, "user"),
            (SanKind::Upn, "a@\u{7}x.test"),
            (SanKind::Uri, "no-scheme"),
            (SanKind::Uri, "http://exa mple.com"),
            (SanKind::Uri, "https://"),
            (SanKind::Uri, "1http://x"),
            (SanKind::Uri, "http://ü.example"),
            (SanKind::Uri, "mailto:"),
            (SanKind::Ip, "300.1.1.1"),
            (SanKind::Ip, " 10.1.2.3"),
            (SanKind::Ip, "1.2.3"),
        ];
        for (kind, value) in cases {
            let err = validate_san(kind, value).unwrap_err().to_string();
            assert!(
                err.contains(&format!("x509_props.sans.{}", kind.field())),
                "{kind:?} {value}: {err}"
            );
            assert!(err.contains(&shown(value)), "{kind:?} {value}: {err}");
        }
    }

    #[test]
    fn messages_escape_controls_and_cut_long_values() {
        let err = validate_san(SanKind::Upn, "a@\u{7}x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("a@\\u{7}x"), "{err}");
        let long = format!("{} x", "a".repeat(300));
        let err = validate_san(SanKind::Dns, &long).unwrap_err().to_string();
        assert!(err.len() < 300 && err.contains('…'), "{err}");
    }

    #[test]
    fn validate_sans_reports_the_first_bad_name() {
        let sans = SubjectAlternativeNames {
            dns_names: Some(vec!["ok.example".into()]),
            emails: Some(vec!["a b@x.test".into()]),
            ..Default::default()
        };
        let err = validate_sans(&sans).unwrap_err().to_string();
        assert!(
            err.contains("sans.emails") && err.contains("a b@x.test"),
            "{err}"
        );
        assert!(validate_sans(&SubjectAlternativeNames::default()).is_ok());
    }
}
