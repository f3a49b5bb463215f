//! Reading an OCSPRequest (RFC 6960 §4.1.1): the CertIDs asked about and the nonce extension
//! (RFC 8954), from POST bodies or the GET form (RFC 6960 Appendix A.1: the DER, base64, URL
//! encoded, appended to the responder URL). A request signature, if any, is ignored: the
//! responder answers anyone, like public CAs'.

use crate::ca::der;

/// id-pkix-ocsp-nonce.
const OID_NONCE: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 2];

/// The hash a CertID names its issuer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    fn from_oid(raw: &[u8]) -> Option<Self> {
        [
            (Self::Sha1, &[1, 3, 14, 3, 2, 26][..]),
            (Self::Sha256, &[2, 16, 840, 1, 101, 3, 4, 2, 1][..]),
            (Self::Sha384, &[2, 16, 840, 1, 101, 3, 4, 2, 2][..]),
            (Self::Sha512, &[2, 16, 840, 1, 101, 3, 4, 2, 3][..]),
        ]
        .into_iter()
        .find(|(_, arcs)| der::oid(arcs) == raw)
        .map(|(alg, _)| alg)
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        use aws_lc_rs::digest;
        let alg = match self {
            Self::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => &digest::SHA256,
            Self::Sha384 => &digest::SHA384,
            Self::Sha512 => &digest::SHA512,
        };
        digest::digest(alg, data).as_ref().to_vec()
    }
}

/// One CertID as the client sent it.
#[derive(Debug, Clone)]
pub struct CertId {
    /// The CertID's DER, echoed in the SingleResponse (§4.2.1).
    pub raw: Vec<u8>,
    /// `None` for a hash this responder does not know: such a CertID names no CA here.
    pub hash: Option<HashAlg>,
    pub issuer_name_hash: Vec<u8>,
    pub issuer_key_hash: Vec<u8>,
    /// The serial number's content octets.
    pub serial: Vec<u8>,
}

impl CertId {
    /// Uppercase hex of the serial, leading zero octets removed (as the store keys serials).
    pub fn serial_hex(&self) -> String {
        let start = self
            .serial
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(self.serial.len().saturating_sub(1));
        hex::encode_upper(&self.serial[start..])
    }
}

/// What an OCSPRequest asks.
#[derive(Debug, Clone)]
pub struct OcspRequest {
    /// At least one.
    pub certs: Vec<CertId>,
    /// The nonce Extension's DER, echoed as is in the response's extensions.
    pub nonce: Option<Vec<u8>>,
}

/// One DER element.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    raw: &'a [u8],
}

/// Takes the next element off `input` (definite lengths up to 4 octets, low tag numbers:
/// all OCSP uses).
fn next<'a>(input: &mut &'a [u8]) -> Option<Tlv<'a>> {
    let data = *input;
    let tag = *data.first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = *data.get(1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *data.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let content = data.get(header..end)?;
    let raw = &data[..end];
    *input = &data[end..];
    Some(Tlv { tag, content, raw })
}

/// Takes the next element off `input` if it has `tag`.
fn expect<'a>(input: &mut &'a [u8], tag: u8) -> Option<Tlv<'a>> {
    let el = next(input)?;
    (el.tag == tag).then_some(el)
}

/// Parses a DER OCSPRequest; `None` when it is malformed or asks about nothing.
pub fn parse(der_bytes: &[u8]) -> Option<OcspRequest> {
    let mut input = der_bytes;
    let outer = expect(&mut input, 0x30)?;
    if !input.is_empty() {
        return None;
    }
    let mut body = outer.content;
    let tbs = expect(&mut body, 0x30)?;
    let mut fields = tbs.content;
    let mut el = next(&mut fields)?;
    if el.tag == 0xa0 {
        el = next(&mut fields)?; // version
    }
    if el.tag == 0xa1 {
        el = next(&mut fields)?; // requestorName
    }
    if el.tag != 0x30 {
        return None;
    }
    let mut list = el.content;
    let mut certs = Vec::new();
    while !list.is_empty() {
        let request = expect(&mut list, 0x30)?;
        let mut r = request.content;
        certs.push(cert_id(expect(&mut r, 0x30)?)?);
    }
    let mut nonce = None;
    if let Some(ext) = next(&mut fields) {
        if ext.tag != 0xa2 {
            return None;
        }
        let mut c = ext.content;
        nonce = find_nonce(expect(&mut c, 0x30)?.content)?;
    }
    (!certs.is_empty()).then_some(OcspRequest { certs, nonce })
}

