//! X.500 distinguished names: parsing the subject text Key Vault accepts
//! (`CN=a.example, O="Contoso, Ltd", OU=IT, DC=contoso, DC=com`), encoding it as a DER `Name`,
//! and turning a DER `Name` back into the normalized text form used in responses.
//!
//! Normalized text: RDNs in certificate order separated by `", "`, multi-valued RDNs joined by
//! `" + "`, short names CN, O, OU, L, ST, C, E, DC, SERIALNUMBER, STREET and dotted OIDs for
//! other types; a value is wrapped in double quotes (with `"` doubled and `\` doubled) when it
//! holds `, + = " \ < > # ;`, a line break, or leading/trailing spaces.

use super::der;
use super::error::CryptoError;
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq)]
enum StringKind {
    Utf8,
    Printable,
    Ia5,
}

struct AttrType {
    /// Output name, or `None` to print the dotted OID.
    name: Option<&'static str>,
    /// Accepted input spellings (case-insensitive), the output name included.
    aliases: &'static [&'static str],
    oid: &'static str,
    kind: StringKind,
}

const ATTR_TYPES: &[AttrType] = &[
    AttrType {
        name: Some("CN"),
        aliases: &["CN", "COMMONNAME"],
        oid: "2.5.4.3",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: Some("O"),
        aliases: &["O", "ORGANIZATIONNAME"],
        oid: "2.5.4.10",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: Some("OU"),
        aliases: &["OU", "ORGANIZATIONALUNITNAME"],
        oid: "2.5.4.11",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: Some("L"),
        aliases: &["L", "LOCALITYNAME"],
        oid: "2.5.4.7",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: Some("ST"),
        aliases: &["ST", "S", "STATEORPROVINCENAME"],
        oid: "2.5.4.8",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: Some("C"),
        aliases: &["C", "COUNTRYNAME"],
        oid: "2.5.4.6",
        kind: StringKind::Printable,
    },
    AttrType {
        name: Some("E"),
        aliases: &["E", "EMAIL", "EMAILADDRESS"],
        oid: "1.2.840.113549.1.9.1",
        kind: StringKind::Ia5,
    },
    AttrType {
        name: Some("DC"),
        aliases: &["DC", "DOMAINCOMPONENT"],
        oid: "0.9.2342.19200300.100.1.25",
        kind: StringKind::Ia5,
    },
    AttrType {
        name: Some("SERIALNUMBER"),
        aliases: &["SERIALNUMBER"],
        oid: "2.5.4.5",
        kind: StringKind::Printable,
    },
    AttrType {
        name: Some("STREET"),
        aliases: &["STREET", "STREETADDRESS"],
        oid: "2.5.4.9",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: None,
        aliases: &["T", "TITLE"],
        oid: "2.5.4.12",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: None,
        aliases: &["G", "GN", "GIVENNAME"],
        oid: "2.5.4.42",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: None,
        aliases: &["SN", "SURNAME"],
        oid: "2.5.4.4",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: None,
        aliases: &["I", "INITIALS"],
        oid: "2.5.4.43",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: None,
        aliases: &["POSTALCODE"],
        oid: "2.5.4.17",
        kind: StringKind::Utf8,
    },
    AttrType {
        name: None,
        aliases: &["UID", "USERID"],
        oid: "0.9.2342.19200300.100.1.1",
        kind: StringKind::Utf8,
    },
];

fn by_oid(oid: &str) -> Option<&'static AttrType> {
    ATTR_TYPES.iter().find(|t| t.oid == oid)
}

/// One attribute of a relative distinguished name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnAttribute {
    /// Dotted OID of the attribute type (`2.5.4.3` for CN).
    pub oid: String,
    pub value: String,
}

/// A distinguished name: RDNs in encoding order, each with one or more attributes. Unlike
/// `rcgen::DistinguishedName` it keeps repeated types (`OU=a, OU=b`, `DC=contoso, DC=com`).
/// `Display` gives the normalized text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistinguishedName {
    rdns: Vec<Vec<DnAttribute>>,
}

