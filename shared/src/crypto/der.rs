//! A minimal DER writer and reader: just enough ASN.1 to build TBSCertificates, PKCS#10
//! requests and X.509 extension bodies byte for byte, and to read extension values back.
//! Only single-byte (low-number) tags are supported, which covers everything X.509 uses here.

use time::OffsetDateTime;

pub(crate) const TAG_BOOLEAN: u8 = 0x01;
pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_UTF8_STRING: u8 = 0x0c;
pub(crate) const TAG_NUMERIC_STRING: u8 = 0x12;
pub(crate) const TAG_PRINTABLE_STRING: u8 = 0x13;
pub(crate) const TAG_T61_STRING: u8 = 0x14;
pub(crate) const TAG_IA5_STRING: u8 = 0x16;
pub(crate) const TAG_UTC_TIME: u8 = 0x17;
pub(crate) const TAG_GENERALIZED_TIME: u8 = 0x18;
pub(crate) const TAG_VISIBLE_STRING: u8 = 0x1a;
pub(crate) const TAG_UNIVERSAL_STRING: u8 = 0x1c;
pub(crate) const TAG_BMP_STRING: u8 = 0x1e;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
pub(crate) const TAG_SET: u8 = 0x31;

/// Context-specific primitive tag `[n] IMPLICIT`.
pub(crate) const fn ctx_prim(n: u8) -> u8 {
    0x80 | n
}

/// Context-specific constructed tag `[n]` (EXPLICIT, or IMPLICIT over a constructed type).
pub(crate) const fn ctx_cons(n: u8) -> u8 {
    0xa0 | n
}

/// One TLV.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A constructed TLV over the concatenation of already-encoded parts.
pub(crate) fn cons(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

pub(crate) fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    cons(TAG_SEQUENCE, parts)
}

/// `SET OF`: DER orders the elements by their encodings.
pub(crate) fn set_of(mut parts: Vec<Vec<u8>>) -> Vec<u8> {
    parts.sort();
    tlv(TAG_SET, &parts.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes.
pub(crate) fn uint(bytes: &[u8]) -> Vec<u8> {
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let mut content = bytes[skip..].to_vec();
    if content.first().is_none_or(|b| b & 0x80 != 0) {
        content.insert(0, 0);
    }
    tlv(TAG_INTEGER, &content)
}

pub(crate) fn small_uint(v: u64) -> Vec<u8> {
    uint(&v.to_be_bytes())
}

pub(crate) fn boolean(v: bool) -> Vec<u8> {
    tlv(TAG_BOOLEAN, &[if v { 0xff } else { 0 }])
}

pub(crate) fn null() -> Vec<u8> {
    tlv(TAG_NULL, &[])
}

pub(crate) fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(TAG_OCTET_STRING, bytes)
}

/// BIT STRING holding whole bytes (no unused bits).
pub(crate) fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(bytes.len() + 1);
    content.push(0);
    content.extend_from_slice(bytes);
    tlv(TAG_BIT_STRING, &content)
}

/// A named-bit BIT STRING (KeyUsage): bit 0 is the most significant bit of the first byte.
/// DER drops trailing zero bits.
pub(crate) fn named_bits(bits: &[usize]) -> Vec<u8> {
    let Some(max) = bits.iter().copied().max() else {
        return tlv(TAG_BIT_STRING, &[0]);
    };
    let mut bytes = vec![0u8; max / 8 + 1];
    for b in bits {
        bytes[b / 8] |= 0x80 >> (b % 8);
    }
    let unused = 7 - (max % 8) as u8;
    let mut content = vec![unused];
    content.extend_from_slice(&bytes);
    tlv(TAG_BIT_STRING, &content)
}

/// Encodes dotted-decimal OID text as an OBJECT IDENTIFIER TLV; `None` when malformed.
pub(crate) fn oid_from_str(text: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = text
        .trim()
        .split('.')
        .map(|a| {
            if a.is_empty()
                || !a.bytes().all(|b| b.is_ascii_digit())
                || (a.len() > 1 && a.starts_with('0'))
            {
                None
            } else {
                a.parse::<u64>().ok()
            }
        })
        .collect::<Option<_>>()?;
    oid(&arcs)
}

/// Encodes OID arcs as an OBJECT IDENTIFIER TLV; `None` when the arcs are not a valid OID.
pub(crate) fn oid(arcs: &[u64]) -> Option<Vec<u8>> {
    if arcs.len() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) {
        return None;
    }
    let first = arcs[0].checked_mul(40)?.checked_add(arcs[1])?;
    let mut content = Vec::new();
    for arc in std::iter::once(first).chain(arcs[2..].iter().copied()) {
        let mut chunk = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            chunk.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        chunk.reverse();
        content.extend_from_slice(&chunk);
    }
    Some(tlv(TAG_OID, &content))
}