fn cert_id(id: Tlv<'_>) -> Option<CertId> {
    let mut c = id.content;
    let alg = expect(&mut c, 0x30)?;
    let mut a = alg.content;
    let oid = expect(&mut a, 0x06)?;
    let name = expect(&mut c, 0x04)?;
    let key = expect(&mut c, 0x04)?;
    let serial = expect(&mut c, 0x02)?;
    if !c.is_empty() || serial.content.is_empty() {
        return None;
    }
    Some(CertId {
        raw: id.raw.to_vec(),
        hash: HashAlg::from_oid(oid.raw),
        issuer_name_hash: name.content.to_vec(),
        issuer_key_hash: key.content.to_vec(),
        serial: serial.content.to_vec(),
    })
}

/// The nonce Extension among `extensions` (`Some(None)` when there is none; `None` when an
/// extension is malformed).
fn find_nonce(mut extensions: &[u8]) -> Option<Option<Vec<u8>>> {
    let nonce_oid = der::oid(OID_NONCE);
    while !extensions.is_empty() {
        let ext = expect(&mut extensions, 0x30)?;
        let mut f = ext.content;
        let oid = expect(&mut f, 0x06)?;
        if oid.raw == nonce_oid.as_slice() {
            return Some(Some(ext.raw.to_vec()));
        }
    }
    Some(None)
}

/// The DER of a GET request's last path part: percent-decoded, then base64 (standard, or
/// URL-safe as some clients send it; padding optional).
pub fn decode_get(encoded: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    let text = percent_decode(encoded)?;
    let text = text.trim_end_matches('=');
    let standard = format!("{text}{}", "=".repeat((4 - text.len() % 4) % 4));
    STANDARD
        .decode(standard.as_bytes())
        .or_else(|_| URL_SAFE_NO_PAD.decode(text.as_bytes()))
        .ok()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hexpair = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hexpair, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl ocsp -reqout` of a SHA-1 CertID with a nonce.
    const OPENSSL_REQUEST: &str = "MHYwdDBNMEswSTAJBgUrDgMCGgUABBSDVLpOADr9qsUeecfzOXxYBMjhewQU6jRABURmOFdHpz73qtB09Jv6sR0CEBCxV2fqHzmHbHKyBlYSc4yiIzAhMB8GCSsGAQUFBzABAgQSBBBS3Ma39SjUUuJ19aipfh4n";

    #[test]
    fn reads_openssl_requests_in_both_forms() {
        let der = decode_get(OPENSSL_REQUEST).unwrap();
        let req = parse(&der).unwrap();
        assert_eq!(req.certs.len(), 1);
        assert_eq!(req.certs[0].hash, Some(HashAlg::Sha1));
        assert_eq!(
            hex::encode_upper(&req.certs[0].issuer_name_hash),
            "8354BA4E003AFDAAC51E79C7F3397C5804C8E17B"
        );
        assert_eq!(
            req.certs[0].serial_hex(),
            "10B15767EA1F39876C72B2065612738C"
        );
        assert!(req.nonce.is_some());
        let escaped = OPENSSL_REQUEST
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        assert_eq!(decode_get(&escaped).unwrap(), der);
        assert!(parse(&der[..der.len() - 1]).is_none());
        assert!(parse(b"not der").is_none());
    }
}