impl DistinguishedName {
    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }

    pub fn rdns(&self) -> &[Vec<DnAttribute>] {
        &self.rdns
    }

    /// Values of every attribute with the given dotted OID, in order.
    pub fn values_of<'a>(&'a self, oid: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.rdns
            .iter()
            .flatten()
            .filter(move |a| a.oid == oid)
            .map(|a| a.value.as_str())
    }

    /// The DER `Name`.
    pub(crate) fn to_der(&self) -> Result<Vec<u8>, CryptoError> {
        let mut rdns = Vec::with_capacity(self.rdns.len());
        for rdn in &self.rdns {
            let mut atvs = Vec::with_capacity(rdn.len());
            for attr in rdn {
                let oid = der::oid_from_str(&attr.oid).ok_or_else(|| {
                    CryptoError::InvalidName(format!(
                        "'{}' is not a valid attribute OID.",
                        attr.oid
                    ))
                })?;
                let kind = by_oid(&attr.oid).map_or(StringKind::Utf8, |t| t.kind);
                let tag = match kind {
                    StringKind::Utf8 => der::TAG_UTF8_STRING,
                    StringKind::Printable => der::TAG_PRINTABLE_STRING,
                    StringKind::Ia5 => der::TAG_IA5_STRING,
                };
                atvs.push(der::sequence(&[
                    &oid,
                    &der::tlv(tag, attr.value.as_bytes()),
                ]));
            }
            rdns.push(der::set_of(atvs));
        }
        Ok(der::sequence(
            &rdns.iter().map(Vec::as_slice).collect::<Vec<_>>(),
        ))
    }

    /// Reads a DER `Name`; `None` when malformed.
    pub(crate) fn from_der(name: &[u8]) -> Option<Self> {
        let seq = der::single(name, der::TAG_SEQUENCE)?;
        let mut rdns = Vec::new();
        let mut r = der::Reader::new(seq.content);
        while !r.is_empty() {
            let set = r.next_tagged(der::TAG_SET)?;
            let mut rdn = Vec::new();
            let mut sr = der::Reader::new(set.content);
            while !sr.is_empty() {
                let atv = sr.next_tagged(der::TAG_SEQUENCE)?;
                let mut ar = der::Reader::new(atv.content);
                let oid = der::oid_to_string(ar.next_tagged(der::TAG_OID)?.content)?;
                let value = ar.next_element()?;
                rdn.push(DnAttribute {
                    oid,
                    value: decode_string(value),
                });
            }
            if rdn.is_empty() {
                return None;
            }
            rdns.push(rdn);
        }
        Some(DistinguishedName { rdns })
    }
}

/// Text of a directory string; other types come out as `#` + hex of the DER (RFC 4514).
fn decode_string(el: der::Element<'_>) -> String {
    let text = match el.tag {
        der::TAG_UTF8_STRING
        | der::TAG_PRINTABLE_STRING
        | der::TAG_IA5_STRING
        | der::TAG_VISIBLE_STRING
        | der::TAG_NUMERIC_STRING => std::str::from_utf8(el.content).ok().map(str::to_string),
        der::TAG_T61_STRING => Some(el.content.iter().map(|&b| char::from(b)).collect()),
        der::TAG_BMP_STRING if el.content.len().is_multiple_of(2) => {
            let units: Vec<u16> = el
                .content
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        der::TAG_UNIVERSAL_STRING if el.content.len().is_multiple_of(4) => el
            .content
            .chunks(4)
            .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        _ => None,
    };
    text.unwrap_or_else(|| format!("#{}", hex::encode(el.raw)))
}

fn needs_quotes(value: &str) -> bool {
    value.is_empty()
        || value.starts_with(' ')
        || value.ends_with(' ')
        || value.chars().any(|c| {
            matches!(
                c,
                ',' | '+' | '=' | '"' | '\\' | '<' | '>' | '#' | ';' | '\n' | '\r'
            )
        })
}

impl fmt::Display for DistinguishedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rdn) in self.rdns.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            for (j, attr) in rdn.iter().enumerate() {
                if j > 0 {
                    f.write_str(" + ")?;
                }
                match by_oid(&attr.oid).and_then(|t| t.name) {
                    Some(name) => f.write_str(name)?,
                    None => f.write_str(&attr.oid)?,
                }
                f.write_str("=")?;
                if needs_quotes(&attr.value) {
                    write!(
                        f,
                        "\"{}\"",
                        attr.value.replace('\\', "\\\\").replace('"', "\"\"")
                    )?;
                } else {
                    f.write_str(&attr.value)?;
                }
            }
        }
        Ok(())
    }
}