/// Dotted-decimal text of an OBJECT IDENTIFIER's content bytes.
pub(crate) fn oid_to_string(content: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut cur: u64 = 0;
    let mut in_arc = false;
    for &b in content {
        if !in_arc && b == 0x80 {
            return None; // non-minimal encoding
        }
        cur = cur.checked_mul(128)?.checked_add(u64::from(b & 0x7f))?;
        in_arc = b & 0x80 != 0;
        if !in_arc {
            arcs.push(cur);
            cur = 0;
        }
    }
    if in_arc || arcs.is_empty() {
        return None;
    }
    let first = arcs[0];
    let (a, b) = if first < 40 {
        (0, first)
    } else if first < 80 {
        (1, first - 40)
    } else {
        (2, first - 80)
    };
    let mut out = format!("{a}.{b}");
    for arc in &arcs[1..] {
        out.push('.');
        out.push_str(&arc.to_string());
    }
    Some(out)
}

/// X.509 Time: UTCTime for 1950..=2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5).
pub(crate) fn time(t: OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let year = t.year();
    let rest = format!(
        "{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    if (1950..2050).contains(&year) {
        tlv(TAG_UTC_TIME, format!("{:02}{rest}", year % 100).as_bytes())
    } else {
        tlv(
            TAG_GENERALIZED_TIME,
            format!("{:04}{rest}", year.clamp(0, 9999)).as_bytes(),
        )
    }
}

/// One element read by [`Reader`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    /// The whole TLV.
    pub raw: &'a [u8],
}

/// Sequential reader over concatenated DER elements.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Reads the next element; `None` on malformed or truncated input.
    pub fn next_element(&mut self) -> Option<Element<'a>> {
        let data = self.data;
        let tag = *data.first()?;
        if tag & 0x1f == 0x1f {
            return None; // high-number tags are not used here
        }
        let first_len = *data.get(1)?;
        let (len, header) = if first_len < 0x80 {
            (usize::from(first_len), 2usize)
        } else {
            let n = usize::from(first_len & 0x7f);
            if n == 0 || n > 4 {
                return None; // indefinite or absurd length
            }
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | usize::from(*data.get(2 + i)?);
            }
            (len, 2 + n)
        };
        let end = header.checked_add(len)?;
        if end > data.len() {
            return None;
        }
        self.data = &data[end..];
        Some(Element {
            tag,
            content: &data[header..end],
            raw: &data[..end],
        })
    }

    /// Reads the next element and checks its tag.
    pub fn next_tagged(&mut self, tag: u8) -> Option<Element<'a>> {
        let el = self.next_element()?;
        (el.tag == tag).then_some(el)
    }
}

/// The single element that makes up `data` (no trailing bytes).
pub(crate) fn single(data: &[u8], tag: u8) -> Option<Element<'_>> {
    let mut r = Reader::new(data);
    let el = r.next_tagged(tag)?;
    r.is_empty().then_some(el)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_round_trips() {
        for text in [
            "1.3.6.1.5.5.7.3.1",
            "2.5.29.17",
            "1.3.6.1.4.1.311.20.2.3",
            "2.999.1",
            "0.9.2342.19200300.100.1.25",
        ] {
            let enc = oid_from_str(text).unwrap();
            let el = single(&enc, TAG_OID).unwrap();
            assert_eq!(oid_to_string(el.content).unwrap(), text);
        }
        assert_eq!(
            oid_from_str("2.5.29.17").unwrap(),
            vec![0x06, 0x03, 0x55, 0x1d, 0x11]
        );
        for bad in ["", "1", "3.1", "1.40", "1.2.x", "1..2", "01.2"] {
            assert!(oid_from_str(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn lengths_and_integers() {
        let long = tlv(TAG_OCTET_STRING, &[7u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let el = single(&long, TAG_OCTET_STRING).unwrap();
        assert_eq!(el.content.len(), 300);
        assert_eq!(uint(&[0x00, 0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[]), vec![0x02, 0x01, 0x00]);
        assert_eq!(small_uint(5), vec![0x02, 0x01, 0x05]);
        assert!(Reader::new(&[0x30, 0x85, 1, 1, 1, 1, 1])
            .next_element()
            .is_none());
        assert!(Reader::new(&[0x30, 0x05, 1]).next_element().is_none());
    }

    #[test]
    fn key_usage_bits_are_minimal() {
        // digitalSignature + keyEncipherment = 1010 0000, 5 unused bits
        assert_eq!(named_bits(&[0, 2]), vec![0x03, 0x02, 0x05, 0xa0]);
        // decipherOnly = bit 8
        assert_eq!(named_bits(&[8]), vec![0x03, 0x03, 0x07, 0x00, 0x80]);
    }
}
