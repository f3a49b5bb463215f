//! PEM text: encoding one block and reading every block out of user-supplied text (CRLF, headers
//! and junk between blocks tolerated). The key-and-chain bundle is in [`super::pkcs12`].

use crate::b64;

/// `-----BEGIN {label}-----`, standard base64 in 64-column lines, `-----END {label}-----`,
/// with a trailing newline.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = b64::std_encode(der);
    let mut out = String::with_capacity(body.len() + body.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in body.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// Every well-formed block as (label, DER), in order. Blocks whose END label does not match
/// or whose body is not base64 are skipped; RFC 1421 headers (`Proc-Type: ...`) are ignored.
pub fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after_begin = &rest[start + BEGIN.len()..];
        let Some(label_end) = after_begin.find(DASHES) else {
            break;
        };
        let label = &after_begin[..label_end];
        if label.contains('\n') || label.contains('-') {
            rest = after_begin;
            continue;
        }
        let body_start = &after_begin[label_end + DASHES.len()..];
        let end_marker = format!("-----END {label}-----");
        let Some(body_end) = body_start.find(&end_marker) else {
            rest = body_start;
            continue;
        };
        let body = &body_start[..body_end];
        let b64_text: String = body
            .lines()
            .filter(|l| !l.contains(':'))
            .collect::<Vec<_>>()
            .join("");
        if let Ok(der) = b64::decode_lenient(&b64_text) {
            if !der.is_empty() {
                out.push((label.trim().to_string(), der));
            }
        }
        rest = &body_start[body_end + end_marker.len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_wraps_at_64_columns() {
        let der: Vec<u8> = (0..=255u8).collect();
        let pem = pem_encode("CERTIFICATE", &der);
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(pem.ends_with("-----END CERTIFICATE-----\n"));
        let lines: Vec<&str> = pem.lines().collect();
        assert!(lines[1..lines.len() - 1].iter().all(|l| l.len() <= 64));
        assert_eq!(lines[1].len(), 64);
        assert_eq!(pem_blocks(&pem), vec![("CERTIFICATE".to_string(), der)]);
    }

    #[test]
    fn blocks_tolerate_crlf_junk_and_headers() {
        let a = pem_encode("CERTIFICATE", b"first");
        let b = pem_encode("PRIVATE KEY", b"second");
        let text = format!(
            "Bag Attributes\r\n    friendlyName: x\r\n{}junk\r\n\r\n{}-----BEGIN BROKEN-----\nnope\n",
            a.replace('\n', "\r\n"),
            b.replace("-----\n", "-----\nProc-Type: 4,ENCRYPTED\n\n")
        );
        let blocks = pem_blocks(&text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0], ("CERTIFICATE".to_string(), b"first".to_vec()));
        assert_eq!(blocks[1], ("PRIVATE KEY".to_string(), b"second".to_vec()));
        assert!(pem_blocks("").is_empty());
        assert!(pem_blocks("-----BEGIN X-----\n!!!\n-----END X-----\n").is_empty());
        assert!(pem_blocks("-----BEGIN X-----\nAAAA\n-----END Y-----\n").is_empty());
    }
}