fn bad(msg: impl Into<String>) -> CryptoError {
    CryptoError::InvalidName(msg.into())
}

/// Parses subject text. Separators `,` or `;` between RDNs and `+` inside one; type names are
/// case-insensitive (`CN`, `O`, `OU`, `L`, `ST`/`S`, `C`, `E`/`emailAddress`, `DC`,
/// `SERIALNUMBER`, `STREET`, `T`, `G`, `SN`, `I`, `POSTALCODE`, `UID`) or dotted OIDs
/// (optionally `OID.`-prefixed). Values may be quoted (`O="Contoso, Ltd"`, `""` or `\"` for a
/// quote) or use backslash escapes (`\,`, `\+`, `\\`, `\C3\A9`). Empty or blank text is the
/// empty name. Errors are [`CryptoError::InvalidName`].
pub fn parse_dn(subject: &str) -> Result<DistinguishedName, CryptoError> {
    let chars: Vec<char> = subject.chars().collect();
    let mut p = Parser {
        chars: &chars,
        pos: 0,
        text: subject,
    };
    let mut rdns = Vec::new();
    p.skip_ws();
    if p.at_end() {
        return Ok(DistinguishedName::default());
    }
    loop {
        let mut rdn = Vec::new();
        loop {
            rdn.push(p.attribute()?);
            if p.peek() == Some('+') {
                p.pos += 1;
                continue;
            }
            break;
        }
        rdns.push(rdn);
        match p.peek() {
            None => break,
            Some(',' | ';') => {
                p.pos += 1;
                p.skip_ws();
                if p.at_end() {
                    return Err(bad(format!(
                        "The subject '{subject}' ends with a separator."
                    )));
                }
            }
            Some(c) => return Err(bad(format!("Unexpected '{c}' in the subject '{subject}'."))),
        }
    }
    Ok(DistinguishedName { rdns })
}

struct Parser<'a> {
    chars: &'a [char],
    pos: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn attribute(&mut self) -> Result<DnAttribute, CryptoError> {
        self.skip_ws();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        self.skip_ws();
        if name.is_empty() || self.peek() != Some('=') {
            return Err(bad(format!(
                "The subject '{}' is not a valid X.500 distinguished name (expected 'TYPE=value' such as 'CN=www.contoso.com').",
                self.text
            )));
        }
        self.pos += 1;
        let (oid, kind) = resolve_type(&name)?;
        let value = self.value()?;
        check_value(&name, &value, kind, &oid)?;
        Ok(DnAttribute { oid, value })
    }

    fn value(&mut self) -> Result<String, CryptoError> {
        self.skip_ws();
        if self.peek() == Some('"') {
            self.pos += 1;
            let mut out = String::new();
            loop {
                match self.peek() {
                    None => {
                        return Err(bad(format!(
                            "Unterminated quoted value in the subject '{}'.",
                            self.text
                        )))
                    }
                    Some('"') if self.chars.get(self.pos + 1) == Some(&'"') => {
                        out.push('"');
                        self.pos += 2;
                    }
                    Some('"') => {
                        self.pos += 1;
                        break;
                    }
                    Some('\\') if matches!(self.chars.get(self.pos + 1), Some('"' | '\\')) => {
                        out.push(self.chars[self.pos + 1]);
                        self.pos += 2;
                    }
                    Some(c) => {
                        out.push(c);
                        self.pos += 1;
                    }
                }
            }
            self.skip_ws();
            return Ok(out);
        }
        if self.peek() == Some('#') {
            return Err(bad(
                "Hex-encoded ('#...') attribute values are not supported in a subject.",
            ));
        }
        let mut out = String::new();
        let mut pending: Vec<u8> = Vec::new(); // bytes from \XX escapes
        let mut trailing_ws = 0usize; // unescaped whitespace at the end of `out`
        let flush = |pending: &mut Vec<u8>, out: &mut String| -> Result<(), CryptoError> {
            if !pending.is_empty() {
                let s = String::from_utf8(std::mem::take(pending))
                    .map_err(|_| bad("A '\\XX' escape in the subject is not valid UTF-8."))?;
                out.push_str(&s);
            }
            Ok(())
        };
        while let Some(c) = self.peek() {
            match c {
                ',' | ';' | '+' => break,
                '\\' => {
                    let next = self.chars.get(self.pos + 1).copied();
                    let next2 = self.chars.get(self.pos + 2).copied();
                    match (next, next2) {
                        (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                            let byte = u8::from_str_radix(&format!("{h}{l}"), 16)
                                .map_err(|_| bad("Invalid '\\XX' escape in the subject."))?;
                            pending.push(byte);
                            self.pos += 3;
                        }
                        (Some(n), _) => {
                            flush(&mut pending, &mut out)?;
                            out.push(n);
                            self.pos += 2;
                        }
                        (None, _) => return Err(bad("The subject ends with a lone '\\'.")),
                    }
                    trailing_ws = 0;
                }
                '"' => {
                    return Err(bad(format!(
                        "Unexpected '\"' inside a value in the subject '{}'.",
                        self.text
                    )))
                }
                c => {
                    flush(&mut pending, &mut out)?;
                    out.push(c);
                    trailing_ws = if c.is_whitespace() {
                        trailing_ws + c.len_utf8()
                    } else {
                        0
                    };
                    self.pos += 1;
                }
            }
        }
        flush(&mut pending, &mut out)?;
        out.truncate(out.len() - trailing_ws);
        Ok(out)
    }
}

fn resolve_type(name: &str) -> Result<(String, StringKind), CryptoError> {
    let upper = name.to_ascii_uppercase();
    if let Some(t) = ATTR_TYPES
        .iter()
        .find(|t| t.aliases.contains(&upper.as_str()))
    {
        return Ok((t.oid.to_string(), t.kind));
    }
    let dotted = upper.strip_prefix("OID.").unwrap_or(&upper);
    if dotted.starts_with(|c: char| c.is_ascii_digit()) {
        if der::oid_from_str(dotted).is_none() {
            return Err(bad(format!(
                "'{name}' is not a valid attribute OID in the subject."
            )));
        }
        let kind = by_oid(dotted).map_or(StringKind::Utf8, |t| t.kind);
        return Ok((dotted.to_string(), kind));
    }
    Err(bad(format!(
        "Unknown attribute type '{name}' in the subject."
    )))
}

fn check_value(name: &str, value: &str, kind: StringKind, oid: &str) -> Result<(), CryptoError> {
    if value.is_empty() {
        return Err(bad(format!(
            "The subject attribute '{name}' has an empty value."
        )));
    }
    let ok = match kind {
        StringKind::Utf8 => true,
        StringKind::Ia5 => value.is_ascii(),
        StringKind::Printable => value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c)),
    };
    if !ok {
        let allowed = if kind == StringKind::Ia5 {
            "ASCII"
        } else {
            "letters, digits, spaces and '()+,-./:=?"
        };
        return Err(bad(format!(
            "The value of '{name}' may only contain {allowed}."
        )));
    }
    if oid == "2.5.4.6" && !(value.len() == 2 && value.chars().all(|c| c.is_ascii_alphabetic())) {
        return Err(bad(format!(
            "'C={value}' must be a two-letter country code such as 'US'."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> String {
        let dn = parse_dn(text).unwrap();
        let back = DistinguishedName::from_der(&dn.to_der().unwrap()).unwrap();
        assert_eq!(back, dn);
        back.to_string()
    }

    #[test]
    fn normalized_names_round_trip() {
        for s in [
            "CN=a.example, O=Contoso, OU=IT, L=Redmond, ST=WA, C=US",
            "CN=x, E=admin@contoso.com, DC=contoso, DC=com, SERIALNUMBER=1234, STREET=1 Main St",
            "CN=x, OU=a, OU=b",
            "CN=x + O=y, C=US",
            "O=\"Contoso, Ltd\", CN=\"say \"\"hi\"\"\"",
            "CN=\" padded \", O=\"a\\\\b\"",
            "CN=Zoë 日本",
            "2.5.4.12=Boss, CN=x",
        ] {
            assert_eq!(round_trip(s), s);
        }
    }

    #[test]
    fn accepted_spellings_normalize() {
        assert_eq!(round_trip("cn = a ;o=b;  s=WA"), "CN=a, O=b, ST=WA");
        assert_eq!(
            round_trip("emailAddress=a@b.c,Email=d@e.f"),
            "E=a@b.c, E=d@e.f"
        );
        assert_eq!(round_trip("CN=a\\, b\\+c"), "CN=\"a, b+c\"");
        assert_eq!(round_trip("CN=caf\\C3\\A9"), "CN=café");
        assert_eq!(round_trip("OID.2.5.4.3=x, T=y"), "CN=x, 2.5.4.12=y");
        assert_eq!(round_trip("CN=\"a\\\"b\""), "CN=\"a\"\"b\"");
        assert_eq!(round_trip("  "), "");
        assert!(parse_dn("").unwrap().is_empty());
        assert_eq!(
            parse_dn("DC=a, DC=b")
                .unwrap()
                .values_of("0.9.2342.19200300.100.1.25")
                .count(),
            2
        );
    }

    #[test]
    fn string_types_follow_the_attribute() {
        let der = parse_dn("C=US, E=a@b.c, CN=x").unwrap().to_der().unwrap();
        let hexed = hex::encode(&der);
        assert!(hexed.contains("13025553"), "C as PrintableString: {hexed}");
        assert!(hexed.contains("16056140622e63"), "E as IA5String: {hexed}");
        assert!(hexed.contains("0c0178"), "CN as UTF8String: {hexed}");
    }

    #[test]
    fn bad_names_are_invalid_name_errors() {
        for s in [
            "foo",
            "CN",
            "=x",
            "CN=",
            "CN=a,",
            "CN=a,,O=b",
            "XX=y",
            "CN=\"open",
            "CN=a\"b",
            "C=USA",
            "C=U1",
            "E=zoë@x",
            "CN=#0403",
            "1.2.x=y",
            "CN=\\",
            "CN=\\FF",
            "CN=a; junk",
        ] {
            assert!(
                matches!(parse_dn(s), Err(CryptoError::InvalidName(_))),
                "{s}"
            );
        }
    }

    #[test]
    fn foreign_string_types_decode() {
        // BMPString "Ab" and a non-string (INTEGER) value.
        let atv1 = der::sequence(&[
            &der::oid_from_str("2.5.4.3").unwrap(),
            &der::tlv(der::TAG_BMP_STRING, &[0, b'A', 0, b'b']),
        ]);
        let atv2 = der::sequence(&[&der::oid_from_str("2.5.4.10").unwrap(), &der::small_uint(5)]);
        let name = der::sequence(&[&der::set_of(vec![atv1]), &der::set_of(vec![atv2])]);
        let dn = DistinguishedName::from_der(&name).unwrap();
        assert_eq!(dn.to_string(), "CN=Ab, O=\"#020105\"");
        assert!(DistinguishedName::from_der(&[0x30, 0x02, 0x31, 0x00]).is_none());
        assert!(DistinguishedName::from_der(b"junk").is_none());
    }
}
